"""A small builder of live-looking cluster state, used by the sample generator and benchmarks.

It writes objects the way the API server returns them from a running cluster: pods
scheduled on nodes with IPs and container statuses (image digests), ReplicaSets
between Deployments and pods, Jobs between CronJobs and pods, UIDs and owner
references, then lets :mod:`kubesec_nb.snapshot.defaults` add what controllers add
(namespace labels, default service accounts, bootstrap RBAC, aggregation, EndpointSlices).
Everything is deterministic: names, UIDs, IPs and digests derive from the inputs.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
from collections.abc import Iterable
from typing import Any

from kubesec_nb.snapshot import defaults
from kubesec_nb.snapshot.document import Attachment, Gap, Snapshot
from kubesec_nb.snapshot.resources import RESOURCES

Obj = dict[str, Any]
CREATED = "2026-10-01T08:00:00Z"


def digest(text: str) -> str:
    """A stable fake sha256 digest for an image reference."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def repo_of(image: str) -> str:
    """``registry/repo`` of an image reference, with Docker Hub defaults (as containerd reports it)."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref.rsplit(":", 1)[0]
    first = ref.split("/", 1)[0]
    if "/" not in ref:
        return f"docker.io/library/{ref}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{ref}"
    return ref


def container(name: str, image: str, **kw: Any) -> Obj:
    """A container spec; keyword arguments are copied in (``ports``, ``env``, ``securityContext``, ...)."""
    c: Obj = {"name": name, "image": image}
    c.update(copy.deepcopy(kw))
    return c


class Cluster:
    """Accumulates objects for one cluster; :meth:`snapshot` turns them into a Snapshot."""

    def __init__(self, name: str, provider: str, git_version: str, *, pod_cidr: str, node_cidr: str,
                 pods_per_node_prefix: int = 24) -> None:
        self.name, self.provider, self.git_version = name, provider, git_version
        self.objs: list[Obj] = []
        self.nodes: list[str] = []
        self.node_ip: dict[str, str] = {}
        self._pod_nets = ipaddress.ip_network(pod_cidr).subnets(new_prefix=pods_per_node_prefix)
        self._node_hosts = ipaddress.ip_network(node_cidr).hosts()
        self._pod_ips: dict[str, Any] = {}
        self._rr = 0
        self._accounts: dict[tuple[str, str], Obj] = {}
        self.attachments: list[Attachment] = []
        self.gaps: list[Gap] = []

    # ---- helpers ------------------------------------------------------------------------------
    def meta(self, kind: str, name: str, ns: str | None = None, labels: dict[str, str] | None = None,
             annotations: dict[str, str] | None = None, owner: Obj | None = None) -> Obj:
        m: Obj = {"name": name, "uid": defaults.stable_uid(self.name, kind, ns or "", name),
                  "creationTimestamp": CREATED}
        if ns:
            m["namespace"] = ns
        if labels:
            m["labels"] = dict(labels)
        if annotations:
            m["annotations"] = dict(annotations)
        if owner is not None:
            m["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                     "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
                                     "controller": True, "blockOwnerDeletion": True}]
        return m

    def add(self, obj: Obj) -> Obj:
        self.objs.append(obj)
        return obj

    def obj(self, api_version: str, kind: str, name: str, ns: str | None = None, **fields: Any) -> Obj:
        """A generic object; ``labels``/``annotations`` go to metadata, the rest top level."""
        labels, annotations = fields.pop("labels", None), fields.pop("annotations", None)
        o: Obj = {"apiVersion": api_version, "kind": kind,
                  "metadata": self.meta(kind, name, ns, labels, annotations)}
        o.update(copy.deepcopy(fields))
        return self.add(o)

    # ---- infrastructure -----------------------------------------------------------------------
    def node(self, name: str, *, labels: dict[str, str], provider_id: str, external_ip: str | None = None,
             os_image: str, kubelet: str | None = None, runtime: str = "containerd://1.7.22",
             taints: list[Obj] | None = None) -> None:
        ip = str(next(self._node_hosts))
        self.nodes.append(name)
        self.node_ip[name] = ip
        self._pod_ips[name] = next(self._pod_nets).hosts()
        addrs = [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]
        if external_ip:
            addrs.append({"type": "ExternalIP", "address": external_ip})
        base = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
        self.add({"apiVersion": "v1", "kind": "Node", "metadata": self.meta("Node", name, labels={**base, **labels}),
                  "spec": {"providerID": provider_id, **({"taints": copy.deepcopy(taints)} if taints else {})},
                  "status": {"addresses": addrs, "conditions": [{"type": "Ready", "status": "True"}],
                             "nodeInfo": {"kubeletVersion": kubelet or self.git_version, "osImage": os_image,
                                          "containerRuntimeVersion": runtime, "operatingSystem": "linux",
                                          "architecture": "amd64"}}})

    def namespace(self, name: str, labels: dict[str, str] | None = None,
                  annotations: dict[str, str] | None = None) -> None:
        self.add({"apiVersion": "v1", "kind": "Namespace",
                  "metadata": self.meta("Namespace", name, labels=labels, annotations=annotations),
                  "status": {"phase": "Active"}})

    def service_account(self, ns: str, name: str, annotations: dict[str, str] | None = None,
                        automount: bool | None = None, labels: dict[str, str] | None = None) -> None:
        o: Obj = {"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": self.meta("ServiceAccount", name, ns, labels, annotations)}
        if automount is not None:
            o["automountServiceAccountToken"] = automount
        self._accounts[(ns, name)] = self.add(o)

    # ---- workloads ------------------------------------------------------------------------------
    def _next_node(self) -> str:
        node = self.nodes[self._rr % len(self.nodes)]
        self._rr += 1
        return node

    def _pod(self, ns: str, name: str, labels: dict[str, str], spec: Obj, owner: Obj | None, node: str,
             annotations: dict[str, str] | None = None, phase: str = "Running") -> Obj:
        spec = copy.deepcopy(spec)
        spec["nodeName"] = node
        defaults.default_pod_spec(spec)
        ip = self.node_ip[node] if spec.get("hostNetwork") else str(next(self._pod_ips[node]))
        statuses = []
        for c in spec.get("containers", []):
            image = c["image"]
            statuses.append({"name": c["name"], "image": image, "ready": phase == "Running", "restartCount": 0,
                             "started": phase == "Running",
                             "imageID": f"{repo_of(image)}@{image.split('@', 1)[1]}" if "@" in image
                             else f"{repo_of(image)}@{digest(image)}"})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": self.meta("Pod", name, ns, labels, annotations, owner),
               "spec": spec,
               "status": {"phase": phase, "hostIP": self.node_ip[node], "podIP": ip, "podIPs": [{"ip": ip}],
                          "qosClass": "BestEffort", "containerStatuses": statuses}}
        return self.add(pod)

    def _mount_token(self, ns: str, spec: Obj) -> None:
        defaults.default_pod_spec(spec)
        defaults.mount_service_account_token(spec, self._accounts.get((ns, spec["serviceAccountName"])))

    def workload(self, kind: str, ns: str, name: str, containers: list[Obj], *, replicas: int = 1,
                 labels: dict[str, str] | None = None, sa: str | None = None, pod_labels: dict[str, str] | None = None,
                 pod_annotations: dict[str, str] | None = None, nodes: Iterable[str] | None = None,
                 annotations: dict[str, str] | None = None, schedule: str = "0 3 * * *", **spec: Any) -> Obj:
        """A controller with its pods. ``kind``: Deployment, StatefulSet, DaemonSet, CronJob, Job, Pod."""
        labels = labels or {"app": name}
        pod_labels = {**labels, **(pod_labels or {})}
        pod_spec: Obj = {"containers": containers, **copy.deepcopy(spec)}
        if sa:
            pod_spec["serviceAccountName"] = sa
        self._mount_token(ns, pod_spec)
        template = {"metadata": {"labels": pod_labels, **({"annotations": pod_annotations} if pod_annotations
                                                          else {})}, "spec": pod_spec}
        h = hashlib.sha256(f"{ns}/{name}".encode()).hexdigest()
        if kind == "Pod":
            return self._pod(ns, name, pod_labels, pod_spec, None, self._next_node(), pod_annotations)
        group = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
        ctrl: Obj = {"apiVersion": group, "kind": kind, "metadata": self.meta(kind, name, ns, labels, annotations)}
        if kind == "CronJob":
            ctrl["spec"] = {"schedule": schedule, "jobTemplate": {"spec": {"template": template}}}
        elif kind == "Job":
            ctrl["spec"] = {"template": template}
        else:
            ctrl["spec"] = {"selector": {"matchLabels": labels}, "template": template}
            if kind != "DaemonSet":
                ctrl["spec"]["replicas"] = replicas
        self.add(ctrl)
        owner = ctrl
        if kind == "Deployment":
            rs_name = f"{name}-{h[:10]}"
            rs_labels = {**pod_labels, "pod-template-hash": h[:10]}
            owner = self.add({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                              "metadata": self.meta("ReplicaSet", rs_name, ns, rs_labels, owner=ctrl),
                              "spec": {"replicas": replicas, "selector": {"matchLabels": rs_labels},
                                       "template": {"metadata": {"labels": rs_labels}, "spec": pod_spec}}})
            pod_labels = rs_labels
        elif kind == "CronJob":
            job_name = f"{name}-29000000"
            owner = self.add({"apiVersion": "batch/v1", "kind": "Job",
                              "metadata": self.meta("Job", job_name, ns, pod_labels, owner=ctrl),
                              "spec": {"template": template}})
        targets = list(nodes) if nodes is not None else (self.nodes if kind == "DaemonSet" else
                                                          [self._next_node() for _ in range(replicas)])
        base = owner["metadata"]["name"]
        for i, node in enumerate(targets):
            if kind == "StatefulSet":
                pod_name = f"{name}-{i}"
            elif kind in ("Job", "CronJob"):
                pod_name = f"{base}-{h[10 + i:15 + i]}"
            else:
                pod_name = f"{base}-{hashlib.sha256(f'{base}/{i}'.encode()).hexdigest()[:5]}"
            self._pod(ns, pod_name, pod_labels, pod_spec, owner, node, pod_annotations,
                      phase="Succeeded" if kind in ("Job", "CronJob") else "Running")
        return ctrl

    # ---- networking ------------------------------------------------------------------------------
    def service(self, ns: str, name: str, selector: dict[str, str] | None, ports: list[Obj], *,
                type: str = "ClusterIP", annotations: dict[str, str] | None = None,
                lb: str | None = None, lb_hostname: str | None = None, **spec: Any) -> Obj:
        s: Obj = {"type": type, "ports": copy.deepcopy(ports), **copy.deepcopy(spec)}
        if selector:
            s["selector"] = selector
        o: Obj = {"apiVersion": "v1", "kind": "Service", "metadata": self.meta("Service", name, ns, None, annotations),
                  "spec": s, "status": {"loadBalancer": {}}}
        if lb or lb_hostname:
            o["status"]["loadBalancer"]["ingress"] = [{"ip": lb} if lb else {"hostname": lb_hostname}]
        return self.add(o)

    def network_policy(self, ns: str, name: str, spec: Obj) -> None:
        self.obj("networking.k8s.io/v1", "NetworkPolicy", name, ns, spec=spec)

    # ---- RBAC -------------------------------------------------------------------------------------
    def cluster_role(self, name: str, rules: list[Obj], labels: dict[str, str] | None = None) -> None:
        self.obj("rbac.authorization.k8s.io/v1", "ClusterRole", name, labels=labels, rules=rules)

    def role(self, ns: str, name: str, rules: list[Obj]) -> None:
        self.obj("rbac.authorization.k8s.io/v1", "Role", name, ns, rules=rules)

    @staticmethod
    def subject(text: str) -> Obj:
        """``User:alice``, ``Group:oncall`` or ``ServiceAccount:ns:name`` as a binding subject."""
        kind, _, rest = text.partition(":")
        if kind == "ServiceAccount":
            ns, _, name = rest.partition(":")
            return {"kind": "ServiceAccount", "name": name, "namespace": ns}
        return {"kind": kind, "name": rest, "apiGroup": "rbac.authorization.k8s.io"}

    def bind(self, name: str, role: str, subjects: list[str], ns: str | None = None,
             role_kind: str = "ClusterRole") -> None:
        """A RoleBinding in ``ns`` (or a ClusterRoleBinding when ``ns`` is None)."""
        kind = "RoleBinding" if ns else "ClusterRoleBinding"
        self.obj("rbac.authorization.k8s.io/v1", kind, name, ns,
                 roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
                 subjects=[self.subject(s) for s in subjects])

    # ---- config -------------------------------------------------------------------------------------
    def configmap(self, ns: str, name: str, data: dict[str, str], labels: dict[str, str] | None = None) -> None:
        self.obj("v1", "ConfigMap", name, ns, labels=labels, data=data)

    def secret(self, ns: str, name: str, keys: Iterable[str], type: str = "Opaque",
               annotations: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> None:
        # Values are never real: the snapshot keeps key names only.
        self.obj("v1", "Secret", name, ns, labels=labels, annotations=annotations, type=type,
                 data=dict.fromkeys(keys, "<redacted:secret>"))

    def crd(self, plural: str, group: str, kind: str, scope: str = "Namespaced") -> None:
        self.obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"{plural}.{group}",
                 spec={"group": group, "names": {"plural": plural, "kind": kind}, "scope": scope})

    # ---- finishing ----------------------------------------------------------------------------------
    def snapshot(self, *, context: str, collected_at: str = "2026-11-20T09:00:00Z",
                 installed_groups: Iterable[str] = ()) -> Snapshot:
        """The Snapshot, with controllers' additions and a gap for every add-on API not installed."""
        snap = Snapshot.from_objects(self.objs, metadata={
            "cluster": self.name, "context": context, "provider": self.provider,
            "serverVersion": {"gitVersion": self.git_version, "major": "1",
                              "minor": self.git_version.split(".")[1]},
            "collectedAt": collected_at, "collector": "kubesec-nb sample generator", "source": "sample"})
        defaults.default_namespaces(snap)
        defaults.default_service_accounts(snap)
        defaults.default_fields(snap)
        defaults.add_bootstrap_rbac(snap)
        defaults.aggregate_cluster_roles(snap)
        defaults.sync_endpoint_slices(snap)
        installed = set(installed_groups)
        for spec in RESOURCES:
            if not spec.optional:
                snap.mark_collected(spec.group_resource)
            elif spec.group in installed:
                snap.mark_collected(spec.group_resource, spec.versions[0])
            else:
                snap.add_gap(Gap(spec.group_resource, "list", "absent", status=404,
                                 message=f"API group {spec.group} is not served"))
        for gap in self.gaps:
            snap.add_gap(gap)
        snap.attachments = sorted(self.attachments, key=lambda a: (a.kind, a.source))
        snap.normalize()
        return snap
