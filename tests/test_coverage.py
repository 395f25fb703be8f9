"""The README's coverage table is generated from the registry and current; no hardening-guide topic lacks a check."""

from __future__ import annotations

from kubesec_nb.checks import CATEGORIES
from kubesec_nb.coverage import coverage_table, rewrite_readme
from tests.conftest import ROOT


def test_readme_coverage_table_is_current() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rewrite_readme(text) == text, "run `make coverage`"


def test_every_topic_has_checks_on_every_managed_provider() -> None:
    t = coverage_table().set_index("topic")
    assert list(t.index) == list(CATEGORIES)
    empty = {(topic, p) for topic in t.index for p in ("EKS", "GKE", "AKS") if t.loc[topic, p] == 0}
    assert not empty, empty
