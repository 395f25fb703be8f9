"""Reading audit logs: every provider's export shape gives the same summary; bad lines are counted with their
file and line, never fatal; bodies, tokens and credentials never reach the summary."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot import Snapshot
from kubesec_nb.snapshot.auditlog import KIND, MAX_NAMES, Summarizer, sniff, summarize
from tests.audit.conftest import auditlogs, binding_create, event, pod_create
from tests.conftest import CANARIES, leaked

AKS_ID = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-1"
T0 = "2026-11-19T10:00:00.000000Z"


def _events() -> list[dict[str, Any]]:
    """A small log: reads, a denied request, an exec session in two stages, a privileged pod, a binding."""
    evs = [
        event(T0, "system:serviceaccount:ci:jenkins", "get", "deployments", group="apps", ns="shop", name="web"),
        event("2026-11-19T10:00:01Z", "system:serviceaccount:ci:jenkins", "list", "secrets", ips=("198.51.100.23",),
              agent="curl/8.5.0"),
        event("2026-11-19T10:00:02Z", "bob", "list", "secrets", ns="payments", code=403, groups=("dev",)),
        event("2026-11-19T10:00:03Z", "alice", "create", "pods", ns="shop", name="web-1", sub="exec", code=101,
              stage="ResponseStarted", query="command=sh&tty=true"),
        pod_create("2026-11-19T10:00:04Z", "system:serviceaccount:ci:jenkins", "kube-system", "pwn", privileged=True,
                   host_path="/"),
        binding_create("2026-11-19T10:00:05Z", "system:serviceaccount:ci:jenkins", "backdoor", "cluster-admin",
                       {"kind": "User", "name": "eve", "apiGroup": "rbac.authorization.k8s.io"}),
        event("2026-11-19T10:00:06Z", "system:anonymous", "get", path="/version", ips=("203.0.113.5",)),
    ]
    evs.append({**evs[3], "stage": "ResponseComplete", "stageTimestamp": "2026-11-19T10:05:00Z"})
    return evs


def _shapes(tmp: Path, evs: list[dict[str, Any]]) -> dict[str, Path]:
    """The same events in every supported shape."""
    entries = auditlogs.gke_entries(evs, "proj", "europe-west1", "gke-1")
    cw = auditlogs.cloudwatch_events(evs)
    files = {
        "native.log": auditlogs.native_lines(evs),
        "native.log.gz": gzip.compress(auditlogs.native_lines(evs)),
        "eventlist.json": json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": evs},
                                     indent=2).encode(),
        "filter-log-events.json": auditlogs.cloudwatch_filter_log_events(evs),
        "cloudwatch-events.jsonl": auditlogs.json_lines(cw),
        "cloudwatch-export.txt.gz": gzip.compress(auditlogs.cloudwatch_export(evs)),
        "gcloud-logging-read.json": json.dumps(entries, indent=2).encode(),
        "gcs-sink.json": auditlogs.json_lines(entries),
        "PT1H.json": auditlogs.json_lines(auditlogs.aks_records(evs, AKS_ID)),
        "eventhub.json": json.dumps({"records": auditlogs.aks_records(evs, AKS_ID)}).encode(),
    }
    out = {}
    for name, data in files.items():
        (tmp / name).write_bytes(data)
        out[name] = tmp / name
    return out


def _shape(s: dict[str, Any]) -> list[tuple[Any, ...]]:
    cols = s["usage"]["columns"]
    keep = [cols.index(c) for c in ("user", "verb", "group", "resource", "subresource", "namespace", "name", "path",
                                    "code", "decision", "count")]
    return sorted(tuple(r[i] for i in keep) for r in s["usage"]["rows"])


def test_every_provider_shape_reads_the_same_requests(tmp_path: Path) -> None:
    files = _shapes(tmp_path, _events())
    native = summarize([files["native.log"]], progress=False)
    assert native["counts"]["requests"] == 7 and native["counts"]["events"] == 8  # exec counted once
    assert native["counts"]["malformed"] == 0 and native["formats"] == ["kubernetes"]
    for name, path in files.items():
        s = summarize([path], progress=False)
        assert s["counts"]["requests"] == 7, name
        assert s["counts"]["malformed"] == 0, (name, s["malformed"])
        assert {k: len(v) for k, v in s["records"].items()} == {"anonymous": 1, "exec": 1, "pods": 1, "rbac": 1}, name
        if name.startswith(("gcloud", "gcs")):
            # GKE entries carry neither groups nor stages; the verb, object and outcome are the same
            assert [r[:7] for r in _shape(s)] == [r[:7] for r in _shape(native)] and s["formats"] == [
                "gke-cloud-logging"]
        else:
            assert _shape(s) == _shape(native), name
    aks = summarize([files["PT1H.json"]], progress=False)
    assert aks["counts"]["duplicates"] == 3  # kube-audit-admin copies of the writes' final stages, dropped
    assert aks["coverage"]["aks_categories"] == ["kube-audit", "kube-audit-admin"]


def test_records_keep_security_fields_not_bodies(tmp_path: Path) -> None:
    s = summarize([_shapes(tmp_path, _events())["native.log"]], progress=False)
    pod = s["records"]["pods"][0]
    assert pod["flags"] == {"privileged": ["c"], "hostPath": ["/"]} and pod["name"] == "pwn"
    rbac = s["records"]["rbac"][0]["object"]
    assert rbac["roleRef"]["name"] == "cluster-admin" and rbac["subjects"] == [
        {"kind": "User", "name": "eve", "apiGroup": "rbac.authorization.k8s.io"}]
    ex = s["records"]["exec"][0]
    assert ex["command"] == "sh" and ex["user"] == "alice" and ex["uri"].endswith("?command=sh&tty=true")
    assert s["users"]["system:serviceaccount:ci:jenkins"]["ips"]["198.51.100.23"][0] == 1
    assert s["denied"]["bob"][0][:2] == ["2026-11-19T10:00", 1]


@pytest.mark.parametrize(("name", "tail", "where"), [
    ("native.log", b'{"kind":"Event","auditID":"x","verb":\n', "9"),  # truncated by the shipper
    ("native.log", b"\x00\xff\xfe binary garbage\n", "9"),
    ("native.log", b'{"kind":"Event","verb":42}\n', "9"),  # wrong type
    ("cloudwatch-events.jsonl", b'{"timestamp":1,"message":"{\\"kind\\":\\"Event\\",\\"aud"}\n', "9"),
])
def test_bad_lines_are_counted_with_file_and_line(tmp_path: Path, name: str, tail: bytes, where: str) -> None:
    path = _shapes(tmp_path, _events())[name]
    path.write_bytes(path.read_bytes() + tail + auditlogs.native_lines(_events()[:1]))
    s = summarize([path], progress=False)
    assert s["counts"]["malformed"] == 1 and s["counts"]["requests"] == 7  # the line after it is read (a duplicate)
    assert s["malformed"][0]["file"] == name and s["malformed"][0]["line"] == where
    assert s["counts"]["duplicates"] == 1


def test_truncated_documents_and_gzip_keep_what_was_read(tmp_path: Path) -> None:
    files = _shapes(tmp_path, _events())
    doc = files["filter-log-events.json"]
    doc.write_bytes(doc.read_bytes()[: len(doc.read_bytes()) * 2 // 3])
    s = summarize([doc], progress=False)
    assert 0 < s["counts"]["requests"] < 7 and s["counts"]["malformed"] == 1
    assert s["malformed"][0]["line"].startswith("events[") and "invalid JSON document" in s["malformed"][0]["error"]
    gz = files["native.log.gz"]
    gz.write_bytes(gz.read_bytes()[:-30])
    s = summarize([gz], progress=False)
    assert s["counts"]["malformed"] == 1 and "unreadable from here on" in s["malformed"][0]["error"]


def test_non_audit_records_are_ignored_not_malformed(tmp_path: Path) -> None:
    other = [{"logStreamName": "authenticator-abc", "timestamp": 1, "message": 'time="x" level=info msg="access"'},
             {"category": "kube-apiserver", "properties": {"log": "I1119 10:00:00 server.go:1] started"}},
             {"protoPayload": {"serviceName": "container.googleapis.com", "methodName": "google.container.v1."
                                                                                        "ClusterManager.GetCluster"}}]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(auditlogs.json_lines(other) + auditlogs.native_lines(_events()[:2]))
    s = summarize([path], progress=False)
    assert s["counts"] == {"events": 2, "requests": 2, "ignored": 3, "malformed": 0, "duplicates": 0}


def test_attach_names_the_file_when_nothing_is_an_audit_event(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(SnapshotError, match=r"notes.txt: no Kubernetes audit events found \(2 unreadable lines"):
        Snapshot().attach("audit-log", path)
    with pytest.raises(SnapshotError, match="no such file"):
        Snapshot().attach("audit-log", tmp_path / "missing.log")


def test_auto_attach_recognises_every_shape(tmp_path: Path) -> None:
    for name, path in _shapes(tmp_path, _events()).items():
        assert sniff(path), name
        att = Snapshot().attach("auto", path)
        assert att.kind == KIND and att.data["counts"]["requests"] == 7, name
    settings = tmp_path / "settings.json"  # diagnostic settings name kube-audit but are no log
    settings.write_text(json.dumps({"value": [{"name": "x", "logs": [{"category": "kube-audit", "enabled": True}]}]}))
    assert not sniff(settings) and Snapshot().attach("auto", settings).kind == "aks-diagnostic-settings"


def test_names_are_capped_per_subject_and_verb() -> None:
    s = Summarizer()
    for i in range(MAX_NAMES + 5):
        s.add_line(json.dumps(event(T0, "alice", "get", "configmaps", ns="a", name=f"cm-{i}", seq=i)), "f", i)
        s.add_line(json.dumps(event(T0, "system:node:n1", "get", "secrets", ns="a", name=f"s-{i}", seq=i)), "f", i)
    rows = s.result()["usage"]["rows"]
    names = sorted(r[9] for r in rows if r[1] == "alice")
    assert len(names) == MAX_NAMES + 1 and names[0] == "*"
    assert [(r[9], r[13]) for r in rows if r[1] == "system:node:n1"] == [("*", MAX_NAMES + 5)]  # nodes keep no names


def test_gke_method_and_resource_names_are_read_like_the_falco_plugin() -> None:
    # methodName io.k8s.<group>.<version>.<resource>[.<subresource>].<verb> and resourceName
    # <group>/<version>[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]], as
    # falcosecurity/plugins plugins/k8saudit-gke/pkg/k8sauditgke/convert.go reads them
    cases = [
        ("io.k8s.core.v1.pods.exec.create", "core/v1/namespaces/shop/pods/web/exec",
         ("create", "", "pods", "exec", "shop", "web")),
        ("io.k8s.core.v1.namespaces.get", "core/v1/namespaces/shop", ("get", "", "namespaces", "", "", "shop")),
        ("io.k8s.core.v1.namespaces.status.update", "core/v1/namespaces/shop/status",
         ("update", "", "namespaces", "status", "", "shop")),
        ("io.k8s.apps.v1.deployments.list", "apps/v1/namespaces/shop/deployments",
         ("list", "apps", "deployments", "", "shop", "")),
        ("io.k8s.authorization.rbac.v1.clusterrolebindings.create",
         "rbac.authorization.k8s.io/v1/clusterrolebindings/x",
         ("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", "x")),
        ("io.k8s.core.v1.nodes.proxy.get", "core/v1/nodes/n1/proxy", ("get", "", "nodes", "proxy", "", "n1")),
    ]
    for method, resource, want in cases:
        s = Summarizer()
        s.add_line(json.dumps({"insertId": "i1", "timestamp": T0, "protoPayload": {
            "serviceName": "k8s.io", "methodName": method, "resourceName": resource,
            "authenticationInfo": {"principalEmail": "alice@example.com"}, "status": {"code": 7}}}), "g", 1)
        r = s.result()["usage"]["rows"][0]
        assert (r[4], r[5], r[6], r[7], r[8], r[9]) == want, method
        assert r[11] == 403 and r[1] == "alice@example.com"  # gRPC PERMISSION_DENIED


def test_no_secret_reaches_the_summary(tmp_path: Path) -> None:
    body = {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "db"}, "stringData": {"password": CANARIES[2]},
            "data": {"token": "Q0FOQVJZLXNlY3JldC03YTNlNTU="}}  # base64 of a canary
    token_review = {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1", "spec": {"token": CANARIES[5]}}
    evs = [
        event(T0, "alice", "create", "secrets", ns="a", name="db", request=body, response=body, code=201),
        event(T0, "alice", "get", "secrets", ns="a", name="db", response=body, seq=1),
        event(T0, "system:kube-apiserver", "create", "tokenreviews", group="authentication.k8s.io",
              request=token_review, response={**token_review, "status": {"authenticated": True}}, code=201),
        event(T0, "alice", "get", "pods", ns="a", query=f"access_token={CANARIES[3]}&watch=true", seq=2),
        event(T0, "alice", "create", "pods", ns="a", name="p", sub="exec", code=101,
              query=f"command=sh&command=-c&command=echo+{CANARIES[4]}&container=c", seq=3),
        event(T0, "alice", "get", path=f"/api/v1/x?token={CANARIES[1]}", seq=4,
              annotations={"authorization.example.com/header": f"Bearer {CANARIES[0]}"},
              extra={"custom.example.com/credential": [CANARIES[6]]}),
        pod_create(T0, "alice", "a", "leaky", privileged=True, seq=5) | {"requestObject": {
            "kind": "Pod", "spec": {"containers": [{"name": "c", "env": [{"name": "K", "value": CANARIES[7]}],
                                                    "args": [f"--token={CANARIES[5]}"],
                                                    "securityContext": {"privileged": True}}]}}},
    ]
    for name, path in _shapes(tmp_path, evs).items():
        s = summarize([path], progress=False)
        assert s["counts"]["requests"] == len(evs), name
        assert not leaked(json.dumps(s)), name
