"""Contract tests: no secret value reaches a snapshot, whatever the server sends."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kubesec_nb.snapshot.document import Gap, Snapshot
from kubesec_nb.snapshot.redact import SECRET_VALUE

from .cluster import CANARIES, CANARY_ENV
from .fakeapi import FakeApiServer

Run = Callable[..., Snapshot]


def _assert_no_canary(snap: Snapshot, tmp_path: Path) -> None:
    in_memory = json.dumps(snap.to_dict()) + repr(snap)
    plain = snap.save(tmp_path / "snap.json").read_bytes()
    packed = snap.save(tmp_path / "snap.json.gz").read_bytes()
    unpacked = gzip.decompress(packed)
    assert unpacked == plain
    for canary in CANARIES:
        assert canary not in in_memory
        for blob in (plain, packed, unpacked):
            assert canary.encode() not in blob


@pytest.mark.parametrize("namespaces", [None, ["shop"]])
def test_canaries_never_reach_the_snapshot(fake: FakeApiServer, run: Run, tmp_path: Path,
                                           namespaces: list[str] | None) -> None:
    snap = run(namespaces=namespaces)
    _assert_no_canary(snap, tmp_path)
    # what is kept: the secrets themselves (metadata), the pod's env var name and its redaction marker
    assert sorted(s["metadata"]["name"] for s in snap.items("secrets")) == ["db", "web-tls"]
    env = next(p for p in snap.items("pods") if p["metadata"]["name"] == "web-0")["spec"]["containers"][0]["env"]
    assert env[0] == {"name": "DB_PASSWORD", "value": "<redacted:key-name>"}
    assert env[1] == {"name": "LOG_LEVEL", "value": "info"}
    settings = next(c for c in snap.items("configmaps") if c["metadata"]["name"] == "settings")
    assert settings["data"]["API_TOKEN"].startswith("<redacted:")
    if namespaces is None:
        aws_auth = next(c for c in snap.items("configmaps") if c["metadata"]["name"] == "aws-auth")
        assert "system:nodes" in aws_auth["data"]["mapRoles"]  # kept verbatim: RBAC needs it


def test_secrets_are_asked_for_as_a_metadata_table(fake: FakeApiServer, run: Run) -> None:
    run()
    (headers,) = fake.headers("/api/v1/secrets")
    assert headers["accept"].startswith("application/json;as=Table;v=v1;g=meta.k8s.io")
    assert "application/json," not in headers["accept"] + "," and not headers["accept"].endswith("application/json")
    (query,) = fake.queries("/api/v1/secrets")
    assert query["includeObject"] == "Metadata"


def test_server_ignoring_the_accept_header_still_leaks_nothing(make_fake: Callable[..., FakeApiServer], run: Run,
                                                               tmp_path: Path) -> None:
    make_fake(tables=False)  # a proxy or old server that answers with full SecretLists
    snap = run()
    _assert_no_canary(snap, tmp_path)
    db = next(s for s in snap.items("secrets") if s["metadata"]["name"] == "db")
    assert db["data"] == {"password": SECRET_VALUE, "user": SECRET_VALUE}


def test_server_without_metadata_lists_answers_406(make_fake: Callable[..., FakeApiServer], run: Run) -> None:
    fake = make_fake()
    fake.fail("/api/v1/secrets", 406, times=None, message="only application/json is accepted")
    gap = run().gap("secrets")
    assert gap is not None and (gap.reason, gap.status) == ("error", 406)


def test_secrets_skip(fake: FakeApiServer, run: Run) -> None:
    snap = run(secrets="skip")
    assert snap.gap("secrets") == Gap("secrets", "list", "not_collected",
                                      message="secrets were skipped (secrets=skip)")
    assert not snap.has("secrets")
    assert not fake.paths(r".*/secrets")
    assert snap.metadata["secrets"] == "skip"


def test_canary_env_is_redacted_in_controller_templates(fake: FakeApiServer, run: Run) -> None:
    deploy = run().items("deployments.apps")[0]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in deploy["metadata"].get("annotations", {})
    assert deploy["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] != CANARY_ENV


def test_cli_snapshot_writes_a_clean_file(fake: FakeApiServer, kubeconfig_path: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from kubesec_nb.cli import main

    out = tmp_path / "cluster.json.gz"
    assert main(["snapshot", "-o", str(out), "--kubeconfig", str(kubeconfig_path), "--timeout", "5"]) == 0
    raw = gzip.decompress(out.read_bytes())
    assert not [c for c in CANARIES if c.encode() in raw]
    assert Snapshot.load(out).metadata["source"] == "live"
    assert main(["snapshot", "-o", str(out), "--kubeconfig", str(kubeconfig_path), "--context", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == f"kubesec-nb: error: unknown context 'nope' in kubeconfig {kubeconfig_path} (contexts: test)"
