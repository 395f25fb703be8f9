"""The audit analyzer: used versus granted, least-privilege roles that round-trip, the incident views on the
samples' planted incidents, and not_assessed without a log, on every kind of cluster."""

from __future__ import annotations

import json
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesec_nb.assessment import Assessment, assess, load_checks
from kubesec_nb.audit import NO_LOG
from kubesec_nb.checks import REGISTRY
from kubesec_nb.errors import KubesecError
from kubesec_nb.findings import run_check
from kubesec_nb.snapshot import Snapshot
from tests.audit.conftest import auditlogs, event
from tests.clusters import ANY_CLUSTER
from tests.conftest import ROOT, SAMPLES

load_checks()
AUDIT_CHECKS = sorted(c for c in REGISTRY if c.startswith("AUDIT-"))
RBAC = "rbac.authorization.k8s.io/v1"


@cache
def _sample(name: str) -> Assessment:
    return assess(Snapshot.load(SAMPLES / f"{name}.json.gz"))


def _rows(a: Assessment, check_id: str) -> list[dict[str, Any]]:
    return run_check(REGISTRY[check_id], a)


def _with_log(snap: Snapshot, evs: list[dict[str, Any]], tmp: Path, **options: Any) -> Assessment:
    path = tmp / "audit.log"
    path.write_bytes(auditlogs.native_lines(evs))
    snap.attach("audit-log", path)
    return assess(snap, **options)


@pytest.mark.parametrize("cluster", sorted(ANY_CLUSTER))
def test_without_a_log_everything_is_not_assessed(cluster: str) -> None:
    snap = ANY_CLUSTER[cluster]()
    a = assess(Snapshot(metadata=snap.metadata, objects=snap.objects, gaps=snap.gaps,
                        attachments=[x for x in snap.attachments if x.kind != "audit-log"]))
    assert a.audit.status == "not_assessed" and a.audit.missing == NO_LOG
    for cid in AUDIT_CHECKS:
        assert [(r["status"], r["message"]) for r in _rows(a, cid)] == [("not_assessed", NO_LOG)], cid
    assert a.audit.view(a.audit.exec_sessions).to_dict("records") == [{"status": "not assessed", "reason": NO_LOG}]
    assert a.audit.used.attrs["missing"] == NO_LOG and "not assessed" in a.audit.suggestion("User:x")
    with pytest.raises(KubesecError, match="not assessed: no audit log attached"):
        a.audit.least_privilege("User:alice")


@pytest.mark.parametrize("cluster", sorted(ANY_CLUSTER))
def test_any_cluster_with_a_log(cluster: str, tmp_path: Path) -> None:
    snap = ANY_CLUSTER[cluster]()
    snap = Snapshot(metadata=dict(snap.metadata), objects=dict(snap.objects), gaps=list(snap.gaps),
                    attachments=[x for x in snap.attachments if x.kind != "audit-log"])
    evs = [event("2026-11-19T10:00:00Z", "system:serviceaccount:default:default", "list", "pods", ns="default",
                 ips=("198.51.100.7",)),
           event("2026-11-19T10:00:01Z", "alice", "get", "secrets", ns="default", name="s", seq=1)]
    a = _with_log(snap, evs, tmp_path)
    for cid in AUDIT_CHECKS:
        statuses = {r["status"] for r in _rows(a, cid)}
        assert statuses <= {"pass", "fail", "not_assessed"}, (cid, statuses)
    assert len(a.audit.used) == 2 and a.audit.round_trip("User:alice") == []
    outside = _rows(a, "AUDIT-SA-TOKEN-OUTSIDE")
    if cluster in ("empty", "manifests-only"):  # no node or pod address known: inside and outside are unknown
        assert outside[0]["status"] == "not_assessed"


def test_used_versus_granted(tmp_path: Path) -> None:
    snap = Snapshot.from_objects([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "app", "namespace": "shop"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                   {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]},
                   {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]},
        {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "app", "namespace": "shop"},
         "roleRef": {"apiGroup": RBAC.split("/")[0], "kind": "Role", "name": "app"},
         "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}]}])
    sa = "system:serviceaccount:shop:web"
    a = _with_log(snap, [event("2026-11-19T10:00:00Z", sa, "get", "pods", ns="shop", name="web-1"),
                         event("2026-11-19T11:00:00Z", sa, "get", "pods", ns="shop", name="web-1", seq=1),
                         event("2026-11-19T11:00:00Z", sa, "get", "secrets", ns="shop", name="tls", seq=2),
                         event("2026-11-19T12:00:00Z", sa, "delete", "pods", ns="shop", name="web-1", code=403)],
                  tmp_path)
    used = a.audit.used
    assert used[["verb", "resource", "name", "count", "outcome", "granted"]].values.tolist() == [
        ["delete", "pods", "web-1", 1, "denied", None], ["get", "pods", "web-1", 2, "allowed", True],
        ["get", "secrets", "tls", 1, "allowed", True]]
    assert used["first"].iloc[1] == "2026-11-19T10:00:00.000000Z" and used["last"].iloc[1].startswith("2026-11-19T11")
    unused = a.audit.unused
    mine = unused[unused["subject"] == "ServiceAccount:shop:web"]
    assert mine[["risk", "verb", "resource", "checks"]].values.tolist() == [
        ["high", "create", "pods/exec", "RBAC-POD-EXEC"], ["high", "list", "secrets", "RBAC-SECRETS-READ"],
        ["none", "list", "pods", ""]]


@pytest.mark.parametrize(("sample", "subject"), [
    ("eks-shop", "ServiceAccount:ci:jenkins"), ("eks-shop", "User:alice"), ("eks-shop", "Group:oncall"),
    ("eks-shop", "ServiceAccount:monitoring:prometheus"), ("gke-media", "ServiceAccount:ci:jenkins"),
    ("aks-bank", "User:masterclient"), ("aks-bank", "ServiceAccount:velero:velero"),
])
def test_least_privilege_round_trips_exactly(sample: str, subject: str) -> None:
    audit = _sample(sample).audit
    text = audit.least_privilege(subject)
    assert audit.round_trip(subject, text) == []
    # exact: every (verb, resource, name) a rule allows, in its scope, is a logged request shape
    used = {(u.namespace, u.verb, u.group, u.resource, u.name, u.path) for u in audit.requests_of(subject)}
    used |= {(ns, "create", g, r, n, p) for ns, v, g, r, n, p in used if v == "get" and r == "pods/exec"}
    bindings = [d for d in yaml.safe_load_all(text) if d and "roleRef" in d]
    roles = [d for d in yaml.safe_load_all(text) if d and "rules" in d]
    assert [(d["kind"], d["metadata"].get("namespace")) for d in roles] == [
        ("ClusterRole" if d["kind"] == "ClusterRoleBinding" else "Role", d["metadata"].get("namespace"))
        for d in bindings]
    for role in roles:
        ns = role["metadata"].get("namespace", "")
        for rule in role["rules"]:
            if "nonResourceURLs" in rule:
                for v, p in product(rule["verbs"], rule["nonResourceURLs"]):
                    assert ("", v, "", "", "", p) in used, (v, p)
                continue
            for v, g, r, n in product(rule["verbs"], rule["apiGroups"], rule["resources"],
                                      rule.get("resourceNames") or [""]):
                named = {(x[4]) for x in used if x[:4] == (ns, v, g, r)}
                assert n in named or (not n and named), (ns, v, g, r, n)


def test_least_privilege_leaves_out_what_groups_allow_and_names_the_bindings_to_remove() -> None:
    text = _sample("eks-shop").audit.least_privilege("ServiceAccount:ci:jenkins")
    assert "remove the subject from: ClusterRoleBinding/ci-cluster-admin" in text
    assert "1 are allowed without the subject's own bindings" in text  # GET /api: discovery
    docs = [d for d in yaml.safe_load_all(text) if d]
    storefront = next(d for d in docs if d["kind"] == "Role" and d["metadata"]["namespace"] == "storefront")
    assert {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"],
            "resourceNames": ["web"]} in storefront["rules"]
    masters = _sample("aks-bank").audit.least_privilege("User:masterclient")
    assert "is in system:masters" in masters


def test_planted_incidents_eks() -> None:
    a = _sample("eks-shop")

    def fails(cid: str) -> list[dict[str, Any]]:
        return [r for r in _rows(a, cid) if r["status"] == "fail" and "platform-managed" not in r["message"]]

    rbac = fails("AUDIT-RBAC-CHANGE")
    assert [(r["name"], r["severity"]) for r in rbac] == [("support-access", "critical")]
    assert "User:contractor@external.example → cluster-admin" in rbac[0]["message"]
    assert any(e["field"] == "requestObject" for e in rbac[0]["_evidence"])
    pods = fails("AUDIT-PRIVILEGED-POD-CREATED")
    assert [(r["namespace"], r["name"]) for r in pods] == [("kube-system", "node-debugger")]
    assert "hostPID, hostNetwork" in pods[0]["message"] and "host_paths: /" in pods[0]["message"]
    assert sorted((r["subject"], r["namespace"]) for r in fails("AUDIT-EXEC-INTO-POD")) == [
        ("ServiceAccount:ci:jenkins", "payments"), ("User:alice", "storefront")]
    secrets = {r["subject"]: r["severity"] for r in fails("AUDIT-SECRET-READ")}
    assert secrets["ServiceAccount:ci:jenkins"] == "critical" and secrets["User:alice"] == "medium"
    assert [(r["name"], r["severity"]) for r in fails("AUDIT-ANONYMOUS")] == [("203.0.113.50", "high"),
                                                                            ("203.0.113.50", "low")]
    assert [r["subject"] for r in fails("AUDIT-FORBIDDEN-BURST")] == ["User:bob"]
    assert [(r["subject"], r["name"]) for r in fails("AUDIT-SA-TOKEN-OUTSIDE")] == [
        ("ServiceAccount:ci:jenkins", auditlogs.ATTACKER_IP)]
    assert ("ServiceAccount:ci:jenkins", "curl/8.5.0") in {(r["subject"], r["name"])
                                                          for r in fails("AUDIT-UNUSUAL-SOURCE")}
    unused = {(r["subject"], r["name"]): r["severity"] for r in fails("AUDIT-UNUSED-RISKY-GRANT")}
    assert unused[("ServiceAccount:monitoring:prometheus", "oncall-secret-reader")] == "critical"
    assert unused[("ServiceAccount:monitoring:prometheus", "prometheus-node-metrics")] == "critical"
    for f in (fails("AUDIT-RBAC-CHANGE") + fails("AUDIT-EXEC-INTO-POD") + fails("AUDIT-SA-TOKEN-OUTSIDE")):
        assert any(e["object"].startswith("audit event ") for e in f["_evidence"]), f


def test_window_option_limits_the_analysis() -> None:
    snap = Snapshot.load(SAMPLES / "eks-shop.json.gz")
    before = assess(snap, audit_window="..2026-11-19T20:00:00Z").audit
    assert before.rbac_changes.empty and before.window[1] == "2026-11-19T20:00:00.000000Z"
    night = assess(snap, audit_window="2026-11-19T23:00:00Z..2026-11-19").audit
    assert len(night.rbac_changes) == 1 and set(night.used["subject"]) >= {"ServiceAccount:ci:jenkins"}
    with pytest.raises(KubesecError, match="audit_window"):
        assess(snap, audit_window="yesterday").audit  # noqa: B018


def test_unused_reads_are_unknown_when_the_log_has_no_reads(tmp_path: Path) -> None:
    snap = Snapshot.load(SAMPLES / "aks-bank.json.gz")
    evs = [e for e in auditlogs.story(snap) if e["verb"] not in ("get", "list", "watch")]
    path = tmp_path / "admin.json"
    rid = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-bank"
    recs = [r for r in auditlogs.aks_records(evs, rid) if r["category"] == "kube-audit-admin"]
    path.write_bytes(auditlogs.json_lines(recs))
    snap.attachments = [x for x in snap.attachments if x.kind != "audit-log"]
    snap.attach("audit-log", path)
    a = assess(snap).audit
    assert not a.reads_logged
    prom = a.unused[a.unused["subject"] == "ServiceAccount:monitoring:prometheus"]
    assert set(prom.loc[prom["verb"] == "list", "status"]) == {"unknown: the log holds no read requests"}


def test_the_samples_and_their_notebook_hold_no_secret_from_the_log() -> None:
    secret = auditlogs.SAMPLE_SECRET
    for log in sorted((SAMPLES / "audit-logs").iterdir()):
        assert secret.encode() in auditlogs.gzip.decompress(log.read_bytes()), log.name  # planted
    for snap in sorted(SAMPLES.glob("*.json.gz")):
        assert secret.encode() not in auditlogs.gzip.decompress(snap.read_bytes()), snap.name
    assert secret not in (ROOT / "notebooks" / "60_audit.ipynb").read_text()
    findings = json.dumps([r for cid in AUDIT_CHECKS for r in _rows(_sample("eks-shop"), cid)])
    assert secret not in findings and "AKIAIOSFODNN7EXAMPLE" not in findings
