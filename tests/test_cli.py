"""The kubesec-nb command: import/info counts, one-line errors, and a report run without leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubesec_nb.cli import main
from kubesec_nb.snapshot import Snapshot
from tests.conftest import leaked, leaked_in_tree


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_manifests_then_info_shows_counts(tmp_path: Path, helm_shop: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop.json.gz"
    code, _, err = _run(capsys, "import", str(helm_shop), "-o", str(out), "--server-version", "1.31")
    assert code == 0 and "from manifests" in err and "policy/v1/PodDisruptionBudget (1)" in err
    code, text, _ = _run(capsys, "info", str(out))
    assert code == 0
    counts = {line.split()[0]: int(line.split()[1]) for line in text.splitlines()
              if line.startswith("  ") and len(line.split()) == 2 and line.split()[1].isdigit()}
    assert counts["pods"] == 2 and counts["deployments.apps"] == 1 and counts["cronjobs.batch"] == 1
    assert counts["namespaces"] == 2 and counts["serviceaccounts"] == 3 and counts["secrets"] == 1
    assert "server version v1.31" in text and "list nodes: not_collected" in text
    assert not leaked(out.read_bytes())


def test_import_says_where_objects_without_a_namespace_went(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Install YAML often names no namespace (Argo CD's install.yaml): kubectl apply -n decides, and so does
    --namespace; the import line says how many objects that concerned."""
    src = tmp_path / "install.yaml"
    src.write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app}\n---\n"
                   "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: other, namespace: tools}\n---\n"
                   "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n")
    code, _, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "a.json.gz"))
    assert code == 0 and "1 namespaced objects named no namespace and went to default (choose with --namespace" in err
    code, _, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "b.json.gz"), "--namespace", "argocd")
    assert code == 0 and err.rstrip().endswith("went to argocd")
    assert Snapshot.load(tmp_path / "b.json.gz").metadata["namespaceDefaulted"] == 1


def test_import_kubectl_is_recognised(tmp_path: Path, kubectl_dump: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dump.json"
    code, _, err = _run(capsys, "import", str(kubectl_dump), "-o", str(out), "--complete")
    assert code == 0 and "from kubectl" in err
    info = json.loads(main(["info", str(out), "--json"]) or capsys.readouterr().out)
    assert info["counts"]["pods"] == 2 and info["metadata"]["provider"] == "eks"


@pytest.mark.parametrize(("argv", "message"), [
    (["info", "/no/such/file.json"], "no such snapshot file or sample"),
    (["info", "{fixtures}/kubectl/pods.json"], "not a kubesec-nb snapshot (kind is 'List') (a kubectl dump or manifest? use 'kubesec-nb import')"),
    (["info", "{bad_version}"], "unknown schema version 'kubesec-nb/v0'"),
    (["import", "{fixtures}/nope", "-o", "x.json"], "no such file or folder"),
    (["report", "no-such-sample"], "no such snapshot file or sample"),
    (["report", "eks-shop", "--option", "nonsense=1"], "unknown option(s) nonsense"),
    (["report", "eks-shop", "--notebook", "99_missing"], "unknown notebook(s) 99_missing"),
    (["snapshot", "-o", "{tmp}/s.json", "--kubeconfig", "{tmp}/missing-kubeconfig"], "kubeconfig"),
    (["import", "{fixtures}/kubectl", "-o", "/proc/forbidden/x.json"], "/proc/forbidden"),
    (["bogus-command"], "invalid choice"),
])
def test_user_mistakes_give_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                argv: list[str], message: str) -> None:
    bad = tmp_path / "v0.json"
    bad.write_text(json.dumps({"apiVersion": "kubesec-nb/v0", "kind": "Snapshot"}))
    fixtures = Path(__file__).parent / "fixtures"
    argv = [a.format(fixtures=fixtures, bad_version=bad, tmp=tmp_path) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_report_on_canary_snapshot_writes_everything_and_leaks_nothing(
        tmp_path: Path, helm_shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "shop.json.gz"
    assert main(["import", str(helm_shop), "-o", str(snap)]) == 0
    out = tmp_path / "report"
    code, _, err = _run(capsys, "report", str(snap), "-o", str(out), "--notebook", "00_overview")
    assert code == 0, err
    for name in ("report.html", "findings.json", "findings.csv", "findings.sarif", "notebooks/00_overview.ipynb"):
        assert (out / name).exists(), name
    assert "kubesec-nb report: manifests" in (out / "report.html").read_text()
    assert leaked_in_tree(tmp_path) == {}
    assert Snapshot.load(snap).metadata["source"] == "manifests"


def test_internal_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from kubesec_nb.cli import checks_cmd

    def boom(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(checks_cmd, "cmd_checks", boom)
    code, out, err = _run(capsys, "checks")
    assert code == 3 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "internal error: ZeroDivisionError" in err
    trace = Path(err.split("full trace in ")[1].split(" ")[0])
    assert "Traceback" in trace.read_text() and "boom" in trace.read_text()
    trace.unlink()


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    # far more than a pipe buffer, so that the writer really meets the closed pipe
    code = ("import sys; from kubesec_nb.cli import checks_cmd, main; "
            "checks_cmd.cmd_checks = lambda a: [print('x' * 80) for _ in range(20000)] and 0; "
            "sys.exit(main(['checks']))")
    proc = subprocess.run(f"{sys.executable} -c \"{code}\" | head -1", shell=True, capture_output=True, text=True,
                          check=False)
    assert proc.stdout.count("\n") == 1 and "Broken pipe" not in proc.stderr and "Traceback" not in proc.stderr
