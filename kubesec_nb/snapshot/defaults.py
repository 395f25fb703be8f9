"""Fill in what the API server and its controllers would have added to applied manifests.

Manifests (and Helm ``template`` output) describe intent; a live cluster also holds what
admission, defaulting and controllers made of it. The assessment must see the latter,
so :func:`apply_server_defaults` adds, in this order:

1. namespaces: the ``kubernetes.io/metadata.name`` label; namespaces that objects refer
   to but that no manifest declares (annotated ``kubesec-nb.io/synthesized``);
2. the ``default`` ServiceAccount of every namespace;
3. field defaults: NetworkPolicy ``policyTypes`` (``[Ingress]``, plus ``Egress`` iff
   ``egress`` is non-empty) and port ``protocol: TCP``; Service ``type``, port protocol,
   ``targetPort``, cluster IPs and node ports; container port protocol and
   ``imagePullPolicy`` (``Always`` for ``:latest`` or untagged images);
4. the bootstrap RBAC policy (``cluster-admin``, ``admin``, ``edit``, ``view``, ``system:*``)
   when absent, and ClusterRole aggregation (the union of the selected roles' rules);
5. representative pods for workload controllers that have no pods (owner recorded,
   annotated ``kubesec-nb.io/representative``), with the service-account token volume the
   ServiceAccount admission plugin would mount, and a synthetic pod IP from
   :data:`REPRESENTATIVE_POD_CIDR` so that network analysis can place them;
6. EndpointSlices for Services with selectors, as the EndpointSlice controller would.
"""

from __future__ import annotations

import copy
import ipaddress
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kubesec_nb.snapshot import bootstrap
from kubesec_nb.snapshot.objects import (
    POD_CONTROLLERS,
    WORKLOAD_RESOURCES,
    labels_of,
    map_selector_matches,
    named_ports,
    pod_specs,
    protocol_of,
    selector_matches,
)
from kubesec_nb.snapshot.resources import SPEC_BY_GR, group_resource

if TYPE_CHECKING:  # document.py imports the modules that fill a Snapshot, not the reverse
    from kubesec_nb.snapshot.document import Snapshot

Obj = dict[str, Any]
T = TypeVar("T")

SYNTHESIZED = "kubesec-nb.io/synthesized"
REPRESENTATIVE = "kubesec-nb.io/representative"
#: Synthetic addresses for representative pods and cluster IPs (documented, never routable here).
REPRESENTATIVE_POD_CIDR = "10.254.0.0/16"
SERVICE_CIDR = "10.96.0.0/16"
_UID_NS = uuid.UUID("6f1c1a52-3b0e-4c1e-9d7b-6b6e6f6b7365")
TOKEN_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def _default(o: Obj, key: str, value: Any) -> Any:
    """``o[key]``, set to ``value`` when absent or null (the API server treats null as unset)."""
    if o.get(key) is None:
        o[key] = value
    return o[key]


def _meta(o: Obj) -> Obj:
    return _default(o, "metadata", {})  # type: ignore[no-any-return]


def _ns(o: Obj) -> str:
    return str(_meta(o).get("namespace") or "")


def stable_uid(*parts: str) -> str:
    """A deterministic UID for an object that has none.

    >>> stable_uid("Deployment", "shop", "web") == stable_uid("Deployment", "shop", "web")
    True
    """
    return str(uuid.uuid5(_UID_NS, "/".join(parts)))


# ---- 1, 2: namespaces and default service accounts ------------------------------------------
def default_namespaces(snap: Snapshot, default_namespace: str = "default") -> None:
    """Namespace labels, ``default`` namespace for namespaced objects without one, undeclared namespaces."""
    declared = {n["metadata"]["name"]: n for n in snap.items("namespaces")}
    referenced: set[str] = set()
    for key, objs in snap.objects.items():
        spec = SPEC_BY_GR.get(group_resource(key))
        if spec is None or not spec.namespaced:
            continue
        for o in objs:
            meta = _meta(o)
            if not meta.get("namespace"):
                meta["namespace"] = default_namespace
            referenced.add(meta["namespace"])
    for crb in snap.items("clusterrolebindings.rbac.authorization.k8s.io") + snap.items(
            "rolebindings.rbac.authorization.k8s.io"):
        for s in crb.get("subjects") or []:
            if s.get("kind") == "ServiceAccount" and s.get("namespace"):
                referenced.add(s["namespace"])
    for name in sorted(referenced - set(declared)):
        snap.add({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": name, "annotations": {SYNTHESIZED: "referenced, not declared"}}})
    for ns in snap.items("namespaces"):
        meta = _meta(ns)
        _default(meta, "labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        _default(_default(ns, "status", {}), "phase", "Active")


def default_service_accounts(snap: Snapshot) -> None:
    """The ``default`` ServiceAccount the service-account controller creates in every namespace."""
    have = {(_ns(s), s["metadata"]["name"]) for s in snap.items("serviceaccounts")}
    for ns in sorted(n["metadata"]["name"] for n in snap.items("namespaces")):
        if (ns, "default") not in have:
            snap.add({"apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": {"name": "default", "namespace": ns, "annotations": {SYNTHESIZED: "controller"}}})
    snap.mark_collected("serviceaccounts")


# ---- 3: field defaults -------------------------------------------------------------------
def _default_ports(ports: Iterable[Any] | None) -> None:
    for p in ports or []:
        if isinstance(p, dict):
            _default(p, "protocol", "TCP")


def default_network_policy(np: Obj) -> Obj:
    """API-server defaulting of one NetworkPolicy, in place.

    >>> default_network_policy({"spec": {"egress": []}})["spec"]["policyTypes"]
    ['Ingress']
    >>> default_network_policy({"spec": {"egress": [{}]}})["spec"]["policyTypes"]
    ['Ingress', 'Egress']
    """
    spec = _default(np, "spec", {})
    _default(spec, "podSelector", {})
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            if isinstance(rule, dict):
                _default_ports(rule.get("ports"))
    return np


def image_pull_policy(image: str) -> str:
    """The ``imagePullPolicy`` the API server defaults for an image reference.

    As ``SetDefaults_Container``: ``Always`` when the parsed tag is ``latest`` (an untagged,
    undigested reference is normalised to ``:latest``), else ``IfNotPresent``; a reference
    that does not parse (an empty tag, upper case in the repository) has no tag, so
    ``IfNotPresent``.

    >>> image_pull_policy("nginx"), image_pull_policy("nginx:latest"), image_pull_policy("nginx:1.25")
    ('Always', 'Always', 'IfNotPresent')
    >>> image_pull_policy("registry:5000/app@sha256:" + "a" * 64), image_pull_policy("nginx:latest@sha256:" + "a" * 64)
    ('IfNotPresent', 'Always')
    >>> image_pull_policy("nginx:"), image_pull_policy("Example/App")
    ('IfNotPresent', 'IfNotPresent')
    """
    name, has_digest = image.split("@", 1)[0], "@" in image
    first, _, rest = name.partition("/")
    path = rest if rest and ("." in first or ":" in first or first == "localhost") else name
    if path != path.lower():
        return "IfNotPresent"  # not a valid reference: the defaulting finds no tag
    last = path.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    if tag is None:
        return "IfNotPresent" if has_digest else "Always"
    return "Always" if tag == "latest" else "IfNotPresent"


def default_pod_spec(spec: Obj) -> None:
    """Container port protocols, ``imagePullPolicy`` and ``serviceAccountName``, in place."""
    _default(spec, "serviceAccountName", spec.get("serviceAccount") or "default")
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(field) or []:
            if not isinstance(c, dict):
                continue
            _default_ports(c.get("ports"))
            if isinstance(c.get("image"), str) and not c.get("imagePullPolicy"):
                c["imagePullPolicy"] = image_pull_policy(c["image"])


def _service_ips(snap: Snapshot) -> Iterator[str]:
    used = {s["spec"].get("clusterIP") for s in snap.items("services") if isinstance(s.get("spec"), dict)}
    for ip in ipaddress.ip_network(SERVICE_CIDR).hosts():
        if str(ip) not in used and int(ip) & 0xFF not in (0, 1):
            yield str(ip)


def default_services(snap: Snapshot) -> None:
    """Service type, port protocol and targetPort; cluster IPs and node ports the API server allocates."""
    ips = _service_ips(snap)
    used_ports = {p.get("nodePort") for s in snap.items("services") for p in (s.get("spec") or {}).get("ports") or []}
    free_ports = (p for p in range(30000, 32768) if p not in used_ports)
    for svc in snap.items("services"):
        spec = _default(svc, "spec", {})
        stype = _default(spec, "type", "ClusterIP")
        for p in spec.get("ports") or []:
            if not isinstance(p, dict):
                continue
            _default(p, "protocol", "TCP")
            if stype != "ExternalName":
                _default(p, "targetPort", p.get("port"))
            alloc = stype == "NodePort" or (stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts",
                                                                                   True))
            if alloc and not p.get("nodePort"):
                p["nodePort"] = next(free_ports)
        if stype != "ExternalName" and not spec.get("clusterIP"):
            spec["clusterIP"] = next(ips)
            spec["clusterIPs"] = [spec["clusterIP"]]
        if stype in ("NodePort", "LoadBalancer"):
            _default(spec, "externalTrafficPolicy", "Cluster")


def default_fields(snap: Snapshot) -> None:
    """Apply the per-object field defaults of item 3 of the module docstring."""
    for np in snap.items("networkpolicies.networking.k8s.io"):
        default_network_policy(np)
    default_services(snap)
    for o in snap.items("pods"):
        default_pod_spec(_default(o, "spec", {}))
    for res in WORKLOAD_RESOURCES:
        for o in snap.items(res):
            for tmpl in pod_specs(o):
                default_pod_spec(tmpl)


# ---- 4: RBAC -------------------------------------------------------------------------------
def add_bootstrap_rbac(snap: Snapshot) -> None:
    """Add the bootstrap ClusterRoles and ClusterRoleBindings that the snapshot lacks."""
    roles = {r["metadata"]["name"] for r in snap.items("clusterroles.rbac.authorization.k8s.io")}
    for r in bootstrap.cluster_roles():
        if r["metadata"]["name"] not in roles:
            snap.add(r)
    bindings = {b["metadata"]["name"] for b in snap.items("clusterrolebindings.rbac.authorization.k8s.io")}
    for b in bootstrap.cluster_role_bindings():
        if b["metadata"]["name"] not in bindings:
            snap.add(b)
    snap.mark_collected("roles.rbac.authorization.k8s.io")
    snap.mark_collected("rolebindings.rbac.authorization.k8s.io")


def aggregate_rules(clusterroles: Mapping[str, Mapping[str, Any]], rules: Mapping[str, Sequence[T]]
                    ) -> dict[str, tuple[list[T], list[str]]]:
    """Rules and source roles of every aggregating ClusterRole, as the aggregation controller computes them.

    A ClusterRole with ``aggregationRule`` gets the rules of every other ClusterRole that its
    ``clusterRoleSelectors`` select, selector by selector and then in role-name order, each
    rule once (``syncClusterRole``); no selectors gives no rules. Aggregated roles feed other
    aggregated roles (``admin`` takes ``edit``, which takes ``view``), so this runs to a
    fixpoint, as the controller's repeated syncs do. ``rules`` maps a role name to its
    current rules, in any representation that compares by value.

    >>> roles = {"view": {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "v"}}]}},
    ...          "crd-view": {"metadata": {"labels": {"agg": "v"}}}}
    >>> aggregate_rules(roles, {"view": [], "crd-view": ["r1", "r1", "r2"]})
    {'view': (['r1', 'r2'], ['crd-view'])}
    """
    selectors: dict[str, list[Mapping[str, Any]]] = {}
    for name, obj in clusterroles.items():
        agg = obj.get("aggregationRule")
        if isinstance(agg, dict):
            selectors[name] = [s for s in agg.get("clusterRoleSelectors") or [] if isinstance(s, dict)]
    labels = {n: labels_of(o) for n, o in clusterroles.items()}
    current: dict[str, list[T]] = {n: list(rules.get(n, ())) for n in clusterroles}
    result: dict[str, tuple[list[T], list[str]]] = {}
    # Each pass lengthens aggregation chains by one; the number of aggregating roles bounds the depth.
    for _ in range(len(selectors) + 1):
        changed = False
        for name in sorted(selectors):
            new_rules: list[T] = []
            sources: list[str] = []
            for sel in selectors[name]:
                for other in sorted(clusterroles):
                    if other == name or not selector_matches(sel, labels[other]):
                        continue
                    if other not in sources:
                        sources.append(other)
                    new_rules.extend(r for r in current[other] if r not in new_rules)
            if result.get(name) != (new_rules, sources):
                changed = True
                result[name] = (new_rules, sources)
                current[name] = new_rules
        if not changed:
            break
    return result


def aggregate_cluster_roles(snap: Snapshot) -> None:
    """Set aggregating ClusterRoles' rules to what the aggregation controller computes (:func:`aggregate_rules`)."""
    roles = {r["metadata"]["name"]: r for r in snap.items("clusterroles.rbac.authorization.k8s.io")}
    computed = aggregate_rules(roles, {n: r.get("rules") or [] for n, r in roles.items()})
    for name, (rules, _) in computed.items():
        roles[name]["rules"] = copy.deepcopy(rules)


# ---- 5: representative pods -------------------------------------------------------------------
def _ensure_uid(o: Obj) -> str:
    meta = _meta(o)
    if not meta.get("uid"):
        meta["uid"] = stable_uid(o["kind"], _ns(o), meta["name"])
    return str(meta["uid"])


def _owned_by(snap: Snapshot) -> set[str]:
    """UIDs and (kind, ns, name) keys of controllers that own at least one object."""
    out: set[str] = set()
    for res in ("pods", "replicasets.apps", "jobs.batch"):
        for o in snap.items(res):
            for ref in _meta(o).get("ownerReferences") or []:
                out.add(str(ref.get("uid")))
                out.add(f"{ref.get('kind')}/{_ns(o)}/{ref.get('name')}")
    return out


def _representative_ips(snap: Snapshot) -> Iterator[str]:
    used = {(p.get("status") or {}).get("podIP") for p in snap.items("pods")}
    for ip in ipaddress.ip_network(REPRESENTATIVE_POD_CIDR).hosts():
        if str(ip) not in used and int(ip) & 0xFF != 0:
            yield str(ip)


def mount_service_account_token(spec: Obj, service_account: Obj | None) -> None:
    """Add the projected token volume the ServiceAccount admission plugin mounts, when it would.

    The pod's ``automountServiceAccountToken`` wins; else the ServiceAccount's; else true.

    >>> spec = {"containers": [{"name": "c"}]}
    >>> mount_service_account_token(spec, {"automountServiceAccountToken": False})
    >>> "volumes" in spec
    False
    """
    sa = service_account
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        automount = (sa or {}).get("automountServiceAccountToken", True)
    if not automount or any(v.get("name", "").startswith("kube-api-access") for v in spec.get("volumes") or []):
        return
    _default(spec, "volumes", []).append({"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                       "fieldPath": "metadata.namespace"}}]}}]}})
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            if isinstance(c, dict) and not any(m.get("mountPath") == TOKEN_MOUNT for m in c.get("volumeMounts") or []):
                _default(c, "volumeMounts", []).append(
                    {"name": "kube-api-access", "mountPath": TOKEN_MOUNT, "readOnly": True})


def expand_controllers(snap: Snapshot) -> None:
    """A representative pod for every workload controller that has no pod (see module docstring)."""
    owned = _owned_by(snap)
    accounts = {(_ns(s), s["metadata"]["name"]): s for s in snap.items("serviceaccounts")}
    names = {(_ns(p), p["metadata"]["name"]) for p in snap.items("pods")}
    ips = _representative_ips(snap)
    for res in WORKLOAD_RESOURCES:
        for o in snap.items(res):
            uid = _ensure_uid(o)
            kind, ns, name = o["kind"], _ns(o), o["metadata"]["name"]
            if uid in owned or f"{kind}/{ns}/{name}" in owned:
                continue
            parents = [r for r in _meta(o).get("ownerReferences") or [] if r.get("kind") in POD_CONTROLLERS]
            if parents:
                continue  # a ReplicaSet of a Deployment or a Job of a CronJob: the parent stands for it
            if (o.get("spec") or {}).get("replicas") == 0:
                continue
            for tmpl_spec in pod_specs(o):
                tmpl = (o["spec"].get("jobTemplate", {}).get("spec", {}) if kind == "CronJob" else o["spec"]
                        ).get("template") or {}
                stem = name[:240].rstrip(".")  # the pod name must stay a DNS subdomain (253 characters)
                pod_name = f"{stem}-0"
                if (ns, pod_name) in names:
                    pod_name = f"{stem}-{kind.lower()}-0"
                names.add((ns, pod_name))
                tmeta = tmpl.get("metadata") or {}
                spec = copy.deepcopy(tmpl_spec)
                default_pod_spec(spec)
                mount_service_account_token(spec, accounts.get((ns, spec["serviceAccountName"])))
                ip = next(ips)
                pod = {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": pod_name, "namespace": ns, "uid": stable_uid("Pod", ns, pod_name),
                                    "labels": dict(tmeta.get("labels") or {}),
                                    "annotations": {**(tmeta.get("annotations") or {}),
                                                    REPRESENTATIVE: f"{kind}/{name}"},
                                    "ownerReferences": [{"apiVersion": o["apiVersion"], "kind": kind, "name": name,
                                                         "uid": uid, "controller": True}]},
                       "spec": spec,
                       "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}
                snap.add(pod)
    snap.mark_collected("pods")


# ---- 6: endpoint slices ---------------------------------------------------------------------
def _resolve_target(port: Obj, pod: Obj) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    found = named_ports(pod.get("spec") or {}).get(str(target))
    return found[1] if found is not None and found[0] == protocol_of(port) else None


def sync_endpoint_slices(snap: Snapshot) -> None:
    """EndpointSlices for selector Services that have none, grouping pods by resolved target ports."""
    have = {(_ns(s), (_meta(s).get("labels") or {}).get("kubernetes.io/service-name"))
            for s in snap.items("endpointslices.discovery.k8s.io")}
    pods_by_ns: dict[str, list[Obj]] = defaultdict(list)
    for p in snap.items("pods"):
        if (p.get("status") or {}).get("podIP"):
            pods_by_ns[_ns(p)].append(p)
    for svc in snap.items("services"):
        spec = svc.get("spec") or {}
        ns, name = _ns(svc), svc["metadata"]["name"]
        if (ns, name) in have or not spec.get("selector") or spec.get("type") == "ExternalName":
            continue
        groups: dict[tuple[tuple[str, int, str], ...], list[Obj]] = defaultdict(list)
        for pod in pods_by_ns.get(ns, []):
            if not map_selector_matches(spec["selector"], (pod["metadata"].get("labels") or {})):
                continue
            resolved = []
            for p in spec.get("ports") or []:
                target = _resolve_target(p, pod)
                if target is not None:
                    resolved.append((str(p.get("name", "")), target, str(p.get("protocol", "TCP"))))
            groups[tuple(resolved)].append(pod)
        for i, (mapping, members) in enumerate(sorted(groups.items())):
            snap.add({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": {"name": f"{name}-{i}", "namespace": ns, "annotations": {SYNTHESIZED: "controller"},
                             "labels": {"kubernetes.io/service-name": name,
                                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name,
                                                  "uid": _ensure_uid(svc), "controller": True}]},
                "endpoints": [{"addresses": [m["status"]["podIP"]], "conditions": {"ready": True},
                               "targetRef": {"kind": "Pod", "namespace": ns, "name": m["metadata"]["name"],
                                             "uid": m["metadata"].get("uid", "")},
                               **({"nodeName": m["spec"]["nodeName"]} if m["spec"].get("nodeName") else {})}
                              for m in sorted(members, key=lambda p: p["metadata"]["name"])],
                "ports": [{"name": n, "port": port, "protocol": proto} for n, port, proto in mapping],
            })
    snap.mark_collected("endpointslices.discovery.k8s.io")


def apply_server_defaults(snap: Snapshot, *, default_namespace: str = "default", bootstrap_rbac: bool = True,
                          expand: bool = True) -> Snapshot:
    """Everything in the module docstring, in order; returns the same snapshot.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> s = Snapshot.from_objects([{"apiVersion": "apps/v1", "kind": "Deployment",
    ...     "metadata": {"name": "web", "namespace": "shop"},
    ...     "spec": {"template": {"metadata": {"labels": {"app": "web"}},
    ...                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}])
    >>> s = apply_server_defaults(s)
    >>> [p["metadata"]["name"] for p in s.items("pods")], s.items("pods")[0]["spec"]["serviceAccountName"]
    (['web-0'], 'default')
    >>> sorted(n["metadata"]["name"] for n in s.items("namespaces"))
    ['shop']
    """
    default_namespaces(snap, default_namespace)
    default_service_accounts(snap)
    default_fields(snap)
    if bootstrap_rbac:
        add_bootstrap_rbac(snap)
    aggregate_cluster_roles(snap)
    if expand:
        expand_controllers(snap)
    sync_endpoint_slices(snap)
    snap.normalize()
    return snap
