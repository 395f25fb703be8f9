"""What the attack graph ranks: crown jewels reached per node, risky pods and subjects, and the fixes
that cut the most entry → crown-jewel paths.

Reach: one reverse shortest-path tree per crown-jewel category (:data:`~.nodes.JEWELS`) gives,
for every node, the cheapest path to that category (cost, hops and the path itself).

Remediation ("fix these first"): from the entry points (the internet by default), take the
cheapest path to every crown-jewel node reached; then a minimum edge cut separates the entries
from the crown jewels on the graph whose parallel edges between two nodes are merged (an
edge's capacity is the fix cost of its technique, summed over parallel edges; structural edges
cannot be cut). Internet exposures are kept (exposing a service is usually its purpose): the cut
goes through bindings, token mounts, missing policies, host access and the rest. Crown jewels the
entries reach through exposures and structural steps alone (a platform DaemonSet's escape to its
node, a node's own cloud identity) cannot be cut that way: they are counted in
``df.attrs["unavoidable"]`` and the cut covers the others; when none is left, exposures are cut
too (``df.attrs["mode"]``). Each change of the cut is reported with the number of those cheapest paths that
run through it and the crown jewels it alone makes unreachable. Changes that remove several cut
edges (one namespace's missing policy, one binding) are merged after the cut: the cut is
minimal for per-edge costs, which is the usual relaxation of this (NP-hard) set problem.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import pandas as pd

from kubesec_nb.checks import SEVERITY_RANK
from kubesec_nb.graph.base import Fix
from kubesec_nb.graph.nodes import JEWEL_LABEL, JEWEL_PATTERNS, JEWEL_SEVERITY, jewel_of, matches
from kubesec_nb.graph.paths import Index, W
from kubesec_nb.graph.techniques import technique
from kubesec_nb.model import Model

#: Techniques remediation does not cut unless it must: exposing a service is usually the point of it.
KEEP = frozenset({"exposed-service"})
#: Capacity of an edge no change removes (and of the super source's and sink's edges).
UNBOUNDED = 1 << 40
#: Remediation computes "alone" reach for at most this many changes (each is one graph search).
ALONE_LIMIT = 10
JEWEL_COLUMNS = {"cluster-admin": "cluster_admin", "secrets:*": "all_secrets", "node:*": "node",
                 "cloud:*": "cloud", "namespace-admin:*": "namespace_admin"}


class JewelReach:
    """For every node, the cheapest path to each crown-jewel category (reverse shortest-path trees)."""

    def __init__(self, ix: Index) -> None:
        self.ix = ix
        self.trees: dict[str, tuple[dict[int, float], dict[int, int]]] = {}
        for pattern in JEWEL_PATTERNS:
            targets = [i for i, n in enumerate(ix.names) if matches(pattern, n)]
            self.trees[pattern] = ix.tree(targets, reverse=True)

    def reach(self, node: str) -> dict[str, tuple[int, int]]:
        """Jewel pattern → ``(cost, hops)`` of the cheapest path from ``node`` (jewels it does not reach omitted;
        a node never "reaches" its own category by being in it)."""
        i = self.ix.id.get(node)
        out: dict[str, tuple[int, int]] = {}
        if i is None:
            return out
        for pattern, (dist, _) in self.trees.items():
            d = dist.get(i)
            if d is not None and d > 0:
                out[pattern] = (int(d) // W, int(d) % W)
        return out

    def path(self, node: str, pattern: str) -> list[str]:
        """The node ids of the cheapest path from ``node`` to category ``pattern`` (empty if none)."""
        i = self.ix.id.get(node)
        dist, via = self.trees[pattern]
        if i is None or i not in dist:
            return []
        out = [i]
        while out[-1] in via:
            out.append(via[out[-1]])
        return [self.ix.names[n] for n in out]

    def path_text(self, node: str, pattern: str) -> str:
        nodes = self.path(node, pattern)
        if len(nodes) < 2:
            return ""
        ix = self.ix
        parts = [nodes[0]]
        for a, b in itertools.pairwise(nodes):
            k = ix.key[(ix.id[a], ix.id[b])]
            parts.append(f"--{ix.g.edges[a, b, k]['technique']}--> {b}")
        return " ".join(parts)


def _worst(reach: Mapping[str, tuple[int, int]]) -> tuple[str, str]:
    """The most severe category reached (ties: the cheaper), and its severity."""
    if not reach:
        return "", ""
    best = min(reach, key=lambda p: (SEVERITY_RANK[JEWEL_SEVERITY[p]], reach[p], JEWEL_PATTERNS.index(p)))
    return best, JEWEL_SEVERITY[best]


def jewel_columns(reach: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    """The jewel columns shared by the risky tables: what is reached, the worst, hops per category."""
    worst, sev = _worst(reach)
    row: dict[str, Any] = {"jewels": ", ".join(JEWEL_LABEL[p] for p in JEWEL_PATTERNS if p in reach),
                           "jewel_count": len(reach), "jewel_severity": sev,
                           "jewel_hops": reach[worst][1] if worst else pd.NA,
                           "jewel_cost": reach[worst][0] if worst else pd.NA}
    for pattern, col in JEWEL_COLUMNS.items():
        row[f"{col}_hops"] = reach[pattern][1] if pattern in reach else pd.NA
    return row


def _sort_jewels(df: pd.DataFrame, first: list[str], last: list[str]) -> pd.DataFrame:
    if df.empty:
        return df.reset_index(drop=True)
    df = df.assign(_sev=df["jewel_severity"].map(lambda s: SEVERITY_RANK.get(s, 9)), _n=-df["jewel_count"],
                   _h=df["jewel_hops"].fillna(999), _c=df["jewel_cost"].fillna(999))
    df = df.sort_values([*first, "_sev", "_n", "_c", "_h", *last], kind="stable")
    return df.drop(columns=["_sev", "_n", "_h", "_c"]).reset_index(drop=True)


POD_COLUMNS = ["pod", "namespace", "workload", "pods", "service_account", "token_mounted", "exposed", "platform",
               "jewels",
               "jewel_count", "jewel_severity", "jewel_hops", "jewel_cost",
               *(f"{c}_hops" for c in JEWEL_COLUMNS.values()), "path"]


def risky_pods(reach: JewelReach, groups: Iterable[Any], exposed: set[str]) -> pd.DataFrame:
    """Pods (condensed per workload) ranked by the crown jewels a compromise of them reaches; pods of platform
    namespaces (kube-system, the provider's) rank after the others."""
    rows = []
    for g in groups:
        r = reach.reach(g.id)
        if not r:
            continue
        worst, _ = _worst(r)
        rows.append({"pod": g.example, "namespace": g.namespace, "workload": g.workload, "pods": g.size,
                     "service_account": g.service_account, "token_mounted": bool(g.tokens),
                     "exposed": g.id in exposed,
                     "platform": "platform namespace" if Model.is_system_namespace(g.namespace) else "",
                     **jewel_columns(r), "path": reach.path_text(g.id, worst)})
    df = pd.DataFrame(rows, columns=POD_COLUMNS)
    if df.empty:
        return df
    df = df.assign(_p=df["platform"] != "")
    return _sort_jewels(df, ["_p"], ["pod"]).drop(columns="_p")


def risky_subjects(reach: JewelReach, base: pd.DataFrame, node_of: Callable[[str], str],
                   subjects: Iterable[tuple[str, str, str]]) -> pd.DataFrame:
    """``base`` (the RBAC ranking) with the crown jewels each subject reaches through the whole graph, plus
    subjects the RBAC ranking did not list that reach one; sorted platform-managed last, then by jewels.

    ``subjects`` are ``(subject, kind, node id)`` of every subject node of the graph.
    """
    rows = cast("list[dict[str, Any]]", base.to_dict("records"))
    listed = {str(r["subject"]) for r in rows}
    for subject, kind, node in subjects:
        if subject not in listed and reach.reach(node):
            platform = "node identity" if node.startswith("user:system:node:") else ""
            rows.append({"subject": subject, "subject_kind": kind, "score": 0.0, "top_severity": "", "risky_rules": 0,
                         "cluster_wide": 0, "namespaces": 0, "reaches_cluster_admin": False, "cluster_admin_hops": 0,
                         "namespace_admin_of": 0, "public": False, "platform": platform, "checks": ""})
    out = []
    for r in rows:
        r = dict(r)
        reached = reach.reach(node_of(str(r["subject"])))
        worst, _ = _worst(reached)
        extra = jewel_columns(reached)
        if "cluster-admin" in reached and not r["reaches_cluster_admin"]:
            r["reaches_cluster_admin"], r["cluster_admin_hops"] = True, reached["cluster-admin"][1]
        out.append({**r, **extra, "path": reach.path_text(node_of(str(r["subject"])), worst) if worst else ""})
    cols = [*base.columns, *(c for c in ("jewels", "jewel_count", "jewel_severity", "jewel_hops", "jewel_cost",
                                         *(f"{c}_hops" for c in JEWEL_COLUMNS.values()), "path")
                             if c not in base.columns)]
    df = pd.DataFrame(out, columns=cols)
    if df.empty:
        return df
    df = df.assign(_p=df["platform"].astype(str) != "", _s=-df["score"].astype(float))
    return _sort_jewels(df, ["_p"], ["_s", "subject"]).drop(columns=["_p", "_s"])


# ---- remediation ----------------------------------------------------------------------------------
REMEDIATION_COLUMNS = ["rank", "change", "kind", "object", "paths_cut", "jewels_cut_alone", "jewels", "fix_cost",
                       "techniques", "example_path"]


def _fix_cost(ix: Index, pair: tuple[int, int]) -> int:
    """What removing every edge of a pair costs the operator: the summed fix costs of their techniques."""
    a, b = pair
    return sum(int(technique(str(d["technique"])).fix_cost or 0) for d in ix.edges_of(a, b))


def _source_side(n: int, arcs: list[tuple[int, int, int]], s: int, t: int) -> set[int] | None:
    """The source side of a minimum ``s``–``t`` cut of ``arcs`` ``(u, v, capacity)`` on nodes ``0..n-1``
    (Dinic's algorithm); None when the maximum flow is unbounded (capacity :data:`UNBOUNDED` on a whole path).

    networkx's ``minimum_cut`` spends most of its time building a residual network of dicts; these
    flows are small (a few hundred units), so plain arrays are several times faster.

    >>> sorted(_source_side(4, [(0, 1, 5), (1, 3, 1), (0, 2, 1), (2, 3, 5)], 0, 3))
    [0, 1]
    """
    to: list[int] = []
    cap: list[int] = []
    adj: list[list[int]] = [[] for _ in range(n)]
    for u, v, c in arcs:
        adj[u].append(len(to))
        to.append(v)
        cap.append(c)
        adj[v].append(len(to))
        to.append(u)
        cap.append(0)
    total = 0
    while True:
        level = [-1] * n
        level[s] = 0
        queue = [s]
        for v in queue:
            for e in adj[v]:
                if cap[e] > 0 and level[to[e]] < 0:
                    level[to[e]] = level[v] + 1
                    queue.append(to[e])
        if level[t] < 0:
            break
        it = [0] * n
        while True:  # augmenting paths in the level graph, depth first, dead ends pruned
            stack, path = [s], []
            while stack and stack[-1] != t:
                v = stack[-1]
                while it[v] < len(adj[v]):
                    e = adj[v][it[v]]
                    if cap[e] > 0 and level[to[e]] == level[v] + 1:
                        stack.append(to[e])
                        path.append(e)
                        break
                    it[v] += 1
                else:
                    level[v] = -1
                    stack.pop()
                    if path:
                        path.pop()
                        it[stack[-1]] += 1
            if not stack:
                break
            push = min(cap[e] for e in path)
            for e in path:
                cap[e] -= push
                cap[e ^ 1] += push
            total += push
            if total >= UNBOUNDED:
                return None
    side = {s}
    queue = [s]
    for v in queue:
        for e in adj[v]:
            if cap[e] > 0 and to[e] not in side:
                side.add(to[e])
                queue.append(to[e])
    return side


def remediation(ix: Index, entries: Iterable[str]) -> pd.DataFrame:
    """The changes that cut entry → crown-jewel paths (see the module docstring)."""
    sources = sorted({ix.id[e] for e in entries if e in ix.id})
    dist, via = ix.tree(sources)
    jewels = sorted(v for v in dist if v not in sources and jewel_of(ix.names[v]))
    empty = pd.DataFrame(columns=REMEDIATION_COLUMNS)
    empty.attrs.update(entries=", ".join(ix.names[s] for s in sources), jewels_reached=len(jewels))
    if not jewels:
        return empty
    # the cheapest path to every jewel, and the change units along it
    unit_paths: dict[tuple[Fix, ...], list[int]] = defaultdict(list)
    unit_pairs: dict[tuple[Fix, ...], set[tuple[int, int]]] = defaultdict(set)
    for j in jewels:
        v = j
        while v in via:
            u = via[v]
            unit = ix.fixes(u, v)
            if unit:
                unit_paths[unit].append(j)
                unit_pairs[unit].add((u, v))
            v = u
    # crown jewels the entries reach through exposures and structural steps alone: no change inside cuts them
    fixed = _uncuttable(ix, sources, KEEP)
    unavoidable = [j for j in jewels if j in fixed]
    targets = [j for j in jewels if j not in fixed]
    mode = "exposures kept"
    if not targets:  # nothing to cut behind the exposures: cut them too
        fixed, unavoidable, targets, mode = _uncuttable(ix, sources, frozenset()), [], jewels, "exposures cut too"
        unavoidable = [j for j in jewels if j in fixed]
        targets = [j for j in jewels if j not in fixed]
    empty.attrs.update(mode=mode, unavoidable=len(unavoidable),
                       unavoidable_examples=", ".join(ix.names[j] for j in unavoidable[:3]))
    cut = _min_cut(ix, sources, targets, set(dist), frozen=KEEP if mode == "exposures kept" else frozenset())
    if cut is None or not targets:
        empty.attrs["note"] = "no finite cut: the entries reach every crown jewel through structural steps only"
        return empty
    units: dict[tuple[Fix, ...], set[tuple[int, int]]] = defaultdict(set)
    for a, b in cut:
        unit = ix.fixes(a, b)
        if unit:
            units[unit].add((a, b))
    ranked = sorted(units, key=lambda u: (-len(set(unit_paths.get(u, []))), sum(_fix_cost(ix, p) for p in units[u]),
                                          u))
    rows = []
    jewel_set = set(jewels)
    for rank, unit in enumerate(ranked, 1):
        pairs = units[unit] | unit_pairs.get(unit, set())
        alone: Any = pd.NA
        if rank <= ALONE_LIMIT:
            still = ix.reachable(sources, banned=frozenset(pairs))
            alone = len(jewel_set - still)
        on_paths = sorted(set(unit_paths.get(unit, [])))
        example = ""
        if on_paths:
            nodes = [on_paths[0]]
            while nodes[-1] in via:
                nodes.append(via[nodes[-1]])
            example = " → ".join(ix.names[n] for n in reversed(nodes))
        techs = sorted({t for a, b in pairs for t in ix.techniques(a, b)})
        rows.append({"rank": rank, "change": " AND ".join(f.change for f in unit), "kind": ", ".join(
            sorted({f.kind for f in unit})), "object": ", ".join(f.object for f in unit),
            "paths_cut": len(on_paths), "jewels_cut_alone": alone,
            "jewels": ", ".join(sorted({JEWEL_LABEL[str(jewel_of(ix.names[j]))] for j in on_paths})),
            "fix_cost": sum(_fix_cost(ix, p) for p in units[unit]), "techniques": ", ".join(techs),
            "example_path": example})
    df = pd.DataFrame(rows, columns=REMEDIATION_COLUMNS)
    df.attrs.update(empty.attrs)
    df.attrs["cut_cost"] = int(df["fix_cost"].sum()) if not df.empty else 0
    return df


def _cuttable(ix: Index, a: int, b: int, frozen: frozenset[str]) -> bool:
    """Whether some change removes every edge ``a → b`` (none of them structural or of a ``frozen`` technique)."""
    return ix.fixes(a, b) is not None and not (frozen and ix.techniques(a, b) <= frozen)


def _uncuttable(ix: Index, sources: list[int], frozen: frozenset[str]) -> set[int]:
    """The nodes ``sources`` reach through edges no change removes."""
    seen = set(sources)
    stack = list(seen)
    while stack:
        v = stack.pop()
        for u, _ in ix.out[v]:
            if u not in seen and not _cuttable(ix, v, u, frozen):
                seen.add(u)
                stack.append(u)
    return seen


def _min_cut(ix: Index, sources: list[int], jewels: list[int], forward: set[int],
             frozen: frozenset[str]) -> set[tuple[int, int]] | None:
    """The edges of a minimum cut between ``sources`` and ``jewels`` (None when no finite cut exists); edges of
    ``frozen`` techniques are not cut."""
    backward = ix.reachable(jewels, reverse=True)
    keep = forward & backward
    n = len(ix.names)
    src, sink = n, n + 1
    arcs = [(a, b, _fix_cost(ix, (a, b)) if _cuttable(ix, a, b, frozen) else UNBOUNDED)
            for a in keep for b, _ in ix.out[a] if b in keep]
    arcs.extend((src, s, UNBOUNDED) for s in sources)
    arcs.extend((j, sink, UNBOUNDED) for j in jewels)
    side = _source_side(n + 2, arcs, src, sink)
    if side is None:
        return None
    return {(a, b) for a, b, _ in arcs if a in side and b not in side and a < n and b < n}
