"""The CLI at the boundary: one line and exit 2 for every bad input, --lenient, no stray files, third-party YAML."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kubesec_nb as ks
from kubesec_nb.cli import main
from tests.conftest import FIXTURES, SAMPLES

CORPUS = FIXTURES / "regressions"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_importing_a_snapshot_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "import", str(SAMPLES / "eks-shop.json.gz"), "-o", str(tmp_path / "x.json"))
    assert code == 2 and "this is a kubesec-nb snapshot" in err and "kubesec-nb info" in err
    assert err.count("\n") == 1 and list(tmp_path.iterdir()) == []


def test_output_to_a_folder_leaves_nothing(tmp_path: Path, kubectl_dump: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "import", str(kubectl_dump), "-o", str(tmp_path))
    assert code == 2 and "is a folder" in err
    assert list(tmp_path.iterdir()) == []


def test_lenient_import_skips_and_lists_invalid_objects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("service-ports-string.yaml", "containers-number.yaml", "timestamps.yaml"):
        shutil.copy(CORPUS / name, src / name)
    code, _, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "a.json"))
    assert code == 2 and "spec.containers: expected array" in err
    code, _, err = _run(capsys, "import", str(src), "-o", str(tmp_path / "a.json"), "--lenient")
    assert code == 0 and "2 invalid objects skipped (--lenient)" in err
    assert "Service shop/web): spec.ports: expected array" in err
    code, out, _ = _run(capsys, "info", str(tmp_path / "a.json"))
    assert code == 0 and "read pods in namespace shop: invalid" in out


@pytest.mark.parametrize("name", ["alias-self.yaml", "deep-1000.json", "int-5000-digits.json", "lone-surrogate.json",
                                  "duplicate-key.yaml", "snapshot-serverversion-string.json"])
def test_no_traceback_on_any_corpus_file(name: str, tmp_path: Path) -> None:
    """Through a real process: exit 2 and one line on stderr, whatever the input."""
    command = "info" if name.startswith("snapshot-") else "import"
    argv = [command, str(CORPUS / name)] + (["-o", str(tmp_path / "x.json")] if command == "import" else [])
    entry = "import sys; from kubesec_nb.cli import main; sys.exit(main())"
    out = subprocess.run([sys.executable, "-c", entry, *argv], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("kubesec-nb: error: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr + out.stdout


def test_third_party_install_yaml_imports_and_assesses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = os.environ.get("KUBESEC_NB_THIRD_PARTY")
    if not folder or not Path(folder).is_dir():
        pytest.skip("set KUBESEC_NB_THIRD_PARTY to a folder of third-party install YAML")
    out = tmp_path / "tp.json.gz"
    code, _, err = _run(capsys, "import", folder, "-o", str(out))
    assert code == 0 and "from manifests" in err, err
    a = ks.assess(ks.Snapshot.load(out))
    findings = a.findings
    assert not (findings["status"] == "error").any()
    assert json.loads(json.dumps(a.snapshot.counts()))["pods"] > 0
