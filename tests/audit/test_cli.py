"""``kubesec-nb attach --audit-log`` and ``kubesec-nb least-privilege``: what they print, exit codes, no leaks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubesec_nb.cli import main
from kubesec_nb.snapshot import Snapshot
from tests.audit.conftest import auditlogs, event
from tests.conftest import CANARIES, SAMPLES, leaked


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _bare_sample(tmp: Path) -> Path:
    snap = Snapshot.load(SAMPLES / "eks-shop.json.gz")
    snap.attachments = [a for a in snap.attachments if a.kind != "audit-log"]
    return snap.save(tmp / "shop.json.gz")


def test_attach_audit_logs_reports_what_it_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _bare_sample(tmp_path)
    first = tmp_path / "a.log"
    first.write_bytes(auditlogs.native_lines([event("2026-11-19T10:00:00Z", "alice", "get", "pods", ns="shop",
                                                    name="p", query=f"access_token={CANARIES[0]}")]) + b"{oops\n")
    second = tmp_path / "b.json"
    second.write_bytes(auditlogs.cloudwatch_filter_log_events([event("2026-11-19T11:00:00Z", "bob", "list", "pods")]))
    code, out, err = _run(capsys, "attach", str(snap), "--audit-log", str(first), str(second))
    assert code == 0 and out == ""
    assert "attached audit-log from a.log, b.json: 2 requests, 1 unreadable lines, 0 other records" in err
    assert "unreadable: a.log:2: JSON is malformed" in err
    att = Snapshot.load(snap).attachment("audit-log")
    assert att is not None and att.data["counts"]["requests"] == 2 and not leaked(snap.read_bytes())
    code, _, err = _run(capsys, "attach", str(snap))
    assert code == 2 and err.count("\n") == 1 and "nothing to attach" in err


def test_least_privilege_prints_yaml_and_its_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "least-privilege", "eks-shop", "ServiceAccount:monitoring:prometheus")
    assert code == 0
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert [d["kind"] for d in docs] == ["ClusterRole", "ClusterRoleBinding"]
    assert {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"],
            "resourceNames": sorted(n for n in out.split() if n.startswith("ip-10-0-16-"))} in docs[0]["rules"]
    assert "round trip: without the bindings naming ServiceAccount:monitoring:prometheus" in err
    assert auditlogs.SAMPLE_SECRET not in out + err


def test_least_privilege_without_a_log_is_a_user_mistake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _bare_sample(tmp_path)
    code, out, err = _run(capsys, "least-privilege", str(snap), "User:alice")
    assert code == 2 and out == "" and err.count("\n") == 1 and "no audit log attached" in err
    log = tmp_path / "x.log"
    log.write_bytes(auditlogs.native_lines([event("2026-11-19T10:00:00Z", "dave", "get", "pods", ns="shop",
                                                  name="p")]))
    code, out, err = _run(capsys, "least-privilege", str(snap), "User:dave", "--audit-log", str(log))
    assert code == 0 and "resourceNames:\n  - p" in out
    code, _, err = _run(capsys, "least-privilege", str(snap), "ServiceAccount:broken", "--audit-log", str(log))
    assert code == 2 and "ServiceAccount:<namespace>:<name>" in err
