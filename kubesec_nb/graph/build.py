"""Assembling the attack graph from the analyzers' results (see :mod:`kubesec_nb.graph`).

Edges, by source:

* ``internet`` → exposed pods (``exposed-service``: exposure paths that NetworkPolicy admits,
  from ``a.network.exposure``); → the public groups (``public-api``: anonymous requests, any
  Google account on GKE) when the API endpoint is public (or unknown: certainty ``unknown``);
* pod → pod over the network (:mod:`.network`); pod → its service account only when the token
  is mounted (``token-mounted``); pod → the Secrets it mounts or reads as environment; pod →
  its cloud identity (IRSA, GKE/AKS Workload Identity); pod → its node by each host escape;
  pod → the node's cloud identity through the metadata service unless it is blocked (by the
  provider, or by the pod's egress policy towards 169.254.169.254:80);
* node → its running pods (``node-pod-access``), → ``user:system:node:<name>``
  (``kubelet-credentials``), which the Node authorizer lets read the Secrets and request the
  tokens of the pods bound to the node (``node-authorizer``); node → its cloud identity
  (``imds``: root on the node reads its credentials whatever blocks pods);
* subjects → subjects, pods, Secrets, namespace admin, cluster-admin and cloud identities:
  every RBAC escalation step (:data:`~.techniques.RBAC_TECHNIQUES`); the ``pod:<ns>/*`` hub
  leads to every running pod of the namespace (``any-pod``); pod creation where Pod Security
  admits privileged pods (or the creator may relabel the namespace) also leads to any node
  (``create-privileged-pod``); namespace admin implies pod creation, exec and Secrets there.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from kubesec_nb.checks import Evidence
from kubesec_nb.graph.base import CONFIRMED, UNKNOWN, Builder, Fix
from kubesec_nb.graph.cloud import PROVIDER_PREFIX, api_endpoint, unknown_identity
from kubesec_nb.graph.network import NetworkLayer
from kubesec_nb.graph.nodes import ANY_NODE, CLUSTER_ADMIN, INTERNET, SECRETS_ALL, UNSCHEDULED_NODE
from kubesec_nb.graph.pods import PodGroup, PodIndex, by_workload
from kubesec_nb.graph.techniques import for_rbac, unmapped
from kubesec_nb.identity import (
    ANONYMOUS,
    AUTHENTICATED,
    NODE_PREFIX,
    NODES,
    UNAUTHENTICATED,
    any_pod,
    any_service_account,
    group,
    host_node,
    hub_namespace,
    namespace_admin,
    parse_subject,
    secret_node,
    service_account,
    user,
)
from kubesec_nb.model import TOKEN_SECRET_TYPE, Model
from kubesec_nb.workload import psa

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import NetworkAnalysis
    from kubesec_nb.platform import NodeCloudAccess, PlatformAnalysis
    from kubesec_nb.rbac.analysis import RbacAnalysis
    from kubesec_nb.workload.analysis import WorkloadAnalysis
    from kubesec_nb.workload.escapes import HostEscape

ESCAPE_TECHNIQUES = {"privileged": "escape-privileged", "nsenter": "escape-nsenter",
                     "capability": "escape-capability", "hostPath": "escape-host-path",
                     "runtime-socket": "escape-runtime-socket", "windowsHostProcess": "escape-host-process"}

_BINDING = re.compile(r"^(RoleBinding/\S+|ClusterRoleBinding/\S+)$")
_SUBJECT = re.compile(r"\(subject ([^)]*)\)")
_EXPOSURE_CHANGE = {
    "LoadBalancer": "make the load balancer internal (the provider's internal annotation) or set "
                    "spec.loadBalancerSourceRanges to the clients that need it",
    "NodePort": "use type ClusterIP behind an ingress, or keep the nodes off public addresses",
    "ExternalIP": "remove spec.externalIPs or use private addresses",
    "Ingress": "restrict the Ingress (source ranges, authentication) or make its load balancer internal",
    "Gateway": "restrict the route or make the Gateway internal",
    "hostPort": "remove the hostPort and expose the pod through a Service",
    "hostNetwork": "drop hostNetwork: true, or keep the node off public addresses",
}


@dataclass
class BuildFacts:
    """What the build saw and decided, for :meth:`AttackGraph.facts`."""

    node_identities: str = ""
    api_endpoint: str = ""
    unmapped_rbac: list[str] = field(default_factory=list)
    pair_edges: int = 0
    metadata_states: dict[str, int] = field(default_factory=dict)


class GraphBuild:
    """One build of the attack graph; :attr:`g` is the MultiDiGraph."""

    def __init__(self, model: Model, rbac: RbacAnalysis, network: NetworkAnalysis, workloads: WorkloadAnalysis,
                 platform: PlatformAnalysis) -> None:
        self.model, self.rbac, self.net, self.wl = model, rbac, network, workloads
        self.b = Builder()
        self.facts = BuildFacts()
        # no cloud model for an unknown provider: no metadata-service edges (the facts say so)
        self.access: dict[str, NodeCloudAccess] = platform.node_access if model.provider in PROVIDER_PREFIX else {}
        self.escapes: dict[str, list[HostEscape]] = defaultdict(list)
        for e in workloads.host_escapes:
            self.escapes[e.pod].append(e)
        self.exposure = self._exposure_rows()
        endpoint_class = {e.id: int(c) for e, c in zip(network.endpoints, network.reach.class_of, strict=True)}
        self.pods = PodIndex(model, lambda k: (endpoint_class.get(k), self.exposure_key.get(k, ()), self._traits(k)),
                             lambda k: bool(self.escapes.get(k)))
        self.netlayer = NetworkLayer(network, self.pods)
        self.refs = by_workload(cast("list[dict[str, Any]]", workloads.secret_refs.to_dict("records")))
        self.platform_bindings = {b.ref: b.platform for b in rbac.objects.bindings}

    # ---- inputs ------------------------------------------------------------------------------
    def _exposure_rows(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.exposure_key: dict[str, tuple[Hashable, ...]] = {}
        for r in cast("list[dict[str, Any]]", self.net.exposure.to_dict("records")):
            out[str(r["pod"])].append(r)
        for pod, rows in out.items():
            self.exposure_key[pod] = tuple(sorted((r["path"], r["scope"], r["target"],
                                                   str(r["via"]).replace(pod, "<pod>")) for r in rows))
        return dict(out)

    def _node_of(self, pod: str) -> str:
        return str((self.model.pod_by_key[pod].get("spec") or {}).get("nodeName") or "")

    def _traits(self, pod: str) -> Hashable:
        acc = self.access.get(self._node_of(pod))
        escapes = tuple((e.technique, e.field, e.value, e.impact, e.requires) for e in self.escapes.get(pod, ()))
        return escapes, (acc.identity, acc.metadata) if acc else None

    # ---- the build ------------------------------------------------------------------------------
    def build(self) -> Builder:
        b = self.b
        public = [group(g).node_id for g in (AUTHENTICATED, UNAUTHENTICATED)]
        for node in (INTERNET, CLUSTER_ADMIN, SECRETS_ALL, *public):
            b.node(node)
        for g in self.pods.groups.values():
            b.node(g.id, members=tuple(g.members), workload=g.workload, service_account=g.service_account,
                   token_mounted=bool(g.tokens))
        self._rbac_steps()
        self._pod_edges()
        self.netlayer.add(b)
        self.facts.pair_edges = self.netlayer.pair_edges
        self._node_edges()
        self._entry_edges()
        return b

    # ---- RBAC ---------------------------------------------------------------------------------------
    def _canon(self, node: str) -> str:
        if node.startswith("pod:") and not node.endswith("/*"):
            return self.pods.group_of.get(node[4:], node)
        return node

    def _binding_fix(self, evidence: tuple[Evidence, ...]) -> Fix | None:
        for e in evidence:
            if _BINDING.match(e.object):
                if self.platform_bindings.get(e.object):
                    return None  # platform-managed: not the operator's to change
                m = _SUBJECT.search(e.field)
                who = m.group(1) if m else "the subject"
                role = e.field.split(" rules[")[0].replace("roleRef ", "")
                return Fix(f"binding:{e.object}:{who}", "binding",
                           f"remove {who} from {e.object} (it grants {role}: {e.value}), or narrow that rule",
                           e.object)
        return None

    def _step_fix(self, tech: str, evidence: tuple[Evidence, ...]) -> Fix | None:
        if tech in ("irsa", "gke-workload-identity", "azure-workload-identity"):
            e = evidence[0]
            if Model.is_system_namespace(e.object.split(" ", 1)[-1].split("/", 1)[0]):
                return None  # a platform component's own cloud identity
            return Fix(f"cloud-link:{e.object}", "cloud-link", f"remove {e.field} from {e.object} (or narrow what the "
                       "cloud identity may do) unless its pods need it", e.object)
        if tech in ("aws-auth", "eks-access-entry", "eks-access-policy"):
            e = evidence[0]
            return Fix(f"cloud-mapping:{e.object}:{e.field}", "cloud-link",
                       f"remove or narrow {e.object} {e.field} ({e.value})", e.object)
        return self._binding_fix(evidence)

    def _rbac_steps(self) -> None:
        b = self.b
        self.facts.unmapped_rbac = unmapped(s.technique for s in self.rbac.steps)
        for s in self.rbac.steps:
            tech = for_rbac(s.technique)
            if tech is None:
                continue
            src, dst = self._canon(s.source), self._canon(s.target)
            b.edge(src, dst, tech, s.evidence, fix=self._step_fix(tech, s.evidence), rbac_technique=s.technique,
                   scope=s.scope)
            ns = hub_namespace(dst) if tech == "pod-create" and dst.startswith("sa:") else None
            if ns is not None:
                self._privileged_pod(src, ns, s.evidence)
        for ns in sorted({b.g.nodes[n]["namespace"] for n in b.g if n.startswith("namespace-admin:")}):
            self._namespace_admin(ns)
        self._pod_hubs()

    def _policy(self, ns: str) -> psa.NamespacePolicy:
        pol = self.wl.policies.get(ns)
        if pol is None:
            pol = psa.resolve(ns, self.model.namespace_labels(ns), default_level=self.wl.psa_default_level,
                              exempt=ns in self.wl.psa_exempt_namespaces)
        return pol

    def _psa_evidence(self, pol: psa.NamespacePolicy) -> Evidence:
        label = "pod-security.kubernetes.io/enforce"
        how = "exempt (psa_exempt_namespaces)" if pol.exempt else pol.enforce
        if label not in pol.labelled and not pol.exempt:
            how += " (no label: psa_default_level)"
        return Evidence(f"Namespace {pol.namespace}", f"metadata.labels[{label}]", how)

    def _privileged_pod(self, src: str, ns: str, evidence: tuple[Evidence, ...]) -> None:
        """``src`` may create pods in ``ns`` (``*``: every namespace): a privileged one, if Pod Security admits it."""
        names = sorted(self.model.namespaces) if ns == "*" else [ns]
        admitting = [n for n in names if self._policy(n).enforces_nothing]
        subject = parse_subject(src).subject
        if admitting:
            first = self._policy(admitting[0])
            ev = [self._psa_evidence(first)]
            if ns == "*" and len(admitting) > 1:
                ev.append(Evidence("Namespaces", "admitting privileged pods", f"{len(admitting)} of {len(names)}"))
            key = f"psa:{ns}" if ns != "*" else "psa:*"
            change = (f"label namespace {ns} pod-security.kubernetes.io/enforce=baseline (or restricted)" if ns != "*"
                      else f"enforce Pod Security baseline in the {len(admitting)} namespaces that admit privileged "
                           f"pods (e.g. {admitting[0]})")
            fix = Fix(key, "pod-security", change, f"Namespace {admitting[0]}")
        else:
            target = names[0] if ns != "*" and names else None
            if not any(self.rbac.can(subject, verb, "namespaces", None, target) for verb in ("patch", "update")):
                return
            pol = self._policy(names[0]) if names else None
            ev = [Evidence(subject, f"patch namespaces{'' if target is None else ' ' + target}",
                           "may relabel the namespace pod-security.kubernetes.io/enforce=privileged")]
            if pol is not None:
                ev.insert(0, self._psa_evidence(pol))
            fix = None
        self.b.edge(src, ANY_NODE, "create-privileged-pod", (*evidence, *ev), fix=fix)

    def _namespace_admin(self, ns: str) -> None:
        admin = namespace_admin(ns)
        ev = (Evidence(admin, "admin of the namespace", "creates pods, execs into them, reads its Secrets"),)
        self.b.edge(admin, any_service_account(ns), "admin-implies", ev)
        self.b.edge(admin, any_pod(ns), "admin-implies", ev)
        if self._policy(ns).enforces_nothing:
            self.b.edge(admin, ANY_NODE, "create-privileged-pod", (*ev, self._psa_evidence(self._policy(ns))),
                        fix=Fix(f"psa:{ns}", "pod-security", f"label namespace {ns} "
                                "pod-security.kubernetes.io/enforce=baseline (or restricted)", f"Namespace {ns}"))

    def _pod_hubs(self) -> None:
        """``pod:<ns>/*`` → each running pod there; ``pod:*/*`` → every namespace's hub."""
        b = self.b
        in_ns = self.pods.in_namespace()
        everywhere = any_pod(None)
        if everywhere in b.g:
            for ns in in_ns:
                if not b.g.has_edge(everywhere, any_pod(ns)):
                    b.edge(everywhere, any_pod(ns), "any-namespace",
                           (Evidence(f"Namespace {ns}", "has running pods", "the cluster-wide grant applies in it"),))
        for hub in sorted(n for n in b.g if n.startswith("pod:") and n.endswith("/*") and n != everywhere):
            for g in in_ns.get(hub_namespace(hub) or "", []):
                b.edge(hub, g.id, "any-pod", (Evidence(f"Pod {g.example}", "status", "running"),
                                              *self.pods.members_note(g)))

    # ---- pods ---------------------------------------------------------------------------------------
    def _pod_edges(self) -> None:
        links: dict[str, list[Any]] = defaultdict(list)
        for link in self.rbac.cloud_links:
            for pod in link.pods:
                links[pod].append(link)
        for g in sorted(self.pods.groups.values(), key=lambda x: x.id):
            self._token_and_secrets(g)
            for link in links.get(g.example, []):
                self.b.edge(g.id, link.cloud, link.mechanism,
                            (*link.evidence, Evidence(f"Pod {g.example}", "spec.serviceAccountName",
                                                      g.service_account.split("/", 1)[1])),
                            fix=self._step_fix(link.mechanism, link.evidence))
            self._escapes(g)
            self._pod_imds(g)

    def _token_and_secrets(self, g: PodGroup) -> None:
        b = self.b
        for t in g.tokens:
            b.edge(g.id, service_account(t.service_account).node_id, "token-mounted",
                   (Evidence(f"Pod {g.example}", t.field, f"{t.value} ({t.how})"), *self.pods.members_note(g)),
                   fix=_own(g, Fix(f"token:{g.namespace}/{g.workload}", "token-mount",
                                   f"set automountServiceAccountToken: false in the pod spec of {g.workload} and "
                                   "mount no token volume (it does not need the API), or grant it only what it "
                                   "needs", f"{g.workload} in {g.namespace}")))
        for r in self.refs.get((g.namespace, g.workload), []):
            if r["via"] == "imagePullSecrets" or not r["secret"]:
                continue
            secret = secret_node(g.namespace, str(r["secret"]))
            b.edge(g.id, secret, "secret-mounted", (Evidence(f"{g.workload} in {g.namespace}", str(r["field"]),
                                                             str(r["secret"])),),
                   fix=_own(g, Fix(f"secret-ref:{g.namespace}/{g.workload}/{r['secret']}", "secret",
                                   f"stop exposing Secret {r['secret']} to {g.workload} ({r['field']}) or move it to a "
                                   "cloud secret store with its own access control", f"{g.workload} in {g.namespace}")))
            self._token_secret(g.namespace, str(r["secret"]))

    def _token_secret(self, ns: str, name: str) -> None:
        sa = self.model.token_secrets.get(f"{ns}/{name}")
        if sa:
            self.b.edge(secret_node(ns, name), service_account(f"{ns}/{sa}").node_id, "token-secret",
                        (Evidence(f"Secret {ns}/{name}", "type", TOKEN_SECRET_TYPE),
                         Evidence(f"Secret {ns}/{name}", "metadata.annotations[kubernetes.io/service-account.name]",
                                  sa)),
                        fix=Fix(f"legacy-token:{ns}/{name}", "secret", f"delete the legacy token Secret {ns}/{name} "
                                "(use TokenRequest / projected tokens)", f"Secret {ns}/{name}"))

    def _escapes(self, g: PodGroup) -> None:
        for e in self.escapes.get(g.example, []):
            tech = ESCAPE_TECHNIQUES.get(e.technique)
            node = e.node or UNSCHEDULED_NODE
            ev = (Evidence(f"Pod {e.pod}", e.field, e.value), *(Evidence(f"Pod {e.pod}", "mounted by", m)
                                                                for m in e.mounts[:2]))
            fix = _own(g, Fix(f"escape:{g.namespace}/{g.workload}:{e.technique}:{e.field}", "host-access",
                              f"remove {e.label} from {g.workload} ({e.field} = {e.value})",
                              f"{g.workload} in {g.namespace}"))
            if tech and e.compromises_node:
                self.b.edge(g.id, node, tech, ev, fix=fix, impact=e.impact)
            elif tech and e.impact in ("root", "node-credentials") and e.requires and self._var_log(g):
                self.b.edge(g.id, node, "escape-var-log", (*ev, Evidence(f"ServiceAccount {g.service_account}",
                                                                         "get pods/log", "allowed (token mounted)")),
                            fix=fix, impact=e.impact)
            elif e.impact == "tokens" and e.node:
                for other in self.model.pods_on(e.node[5:]):
                    key = f"{other['metadata']['namespace']}/{other['metadata']['name']}"
                    og = self.pods.groups.get(self.pods.group_of.get(key, ""))
                    for t in og.tokens if og is not None else ():
                        self.b.edge(g.id, service_account(t.service_account).node_id, "host-tokens",
                                    (*ev, Evidence(f"Pod {key}", f"token on the node: {t.field}", t.value)), fix=fix)

    def _var_log(self, g: PodGroup) -> bool:
        """Whether a token the pod mounts may ``get pods/log`` in its namespace (the /var/log symlink escape)."""
        return any(self.rbac.can(service_account(t.service_account).subject, "get", "pods/log", g.namespace)
                   for t in g.tokens)

    def _pod_imds(self, g: PodGroup) -> None:
        node = next(iter(g.nodes), "")
        acc = self.access.get(node)
        if acc is None:
            return
        host_net = bool((self.model.pod_by_key[g.example].get("spec") or {}).get("hostNetwork"))
        target = acc.identity or unknown_identity(self.model.provider)
        certainty = CONFIRMED if acc.identity else UNKNOWN
        fix = Fix(f"metadata:{acc.identity or 'unknown'}", "metadata",
                  "block pods from the instance metadata service (EKS: IMDSv2 with hop limit 1; GKE: Workload "
                  "Identity / GKE metadata server; AKS: a NetworkPolicy denying egress to 169.254.169.254/32)",
                  f"node cloud identity {target}")
        if host_net:
            self.b.edge(g.id, target, "imds", (Evidence(f"Pod {g.example}", "spec.hostNetwork",
                                                        "true: the node's own metadata access"), *acc.evidence),
                        certainty=certainty,
                        fix=_own(g, Fix(f"escape:{g.namespace}/{g.workload}:hostNetwork", "host-access",
                                        f"drop hostNetwork: true from {g.workload}", f"{g.workload} in {g.namespace}")))
            return
        if acc.metadata == "blocked":
            return
        ok, ev = self.netlayer.imds_allowed(g.id)
        if not ok:
            return
        if acc.metadata != "open":
            certainty = UNKNOWN
        self.b.edge(g.id, target, "imds", (*ev, *acc.evidence), certainty=certainty, fix=fix,
                    metadata=acc.metadata)

    # ---- nodes --------------------------------------------------------------------------------------
    def _node_edges(self) -> None:
        b = self.b
        on_node = self.pods.on_node()
        names = sorted(set(self.model.nodes) | set(on_node))
        for name in names:
            node = host_node(name)
            b.node(node)
            for g in on_node.get(name, []):
                b.edge(node, g.id, "node-pod-access", (Evidence(f"Pod {g.nodes[name][0]}", "spec.nodeName", name),))
            self._node_identity(name)
            acc = self.access.get(name)
            if acc is not None:
                self._node_imds(node, acc)
        self.facts.metadata_states = dict(sorted(_count(a.metadata for a in self.access.values()).items()))
        known = sum(1 for a in self.access.values() if a.identity)
        self.facts.node_identities = (f"{known} of {len(self.access)} nodes named (a.platform.node_access)"
                                      if self.model.provider in PROVIDER_PREFIX else
                                      f"provider {self.model.provider}: no cloud model, no node → cloud edge")
        if ANY_NODE in b.g:
            for name in names:
                b.edge(ANY_NODE, host_node(name), "choose-node",
                       (Evidence(f"Node {name}", "spec.nodeName", "a pod may name any node"),))

    def _node_identity(self, name: str) -> None:
        b = self.b
        me = user(f"{NODE_PREFIX}{name}").node_id
        b.edge(host_node(name), me, "kubelet-credentials",
               (Evidence(f"Node {name}", "kubelet client certificate", f"authenticates as system:node:{name} in group "
                                                                      f"{NODES}"),))
        for name_of_group in (NODES, AUTHENTICATED):
            gid = group(name_of_group).node_id
            if gid in b.g and b.g.out_degree(gid):
                b.edge(me, gid, "member-of", (Evidence(f"User {NODE_PREFIX}{name}", "group", name_of_group),))
        seen_sa: set[str] = set()
        seen_secret: set[str] = set()
        for pod in self.model.pods_on(name):
            key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            sa = self.model.service_account_of(pod)
            if sa not in seen_sa:
                seen_sa.add(sa)
                b.edge(me, service_account(sa).node_id, "node-authorizer",
                       (Evidence(f"Pod {key}", "spec.nodeName", name),
                        Evidence("Node authorizer", "serviceaccounts/token",
                                 f"a token for {sa} (pod bound to {name})")))
            for r in self.refs.get((key.split("/", 1)[0], self.model.owner_label(pod)), []):
                secret = f"{key.split('/', 1)[0]}/{r['secret']}"
                if r["secret"] and secret not in seen_secret:
                    seen_secret.add(secret)
                    b.edge(me, secret_node(*secret.split("/", 1)), "node-authorizer",
                           (Evidence(f"Pod {key}", str(r["field"]), str(r["secret"])),
                            Evidence("Node authorizer", "get secrets", f"{secret} is referenced by a pod bound to "
                                                                       f"{name}")))

    def _node_imds(self, node: str, acc: NodeCloudAccess) -> None:
        target = acc.identity or unknown_identity(self.model.provider)
        self.b.edge(node, target, "imds", (Evidence(node.replace("node:", "Node ", 1), "instance metadata",
                                                    "root on the node reads the instance credentials"),
                                           *acc.evidence),
                    certainty=CONFIRMED if acc.identity else UNKNOWN)

    # ---- entry ----------------------------------------------------------------------------------------
    def _entry_edges(self) -> None:
        b = self.b
        seen: set[tuple[str, str]] = set()
        for pod, rows in sorted(self.exposure.items()):
            gid = self.pods.group_of.get(pod)
            if gid is None:
                continue
            for r in rows:
                via = _via_key(pod, r)
                if (gid, via) in seen:
                    continue
                seen.add((gid, via))
                ev: tuple[Evidence, ...] = (
                    Evidence(str(r["via"]), str(r["path"]), f"{r['target']} ({r['scope']}: {r['scope_reason']})"),
                    Evidence(f"Pod {pod}", "NetworkPolicy", str(r["policy"])))
                certain = r["scope"] == "public"
                if r["target"] == "all" and self.netlayer.listens_nowhere_declared(gid):
                    certain = False
                    ev = (*ev, Evidence(f"Pod {pod}", "containerPorts", "none declared: whether it listens on the "
                                                                        "node's address is unknown"))
                b.edge(INTERNET, gid, "exposed-service", ev, certainty=CONFIRMED if certain else UNKNOWN,
                       fix=Fix(f"exposure:{via}", "exposure",
                               f"{r['via']}: {_EXPOSURE_CHANGE.get(str(r['path']), 'stop exposing it')}",
                               str(r["via"])),
                       ports=str(r["target"]))
        state, api = api_endpoint(self.model)
        self.facts.api_endpoint = state
        if state in ("private", "restricted"):
            return
        certainty = CONFIRMED if state == "public" else UNKNOWN
        fix = Fix("api-endpoint", "api-endpoint", "restrict the API server endpoint to known networks (authorized "
                  "networks / private endpoint) and drop grants to public groups", "API server endpoint")
        for public in sorted(self.rbac.public_groups):
            why = ("anonymous requests (anonymous_auth)" if public == UNAUTHENTICATED else
                   "any Google account authenticates (gke_authenticated_public)")
            b.edge(INTERNET, group(public).node_id, "public-api",
                   (Evidence("API server", f"group {public}", why), *api), certainty=certainty, fix=fix)
        anonymous = user(ANONYMOUS).node_id
        if UNAUTHENTICATED in self.rbac.public_groups and anonymous in b.g:
            b.edge(INTERNET, anonymous, "public-api",
                   (Evidence("API server", "anonymous_auth", f"requests without credentials are {ANONYMOUS}"), *api),
                   certainty=certainty, fix=fix)


def _own(g: PodGroup, fix: Fix) -> Fix | None:
    """``fix``, unless the pod is the platform's (a system namespace): the operator cannot change it, so the
    remediation cut must go around it."""
    return None if Model.is_system_namespace(g.namespace) else fix


def _via_key(pod: str, row: Mapping[str, Any]) -> str:
    return str(row["via"]).replace(pod, "<pod>")


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in values:
        out[str(v)] += 1
    return out
