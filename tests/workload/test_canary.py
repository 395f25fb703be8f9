"""Canary credentials planted in env values, arguments and ConfigMaps never reach any output:
the snapshot file, the workload tables, the findings (JSON, CSV, SARIF), the executed notebooks
and the HTML report. Only the detector names and the ``<redacted:...>`` markers do.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from kubesec_nb import findings as fnd
from kubesec_nb.assessment import assess
from kubesec_nb.report import run_report
from kubesec_nb.snapshot.document import Snapshot

#: (where, canary): each value looks like a credential to a load-time detector.
CANARIES = {
    "env key-name": "CANARY-wl-envpw-7c31d9",
    "env aws key": "AKIACANARYWL7C31D9XQ",
    "env github token": "ghp_CANARYwl7c31d9abcdefghijklmnopqrstuvwx",
    "env url credentials": "CANARY-wl-urlpw-55aa",
    "deployment env": "CANARY-wl-deploy-pw-0b0b",
    "arg flag": "CANARY-wl-argpw-8e8e",
    "arg separate": "CANARY-wl-argsep-4d4d",
    "configmap key-name": "CANARY-wl-cmpw-1f1f",
    "configmap aws secret": "CANARYwlSecretAccessKey7c31d9EXAMPLEKEY",
    "configmap private key": "CANARY-wl-pem-2a2a",
    "configmap binary": "CANARY-wl-binary-3c3c",
}


def _forms(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode().rstrip("=")]


def leaks(text: str) -> list[str]:
    return sorted(k for k, v in CANARIES.items() for form in _forms(v) if form in text)


def _manifests() -> list[dict[str, Any]]:
    c = CANARIES
    container = {
        "name": "app", "image": "ghcr.io/acme/app:1.0",
        "env": [{"name": "DB_PASSWORD", "value": c["env key-name"]},
                {"name": "AWS_KEY", "value": c["env aws key"]},
                {"name": "GIT_CREDENTIAL_HELPER_INPUT", "value": c["env github token"]},
                {"name": "DATABASE_URL", "value": f"postgres://app:{c['env url credentials']}@db:5432/app"}],
        "args": [f"--db-password={c['arg flag']}", "--token", c["arg separate"], "--verbose"],
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"containers": [container]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
         "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {
             "metadata": {"labels": {"app": "api"}},
             "spec": {"containers": [{"name": "api", "image": "nginx",
                                      "env": [{"name": "ADMIN_PASSWORD", "value": c["deployment env"]}]}]}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"},
         "data": {"SMTP_PASSWORD": c["configmap key-name"],
                  "aws.properties": f"aws_secret_access_key = {c['configmap aws secret']}",
                  "tls.key": f"-----BEGIN PRIVATE KEY-----\n{c['configmap private key']}\n-----END PRIVATE KEY-----\n",
                  "LOG_LEVEL": "info"},
         "binaryData": {"blob": base64.b64encode(c["configmap binary"].encode()).decode()}},
    ]


def test_canaries_never_leak(tmp_path: Path) -> None:
    src = tmp_path / "manifests.yaml"
    src.write_text(yaml.safe_dump_all(_manifests()))
    snap = Snapshot.from_manifests(src)
    path = snap.save(tmp_path / "canary.json.gz")
    src.unlink()  # only outputs stay in tmp_path

    loaded = Snapshot.load(path)
    assert leaks(json.dumps(loaded.to_dict())) == []
    a = assess(loaded)
    wl = a.workloads
    tables = [getattr(wl, t) for t in ("pod_security", "pss_violations", "namespaces", "dry_run", "escapes",
                                       "secret_refs", "credentials", "tokens", "legacy_tokens", "secret_stores",
                                       "images", "vulnerabilities", "signatures")]
    tables += [wl.facts(), wl.coverage(), wl.compliance()]
    for t in tables:
        assert isinstance(t, pd.DataFrame)
        assert leaks(t.to_csv()) == []
    assert leaks(repr(wl.host_escapes)) == []

    # the credentials were found: every planted place has its detector, and findings name them
    cred = wl.credentials
    assert set(cred["source"]) == {"env", "args", "data"}
    assert len(cred[cred["object"] == "cfg"]) == 3
    assert {"Pod/web", "Deployment/api"} <= set(cred["object"])
    f = a.findings
    assert {"SEC-LITERAL-CREDENTIAL", "SEC-CONFIGMAP-CREDENTIAL"} <= set(f[f["status"] == "fail"]["check_id"])
    out = tmp_path / "out"
    out.mkdir()
    fnd.write_json(f, out / "findings.json")
    fnd.write_csv(f, out / "findings.csv")
    (out / "findings.sarif").write_text(json.dumps(fnd.to_sarif(f, "test")))

    report = run_report(path, tmp_path / "report", notebooks=["00_overview", "30_workloads"], timeout=600)
    assert report.html.exists()
    found = {str(p.relative_to(tmp_path)): leaks(_text(p)) for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert {k: v for k, v in found.items() if v} == {}
    assert "redacted:key-name" in report.html.read_text()  # the marker (HTML-escaped) is what the report shows


def _text(p: Path) -> str:
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        import gzip

        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")
