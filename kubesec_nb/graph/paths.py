"""Paths through the attack graph: the k cheapest simple paths, and shortest-path trees.

Edge weight: ``cost × 1024 + 1``, so paths rank by total technique cost (harder techniques cost
more, see :mod:`.techniques`), then by hop count. Between two nodes the cheapest parallel edge
stands for the pair (ties: the smallest key). The k cheapest simple paths are Yen's algorithm
with an A* search whose heuristic is the exact distance to the targets in the whole graph (a
lower bound once Yen removes edges), so each spur search visits little more than the paths it
returns. Ties are broken by the node ids along the path: the order is deterministic.

A target pattern ending in ``*`` (``node:*``, ``namespace-admin:*``, ``cloud:*``) matches every
node with that prefix; targets end a path (a path never runs through one target to another).
"""

from __future__ import annotations

import gc
import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import networkx as nx

from kubesec_nb.checks import Evidence
from kubesec_nb.graph.base import Fix

W = 1024
INF = float("inf")


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while creating many short-lived or acyclic objects next to a big
    graph: each of its full passes would walk every object of the graph (the searches here allocate heap
    entries by the hundred thousand)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass(frozen=True)
class PathStep:
    """One edge of a path: ``source --technique--> target`` with its evidence."""

    technique: str
    source: str
    target: str
    evidence: tuple[Evidence, ...]
    cost: int
    certainty: str
    key: str
    ports: str = ""

    def __str__(self) -> str:
        return f"{self.source} --{self.technique}--> {self.target}"


@dataclass(frozen=True)
class AttackPath:
    """A path of :class:`PathStep` from ``source`` to ``target``.

    >>> s = PathStep("token-mounted", "pod:a/p", "sa:a/x", (), 1, "confirmed", "token-mounted")
    >>> p = AttackPath((s,))
    >>> p.source, p.target, p.cost, p.hops, str(p)
    ('pod:a/p', 'sa:a/x', 1, 1, 'pod:a/p --token-mounted--> sa:a/x')
    """

    steps: tuple[PathStep, ...]

    @property
    def source(self) -> str:
        return self.steps[0].source

    @property
    def target(self) -> str:
        return self.steps[-1].target

    @property
    def cost(self) -> int:
        return sum(s.cost for s in self.steps)

    @property
    def hops(self) -> int:
        return len(self.steps)

    @property
    def nodes(self) -> tuple[str, ...]:
        return (self.source, *(s.target for s in self.steps))

    @property
    def certainty(self) -> str:
        """``unknown`` when some step rests on an input the snapshot lacks, else ``confirmed``."""
        return "unknown" if any(s.certainty != "confirmed" for s in self.steps) else "confirmed"

    @property
    def techniques(self) -> tuple[str, ...]:
        return tuple(s.technique for s in self.steps)

    def __str__(self) -> str:
        return " ".join([self.source, *(f"--{s.technique}--> {s.target}" for s in self.steps)])

    def describe(self) -> str:
        """The path with every step's evidence, one line per fact."""
        lines = [f"{self.source} → {self.target}: {self.hops} steps, cost {self.cost}"
                 + ("" if self.certainty == "confirmed" else " (rests on unknown inputs)")]
        for i, s in enumerate(self.steps, 1):
            extra = f" [{s.ports}]" if s.ports else ""
            flag = "" if s.certainty == "confirmed" else " (unknown)"
            lines.append(f"  {i:>2}. {s.source} --{s.technique}--> {s.target}{extra}{flag}")
            lines.extend(f"        {e}" for e in s.evidence)
        return "\n".join(lines)


class Index:
    """The attack graph as integer adjacency lists: the cheapest parallel edge per node pair."""

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.g = g
        self.names: list[str] = sorted(g.nodes)
        self.id: dict[str, int] = {n: i for i, n in enumerate(self.names)}
        n = len(self.names)
        self.out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.inc: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.key: dict[tuple[int, int], str] = {}
        self.w: dict[tuple[int, int], int] = {}
        self._data: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self._fixes: dict[tuple[int, int], tuple[Fix, ...] | None] = {}
        self._heuristic: dict[frozenset[int], dict[int, float]] = {}
        ids = self.id
        for u, nbrs in g.adj.items():
            a = ids[u]
            out = self.out[a]
            for v, keys in nbrs.items():
                b = ids[v]
                data = list(keys.values())
                best = min(range(len(data)), key=lambda i: (data[i]["cost"], list(keys)[i])) if len(data) > 1 else 0
                k = list(keys)[best]
                w = int(data[best]["cost"]) * W + 1
                self.key[(a, b)] = k
                self.w[(a, b)] = w
                self._data[(a, b)] = data
                out.append((b, w))
                self.inc[b].append((a, w))
        for lst in (*self.out, *self.inc):
            lst.sort()

    def edges_of(self, a: int, b: int) -> list[dict[str, Any]]:
        """The attributes of every edge ``a → b``."""
        return self._data[(a, b)]

    def fixes(self, a: int, b: int) -> tuple[Fix, ...] | None:
        """The fixes that together remove every edge ``a → b`` (None: one of them is structural)."""
        pair = (a, b)
        if pair not in self._fixes:
            found = [d["fix"] for d in self._data[pair]]
            self._fixes[pair] = None if None in found else tuple(sorted({f.key: f for f in found}.values()))
        return self._fixes[pair]

    def techniques(self, a: int, b: int) -> set[str]:
        """The techniques of the edges ``a → b``."""
        return {str(d["technique"]) for d in self._data[(a, b)]}

    def weight(self, a: int, b: int) -> int:
        return self.w[(a, b)]

    def step(self, a: int, b: int) -> PathStep:
        u, v, k = self.names[a], self.names[b], self.key[(a, b)]
        d = self.g.edges[u, v, k]
        return PathStep(str(d["technique"]), u, v, tuple(d["evidence"]), int(d["cost"]), str(d["certainty"]), k,
                        str(d.get("ports", "")))

    def path(self, nodes: Sequence[int]) -> AttackPath:
        return AttackPath(tuple(self.step(a, b) for a, b in itertools.pairwise(nodes)))

    # ---- searches ------------------------------------------------------------------------------------
    def tree(self, sources: Iterable[int], reverse: bool = False,
             terminal: frozenset[int] = frozenset()) -> tuple[dict[int, float], dict[int, int]]:
        """Dijkstra from ``sources`` (along incoming edges when ``reverse``): distances, and each node's
        next node towards the sources. ``terminal`` nodes are reached but not expanded."""
        with bulk():
            return self._tree(sources, reverse, terminal)

    def _tree(self, sources: Iterable[int], reverse: bool,
              terminal: frozenset[int]) -> tuple[dict[int, float], dict[int, int]]:
        adj = self.inc if reverse else self.out
        dist: dict[int, float] = {}
        via: dict[int, int] = {}
        heap = [(0, s, -1) for s in sorted(set(sources))]
        heapq.heapify(heap)
        while heap:
            d, v, frm = heapq.heappop(heap)
            if v in dist:
                continue
            dist[v] = d
            if frm >= 0:
                via[v] = frm
            if v in terminal and frm >= 0:
                continue
            for u, w in adj[v]:
                if u not in dist:
                    heapq.heappush(heap, (d + w, u, v))
        return dist, via

    def reachable(self, sources: Iterable[int], reverse: bool = False,
                  banned: frozenset[tuple[int, int]] = frozenset()) -> set[int]:
        """Every node reachable from ``sources`` (backwards when ``reverse``), skipping ``banned`` edges."""
        adj = self.inc if reverse else self.out
        cut: dict[int, set[int]] = {}
        for a, b in banned:
            if reverse:
                cut.setdefault(b, set()).add(a)
            else:
                cut.setdefault(a, set()).add(b)
        seen = set(sources)
        stack = list(seen)
        while stack:
            v = stack.pop()
            skip = cut.get(v)
            for u, _ in adj[v]:
                if u not in seen and (skip is None or u not in skip):
                    seen.add(u)
                    stack.append(u)
        return seen

    def _astar(self, src: int, targets: frozenset[int], h: dict[int, float], banned_nodes: set[int],
               banned_edges: set[tuple[int, int]]) -> tuple[float, list[int]] | None:
        with bulk():
            return self._astar_search(src, targets, h, banned_nodes, banned_edges)

    def _astar_search(self, src: int, targets: frozenset[int], h: dict[int, float], banned_nodes: set[int],
                      banned_edges: set[tuple[int, int]]) -> tuple[float, list[int]] | None:
        if src not in h:
            return None
        best: dict[int, float] = {src: 0}
        prev: dict[int, int] = {}
        heap = [(h[src], 0.0, src)]
        done: set[int] = set()
        while heap:
            _, g, v = heapq.heappop(heap)
            if v in done:
                continue
            done.add(v)
            if v in targets:
                path = [v]
                while path[-1] != src:
                    path.append(prev[path[-1]])
                return g, path[::-1]
            for u, w in self.out[v]:
                if u in banned_nodes or (v, u) in banned_edges or u not in h or u in done:
                    continue
                ng = g + w
                if ng < best.get(u, INF):
                    best[u] = ng
                    prev[u] = v
                    heapq.heappush(heap, (ng + h[u], ng, u))
        return None

    def k_cheapest(self, src: int, targets: frozenset[int], k: int) -> list[list[int]]:
        """Yen's k cheapest simple paths from ``src`` to any of ``targets`` (targets end paths), cheapest first
        (ties: by node ids)."""
        found = list(itertools.islice(self.cheapest(src, targets), k))
        return sorted(found, key=lambda p: (sum(self.weight(a, b) for a, b in itertools.pairwise(p)),
                                            self._label(p)))

    def cheapest(self, src: int, targets: frozenset[int]) -> Iterator[list[int]]:
        """Simple paths from ``src`` to any of ``targets``, cheapest first (Yen's algorithm, lazily)."""
        if src in targets:
            return
        h = self._heuristic.get(targets)
        if h is None:
            if len(self._heuristic) > 8:
                self._heuristic.clear()
            h = self._heuristic[targets] = self.tree(targets, reverse=True)[0]
        first = self._astar(src, targets, h, set(), set())
        if first is None:
            return
        found: list[list[int]] = [first[1]]
        yield first[1]
        candidates: list[tuple[float, tuple[str, ...], list[int]]] = []
        seen = {tuple(first[1])}
        while True:
            prev = found[-1]
            for i in range(len(prev) - 1):
                root = prev[:i + 1]
                banned_edges = {(p[i], p[i + 1]) for p in found if p[:i + 1] == root and len(p) > i + 1}
                spur = self._astar(root[-1], targets, h, set(root[:-1]), banned_edges)
                if spur is None:
                    continue
                total = root[:-1] + spur[1]
                t = tuple(total)
                if t in seen:
                    continue
                seen.add(t)
                cost = sum(self.weight(a, b) for a, b in itertools.pairwise(total))
                heapq.heappush(candidates, (cost, self._label(total), total))
            if not candidates:
                return
            found.append(heapq.heappop(candidates)[2])
            yield found[-1]

    def _label(self, nodes: list[int]) -> tuple[str, ...]:
        return tuple(self.names[n] for n in nodes)
