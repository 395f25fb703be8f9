"""Every registered check has a passing and a failing fixture, and behaves accordingly on them.

Fixtures live in ``tests/fixtures/checks/<CHECK-ID>/{pass,fail}/``: Kubernetes manifests
(loaded like ``kubesec-nb import``) and optional ``attach-*.json`` files attached with
``kind=auto``. An optional ``options.yaml`` beside them holds assessment options. A passing
fixture is assessed with ``platform_findings: hide`` unless its options say otherwise: the
platform objects every cluster has (bootstrap roles, kube-system) are the runner's business
(``tests/test_runner.py``, ``tests/test_platform_findings.py``), not the fixture's subject.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubesec_nb.assessment import assess, load_checks
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_check
from kubesec_nb.snapshot import Snapshot
from tests.conftest import FIXTURES

CHECK_FIXTURES = FIXTURES / "checks"
load_checks()
CHECK_IDS = sorted(REGISTRY)


def _assess_fixture(folder: Path, **defaults: object) -> list[dict[str, object]]:
    manifests = [p for p in sorted(folder.iterdir()) if p.suffix in (".yaml", ".yml") and p.name != "options.yaml"]
    snap = Snapshot.from_manifests(manifests) if manifests else Snapshot(metadata={"source": "manifests"})
    for att in sorted(folder.glob("attach-*.json")):
        snap.attach("auto", att)
    options_file = folder.parent / "options.yaml"
    options = yaml.safe_load(options_file.read_text()) if options_file.exists() else {}
    return run_check(REGISTRY[folder.parent.name], assess(snap, **{**defaults, **(options or {})}))


def test_every_check_has_both_fixtures() -> None:
    missing = [f"{cid}/{kind}" for cid in CHECK_IDS for kind in ("pass", "fail")
               if not (CHECK_FIXTURES / cid / kind).is_dir()]
    assert not missing, f"checks without fixtures: {missing}"
    orphans = sorted(p.name for p in CHECK_FIXTURES.iterdir() if p.is_dir() and p.name not in REGISTRY) \
        if CHECK_FIXTURES.exists() else []
    assert not orphans, f"fixtures for unknown checks: {orphans}"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_failing_fixture_fails(check_id: str) -> None:
    rows = _assess_fixture(CHECK_FIXTURES / check_id / "fail")
    assert any(r["status"] == "fail" for r in rows), rows
    assert all(r["evidence"] for r in rows if r["status"] == "fail"), "a failure without evidence"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_passing_fixture_passes(check_id: str) -> None:
    rows = _assess_fixture(CHECK_FIXTURES / check_id / "pass", platform_findings="hide")
    assert [r["status"] for r in rows] == ["pass"], rows
