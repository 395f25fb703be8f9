"""Analyst queries (can-i, who-can, reach), the snapshot diff, the explorer's views and the workbook copy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubesec_nb import diff, explore, notebook
from kubesec_nb.cli import main
from kubesec_nb.display import Note
from kubesec_nb.resources import notebook_names, samples
from tests.clusters import manifests_only


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_can_i_prints_the_deciding_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "can-i", "eks-shop", "--as", "Group:developers", "create", "pods", "-n", "dev")
    assert code == 0 and out.startswith("ALLOWED: Group:developers create pods")
    assert "RoleBinding/dev/developers-pods (subject Group:developers) grants Role/dev/pod-creator rules[0]" in out
    code, out, _ = _run(capsys, "can-i", "eks-shop", "--as", "Group:developers", "delete", "nodes", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["allowed"] is False and doc["reasons"] == []  # denied: exit 1, as kubectl auth can-i


def test_who_can_lists_subjects_with_binding_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "who-can", "eks-shop", "list", "secrets")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["subject", "via", "scope", "binding", "role", "rule"]
    assert any(ln.startswith("Group:oncall ") and "ClusterRoleBinding/oncall-secret-reader" in ln for ln in lines)
    code, out, _ = _run(capsys, "who-can", "eks-shop", "create", "pods", "-n", "dev", "--json")
    assert code == 0 and "Group:developers" in {s["subject"] for s in json.loads(out)["subjects"]}


def test_reach_names_the_policies(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "reach", "eks-shop", "svc:storefront/web", "svc:data/postgres", "5432")
    assert code == 0 and out.startswith("ALLOWED svc:storefront/web -> svc:data/postgres TCP/5432")
    assert "data/allow-all-ingress" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["can-i", "eks-shop", "--as", "User:nobody", "get", "pods"], "no subject User:nobody in the snapshot"),
    (["can-i", "eks-shop", "--as", "Group:developers", "get", "pods", "-n", "nope"], "no namespace 'nope'"),
    (["who-can", "eks-shop", "get", "pods", "-n", "nope"], "no namespace 'nope'"),
    (["reach", "eks-shop", "svc:nope/web", "internet", "80"], "no Service nope/web in the snapshot"),
    (["reach", "eks-shop", "shop/ghost", "internet", "80"], "unknown endpoint 'shop/ghost'"),
    (["reach", "eks-shop", "internet", "svc:data/postgres", "5432", "--protocol", "ICMP"], "protocol must be"),
    (["diff", "eks-shop", "no-such-sample"], "no such snapshot file or sample"),
    (["notebooks", "{tmp}"], "already holds 00_overview.ipynb"),
])
def test_unknown_subjects_and_objects_are_user_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        argv: list[str], message: str) -> None:
    (tmp_path / "00_overview.ipynb").write_text("{}")
    code, out, err = _run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2 and out == "" and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_queries_end_quietly_on_a_closed_pipe() -> None:
    kubesec_nb = Path(sys.executable).parent / "kubesec-nb"
    proc = subprocess.run(f"{kubesec_nb} who-can eks-shop get pods | head -2", shell=True, capture_output=True,
                          text=True, check=False)
    assert proc.stdout.count("\n") == 2 and proc.stderr == ""


def test_diff_shows_new_and_resolved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = notebook.load("eks-shop"), notebook.load("gke-media")
    changes = diff.compare(b, a)
    findings = changes.tables["findings"]
    assert set(findings["change"]) == {"new", "resolved"}
    assert "RBAC-AWS-AUTH-MASTERS" in set(findings.loc[findings["change"] == "new", "check_id"])
    assert diff.compare(a, a).summary["new"].tolist() == [0, 0, 0, 0]
    assert isinstance(diff.part(Note("no baseline"), "findings"), Note)
    code, out, _ = _run(capsys, "diff", "gke-media", "eks-shop", "--json", "--fail-on", "critical")
    doc = json.loads(out)
    assert code == 1 and doc["old"] == "gke-media" and len(doc["changes"]["internet exposure"]) > 0


def test_diff_shows_crown_jewels_the_internet_newly_reaches() -> None:
    from tests.clusters import manifests_only

    base = notebook.assess(manifests_only())
    paths = diff.compare(base, notebook.load("eks-shop")).tables["attack paths from the internet"]
    new = paths[paths["change"] == "new"]
    assert "cluster-admin" in set(new["reached"]) and all(p.startswith("internet → ") for p in new["path"])
    assert diff.compare(base, base).tables["attack paths from the internet"].empty


def test_diff_against_a_cluster_without_rbac_says_not_compared() -> None:
    from tests.clusters import gaps_403

    changes = diff.compare(notebook.load("eks-shop"), notebook.assess(gaps_403()))
    assert "risky grants" in changes.not_compared and "forbidden" in changes.not_compared["risky grants"]
    assert isinstance(changes.part("risky grants"), Note)


def test_explorer_views_for_each_kind() -> None:
    a = notebook.load("eks-shop")
    assert isinstance(explore.explorer(a), Note)  # off unless asked: headless runs never show widgets
    subject = explore.views(a, "subject", "ServiceAccount:ci:jenkins")
    assert [t for t, _ in subject] == ["Effective permissions", "What it reaches (escalation)", "Attack paths"]
    assert "cluster-admin" in set(subject[1][1]["target"])
    pod = next(p for p in explore.choices(a, "pod") if p.startswith("ci/"))
    assert len(explore.views(a, "pod", pod)) == 5
    ns = explore.views(a, "namespace", "dev")
    assert ns[0][1]["namespace"].tolist() == ["dev"]
    assert isinstance(explore.views(a, "pod", "nope/nope")[0][1], Note)
    m = notebook.assess(manifests_only())
    assert all(explore.views(m, "namespace", n) for n in explore.choices(m, "namespace"))


def test_workbook_ships_in_the_package_and_copies_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert {"eks-shop", "gke-media", "aks-bank"} <= set(samples())
    assert notebook_names()[:2] == ["00_overview", "05_changes"]
    code, _, err = _run(capsys, "notebooks", str(tmp_path / "wb"))
    assert code == 0 and sorted(p.stem for p in (tmp_path / "wb").glob("*.ipynb")) == notebook_names()
    assert "jupyter lab" in err
