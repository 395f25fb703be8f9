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
