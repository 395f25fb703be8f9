"""Contract tests: choosing and reaching the cluster; every mistake is one CollectError sentence."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kubesec_nb.errors import CollectError, OptionError
from kubesec_nb.snapshot.connect import IN_CLUSTER, connect
from kubesec_nb.snapshot.document import Snapshot

from .fakeapi import FakeApiServer, kubeconfig

Run = Callable[..., Snapshot]


def _one_line(exc: pytest.ExceptionInfo[CollectError]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_unknown_context(fake: FakeApiServer, run: Run, kubeconfig_path: Path) -> None:
    with pytest.raises(CollectError) as exc:
        run(context="prod")
    assert _one_line(exc) == f"unknown context 'prod' in kubeconfig {kubeconfig_path} (contexts: test)"


def test_named_context(fake: FakeApiServer, run: Run, write_kubeconfig: Callable[..., Path]) -> None:
    path = write_kubeconfig(extra_contexts=["other"])
    assert run(kubeconfig=path, context="other").metadata["context"] == "other"


@pytest.mark.parametrize(("text", "expected"), [
    ("clusters: [\n  - name: x\n  bad", "is not valid YAML at line"),
    ("- just\n- a list\n", "is not a kubeconfig"),
    ("clusters: {}\n", "is not a kubeconfig"),
    ("", "is empty"),
    ("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n", "has no current context"),
])
def test_bad_kubeconfig(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CollectError) as exc:
        Snapshot.collect(kubeconfig=path)
    assert expected in _one_line(exc) and str(path) in str(exc.value)


def test_kubeconfig_context_without_cluster(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    doc = kubeconfig("http://127.0.0.1:1")
    doc["clusters"] = []
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(CollectError) as exc:
        Snapshot.collect(kubeconfig=path)
    assert "context 'test'" in _one_line(exc)


def test_missing_and_directory_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match="does not exist"):
        Snapshot.collect(kubeconfig=tmp_path / "nope")
    with pytest.raises(CollectError, match="is a directory"):
        Snapshot.collect(kubeconfig=tmp_path)


def test_no_kubeconfig_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(CollectError) as exc:
        Snapshot.collect()
    assert "no kubeconfig found" in _one_line(exc) and "not running inside a cluster" in str(exc.value)


def test_kubeconfig_env_with_several_files(fake: FakeApiServer, run: Run, apiserver, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    doc = kubeconfig(f"http://127.0.0.1:{apiserver.port}", context="a")
    first.write_text(yaml.safe_dump(doc), encoding="utf-8")
    other = kubeconfig("http://127.0.0.1:1", context="b", cluster="kind-b")
    second.write_text(yaml.safe_dump(other), encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing.yaml'}:{second}")
    snap = run(kubeconfig=None)  # the first file's current context wins, as with kubectl
    assert snap.metadata["context"] == "a"
    with pytest.raises(CollectError, match="cannot reach"):
        run(kubeconfig=None, context="b", retries=0)


def test_unreachable_server(write_kubeconfig: Callable[..., Path], sleeps: list[float]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_kubeconfig(server=f"http://127.0.0.1:{port}")
    with pytest.raises(CollectError) as exc:
        Snapshot.collect(kubeconfig=path, retries=2, backoff=0.01, sleep=sleeps)
    msg = _one_line(exc)
    assert msg.startswith(f"cannot reach the Kubernetes API server at http://127.0.0.1:{port}: cannot connect")
    assert "(after 3 attempts)" in msg
    assert sleeps == [0.01, 0.02]


def test_server_that_does_not_answer(fake: FakeApiServer, run: Run) -> None:
    fake.stall("/version", 5.0)
    with pytest.raises(CollectError) as exc:
        run(timeout=0.2, retries=0)
    assert "did not answer: no response within 0.2 s" in _one_line(exc)


def test_not_an_api_server(fake: FakeApiServer, run: Run) -> None:
    fake.fail("/version", 404, times=None)
    with pytest.raises(CollectError, match="does not answer like a Kubernetes API server"):
        run()


def test_rejected_credentials(fake: FakeApiServer, run: Run, write_kubeconfig: Callable[..., Path]) -> None:
    path = write_kubeconfig(token="wrong")
    with pytest.raises(CollectError) as exc:
        run(kubeconfig=path)
    assert "rejected the credentials of context 'test' (HTTP 401)" in _one_line(exc)


def test_exec_credential_plugin(fake: FakeApiServer, run: Run, write_kubeconfig: Callable[..., Path]) -> None:
    cred = {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
            "status": {"token": "test-token"}}
    path = write_kubeconfig(user={"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                           "command": sys.executable,
                                           "args": ["-c", f"print({json.dumps(json.dumps(cred))})"]}})
    snap = run(kubeconfig=path)
    assert snap.has("pods")
    assert all(h["authorization"] == "Bearer test-token" for h in fake.headers("/api/v1/pods"))


def test_failing_exec_plugin_is_named(fake: FakeApiServer, run: Run, write_kubeconfig: Callable[..., Path]) -> None:
    path = write_kubeconfig(user={"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                           "command": sys.executable,
                                           "args": ["-c", "import sys; sys.exit('token expired, run aws sso login')"]}})
    with pytest.raises(CollectError) as exc:
        run(kubeconfig=path)
    assert "(HTTP 401); credential plugin:" in _one_line(exc)


def test_in_cluster_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubernetes.config import incluster_config

    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("sa-token", encoding="utf-8")
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", encoding="utf-8")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": str(tmp_path)}
    target = connect(environ=env)
    assert (target.context, target.server) == (IN_CLUSTER, "https://10.96.0.1:443")
    assert target.api.configuration.api_key["BearerToken"] == "bearer sa-token"
    target.api.close()


def test_in_cluster_config_broken(tmp_path: Path) -> None:
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": str(tmp_path)}
    with pytest.raises(CollectError, match="in-cluster configuration failed"):
        connect(environ=env)


@pytest.mark.parametrize("opts", [{"secrets": "all"}, {"page_size": 0}, {"timeout": 0}, {"retries": -1},
                                  {"namespaces": []}])
def test_invalid_options(opts: dict[str, object]) -> None:
    with pytest.raises(OptionError):
        Snapshot.collect(kubeconfig="/nonexistent", **opts)  # type: ignore[arg-type]
