"""Indexes over a snapshot: the lookups every analyzer needs, built once.

A :class:`Model` never changes the snapshot. Pods are identified as ``ns/name``,
service accounts as ``ns/name``, workloads as ``(kind, ns, name)``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kubesec_nb.errors import OptionError
from kubesec_nb.snapshot.document import Gap, Snapshot
from kubesec_nb.snapshot.objects import (  # re-exported for analyzers
    POD_CONTROLLERS as POD_CONTROLLERS,
)
from kubesec_nb.snapshot.objects import (
    WORKLOAD_RESOURCES as WORKLOAD_RESOURCES,
)
from kubesec_nb.snapshot.objects import (
    iter_containers as iter_containers,
)
from kubesec_nb.snapshot.objects import (
    labels_of as labels_of,
)
from kubesec_nb.snapshot.objects import (
    map_selector_matches as map_selector_matches,
)
from kubesec_nb.snapshot.objects import (
    object_key as object_key,
)
from kubesec_nb.snapshot.objects import (
    pod_specs as pod_specs,
)
from kubesec_nb.snapshot.objects import (
    selector_matches as selector_matches,
)
from kubesec_nb.snapshot.provider import guess_provider
from kubesec_nb.snapshot.resources import SPEC_BY_GR

Obj = dict[str, Any]

#: A legacy long-lived token Secret (``kubernetes.io/service-account-token``) and the annotation naming its account.
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"


@dataclass(frozen=True)
class TokenMount:
    """A service-account token for the API server that a pod's containers can read.

    ``service_account`` is ``ns/name``; ``how`` is ``automount`` (the ServiceAccount admission
    plugin mounts the ``kube-api-access`` volume), ``projected`` (a projected
    ``serviceAccountToken`` source with the API server's audience) or ``secret`` (a legacy
    token Secret mounted as a volume); ``field`` and ``value`` say where it is decided.
    """

    service_account: str
    how: str
    field: str
    value: str


#: The newest Kubernetes minor version kubesec-nb knows; the default when the snapshot has none.
LATEST_VERSION = (1, 37)


#: Namespaces the platform (Kubernetes itself, the cloud provider, its add-ons) owns.
SYSTEM_NAMESPACES = frozenset({
    "kube-system", "kube-public", "kube-node-lease",
    "gmp-system", "gmp-public", "gke-managed-system", "gke-gmp-system", "gke-managed-filestorecsi",
    "gke-managed-cim", "config-management-system", "gke-connect", "istio-system",
    "amazon-cloudwatch", "amazon-guardduty", "aws-observability",
    "calico-system", "tigera-operator", "gatekeeper-system", "app-routing-system", "aks-command",
    "azure-arc", "kube-flannel",
})


def parse_version(text: str | None) -> tuple[int, int] | None:
    """``(major, minor)`` from ``"1.30"``, ``"v1.30.4-eks-a737599"`` or ``"v1.29.8-gke.1031000"``.

    >>> parse_version("v1.30.4-eks-a737599"), parse_version("1.28"), parse_version("latest")
    ((1, 30), (1, 28), None)
    """
    m = re.match(r"^v?(\d+)\.(\d+)", (text or "").strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


class Model:
    """Indexed view of a :class:`~kubesec_nb.snapshot.Snapshot`.

    ``k8s_version`` (``"1.30"``) overrides the snapshot's server version for the
    version-dependent semantics (Pod Security levels, ``get pods/exec`` before 1.35).

    >>> snap = Snapshot.from_objects([
    ...     {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
    ...      "spec": {"nodeName": "n1", "containers": []}}],
    ...     metadata={"serverVersion": {"gitVersion": "v1.29.3"}})
    >>> m = Model(snap)
    >>> m.version, [object_key(p) for p in m.pods_on("n1")], m.service_account_of(m.pods[0])
    ((1, 29), ['shop/web'], 'shop/default')
    """

    def __init__(self, snapshot: Snapshot, *, k8s_version: str | None = None) -> None:
        self.snapshot = snapshot
        if k8s_version is not None and k8s_version != "latest" and parse_version(k8s_version) is None:
            raise OptionError(f"k8s_version must look like '1.30' or 'latest', got {k8s_version!r}")
        server = parse_version((snapshot.metadata.get("serverVersion") or {}).get("gitVersion"))
        chosen = parse_version(k8s_version) if k8s_version and k8s_version != "latest" else None
        #: The Kubernetes (major, minor) whose semantics apply.
        self.version: tuple[int, int] = chosen or (LATEST_VERSION if k8s_version == "latest" else None) \
            or server or LATEST_VERSION
        #: Where :attr:`version` came from: ``option``, ``server`` or ``default``.
        self.version_source = "option" if k8s_version else ("server" if server else "default")
        #: ``gke``, ``eks``, ``aks`` or ``unknown``: the snapshot's guess, else one from what it holds now
        #: (a cloud description attached after import counts).
        self.provider: str = str(snapshot.metadata.get("provider") or "unknown")
        if self.provider == "unknown":
            self.provider = guess_provider(snapshot)
        self._owners: dict[tuple[str, str, str, str], tuple[str, str, str]] = {}

    # ---- plain access --------------------------------------------------------------------
    def items(self, resource: str) -> list[Obj]:
        """Objects of ``resource[.group]`` (see :meth:`Snapshot.items`)."""
        return self.snapshot.items(resource)

    def missing(self, *resources: str) -> str | None:
        """Why one of ``resources`` cannot be relied on (a gap, or never collected), else None.

        Analyzers turn a non-None answer into ``not_assessed`` with this reason.
        """
        for res in resources:
            gap: Gap | None = self.snapshot.gap(res)
            if gap is not None and (gap.namespace is None or not self.snapshot.has(res)):
                return gap.describe()
            if gap is not None:
                return f"{gap.describe()} (partial: other namespaces were read)"
            if not self.snapshot.has(res):
                spec = SPEC_BY_GR.get(res)
                if spec is not None and spec.optional:
                    return f"{res} is not served by this cluster (API not installed)"
                return f"{res} is not in the snapshot"
        return None

    # ---- namespaces and nodes --------------------------------------------------------------
    @cached_property
    def namespaces(self) -> dict[str, Obj]:
        """Namespace objects by name."""
        return {n["metadata"]["name"]: n for n in self.items("namespaces")}

    def namespace_labels(self, ns: str) -> dict[str, str]:
        """Labels of namespace ``ns``, with the ``kubernetes.io/metadata.name`` label the API server sets."""
        labels = labels_of(self.namespaces.get(ns, {}))
        labels.setdefault("kubernetes.io/metadata.name", ns)
        return labels

    @staticmethod
    def is_system_namespace(ns: str | None) -> bool:
        """True for namespaces that Kubernetes or the cloud platform owns.

        >>> Model.is_system_namespace("kube-system"), Model.is_system_namespace("shop")
        (True, False)
        """
        return bool(ns) and (ns in SYSTEM_NAMESPACES or str(ns).startswith(("gke-", "aks-", "eks-")))

    @staticmethod
    def platform_namespace(ns: str | None) -> str | None:
        """Who manages objects of namespace ``ns`` when the platform owns it (``Finding.platform``), else None.

        >>> Model.platform_namespace("kube-system"), Model.platform_namespace("shop")
        ('system namespace kube-system', None)
        """
        return f"system namespace {ns}" if Model.is_system_namespace(ns) else None

    @cached_property
    def nodes(self) -> dict[str, Obj]:
        """Node objects by name."""
        return {n["metadata"]["name"]: n for n in self.items("nodes")}

    # ---- pods -------------------------------------------------------------------------------
    @cached_property
    def pods(self) -> list[Obj]:
        """Every pod, sorted by namespace and name."""
        return self.items("pods")

    @cached_property
    def pod_by_key(self) -> dict[str, Obj]:
        """Pods by ``ns/name``."""
        return {object_key(p): p for p in self.pods}

    @cached_property
    def _pod_index(self) -> tuple[dict[str, list[Obj]], dict[str, list[Obj]], dict[str, list[Obj]]]:
        by_ns: dict[str, list[Obj]] = defaultdict(list)
        by_node: dict[str, list[Obj]] = defaultdict(list)
        by_sa: dict[str, list[Obj]] = defaultdict(list)
        for p in self.pods:
            by_ns[p["metadata"]["namespace"]].append(p)
            node = (p.get("spec") or {}).get("nodeName")
            if node:
                by_node[node].append(p)
            by_sa[self.service_account_of(p)].append(p)
        return dict(by_ns), dict(by_node), dict(by_sa)

    def pods_in(self, ns: str) -> list[Obj]:
        """Pods of namespace ``ns``."""
        return self._pod_index[0].get(ns, [])

    def pods_on(self, node: str) -> list[Obj]:
        """Pods scheduled on ``node``."""
        return self._pod_index[1].get(node, [])

    def pods_using(self, service_account: str) -> list[Obj]:
        """Pods running as service account ``ns/name``."""
        return self._pod_index[2].get(service_account, [])

    @staticmethod
    def service_account_of(pod: Mapping[str, Any]) -> str:
        """``ns/name`` of the service account a pod runs as (``default`` when unset).

        >>> Model.service_account_of({"metadata": {"namespace": "a"}, "spec": {"serviceAccount": "old"}})
        'a/old'
        """
        spec = pod.get("spec") or {}
        name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        return f"{pod['metadata'].get('namespace')}/{name}"

    @staticmethod
    def is_running(pod: Mapping[str, Any]) -> bool:
        """Whether a pod's containers run (phase ``Running``), so that exec, attach, ephemeral containers
        and image patches reach them. A pod without a status (a manifest, a representative pod) counts as
        running: it stands for the pods its controller runs.

        >>> Model.is_running({"status": {"phase": "Succeeded"}}), Model.is_running({})
        (False, True)
        """
        return (pod.get("status") or {}).get("phase") in (None, "", "Running")

    def automount(self, pod: Mapping[str, Any]) -> tuple[bool, str, str]:
        """``(mounted, decided_by, field)``: whether the ServiceAccount admission plugin mounts the pod's
        token. ``spec.automountServiceAccountToken`` of the pod wins, else the ServiceAccount's, else True
        (``decided_by``: ``pod``, ``serviceaccount`` or ``default``).

        >>> Model(Snapshot()).automount({"metadata": {"namespace": "a"},
        ...                              "spec": {"automountServiceAccountToken": False}})
        (False, 'pod', 'spec.automountServiceAccountToken')
        """
        spec = pod.get("spec") or {}
        sa = self.service_account_of(pod)
        if spec.get("automountServiceAccountToken") is not None:
            return spec["automountServiceAccountToken"] is not False, "pod", "spec.automountServiceAccountToken"
        value = (self.service_accounts.get(sa) or {}).get("automountServiceAccountToken")
        if value is not None:
            return value is not False, "serviceaccount", f"ServiceAccount {sa}: automountServiceAccountToken"
        return True, "default", "automountServiceAccountToken unset on pod and service account"

    def mounted_tokens(self, pod: Mapping[str, Any]) -> tuple[TokenMount, ...]:
        """The API-server tokens a pod's containers can read (see :class:`TokenMount`), one per account.

        A projected token with an ``audience`` (IRSA's ``sts.amazonaws.com``, Vault) is not accepted by
        the API server and does not count; a volume no container mounts does not count.

        >>> pod = {"metadata": {"namespace": "a", "name": "p"}, "spec": {"serviceAccountName": "web"}}
        >>> [(t.service_account, t.how) for t in Model(Snapshot()).mounted_tokens(pod)]
        [('a/web', 'automount')]
        """
        spec = pod.get("spec") or {}
        sa = self.service_account_of(pod)
        ns = sa.partition("/")[0]
        out: dict[str, TokenMount] = {}
        mounted, _, field = self.automount(pod)
        if mounted:
            out[sa] = TokenMount(sa, "automount", field, "true")
        used = {str(m.get("name")) for _, _, c in iter_containers(spec) for m in c.get("volumeMounts") or []
                if isinstance(m, dict)}
        for i, v in enumerate(spec.get("volumes") or []):
            if not isinstance(v, dict) or str(v.get("name")) not in used:
                continue
            for j, src in enumerate((v.get("projected") or {}).get("sources") or []):
                tok = src.get("serviceAccountToken") if isinstance(src, dict) else None
                if isinstance(tok, dict) and not tok.get("audience"):
                    out.setdefault(sa, TokenMount(sa, "projected", f"spec.volumes[{i}].projected.sources[{j}]"
                                                                    ".serviceAccountToken", v["name"]))
            secret = (v.get("secret") or {}).get("secretName")
            owner = self.token_secrets.get(f"{ns}/{secret}") if secret else None
            if owner:
                out.setdefault(f"{ns}/{owner}", TokenMount(f"{ns}/{owner}", "secret", f"spec.volumes[{i}].secret",
                                                           str(secret)))
        return tuple(out.values())

    @cached_property
    def token_secrets(self) -> dict[str, str]:
        """Legacy token Secrets (``ns/name``) → the name of the service account they authenticate as."""
        out: dict[str, str] = {}
        for s in self.items("secrets"):
            sa = ((s.get("metadata") or {}).get("annotations") or {}).get(SA_NAME_ANNOTATION)
            if s.get("type") == TOKEN_SECRET_TYPE and isinstance(sa, str) and sa:
                out[object_key(s)] = sa
        return dict(sorted(out.items()))

    # ---- service accounts ------------------------------------------------------------------
    @cached_property
    def service_accounts(self) -> dict[str, Obj]:
        """ServiceAccount objects by ``ns/name``."""
        return {object_key(s): s for s in self.items("serviceaccounts")}

    # ---- workloads ---------------------------------------------------------------------------
    @cached_property
    def workloads(self) -> dict[tuple[str, str, str], Obj]:
        """Pod controllers by ``(kind, ns, name)``."""
        out: dict[tuple[str, str, str], Obj] = {}
        for res in WORKLOAD_RESOURCES:
            for o in self.items(res):
                out[(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])] = o
        return out

    @cached_property
    def _by_uid(self) -> dict[str, tuple[str, str, str]]:
        return {str(o["metadata"]["uid"]): k for k, o in self.workloads.items() if o["metadata"].get("uid")}

    def owner(self, obj: Mapping[str, Any]) -> tuple[str, str, str] | None:
        """The top-level controller of a pod or workload, following ownerReferences upwards.

        ReplicaSet → Deployment and Job → CronJob are followed; an owner missing from the
        snapshot stops the walk at the last known object. Returns None for bare pods.
        Replicas share a controller reference, so each chain is walked once.
        """
        meta = obj.get("metadata") or {}
        ref = _controller_ref(meta)
        if ref is None:
            return None
        ns = str(meta.get("namespace", ""))
        key = (ns, str(ref["kind"]), str(ref.get("name", "")), str(ref.get("uid")))
        if key not in self._owners:
            self._owners[key] = self._walk_owners(ns, ref)
        return self._owners[key]

    def _walk_owners(self, ns: str, ref: Mapping[str, Any]) -> tuple[str, str, str]:
        found = self._by_uid.get(str(ref.get("uid"))) or (str(ref["kind"]), ns, str(ref.get("name", "")))
        for _ in range(8):  # ownership chains are short; the bound guards against cycles
            current = self.workloads.get(found)
            parent = _controller_ref(current["metadata"]) if current is not None else None
            if parent is None:
                break
            found = self._by_uid.get(str(parent.get("uid"))) or (str(parent["kind"]), ns, str(parent.get("name", "")))
        return found

    def owner_label(self, obj: Mapping[str, Any]) -> str:
        """``Kind/name`` of the top-level owner, or ``Pod/name`` for bare pods.

        >>> Model(Snapshot()).owner_label({"metadata": {"name": "p", "namespace": "a"}})
        'Pod/p'
        """
        own = self.owner(obj)
        return f"{own[0]}/{own[2]}" if own else f"Pod/{obj['metadata']['name']}"

    # ---- misc ---------------------------------------------------------------------------------
    def configmap(self, ns: str, name: str) -> Obj | None:
        """A ConfigMap by namespace and name."""
        return self._configmaps.get(f"{ns}/{name}")

    @cached_property
    def _configmaps(self) -> dict[str, Obj]:
        return {object_key(c): c for c in self.items("configmaps")}

    def by_key(self, resource: str) -> dict[str, Obj]:
        """Objects of ``resource[.group]`` by ``ns/name`` (or name when cluster-scoped)."""
        return {object_key(o): o for o in self.items(resource)}


def _controller_ref(meta: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The owner reference of a pod controller (the ``controller: true`` one, else the first), if any."""
    refs = meta.get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return ref if ref is not None and ref.get("kind") in POD_CONTROLLERS else None
