"""The RBAC analysis on a small cluster with planted weaknesses (tests/rbac/scenario.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import kubesec_nb as ks
from kubesec_nb.errors import OptionError
from kubesec_nb.model import Model
from kubesec_nb.rbac import OPTIONS, Step, analyze
from kubesec_nb.snapshot import Snapshot

SCENARIO = Path(__file__).with_name("scenario.yaml")


def _snap(version: str = "v1.30.2", **meta: Any) -> Snapshot:
    docs = [d for d in yaml.safe_load_all(SCENARIO.read_text()) if d]
    return Snapshot.from_objects(docs, metadata={"serverVersion": {"gitVersion": version}, **meta})


@pytest.fixture(scope="module")
def rb() -> Any:
    return ks.assess(_snap()).rbac


def _steps(rb: Any) -> set[tuple[str, str, str]]:
    return {(s.source, s.technique, s.target) for s in rb.steps}


def test_registered_and_options_listed() -> None:
    assert set(OPTIONS) <= set(ks.all_options())
    a = ks.assess(_snap())
    # a.risky_subjects is the RBAC ranking re-ranked by the attack graph's crown jewels (issue 10)
    assert set(a.rbac.risky_subjects["subject"]) <= set(a.risky_subjects["subject"])
    assert list(a.rbac.risky_subjects.columns) == list(a.risky_subjects.columns)[:len(a.rbac.risky_subjects.columns)]


def test_can_explains_aggregated_role(rb: Any) -> None:
    d = rb.can("ServiceAccount:shop:web", "get", "widgets.example.io", "shop")
    assert d and d.reasons[0].role == "ClusterRole/view" and d.reasons[0].binding == "RoleBinding/shop/web-view"
    assert "rules[" in d.why[0]
    assert rb.objects.clusterroles["view"].aggregation == "computed"
    assert rb.objects.clusterroles["view"].aggregated_from == ("pods-view", "widgets-view")


def test_can_reports_bindings_to_missing_roles(rb: Any) -> None:
    d = rb.can("User:bob", "delete", "pods", "dev")
    assert not d and d.dangling and "does-not-exist" in d.dangling[0]
    assert "DENIED" in str(d) and "does not exist" in str(d)


def test_permissions_expand_implicit_groups(rb: Any) -> None:
    p = rb.permissions
    assert list(p.columns[:7]) == ["subject", "subject_kind", "scope", "verb", "apiGroup", "resource",
                                   "resourceNames"]
    web = p[p["subject"] == "ServiceAccount:shop:web"]
    assert set(web["via"]) == {"ServiceAccount:shop:web", "Group:system:authenticated"}
    assert ((web["scope"] == "cluster") & (web["resource"] == "pods") & (web["verb"] == "list")).any()
    masters = p[(p["subject"] == "User:ops") & (p["binding"] == "(system:masters)")]
    assert len(masters) == 2  # '*' on everything and the '*' URL, from the aws-auth mapping
    ordered = p.sort_values(["subject", "scope", "apiGroup", "resource", "verb", "binding", "rule_index"])
    assert ordered.index.equals(p.index)


def test_who_can_lists_group_members_and_masters(rb: Any) -> None:
    w = rb.who_can("get", "pods", "shop")
    alice = w[w["subject"] == "User:alice"]
    assert list(alice["via"]) == ["Group:system:authenticated"]
    assert {"Group:system:masters", "User:ops"} <= set(w["subject"])
    compact = rb.who_can("get", "pods", "shop", expand_groups=False)
    assert "User:alice" not in set(compact["subject"])
    assert w.attrs["request"] == "get pods (group core) in namespace shop"


def test_escalation_steps(rb: Any) -> None:
    steps = _steps(rb)
    expected = {
        ("sa:dev/ci", "legacy-token-read", "sa:kube-system/admin-bot"),
        ("sa:kube-system/admin-bot", "rbac-grant", "cluster-admin"),
        ("group:oncall", "impersonate", "group:system:masters"),
        ("group:system:masters", "system-masters", "cluster-admin"),
        ("sa:shop/default", "nodes-proxy", "pod:*/*"),
        ("pod:*/*", "any-namespace", "pod:kube-system/*"),
        ("pod:kube-system/*", "runs-as", "sa:kube-system/admin-bot"),
        ("user:alice", "pod-create", "sa:shop/*"),
        ("sa:shop/*", "choose-sa", "sa:shop/deployer"),
        ("user:carol", "rbac-bind", "namespace-admin:dev"),
        ("sa:shop/deployer", "irsa", "cloud:aws:arn:aws:iam::111122223333:role/shop-deployer"),
        ("cloud:aws:arn:aws:iam::111122223333:role/ops", "aws-auth", "user:ops"),
        ("user:ops", "member-of", "group:system:masters"),
        ("user:oncall-user", "member-of", "group:oncall"),
        ("sa:shop/deployer", "rbac-grant", "secret:shop/db"),
    }
    assert expected <= steps, expected - steps
    # nothing to gain: a service account creating pods in its own namespace is not a step to itself
    assert all(s.source != s.target for s in rb.steps)
    step = next(s for s in rb.steps if s.technique == "legacy-token-read")
    assert isinstance(step, Step) and any("admin-bot-token" in e.object for e in step.evidence)
    with pytest.raises(AttributeError):
        step.target = "x"  # type: ignore[misc]


def test_escalation_paths(rb: Any) -> None:
    e = rb.escalations
    row = e[(e["subject"] == "ServiceAccount:dev:ci") & (e["target"] == "cluster-admin")].iloc[0]
    assert row["hops"] == 2 and not row["direct"]
    assert row["techniques"] == "legacy-token-read → rbac-grant"
    direct = e[(e["subject"] == "ServiceAccount:kube-system:admin-bot")].iloc[0]
    assert direct["direct"] and direct["hops"] == 1
    alice = e[e["subject"] == "User:alice"].iloc[0]
    assert alice["target"] == "cluster-admin" and alice["path"].startswith("user:alice → [pod-create] sa:shop/*")
    # members reaching it only through a group are left to the group's row
    assert "User:oncall-user" not in set(e["subject"]) and "Group:oncall" in set(e["subject"])


def test_reach_follows_groups(rb: Any) -> None:
    r = rb.reach("User:oncall-user")
    row = r[r["target"] == "cluster-admin"].iloc[0]
    assert row["path"].startswith("user:oncall-user → [member-of] group:oncall → [impersonate] group:system:masters")
    assert rb.reach("cloud:aws:arn:aws:iam::111122223333:role/ops")["target"].tolist()[0] == "cluster-admin"
    assert rb.reach("User:nobody").empty


def test_risky_subjects_ranked(rb: Any) -> None:
    r = rb.risky_subjects
    assert list(r.columns[:3]) == ["subject", "subject_kind", "score"]
    top = r[r["platform"] == ""]
    assert top["score"].is_monotonic_decreasing
    assert {"Group:oncall", "ServiceAccount:kube-system:admin-bot", "User:alice"} <= set(r["subject"])
    assert r[r["subject"] == "ServiceAccount:kube-system:admin-bot"]["reaches_cluster_admin"].item()


def test_cloud_identities_both_directions(rb: Any) -> None:
    c = rb.cloud_identities
    assert set(c["direction"]) == {"k8s→cloud", "cloud→k8s"}
    ops = c[c["kubernetes"] == "User:ops"].iloc[0]
    assert ops["groups"] == "system:masters" and ops["mechanism"] == "aws-auth mapRoles"
    assert rb.groups_of("User:oncall-user")[-1] == "oncall"


def test_findings_have_evidence() -> None:
    f = ks.assess(_snap()).findings
    rbac = f[f["check_id"].str.startswith("RBAC-") & (f["status"] == "fail")]
    assert not rbac.empty and (rbac["evidence"] != "").all()
    assert {"RBAC-ESCALATE-CLUSTER-ADMIN", "RBAC-AWS-AUTH-MASTERS", "RBAC-MISSING-ROLE", "RBAC-NODES-PROXY",
            "RBAC-CLOUD-IDENTITY", "RBAC-PUBLIC-BINDING"} <= set(rbac["check_id"])
    assert "SEC-LEGACY-SA-TOKEN" in set(f.loc[f["status"] == "fail", "check_id"])  # its one check, in workloads
    text = f.to_json()
    assert "c2VjcmV0" not in text  # the planted secret value never reaches a finding


def test_exec_via_get_follows_version() -> None:
    old = analyze(Model(_snap("v1.34.1")))
    new = analyze(Model(_snap("v1.35.0")))
    assert old.exec_via_get and not new.exec_via_get
    assert analyze(Model(_snap("v1.35.0")), exec_via_get=True).exec_via_get
    assert "before Kubernetes 1.35" in " ".join(old.can("User:x", "create", "pods/exec", "shop", "web").why)


def test_idp_groups_option() -> None:
    rb = analyze(Model(_snap()), idp_groups={"dana": ["oncall"]})
    assert "oncall" in rb.groups_of("User:dana")
    assert rb.can("User:dana", "impersonate", "groups", name="system:masters")
    plain = analyze(Model(_snap()))
    assert not plain.can("User:dana", "impersonate", "groups", name="system:masters")


def test_anonymous_and_gke_public_groups() -> None:
    rb = analyze(Model(_snap()), gke_authenticated_public=True)
    assert rb.public_groups == {"system:unauthenticated", "system:authenticated"}
    closed = analyze(Model(_snap()), anonymous_auth=False)
    assert "User:system:anonymous" not in closed.principals.principals
    assert analyze(Model(_snap(provider="gke"))).public_groups >= {"system:authenticated"}


def test_namespace_admin_option() -> None:
    wildcard = analyze(Model(_snap()), rbac_namespace_admin="wildcard")
    assert ("user:carol", "rbac-bind", "namespace-admin:dev") in _steps(wildcard)


@pytest.mark.parametrize(("option", "value"), [("exec_via_get", "yes"), ("idp_groups", {"a": "b"}),
                                               ("eks_auth_mode", "IAM"), ("csr_signer_mints_masters", "yes"),
                                               ("nope", 1)])
def test_option_errors(option: str, value: Any) -> None:
    with pytest.raises(OptionError):
        analyze(Model(Snapshot()), **{option: value})


def test_missing_rbac_is_not_assessed() -> None:
    snap = Snapshot.from_objects([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}])
    a = ks.assess(snap)
    assert a.rbac.missing
    d = a.rbac.can("User:x", "get", "pods", "a")
    assert not d and not d.assessed and "NOT ASSESSED" in str(d)
    assert a.rbac.permissions.attrs["missing"]
    f = a.findings
    rows = f[f["check_id"] == "RBAC-SECRETS-READ"]
    assert list(rows["status"]) == ["not_assessed"]


def test_platform_findings_option() -> None:
    """Grants made only by platform-managed bindings follow the one platform_findings rule."""
    masters = "Group:system:masters"

    def row(mode: str) -> pd.DataFrame:
        f = ks.assess(_snap(), platform_findings=mode).findings
        return f[(f["check_id"] == "RBAC-CLUSTER-ADMIN") & (f["subject"] == masters)]

    assert list(row("keep")["severity"]) == ["critical"]
    info = row("info")
    assert list(info["severity"]) == ["info"] and "[platform-managed: Kubernetes bootstrap default]" in info["message"].iloc[0]
    assert row("hide").empty


def test_tables_are_deterministic() -> None:
    a, b = ks.assess(_snap()).rbac, ks.assess(_snap()).rbac
    for name in ("permissions", "risky", "steps_frame", "escalations", "risky_subjects", "cloud_identities"):
        left, right = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(left.astype(str), right.astype(str))
