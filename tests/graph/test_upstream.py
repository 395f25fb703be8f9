"""Escalation semantics checked end to end through the attack graph (issue 10, item 2).

The RBAC analyzer owns these steps (``kubesec_nb/rbac/escalation.py``); these tests state the upstream
behaviour end to end, through the attack graph. Scenario: ``scenarios/upstream.yaml``.
"""

from __future__ import annotations

import pytest

from kubesec_nb.assessment import Assessment
from tests.graph.conftest import edges, route, scenario


@pytest.fixture(scope="module")
def a(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    return scenario("upstream", tmp=tmp_path_factory.mktemp("upstream"))


def test_group_impersonation_alone_gives_nothing(a: Assessment) -> None:
    # https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation:
    # "Impersonate-Group ... Requires Impersonate-User"; the impersonation filter
    # (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go) rejects groups without a user, and checks
    # each impersonated identity on its own.
    assert route(a, "user:imp", "cluster-admin") is None
    assert not [e for e in edges(a, "impersonate") if e[0] == "user:imp"]


def test_job_update_is_not_pod_creation(a: Assessment) -> None:
    # pkg/apis/batch/validation ValidateJobUpdate: spec.template is immutable once the Job exists.
    assert not [e for e in edges(a, "pod-create") if e[0] == "user:jobber"]
    assert route(a, "user:jobber", "sa:batch/strong") is None


def test_deployment_update_is_pod_creation(a: Assessment) -> None:
    assert ("user:deployer", "pod-create", "sa:batch/*") in edges(a)
    assert route(a, "user:deployer", "cluster-admin") == ["user:deployer", "sa:batch/*", "sa:batch/strong",
                                                          "cluster-admin"]


def test_cluster_wide_rolebinding_creation_with_bind(a: Assessment) -> None:
    # RBAC: a RoleBinding may reference a ClusterRole; creating one needs create rolebindings in the namespace
    # and bind on the ClusterRole (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-
    # role-binding-creation-or-update). Granted cluster-wide, that is every namespace.
    for ns in ("shop", "batch"):
        assert route(a, "user:rbw", f"namespace-admin:{ns}") is not None, ns


def test_csr_signing_under_certificate_subject_restriction(a: Assessment) -> None:
    # plugin/pkg/admission/certificates/subjectrestriction (CertificateSubjectRestriction, on by default):
    # rejects kube-apiserver-client CSRs whose organization is system:masters.
    assert ("user:csr", "csr-sign", "group:system:masters") not in edges(a)
    assert ("user:csr", "csr-sign", "user:root") in edges(a)


def test_pod_patch_is_an_escalation_step(a: Assessment) -> None:
    # pkg/apis/core/validation ValidatePodUpdate: spec.containers[*].image may change on a running pod.
    found = a.paths("user:patcher", "cluster-admin")
    assert found and found[0].steps[0].technique == "pod-patch"
    assert "sa:shop/runner" in found[0].nodes
