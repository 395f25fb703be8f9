"""Running pods, condensed: one graph node per set of pods an attacker cannot tell apart.

A pod takes part in the attack graph while it runs (:meth:`Model.is_running`): a pod that
finished (phase Succeeded or Failed) or has not started (Pending) has no process to attack, to
exec into or to read a token from, so it is left out (:attr:`PodIndex.excluded` says why).
Representative pods expanded from manifests (no status) count as running.

Pods of one workload are condensed into one node when everything the graph derives from a pod
is the same: namespace, owner, service account, whether its token is mounted, its
NetworkPolicy equivalence class, its exposure, the Secrets it reads, and what its node gives
(host escapes and the node's cloud identity). A pod with a host escape keeps its node in the
key, so a condensed node never claims an escape to a node one of its pods does not run on.

The tokens a pod mounts are the model's (:meth:`Model.mounted_tokens`: the admission plugin's
automount, projected tokens with the API server's audience, legacy token Secret volumes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesec_nb.checks import Evidence
from kubesec_nb.identity import pod_node
from kubesec_nb.model import Model, TokenMount, object_key


@dataclass
class PodGroup:
    """Pods condensed into one graph node ``id`` (``pod:<ns>/<first member>``)."""

    id: str
    namespace: str
    workload: str
    service_account: str
    members: list[str] = field(default_factory=list)
    nodes: dict[str, list[str]] = field(default_factory=dict)
    tokens: tuple[TokenMount, ...] = ()

    @property
    def example(self) -> str:
        """The first member pod (``ns/name``)."""
        return self.members[0]

    @property
    def size(self) -> int:
        return len(self.members)


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
            if not model.is_running(pod):
                self.excluded[key] = f"phase {(pod.get('status') or {}).get('phase')}: not running"
                continue
            ns = pod["metadata"]["namespace"]
            tokens = model.mounted_tokens(pod)
            node = str((pod.get("spec") or {}).get("nodeName") or "")
            owner, sa = model.owner_label(pod), model.service_account_of(pod)
            gkey = (ns, owner, sa, tuple((t.service_account, t.how) for t in tokens), traits(key),
                    node if node_bound(key) else "")
            g = by_key.get(gkey)
            if g is None:
                g = by_key[gkey] = PodGroup(pod_node(key), ns, owner, sa, tokens=tokens)
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
