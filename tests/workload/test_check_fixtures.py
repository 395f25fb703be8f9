"""Every workload check on its own fixtures: each fail/*.yaml fails it, each pass/*.yaml passes it.

The lead's generic fixture test covers every check; this one runs only the workload checks so
that the area can be tested alone, and also checks that every workload check has both fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kubesec_nb.workload  # noqa: F401  (registers the checks)
from kubesec_nb.assessment import assess
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_check
from kubesec_nb.snapshot.document import Snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checks"
AREAS = ("PSS-", "WL-", "SEC-", "IMG-")
WORKLOAD_CHECKS = sorted(c for c, chk in REGISTRY.items() if chk.analyzer == "workloads")


def _cases() -> list[tuple[str, str, Path]]:
    out = []
    for cid in WORKLOAD_CHECKS:
        for kind in ("pass", "fail"):
            for f in sorted((FIXTURES / cid / kind).glob("*.yaml")):
                out.append((cid, kind, f))
    return out


def _statuses(cid: str, path: Path) -> list[str]:
    snap = Snapshot.from_manifests(path)
    for att in sorted(path.parent.glob("attach-*.json")):
        snap.attach("auto", att)
    rows = run_check(REGISTRY[cid], assess(snap))
    return [r["status"] for r in rows]


def test_every_workload_check_has_both_fixtures() -> None:
    assert all(c.startswith(AREAS) for c in WORKLOAD_CHECKS)
    missing = [f"{c}/{k}" for c in WORKLOAD_CHECKS for k in ("pass", "fail")
               if not list((FIXTURES / c / k).glob("*.yaml"))]
    assert not missing


@pytest.mark.parametrize(("cid", "kind", "path"), _cases(), ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_fixture(cid: str, kind: str, path: Path) -> None:
    statuses = _statuses(cid, path)
    if kind == "fail":
        assert "fail" in statuses, statuses
    else:
        assert statuses == ["pass"], statuses
