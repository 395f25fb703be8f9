"""The check runner owns ids and failures: a raising check gives an ``error`` row, never a pass or a gap."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kubesec_nb import Snapshot, assess
from kubesec_nb.checks import REGISTRY, Evidence, Finding, NotApplicable, check
from kubesec_nb.findings import run_check, run_checks


@pytest.fixture
def temp_checks():
    added: list[str] = []

    def add(cid: str, fn, **meta):  # type: ignore[no-untyped-def]
        check(cid, title=cid.lower(), severity=meta.pop("severity", "high"), category="Inventory and Coverage",
              remediation="none", analyzer="model", **meta)(fn)
        added.append(cid)
        return REGISTRY[cid]

    yield add
    for cid in added:
        REGISTRY.pop(cid, None)


def test_raising_check_gives_error_row(temp_checks) -> None:  # type: ignore[no-untyped-def]
    def boom(model):  # type: ignore[no-untyped-def]
        yield Finding(name="first")
        raise KeyError("example_pod")

    chk = temp_checks("DEMO-BOOM", boom)
    rows = run_check(chk, assess(Snapshot()))
    assert [r["status"] for r in rows] == ["error"]
    assert rows[0]["check_id"] == "DEMO-BOOM"
    assert "KeyError" in rows[0]["evidence"] and "example_pod" in rows[0]["message"]


def test_one_raising_check_does_not_hide_the_others(temp_checks) -> None:  # type: ignore[no-untyped-def]
    def boom(model):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    def fine(model):  # type: ignore[no-untyped-def]
        yield Finding(kind="Cluster", name="c", evidence=(Evidence("Cluster c", "x", "y"),))

    a, b = temp_checks("DEMO-A-BOOM", boom), temp_checks("DEMO-B-FINE", fine)
    df = run_checks(assess(Snapshot()), [a, b])
    assert dict(zip(df["check_id"], df["status"], strict=True)) == {"DEMO-A-BOOM": "error", "DEMO-B-FINE": "fail"}


def test_runner_stamps_the_id(temp_checks) -> None:  # type: ignore[no-untyped-def]
    chk = temp_checks("DEMO-STAMP", lambda m: [Finding(name="x")])
    assert {r["check_id"] for r in run_check(chk, assess(Snapshot()))} == {"DEMO-STAMP"}


def test_not_applicable_and_provider_limits(temp_checks) -> None:  # type: ignore[no-untyped-def]
    def na(model):  # type: ignore[no-untyped-def]
        raise NotApplicable("Autopilot manages nodes")

    assert run_check(temp_checks("DEMO-NA", na), assess(Snapshot()))[0]["status"] == "not_applicable"
    gke_only = temp_checks("DEMO-GKE", lambda m: [Finding(name="x")], providers=("gke",))
    eks = Snapshot(metadata={"provider": "eks"})
    assert run_check(gke_only, assess(eks))[0]["status"] == "not_applicable"
    assert run_check(gke_only, assess(Snapshot()))[0]["status"] == "not_assessed"  # unknown is not absent
    assert run_check(gke_only, assess(Snapshot(metadata={"provider": "gke"})))[0]["status"] == "fail"


@pytest.mark.parametrize(("mode", "expected"), [("info", [("fail", "info")]), ("keep", [("fail", "high")]),
                                                ("hide", [("pass", "high")])])
def test_platform_rule(temp_checks, mode: str, expected: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    chk = temp_checks("DEMO-PLATFORM", lambda m: [Finding(name="kube-proxy", platform="Kubernetes system")])
    rows = run_check(chk, assess(Snapshot(), platform_findings=mode))
    assert [(r["status"], r["severity"]) for r in rows] == expected


def test_checks_complete_right_after_import() -> None:
    code = "import kubesec_nb as ks; print(len(ks.CHECKS), 'PSS-PRIVILEGED' in ks.CHECKS, 'NET-NODEPORT' in ks.CHECKS)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) > 80 and out[1:] == ["True", "True"]
