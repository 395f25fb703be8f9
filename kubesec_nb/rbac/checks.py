"""The RBAC checks, registered in the shared registry, run over :class:`RbacAnalysis`.

One check per catalog rule (:data:`~kubesec_nb.rbac.catalog.CATALOG`, a family sharing one run
function) reports one finding per subject and scope (:attr:`RbacAnalysis.risky_grants`); the
others read bindings, escalation paths, cloud identities and Secrets. Grants made only by
platform-managed bindings (Kubernetes bootstrap roles, system controllers, the provider's
components) carry ``Finding.platform``: the runner applies the ``platform_findings`` option.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from kubesec_nb.checks import Evidence, Finding, NotAssessed, check
from kubesec_nb.identity import admin_namespace, any_service_account
from kubesec_nb.rbac.analysis import RbacAnalysis
from kubesec_nb.rbac.catalog import API, CATALOG, IAM, RBAC, SA, CatalogRule
from kubesec_nb.rbac.cloud import ADMIN_POLICY, CLUSTER_ADMIN_POLICY
from kubesec_nb.rbac.escalation import TOKEN_THEFT
from kubesec_nb.rbac.objects import RBAC_RESOURCES, BindingRecord, SubjectRef
from kubesec_nb.rbac.subjects import ANONYMOUS, AUTHENTICATED, MASTERS, SERVICEACCOUNTS, UNAUTHENTICATED, group, user

A = "rbac"
_KS = "kubescape"

#: Default roles the bootstrap policy binds to the broad groups; binding them is expected.
SAFE_PUBLIC_ROLES = frozenset({
    "ClusterRole/system:public-info-viewer", "ClusterRole/system:discovery", "ClusterRole/system:basic-user",
    "ClusterRole/system:service-account-issuer-discovery", "Role/kube-public/kubeadm:bootstrap-signer-clusterinfo",
    "Role/kube-public/system:controller:bootstrap-signer",
})
#: Binding subjects (principal keys) that stand for everyone of a broad class.
_PUBLIC_KEYS = {user(ANONYMOUS).key: "anonymous requests", group(UNAUTHENTICATED).key: "unauthenticated requests",
                group(AUTHENTICATED).key: "every authenticated user",
                group(SERVICEACCOUNTS).key: "every service account"}


def _where(scope: str) -> str:
    return "cluster-wide" if scope == "cluster" else f"in namespace {scope}"


def _subject_finding(b: BindingRecord, s: SubjectRef, message: str, platform: str | None,
                     severity: str | None = None) -> Finding:
    """A finding on one subject of a binding: the subject and the roleRef are the evidence."""
    return Finding(namespace=b.namespace or None, kind=b.kind, name=b.name, subject=s.written,
                   evidence=(Evidence(b.ref, f"subjects[{s.index}]", s.written),
                             Evidence(b.ref, "roleRef", b.role_ref)),
                   message=message, platform=platform, severity=severity)


# ---- one check per catalog rule ---------------------------------------------------------------
def _permission(rule: CatalogRule, rb: RbacAnalysis) -> Iterator[Finding]:
    for r in rb.risky_by_rule.get(rule.id, ()):
        where = "" if r.scope in rule.namespaces else f" {_where(r.scope)}"
        pub = " [group anyone can join]" if r.public else ""
        yield Finding(namespace=None if r.scope == "cluster" else r.scope, kind=r.subject_kind, name=r.identity.ref,
                      subject=r.subject, evidence=r.evidence, severity=r.severity, platform=r.platform,
                      message=f"{r.subject} can {rule.condition}{where} (through {r.needs_text}){pub}")


for _rule in CATALOG:
    check(**_rule.meta, analyzer=A, requires=RBAC_RESOURCES)(partial(_permission, _rule))


# ---- checks computed from bindings ------------------------------------------------------------
@check("RBAC-PUBLIC-BINDING", title="Role bound to anonymous, unauthenticated or all authenticated users",
       cis=("CIS GKE 4.1.8", "CIS GKE 4.1.9", "CIS GKE 4.1.10"),
       severity="high", category=API, analyzer=A, requires=RBAC_RESOURCES,
       remediation="Remove the binding; only the default discovery roles belong to these groups.",
       references=(f"{_KS} C-0265", "krane unauthenticated-subject-access", "KubiScan #70"),
       description="a binding names system:anonymous, system:unauthenticated, system:authenticated or "
                   "system:serviceaccounts, other than the default discovery roles; critical when the role is risky")
def _public_binding(rb: RbacAnalysis) -> Iterator[Finding]:
    severe_by: dict[tuple[str, str], set[str]] = {}  # (principal key, binding) → severe catalog rules it grants
    for r in rb.risky_grants:
        if r.identity.key in _PUBLIC_KEYS and r.severity in ("critical", "high"):
            for binding in r.bindings:
                severe_by.setdefault((r.identity.key, binding), set()).add(r.check_id)
    for b in rb.objects.bindings:
        for s in b.subjects:
            who = _PUBLIC_KEYS.get(s.key or "")
            if who is None or s.identity is None or b.role_ref in SAFE_PUBLIC_ROLES:
                continue
            role = rb.objects.role_of(b)
            severe = sorted(severe_by.get((s.identity.key, b.ref), ()))
            public = s.identity.name in rb.public_groups or s.identity.name == ANONYMOUS
            sev = "critical" if (severe or (public and role is not None and role.rules)) else "high"
            plat = b.platform if (b.platform and (role is None or role.platform)) else None
            extra = f"; grants {', '.join(severe)}" if severe else ""
            gke = " (on GKE: any Google account)" if s.identity.name == AUTHENTICATED and public else ""
            yield _subject_finding(b, s, f"{b.ref} grants {b.role_ref} to {who}{gke}{extra}", plat, sev)


@check("RBAC-DEFAULT-SA-BOUND", title="Default service account bound to a role", severity="medium",
       cis=("CIS Kubernetes 5.1.5", "CIS GKE 4.1.4", "CIS EKS 4.1.5", "CIS AKS 4.1.5"),
       category=SA, analyzer=A, requires=RBAC_RESOURCES,
       remediation="Give each workload its own service account; bind nothing to 'default'.",
       references=(f"{_KS} C-0225/C-0239",), description="a binding names the 'default' service account of a namespace")
def _default_sa(rb: RbacAnalysis) -> Iterator[Finding]:
    for b in rb.objects.bindings:
        for s in b.subjects:
            if s.identity is not None and s.identity.kind == "ServiceAccount" and s.identity.name == "default":
                msg = (f"{b.ref} binds {b.role_ref} to {s.written}; every pod that does not name a service "
                       "account gets it")
                yield _subject_finding(b, s, msg, b.platform)


@check("RBAC-MISSING-ROLE", title="Binding to a role that does not exist", severity="medium", category=RBAC,
       analyzer=A, requires=RBAC_RESOURCES,
       remediation="Delete the binding, or create the intended role deliberately: whoever can create that role "
                   "activates the binding.",
       references=("krane subjects-with-non-existing-roles",),
       description="roleRef names a Role or ClusterRole absent from the cluster")
def _missing_role(rb: RbacAnalysis) -> Iterator[Finding]:
    for b in rb.objects.dangling:
        subjects = ", ".join(s.written for s in b.subjects) or "no subjects"
        yield Finding(namespace=b.namespace or None, kind=b.kind, name=b.name, subject=subjects, platform=b.platform,
                      evidence=(Evidence(b.ref, "roleRef", f"{b.role_ref} (not found)"),),
                      message=f"{b.ref} names {b.role_ref}, which does not exist: it grants nothing until someone "
                              f"creates it, then {subjects} get whatever that role holds")


# ---- escalation -----------------------------------------------------------------------------
def _escalate(to_cluster_admin: bool, rb: RbacAnalysis) -> Iterator[Finding]:
    for e in rb.escalation_paths:
        if e.to_cluster_admin != to_cluster_admin or e.direct:
            continue
        evidence = tuple(Evidence(f"step {i + 1}: {s}", ev.field, f"{ev.object}: {ev.value}" if ev.value else ev.object)
                         for i, s in enumerate(e.steps) for ev in s.evidence[:4])
        yield Finding(namespace=admin_namespace(e.target), kind=rb.subject_kind(e.subject), name=e.node,
                      subject=e.subject, evidence=evidence, platform=e.platform,
                      message=f"{e.subject} reaches {e.target} in {e.hops} step(s): {e.path}")


_TECHNIQUES = ("impersonation, bind/escalate (RoleBindings in every namespace too), pod creation as a stronger "
               "service account, exec, attach, ephemeral containers and image patches into running pods that mount a "
               "token, TokenRequest, legacy token secrets, CSR signing, nodes/proxy, aws-auth")
#: The two escalation checks: (reaches cluster-admin?, check metadata).
ESCALATION_CHECKS: tuple[tuple[bool, dict[str, Any]], ...] = (
    (True, {"id": "RBAC-ESCALATE-CLUSTER-ADMIN", "title": "Can escalate to cluster-admin", "severity": "critical",
            "references": ("KubeHound criticalPaths", "IceKube attack paths"),
            "description": f"a chain of RBAC techniques ({_TECHNIQUES}) reaches cluster-admin"}),
    (False, {"id": "RBAC-ESCALATE-NAMESPACE-ADMIN", "title": "Can escalate to namespace admin", "severity": "high",
             "references": ("KubeHound criticalPaths",),
             "description": "a chain of RBAC techniques reaches namespace-admin of a namespace the subject does not "
                            "administer"}),
)
for _to_cluster, _meta in ESCALATION_CHECKS:
    check(**_meta, category=RBAC, analyzer=A, requires=RBAC_RESOURCES,
          remediation="Break the first step of the path shown in the evidence.")(partial(_escalate, _to_cluster))


# ---- cloud identities -------------------------------------------------------------------------
@check("RBAC-AWS-AUTH-MASTERS", title="aws-auth maps an IAM identity to system:masters", severity="critical",
       cis=("CIS Kubernetes 5.1.7",),
       category=IAM, analyzer=A, requires=("configmaps",),
       remediation="Map IAM roles to named groups bound to narrow roles; use EKS access entries and policies.",
       references=("IceKube UPDATE_AWS_AUTH",),
       description="kube-system/aws-auth mapRoles or mapUsers lists group system:masters")
def _aws_masters(rb: RbacAnalysis) -> Iterator[Finding]:
    cm = rb.model.configmap("kube-system", "aws-auth")
    if cm is None and rb.model.provider != "eks":
        raise NotAssessed("no kube-system/aws-auth ConfigMap and the provider is not EKS")
    for m in rb.cloud_mappings:
        if m.source.startswith("aws-auth") and m.masters:
            note = "" if m.honoured else f" (ignored while the authentication mode is {rb.eks_auth_mode})"
            yield Finding(namespace="kube-system", kind="ConfigMap", name="aws-auth", subject=m.principal,
                          evidence=m.evidence, message=f"{m.principal} authenticates as {m.username} in "
                                                       f"{MASTERS}: unrestricted cluster admin{note}",
                          severity=None if m.honoured else "low")


@check("RBAC-EKS-ACCESS-ENTRY-ADMIN", title="EKS access entry grants cluster administration", severity="high",
       cis=("CIS EKS 4.1.1",),
       category=IAM, analyzer=A,
       remediation="Grant AmazonEKSClusterAdminPolicy only to break-glass roles; use namespace-scoped policies.",
       description="an access entry has AmazonEKSClusterAdminPolicy, a cluster-scoped AmazonEKSAdminPolicy, or group "
                   "system:masters")
def _access_entries(rb: RbacAnalysis) -> Iterator[Finding]:
    if rb.model.snapshot.attachment("eks-access-entries") is None:
        raise NotAssessed("no eks-access-entries attachment (aws eks list-access-entries / describe-access-entry)")
    for m in rb.cloud_mappings:
        if m.source != "EKS access entry":
            continue
        why = [f"{p} ({s})" for p, s in m.policies
               if p == CLUSTER_ADMIN_POLICY or (p == ADMIN_POLICY and s == "cluster")]
        if m.masters:
            why.append(f"group {MASTERS}")
        if why:
            yield Finding(kind="AccessEntry", name=m.principal, subject=m.principal, evidence=m.evidence,
                          message=f"{m.principal} has {', '.join(why)}",
                          severity=None if m.honoured else "low")


@check("RBAC-CLOUD-IDENTITY", title="Service account linked to a cloud identity", severity="info",
       category="Cloud Secret Management", analyzer=A, requires=("serviceaccounts",),
       remediation="Check that the cloud role is least-privilege and its trust is limited to this service account.",
       references=("rbac-police providerIAM",),
       description="IRSA, GKE Workload Identity or AKS Workload Identity annotation on a service account")
def _cloud_identity(rb: RbacAnalysis) -> Iterator[Finding]:
    for link in rb.cloud_links:
        sa = link.identity
        yield Finding(namespace=sa.namespace, kind="ServiceAccount", name=sa.name, subject=sa.subject,
                      evidence=link.evidence,
                      message=f"{link.service_account} → {link.cloud} ({link.mechanism}; "
                              f"{'used by ' + ', '.join(link.pods) if link.pods else 'no running pod uses it'})")


@check("RBAC-CLOUD-IDENTITY-EXPOSED", title="Cloud identity reachable by other Kubernetes subjects", severity="high",
       category=IAM, analyzer=A, requires=("serviceaccounts", *RBAC_RESOURCES),
       remediation="Restrict pod creation, token minting and impersonation in the namespace of the linked service "
                   "account.",
       description="a subject other than the linked service account can obtain its token (pod creation, "
                   "TokenRequest, impersonation, exec, image patches, legacy token secret, CSR signing)")
def _cloud_exposed(rb: RbacAnalysis) -> Iterator[Finding]:
    incoming: dict[str, list[tuple[str, str]]] = {}
    platform = rb.platform_nodes  # platform controllers that create pods are not counted
    for s in rb.steps:
        if s.technique in TOKEN_THEFT and s.source not in platform:
            incoming.setdefault(s.target, []).append((s.source, s.technique))
    for link in rb.cloud_links:
        sa = link.identity
        node = sa.node_id
        # a pod creator of the namespace (or of every namespace) picks any service account there
        who = sorted({*incoming.get(node, []), *incoming.get(any_service_account(sa.namespace), []),
                      *incoming.get(any_service_account(None), [])})
        if not who:
            continue
        ev = (*link.evidence, *(Evidence(src, tech, f"obtains {node}") for src, tech in who))
        by_source: dict[str, list[str]] = {}
        for src, tech in who:
            by_source.setdefault(src, []).append(tech)
        listed = "; ".join(f"{src} ({', '.join(t)})" for src, t in list(by_source.items())[:10])
        more = f"; and {len(by_source) - 10} more" if len(by_source) > 10 else ""
        yield Finding(namespace=sa.namespace, kind="ServiceAccount", name=sa.name, subject=sa.subject,
                      evidence=ev, message=f"{len(by_source)} subject(s) can act as {link.service_account} and so "
                                           f"as {link.cloud}: {listed}{more}")
