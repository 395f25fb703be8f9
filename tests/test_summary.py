"""The executive summary on clusters nobody here wrote: a part whose input is missing says so."""

from __future__ import annotations

from kubesec_nb import notebook, summary
from tests.clusters import empty


def test_empty_cluster_summary_never_looks_clean() -> None:
    a = notebook.assess(empty())
    assert "not_assessed" in dict(summary.headline(a).values.tolist())["checks"]
    for part in (summary.most_severe(a), summary.by_topic(a.findings), summary.fix_first(a),
                 summary.worst_paths(a)):
        assert part.empty and part.attrs.get("missing"), part


def test_sample_summary_has_paths_and_fixes() -> None:
    a = notebook.load("eks-shop")
    paths = summary.worst_paths(a)
    assert paths.loc[0, "jewel"] == "cluster-admin" and paths.loc[0, "path"].startswith("internet → ")
    fixes = summary.fix_first(a)
    assert not fixes.empty and fixes["change"].str.len().gt(0).all()
    assert "crown jewel" in repr(summary.fix_first_note(a))
