"""Escalation semantics against upstream behaviour, one small cluster per technique.

Each test's docstring names the upstream source of the rule it encodes. Expected steps and
non-steps are written by hand from those sources, not from this package's output.
"""

from __future__ import annotations

from typing import Any

from kubesec_nb.model import Model
from kubesec_nb.rbac import analyze
from kubesec_nb.snapshot import Snapshot

RBAC = "rbac.authorization.k8s.io/v1"


def role(name: str, rules: list[tuple[list[str], list[str], list[str]]] | list[dict[str, Any]],
         ns: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **({"namespace": ns} if ns else {})}
    out = [r if isinstance(r, dict) else {"apiGroups": r[0], "resources": r[1], "verbs": r[2]} for r in rules]
    return {"apiVersion": RBAC, "kind": "Role" if ns else "ClusterRole", "metadata": meta, "rules": out}


def bind(name: str, role_name: str, subjects: list[tuple[str, str]], ns: str | None = None,
         role_kind: str = "ClusterRole") -> dict[str, Any]:
    subs = []
    for kind, who in subjects:
        if kind == "ServiceAccount":
            sns, _, sname = who.partition("/")
            subs.append({"kind": kind, "name": sname, "namespace": sns})
        else:
            subs.append({"kind": kind, "name": who})
    meta: dict[str, Any] = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": RBAC, "kind": "RoleBinding" if ns else "ClusterRoleBinding", "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
            "subjects": subs}


def ns(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def sa(ref: str, **extra: Any) -> dict[str, Any]:
    n, _, name = ref.partition("/")
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": n}, **extra}


def pod(ref: str, account: str, phase: str | None = "Running", node: str = "n1", **spec: Any) -> dict[str, Any]:
    n, _, name = ref.partition("/")
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": n},
                           "spec": {"serviceAccountName": account, "nodeName": node,
                                    "containers": [{"name": "c", "image": "app:1",
                                                    "volumeMounts": spec.pop("mounts", [])}], **spec}}
    if phase:
        out["status"] = {"phase": phase, "podIP": "10.0.0.9"}
    return out


ADMIN = role("cluster-admin", [(["*"], ["*"], ["*"])])
PROD_ADMIN = bind("prod-admin", "cluster-admin", [("ServiceAccount", "prod/admin")])  # an account worth stealing


def steps(objs: list[dict[str, Any]], **options: Any) -> set[tuple[str, str, str]]:
    snap = Snapshot.from_objects([ns("prod"), ns("dev"), ADMIN, sa("prod/admin"), PROD_ADMIN, *objs],
                                 metadata={"serverVersion": {"gitVersion": "v1.31.0"}})
    rb = analyze(Model(snap), **options)
    return {(s.source, s.technique, s.target) for s in rb.steps}


def reaches(objs: list[dict[str, Any]], subject: str, target: str = "cluster-admin", **options: Any) -> bool:
    snap = Snapshot.from_objects([ns("prod"), ns("dev"), ADMIN, sa("prod/admin"), PROD_ADMIN, *objs],
                                 metadata={"serverVersion": {"gitVersion": "v1.31.0"}})
    r = analyze(Model(snap), **options).reach(subject)
    return bool((r["target"] == target).any())


# ---- impersonation ------------------------------------------------------------------------------
def test_group_impersonation_alone_gives_nothing() -> None:
    """``Impersonate-Group`` without ``Impersonate-User`` is rejected: buildImpersonationRequests returns
    "requested ... without impersonating a user" (staging/src/k8s.io/apiserver/pkg/endpoints/filters/
    impersonation.go)."""
    objs = [role("imp-groups", [([""], ["groups"], ["impersonate"])]), bind("m", "imp-groups", [("User", "mallory")])]
    assert not any(t == "impersonate" for s, t, _ in steps(objs) if s == "user:mallory")
    assert not reaches(objs, "User:mallory")


def test_group_impersonation_with_a_user_or_service_account() -> None:
    """With a user (or a service account: ``impersonate serviceaccounts``, namespaced) the request carries
    the groups, each authorized separately (WithImpersonation checks every impersonation request)."""
    users = [role("imp", [([""], ["groups", "users"], ["impersonate"])]), bind("m", "imp", [("User", "mallory")])]
    assert ("user:mallory", "impersonate", "group:system:masters") in steps(users)
    with_sa = [role("imp-groups", [([""], ["groups"], ["impersonate"])]), bind("m", "imp-groups", [("User", "eve")]),
               role("imp-sa", [([""], ["serviceaccounts"], ["impersonate"])], ns="dev"),
               bind("e", "imp-sa", [("User", "eve")], ns="dev", role_kind="Role"), sa("dev/builder")]
    assert ("user:eve", "impersonate", "group:system:masters") in steps(with_sa)
    limited = [role("imp", [{"apiGroups": [""], "resources": ["groups"], "verbs": ["impersonate"],
                             "resourceNames": ["auditors"]}, ([""], ["users"], ["impersonate"])]),
               bind("m", "imp", [("User", "mallory")])]
    got = steps(limited)
    assert ("user:mallory", "impersonate", "group:auditors") in got
    assert ("user:mallory", "impersonate", "group:system:masters") not in got


def test_impersonated_user_does_not_keep_identity_provider_groups() -> None:
    """The impersonated user's groups are the ``Impersonate-Group`` headers, or ``system:authenticated``
    when none is given (WithImpersonation: ``if !groupsSpecified && username != user.Anonymous``); the
    identity provider's groups come from the authenticator, which never sees the impersonated user."""
    objs = [bind("admins", "cluster-admin", [("Group", "admins")]),
            role("imp-dana", [{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"],
                               "resourceNames": ["dana"]}]), bind("m", "imp-dana", [("User", "mallory")]),
            role("secret-reader", [([""], ["secrets"], ["list"])]), bind("dana", "secret-reader", [("User", "dana")])]
    opts = {"idp_groups": {"dana": ["admins"]}}
    assert reaches(objs, "User:dana", **opts)  # dana herself, through her IdP group
    assert not reaches(objs, "User:mallory", **opts)  # impersonating dana does not give her IdP group
    got = steps(objs, **opts)
    assert ("user:mallory", "impersonate", "user:dana") not in got  # the node would follow dana's member-of
    assert ("user:mallory", "impersonate", "secrets:*") in got  # dana's own grant is kept
    assert ("user:mallory", "impersonate", "user:dana") in steps(objs)  # no IdP groups: the same identity


# ---- pod creation through controllers -------------------------------------------------------------
def test_job_update_is_not_pod_creation() -> None:
    """A Job's ``spec.template`` is immutable (ValidateJobSpecUpdate: ValidateImmutableField(spec.Template),
    pkg/apis/batch/validation/validation.go); CronJobs and the apps controllers accept template updates, and
    ``create jobs`` creates pods."""
    upd_jobs = [role("jobs", [(["batch"], ["jobs"], ["update", "patch"])], ns="prod"),
                bind("j", "jobs", [("User", "jo")], ns="prod", role_kind="Role")]
    assert ("user:jo", "pod-create", "sa:prod/*") not in steps(upd_jobs)
    for verbs, resource, group in ((["create"], "jobs", "batch"), (["patch"], "cronjobs", "batch"),
                                   (["update"], "deployments", "apps"), (["patch"], "daemonsets", "apps"),
                                   (["update"], "replicationcontrollers", "")):
        objs = [role("w", [([group], [resource], verbs)], ns="prod"),
                bind("w", "w", [("User", "jo")], ns="prod", role_kind="Role")]
        assert ("user:jo", "pod-create", "sa:prod/*") in steps(objs), resource


# ---- tokens of running pods -----------------------------------------------------------------------
EXEC = [role("exec", [([""], ["pods/exec"], ["create"])], ns="prod"),
        bind("x", "exec", [("User", "xe")], ns="prod", role_kind="Role")]


def _exec_targets(pods: list[dict[str, Any]], rbac: list[dict[str, Any]] = EXEC) -> set[str]:
    got = steps([*rbac, *pods])
    return {t for s, tech, t in got if s in ("pod:prod/*", "pod:*/*") and tech == "runs-as"}


def test_exec_needs_a_running_pod_that_mounts_a_token() -> None:
    """exec and attach reach a container only while it runs (kubelet), and yield the service-account
    token only where one is mounted: the ServiceAccount admission plugin mounts it unless
    ``automountServiceAccountToken`` is false on the pod, else on the ServiceAccount
    (plugin/pkg/admission/serviceaccount); a projected ``serviceAccountToken`` volume mounts one anyway,
    but a token with another audience (IRSA's sts.amazonaws.com) is rejected by the API server."""
    assert _exec_targets([pod("prod/a", "admin")]) == {"sa:prod/admin"}
    for phase in ("Succeeded", "Failed", "Pending"):
        assert _exec_targets([pod("prod/a", "admin", phase=phase)]) == set(), phase
    assert _exec_targets([pod("prod/a", "admin", automountServiceAccountToken=False)]) == set()
    no_sa_mount = [sa("prod/admin", automountServiceAccountToken=False), pod("prod/a", "admin")]
    assert _exec_targets(no_sa_mount) == set()
    projected = {"name": "tok", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}
    assert _exec_targets([pod("prod/a", "admin", automountServiceAccountToken=False, volumes=[projected],
                              mounts=[{"name": "tok", "mountPath": "/t"}])]) == {"sa:prod/admin"}
    aud = {"name": "tok", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "audience": "vault"}}]}}
    assert _exec_targets([pod("prod/a", "admin", automountServiceAccountToken=False, volumes=[aud],
                              mounts=[{"name": "tok", "mountPath": "/t"}])]) == set()
    legacy = [{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
               "metadata": {"name": "admin-token", "namespace": "prod",
                            "annotations": {"kubernetes.io/service-account.name": "admin"}}},
              sa("prod/web"), pod("prod/w", "web", automountServiceAccountToken=False,
                                  volumes=[{"name": "t", "secret": {"secretName": "admin-token"}}],
                                  mounts=[{"name": "t", "mountPath": "/t"}])]
    assert _exec_targets(legacy) == {"sa:prod/admin"}


def test_ephemeral_containers_and_named_exec_follow_the_same_rule() -> None:
    """Ephemeral containers are added to running pods only (pods/ephemeralcontainers), and resourceNames
    limit exec to the named pods (ResourceNameMatches on the pod name)."""
    eph = [role("eph", [([""], ["pods/ephemeralcontainers"], ["patch"])], ns="prod"),
           bind("e", "eph", [("User", "xe")], ns="prod", role_kind="Role")]
    assert _exec_targets([pod("prod/a", "admin", phase="Succeeded")], eph) == set()
    assert ("user:xe", "pod-exec", "pod:prod/*") in steps([*eph, pod("prod/a", "admin")])
    named = [role("exec", [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"],
                            "resourceNames": ["a", "b"]}], ns="prod"),
             bind("x", "exec", [("User", "xe")], ns="prod", role_kind="Role")]
    got = steps([*named, pod("prod/a", "admin"), pod("prod/b", "admin", phase="Succeeded")])
    assert ("user:xe", "pod-exec", "sa:prod/admin") in got
    assert not any(s == "user:xe" and t.startswith("pod:") for s, _, t in got)
    assert ("user:xe", "pod-exec", "sa:prod/admin") not in steps([*named, pod("prod/b", "admin", phase="Failed")])


def test_nodes_proxy_reaches_running_pods_with_tokens_on_the_node() -> None:
    """``nodes/proxy`` reaches the kubelet API, which execs into the pods running on that node (kubelet
    server: /exec, /run); only running containers that mount a token give one."""
    proxy = [role("proxy", [{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"],
                             "resourceNames": ["n1"]}]), bind("p", "proxy", [("User", "mon")])]
    assert ("user:mon", "nodes-proxy", "sa:prod/admin") in steps([*proxy, pod("prod/a", "admin")])
    assert ("user:mon", "nodes-proxy", "sa:prod/admin") not in steps([*proxy, pod("prod/a", "admin", node="n2")])
    assert ("user:mon", "nodes-proxy", "sa:prod/admin") not in steps(
        [*proxy, pod("prod/a", "admin", automountServiceAccountToken=False)])


def test_pod_patch_is_a_step_into_the_pods_identity() -> None:
    """update/patch on pods may replace ``spec.containers[*].image`` of a running pod (ValidatePodUpdate
    in pkg/apis/core/validation/validation.go lets only images and a few fields change): the new image runs
    with the token the pod mounts."""
    patch = [role("patch", [([""], ["pods"], ["patch"])], ns="prod"),
             bind("p", "patch", [("User", "pat")], ns="prod", role_kind="Role")]
    got = steps([*patch, pod("prod/a", "admin")])
    assert ("user:pat", "pod-patch", "pod:prod/*") in got and ("pod:prod/*", "runs-as", "sa:prod/admin") in got
    assert reaches([*patch, pod("prod/a", "admin")], "User:pat")
    assert not reaches([*patch, pod("prod/a", "admin", phase="Succeeded")], "User:pat")


# ---- bindings -----------------------------------------------------------------------------------
def test_cluster_wide_rolebinding_creation_binds_a_clusterrole_everywhere() -> None:
    """``create rolebindings`` granted by a ClusterRoleBinding applies in every namespace, and ``bind`` on a
    ClusterRole is checked in the namespace of the RoleBinding being written
    (pkg/registry/rbac/rolebinding/policybased: BindingAuthorized with the binding's namespace), so the
    subject can hold that role in every namespace."""
    objs = [role("binder", [(["rbac.authorization.k8s.io"], ["rolebindings"], ["create"]),
                            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                             "verbs": ["bind"], "resourceNames": ["admin"]}]),
            role("admin", [(["*"], ["*"], ["*"])]), bind("b", "binder", [("User", "bo")])]
    got = steps(objs)
    assert {("user:bo", "rbac-bind", "namespace-admin:prod"), ("user:bo", "rbac-bind", "namespace-admin:dev"),
            ("user:bo", "rbac-bind", "secrets:*"), ("user:bo", "rbac-bind", "sa:*/*")} <= got
    assert ("user:bo", "rbac-bind", "cluster-admin") not in got  # a RoleBinding never grants cluster scope
    no_bind = [role("binder", [(["rbac.authorization.k8s.io"], ["rolebindings"], ["create"])]),
               role("admin", [(["", "apps"], ["*"], ["*"])]), bind("b", "binder", [("User", "bo")])]
    assert not any(s == "user:bo" for s, _, _ in steps(no_bind))


# ---- certificates -------------------------------------------------------------------------------
CSR = [role("csr", [(["certificates.k8s.io"], ["certificatesigningrequests"], ["create"]),
                    (["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
                    {"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"],
                     "resourceNames": ["kubernetes.io/kube-apiserver-client"]}]),
       bind("c", "csr", [("User", "cert")]), bind("ops", "cluster-admin", [("Group", "ops-admins")])]


def test_csr_signing_cannot_mint_system_masters() -> None:
    """The CertificateSubjectRestriction admission plugin, on by default, rejects kube-apiserver-client CSRs
    whose organization is ``system:masters`` (plugin/pkg/admission/certificates/subjectrestriction/
    admission.go); a client certificate may still name any other user or group (x509 authenticator: CN is
    the user, O the groups), so it leads to the others bound to cluster-admin."""
    got = steps(CSR)
    assert ("user:cert", "csr-sign", "group:system:masters") not in got
    assert ("user:cert", "csr-sign", "group:ops-admins") in got
    assert reaches(CSR, "User:cert")
    assert ("user:cert", "csr-sign", "group:system:masters") in steps(CSR, csr_signer_mints_masters=True)
    alone = [*CSR[:2]]  # nobody but system:masters holds cluster-admin
    assert not any(t.startswith("group:") for s, tech, t in steps(alone) if s == "user:cert" and tech == "csr-sign")
