"""Properties of the attack graph and its path search (hypothesis, bounded and derandomized).

* removing edges never adds a path and never makes the cheapest path cheaper;
* every step of every path is an edge of the graph, with evidence;
* the k paths are simple, distinct and in cost order.
"""

from __future__ import annotations

from functools import cache

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesec_nb.assessment import Assessment, assess
from kubesec_nb.graph.nodes import JEWEL_PATTERNS, matches
from kubesec_nb.graph.paths import Index
from kubesec_nb.notebook import resolve
from kubesec_nb.snapshot import Snapshot

SAMPLES = ("eks-shop", "gke-media", "aks-bank")


@cache
def sample(name: str) -> Assessment:
    return assess(Snapshot.load(resolve(name)))


def cheapest(g: nx.MultiDiGraph, source: str, pattern: str, k: int = 1) -> list[tuple[int, list[str]]]:
    ix = Index(g)
    targets = frozenset(ix.id[n] for n in ix.names if matches(pattern, n))
    out = []
    for nodes in ix.k_cheapest(ix.id[source], targets, k):
        p = ix.path(nodes)
        out.append((p.cost, list(p.nodes)))
    return out


def _sources(a: Assessment) -> list[str]:
    pods = sorted(n for n, kind in a.graph.nodes(data="kind") if kind == "pod")
    subjects = sorted(n for n, kind in a.graph.nodes(data="kind") if kind in ("serviceaccount", "user", "group"))
    return ["internet", *pods[:6], *subjects[:6]]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_removing_edges_never_adds_a_path(data: st.DataObject) -> None:
    a = sample(data.draw(st.sampled_from(SAMPLES)))
    source = data.draw(st.sampled_from(_sources(a)))
    pattern = data.draw(st.sampled_from(JEWEL_PATTERNS))
    edges = sorted(a.graph.edges(keys=True))
    # bias towards the edges the cheapest path uses, so that removals matter
    before = cheapest(a.graph, source, pattern)
    on_path = [e for e in edges if before and e[0] in before[0][1] and e[1] in before[0][1]]
    pool = on_path + edges[:: max(1, len(edges) // 60)]
    removed = data.draw(st.lists(st.sampled_from(pool), max_size=6, unique=True)) if pool else []
    g = a.graph.copy()
    g.remove_edges_from(removed)
    after = cheapest(g, source, pattern)
    if not before:
        assert not after
    elif after:
        assert after[0][0] >= before[0][0]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_step_is_an_edge_with_evidence(name: str) -> None:
    a = sample(name)
    for source in _sources(a)[:5]:
        for pattern in JEWEL_PATTERNS:
            paths = a.paths(source, pattern, k=3)
            for p in paths:
                assert len(set(p.nodes)) == len(p.nodes), "a path must be simple"
                for s in p.steps:
                    data = a.graph.get_edge_data(s.source, s.target, s.key)
                    assert data is not None and data["technique"] == s.technique, s
                    assert s.evidence and all(e.object for e in s.evidence), s
            assert [p.cost for p in paths] == sorted(p.cost for p in paths)
            assert len({p.nodes for p in paths}) == len(paths)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_edge_carries_technique_cost_and_evidence(name: str) -> None:
    from kubesec_nb.graph.techniques import TECHNIQUES

    for u, v, d in sample(name).graph.edges(data=True):
        assert d["technique"] in TECHNIQUES, (u, v, d["technique"])
        assert d["cost"] >= 0 and d["evidence"], (u, v, d["technique"])
        assert d["certainty"] in ("confirmed", "unknown")


def test_paths_are_deterministic() -> None:
    a1, a2 = assess(Snapshot.load(resolve("eks-shop"))), sample("eks-shop")
    for target in JEWEL_PATTERNS:
        assert [p.nodes for p in a1.paths("internet", target)] == [p.nodes for p in a2.paths("internet", target)]
    assert a1.remediation.equals(a2.remediation)


def test_readme_lists_every_technique() -> None:
    from pathlib import Path

    from kubesec_nb.graph.techniques import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert markdown_table() in readme, "README technique table is stale: paste techniques.markdown_table()"


@pytest.mark.parametrize("name", SAMPLES)
def test_rbac_technique_table_covers_the_steps(name: str) -> None:
    from kubesec_nb.graph.techniques import unmapped

    assert unmapped(s.technique for s in sample(name).rbac.steps) == []


@settings(max_examples=60, deadline=None, derandomize=True)
@given(arcs=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 9)), max_size=30))
def test_minimum_cut_matches_networkx(arcs: list[tuple[int, int, int]]) -> None:
    from kubesec_nb.graph.ranking import _source_side

    arcs = [(u, v, c) for u, v, c in arcs if u != v]
    g = nx.DiGraph()
    g.add_nodes_from(range(8))
    for u, v, c in arcs:
        cap = g.edges[u, v]["capacity"] + c if g.has_edge(u, v) else c
        g.add_edge(u, v, capacity=cap)
    side = _source_side(8, arcs, 0, 7)
    assert side is not None and 0 in side and 7 not in side
    cut = sum(c for u, v, c in arcs if u in side and v not in side)
    assert cut == nx.minimum_cut_value(g, 0, 7)
