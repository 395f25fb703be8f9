"""The check catalog: every check's metadata, and ``kubesec-nb checks`` filters and JSON."""

from __future__ import annotations

import json

import pytest

from kubesec_nb.cli import main
from kubesec_nb.coverage import catalog


def test_catalog_lists_every_check_with_metadata() -> None:
    t = catalog()
    assert t["check_id"].is_unique and (t["remediation"] != "").all()
    assert set(t[t["check_id"].str.startswith("PLAT-AKS-")]["providers"]) == {"aks"}
    assert all(c.startswith("CIS ") for cell in t["cis"] if cell for c in cell.split(", "))


def test_cli_checks_provider_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "--provider", "gke"]) == 0
    out = capsys.readouterr().out
    assert "PLAT-GKE-BINARY-AUTHORIZATION" in out and "PLAT-EKS-" not in out and "[CIS GKE 5.1.4]" in out
    assert main(["checks", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"check_id", "providers", "cis", "remediation"} <= set(rows[0])


def _ids(*spans: str) -> set[str]:
    """Expand "1.2.1-30" into 1.2.1 .. 1.2.30."""
    out: set[str] = set()
    for span in spans:
        head, _, rng = span.rpartition(".")
        lo, _, hi = rng.partition("-")
        out |= {f"{head}.{n}" for n in range(int(lo), int(hi or lo) + 1)}
    return out


# Recommendation ids of the benchmarks as kube-bench (aquasecurity/kube-bench, commit a73ce378)
# encodes them: cfg/cis-1.12, cfg/gke-1.9.0, cfg/eks-1.8.0, cfg/aks-1.8 (master, etcd,
# controlplane, node, policies and managedservices files).
BENCHMARK_IDS = {
    "Kubernetes": _ids(
        "1.1.1-21", "1.2.1-30", "1.3.1-7", "1.4.1-2", "2.1-7", "3.1.1-3", "3.2.1-2",
        "4.1.1-10", "4.2.1-14", "4.3.1", "5.1.1-13", "5.2.1-12", "5.3.1-2", "5.4.1-2",
        "5.5.1", "5.6.1-4",
    ),
    "GKE": _ids(
        "3.1.1-4", "4.1.1-10", "4.2.1", "4.3.1-2", "4.4.1-2", "4.5.1", "4.6.1-4", "5.1.1-4",
        "5.2.1-2", "5.3.1", "5.4.1", "5.5.1-7", "5.6.1-7", "5.7.1-2", "5.8.1-3", "5.9.1-2",
        "5.10.1-4",
    ),
    "EKS": _ids(
        "2.1.1-2", "3.1.1-4", "3.2.1-9", "4.1.1-12", "4.2.1-5", "4.3.1-2", "4.4.1-2",
        "4.5.1-2", "5.1.1-4", "5.2.1", "5.3.1", "5.4.1-5", "5.5.1",
    ),
    "AKS": _ids(
        "2.1.1", "3.1.1-4", "3.2.1-9", "4.1.1-12", "4.2.1-5", "4.4.1-2", "4.5.1-2",
        "4.6.1-3", "5.1.1-4", "5.2.1", "5.3.1", "5.4.1-5", "5.5.1-2",
    ),
}


def test_every_cis_id_is_a_real_recommendation() -> None:
    t = catalog()
    bad = []
    for cid, cell in zip(t["check_id"], t["cis"], strict=True):
        for ref in filter(None, (cell or "").split(", ")):
            _, bench, num = ref.split(" ")
            if num not in BENCHMARK_IDS.get(bench, set()):
                bad.append((cid, ref))
    assert not bad
