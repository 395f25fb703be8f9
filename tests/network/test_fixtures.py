"""Every NET-* check fails on its fail fixture and passes on its pass fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

import kubesec_nb.network  # noqa: F401  (registers the NET-* checks)
from kubesec_nb import assess
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_check
from kubesec_nb.snapshot import Snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checks"
NET = sorted(c for c in REGISTRY if c.startswith("NET-"))


@pytest.mark.parametrize("check_id", NET)
@pytest.mark.parametrize("kind", ["pass", "fail"])
def test_fixture(check_id: str, kind: str) -> None:
    folder = FIXTURES / check_id / kind
    assert folder.is_dir(), f"missing fixture {folder}"
    a = assess(Snapshot.from_manifests(sorted(folder.glob("*.yaml"))))
    rows = run_check(REGISTRY[check_id], a)
    statuses = {r["status"] for r in rows}
    if kind == "fail":
        assert "fail" in statuses, rows
    else:
        assert statuses == {"pass"}, rows
