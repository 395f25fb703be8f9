"""Running pods, condensed: one graph node per set of pods an attacker cannot tell apart.

A pod takes part in the attack graph while it runs: a pod that finished (phase Succeeded or
Failed) or has no IP yet has no network, no process to exec into and no mounted volume, so
it is left out (:attr:`PodIndex.excluded` says why). Representative pods expanded from
manifests (no status) count as running.

Pods of one workload are condensed into one node when everything the graph derives from a pod
is the same: namespace, owner, service account, whether its token is mounted, its
NetworkPolicy equivalence class, its exposure, the Secrets it reads, and what its node gives
(host escapes and the node's cloud identity). A pod with a host escape keeps its node in the
key, so a condensed node never claims an escape to a node one of its pods does not run on.

The token is *mounted* when the pod has a projected ``serviceAccountToken`` volume (no custom
audience) that some container mounts; a pod that was never admitted (a manifest without
status) counts the token the ServiceAccount admission plugin would mount
(``automountServiceAccountToken`` of the pod, else of the account, else true).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, iter_containers, object_key
from kubesec_nb.network.endpoints import exclusion_reason


@dataclass
class PodGroup:
    """Pods condensed into one graph node ``id`` (``pod:<ns>/<first member>``)."""

    id: str
    namespace: str
    workload: str
    service_account: str
    members: list[str] = field(default_factory=list)
    nodes: dict[str, list[str]] = field(default_factory=dict)
    token: tuple[Evidence, ...] = ()

    @property
    def example(self) -> str:
        """The first member pod (``ns/name``)."""
        return self.members[0]

    @property
    def size(self) -> int:
        return len(self.members)


def token_evidence(pod: Mapping[str, Any], model: Model) -> tuple[Evidence, ...]:
    """Evidence that the pod's own service-account token is mounted (empty: it is not).

    >>> from kubesec_nb.snapshot import Snapshot
    >>> pod = {"metadata": {"namespace": "a", "name": "p"}, "spec": {
    ...     "volumes": [{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
    ...     "containers": [{"name": "c", "volumeMounts": [{"name": "t", "mountPath": "/var/run/x"}]}]},
    ...     "status": {"phase": "Running"}}
    >>> [str(e) for e in token_evidence(pod, Model(Snapshot()))]
    ['Pod a/p: spec.volumes[0].projected.sources[0].serviceAccountToken = mounted at /var/run/x']
    >>> token_evidence({**pod, "spec": {**pod["spec"], "containers": [{"name": "c"}]}}, Model(Snapshot()))
    ()
    """
    spec = pod.get("spec") or {}
    key = object_key(pod)
    mounts: dict[str, str] = {}
    for _, _, c in iter_containers(spec):
        for m in c.get("volumeMounts") or ():
            if isinstance(m, Mapping) and m.get("name"):
                mounts.setdefault(str(m["name"]), str(m.get("mountPath", "")))
    for i, v in enumerate(spec.get("volumes") or ()):
        if not isinstance(v, Mapping) or v.get("name") not in mounts:
            continue
        for j, src in enumerate((v.get("projected") or {}).get("sources") or ()):
            tok = (src or {}).get("serviceAccountToken")
            if isinstance(tok, Mapping) and not tok.get("audience"):
                return (Evidence(f"Pod {key}", f"spec.volumes[{i}].projected.sources[{j}].serviceAccountToken",
                                 f"mounted at {mounts[str(v['name'])]}"),)
    if pod.get("status"):
        return ()
    # never admitted (a manifest): what the ServiceAccount admission plugin would mount
    automount = spec.get("automountServiceAccountToken")
    where = "spec.automountServiceAccountToken"
    if automount is None:
        sa = model.service_account_of(pod)
        automount = (model.service_accounts.get(sa) or {}).get("automountServiceAccountToken")
        where = f"ServiceAccount {sa} automountServiceAccountToken"
    if automount is False:
        return ()
    return (Evidence(f"Pod {key}", where, f"{'unset' if automount is None else automount}: admission mounts the "
                                          "token"),)


class PodIndex:
    """The running pods of a model, condensed into :class:`PodGroup` nodes.

    ``traits(pod_key)`` returns the hashable facts beyond namespace, owner, service account and
    token that must agree for two pods to share a node (network class, exposure, the node's cloud
    identity, ...); ``node_bound(pod_key)`` is true when the pod's own node matters (a host escape).
    """

    def __init__(self, model: Model, traits: Callable[[str], Hashable], node_bound: Callable[[str], bool]) -> None:
        self.model = model
        #: Pods left out, with the reason (finished, no IP yet).
        self.excluded: dict[str, str] = {}
        self.groups: dict[str, PodGroup] = {}
        #: Pod ``ns/name`` → the id of its group.
        self.group_of: dict[str, str] = {}
        by_key: dict[tuple[Hashable, ...], PodGroup] = {}
        for pod in model.pods:
            key = object_key(pod)
            why = exclusion_reason(pod)
            if why:
                self.excluded[key] = why
                continue
            ns = pod["metadata"]["namespace"]
            token = token_evidence(pod, model)
            node = str((pod.get("spec") or {}).get("nodeName") or "")
            owner, sa = model.owner_label(pod), model.service_account_of(pod)
            gkey = (ns, owner, sa, bool(token), traits(key), node if node_bound(key) else "")
            g = by_key.get(gkey)
            if g is None:
                g = by_key[gkey] = PodGroup(f"pod:{key}", ns, owner, sa, token=token)
                self.groups[g.id] = g
            g.members.append(key)
            if node:
                g.nodes.setdefault(node, []).append(key)
            self.group_of[key] = g.id

    def on_node(self) -> dict[str, list[PodGroup]]:
        """Node name → the groups with a member on it (sorted by group id)."""
        out: dict[str, list[PodGroup]] = defaultdict(list)
        for g in self.groups.values():
            for node in g.nodes:
                out[node].append(g)
        return {n: sorted(gs, key=lambda g: g.id) for n, gs in sorted(out.items())}

    def in_namespace(self) -> dict[str, list[PodGroup]]:
        """Namespace → its groups (sorted by id)."""
        out: dict[str, list[PodGroup]] = defaultdict(list)
        for g in self.groups.values():
            out[g.namespace].append(g)
        return {n: sorted(gs, key=lambda g: g.id) for n, gs in sorted(out.items())}

    def members_note(self, group: PodGroup) -> tuple[Evidence, ...]:
        """Evidence naming the other pods a condensed node stands for (empty for a single pod)."""
        if group.size == 1:
            return ()
        others = group.members[1:]
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        return (Evidence(f"{group.workload} in {group.namespace}", "condensed pods",
                         f"{group.example} stands for {group.size} identical pods (also {shown})"),)


def by_workload(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Rows with ``namespace`` and ``workload`` columns, grouped by them."""
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        out[(str(r["namespace"]), str(r["workload"]))].append(r)
    return dict(out)
