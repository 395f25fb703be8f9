"""The RBAC checks: one registered check per catalog entry, run over :class:`RbacAnalysis`.

Permission rules report one finding per subject and scope (see :attr:`RbacAnalysis.risky`);
the others read bindings, escalation paths, cloud identities and Secrets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from kubesec_nb.checks import Evidence, Finding, NotAssessed, check
from kubesec_nb.rbac.analysis import RbacAnalysis
from kubesec_nb.rbac.catalog import CATALOG, CATALOG_BY_ID, CatalogRule
from kubesec_nb.rbac.cloud import ADMIN_POLICY, CLUSTER_ADMIN_POLICY
from kubesec_nb.rbac.escalation import CLUSTER_ADMIN, Step, any_service_account
from kubesec_nb.rbac.objects import RBAC_RESOURCES, BindingRecord, SubjectRef
from kubesec_nb.rbac.subjects import (
    ANONYMOUS,
    AUTHENTICATED,
    MASTERS,
    SA_PREFIX,
    SERVICEACCOUNTS,
    UNAUTHENTICATED,
    parse_subject,
)

Run = Callable[[RbacAnalysis], Iterable[Finding]]

#: Default roles the bootstrap policy binds to the broad groups; binding them is expected.
SAFE_PUBLIC_ROLES = frozenset({
    "ClusterRole/system:public-info-viewer", "ClusterRole/system:discovery", "ClusterRole/system:basic-user",
    "ClusterRole/system:service-account-issuer-discovery", "Role/kube-public/kubeadm:bootstrap-signer-clusterinfo",
    "Role/kube-public/system:controller:bootstrap-signer",
})
_PUBLIC_KEYS = {f"u:{ANONYMOUS}": "anonymous requests", f"g:{UNAUTHENTICATED}": "unauthenticated requests",
                f"g:{AUTHENTICATED}": "every authenticated user", f"g:{SERVICEACCOUNTS}": "every service account"}
_STEALS = ("pod-create", "pod-exec", "nodes-proxy", "token-request", "impersonate", "legacy-token-read",
           "token-secret-create", "rbac-bind")


def _status(outcome: tuple[str, str]) -> dict[str, str]:
    return {"status": outcome[0], "severity": outcome[1]}


def _where(scope: str) -> str:
    return "cluster-wide" if scope == "cluster" else f"in namespace {scope}"


def _tagged(message: str, platform: str | None) -> str:
    """``message`` with the label of the platform that manages its grants, if any."""
    return f"{message} [platform-managed: {platform}]" if platform else message


def _subject_finding(b: BindingRecord, s: SubjectRef, message: str,
                     outcome: tuple[str, str]) -> Finding:
    """A finding on one subject of a binding: the subject and the roleRef are the evidence."""
    return Finding(namespace=b.namespace or None, kind=b.kind, name=b.name, subject=s.written,
                   evidence=(Evidence(b.ref, f"subjects[{s.index}]", s.written),
                             Evidence(b.ref, "roleRef", b.role_ref)),
                   message=message, **_status(outcome))


def _finding(rule: CatalogRule, subject: str, scope: str, evidence: tuple[Evidence, ...], message: str,
             outcome: tuple[str, str]) -> Finding:
    ident = parse_subject(subject)
    return Finding(status=outcome[0], namespace=None if scope == "cluster" else scope, kind=ident.kind,
                   name=ident.name if ident.kind != "ServiceAccount" else f"{ident.namespace}/{ident.name}",
                   subject=subject, evidence=evidence, message=message, severity=outcome[1])


def _permission_run(rule: CatalogRule) -> Run:
    def run(rb: RbacAnalysis) -> Iterator[Finding]:
        df = rb.risky
        for r in df[df["check_id"] == rule.id].to_dict("records"):
            pub = " [group anyone can join]" if r["public"] else ""
            scope, subject, plat = str(r["scope"]), str(r["subject"]), str(r["platform"]) or None
            where = "" if scope in rule.namespaces else f" {_where(scope)}"
            msg = _tagged(f"{subject} can {rule.condition}{where} (through {r['needs']})", plat) + pub
            yield _finding(rule, subject, scope, tuple(r["evidence"]), msg, rb.outcome(str(r["severity"]), plat))
    return run


def _public_binding(rb: RbacAnalysis) -> Iterator[Finding]:
    risky = rb.risky
    for b in rb.objects.bindings:
        for s in b.subjects:
            who = _PUBLIC_KEYS.get(s.key or "")
            if who is None or b.role_ref in SAFE_PUBLIC_ROLES:
                continue
            role = rb.objects.role_of(b)
            group = (s.key or "")[2:]
            hits = risky[(risky["subject"] == (f"Group:{group}" if s.key and s.key.startswith("g:")
                                                else f"User:{group}")) &
                         risky["bindings"].str.contains(b.ref, regex=False)]
            severe = hits[hits["severity"].isin(["critical", "high"])]
            public = group in rb.public_groups or group == ANONYMOUS
            sev = "critical" if (not severe.empty or (public and role is not None and role.rules)) else "high"
            plat = b.platform if (b.platform and (role is None or role.platform)) else None
            extra = f"; grants {', '.join(sorted(set(severe['check_id'])))}" if not severe.empty else ""
            gke = " (on GKE: any Google account)" if group == AUTHENTICATED and group in rb.public_groups else ""
            yield _subject_finding(b, s, _tagged(f"{b.ref} grants {b.role_ref} to {who}{gke}{extra}", plat),
                                   rb.outcome(sev, plat))


def _default_sa(rb: RbacAnalysis) -> Iterator[Finding]:
    rule = CATALOG_BY_ID["RBAC-DEFAULT-SA-BOUND"]
    for b in rb.objects.bindings:
        for s in b.subjects:
            if s.key and s.key.startswith(f"u:{SA_PREFIX}") and s.key.endswith(":default"):
                msg = (f"{b.ref} binds {b.role_ref} to {s.written}; every pod that does not name a service "
                       "account gets it")
                yield _subject_finding(b, s, _tagged(msg, b.platform), rb.outcome(rule.severity, b.platform))


def _missing_role(rb: RbacAnalysis) -> Iterator[Finding]:
    rule = CATALOG_BY_ID["RBAC-MISSING-ROLE"]
    for b in rb.objects.dangling:
        subjects = ", ".join(s.written for s in b.subjects) or "no subjects"
        yield Finding(namespace=b.namespace or None, kind=b.kind, name=b.name, subject=subjects,
                      evidence=(Evidence(b.ref, "roleRef", f"{b.role_ref} (not found)"),),
                      message=f"{b.ref} names {b.role_ref}, which does not exist: it grants nothing until someone "
                              f"creates it, then {subjects} get whatever that role holds",
                      **_status(rb.outcome(rule.severity, b.platform)))


def _escalate(target_cluster: bool) -> Run:
    rid = "RBAC-ESCALATE-CLUSTER-ADMIN" if target_cluster else "RBAC-ESCALATE-NAMESPACE-ADMIN"

    def run(rb: RbacAnalysis) -> Iterator[Finding]:
        rule = CATALOG_BY_ID[rid]
        esc = rb.escalations
        esc = esc[(esc["target"] == CLUSTER_ADMIN) == target_cluster]
        for r in esc[~esc["direct"]].to_dict("records"):
            steps: tuple[Step, ...] = tuple(r["steps"])
            if steps and steps[-1].technique == "system-masters" and len(steps) == 1:
                continue
            evidence = tuple(Evidence(f"step {i + 1}: {s.source} --{s.technique}--> {s.target}", e.field,
                                      f"{e.object}: {e.value}" if e.value else e.object)
                             for i, s in enumerate(steps) for e in s.evidence[:4])
            plat, subject, target = str(r["platform"]), str(r["subject"]), str(r["target"])
            ns = None if target_cluster else target.split(":", 1)[1]
            kind = subject.split(":", 1)[0] if not subject.startswith("cloud:") else "CloudIdentity"
            yield Finding(namespace=ns, kind=kind, name=str(r["node"]), subject=subject,
                          evidence=evidence,
                          message=_tagged(f"{subject} reaches {target} in {r['hops']} step(s): {r['path']}", plat),
                          **_status(rb.outcome(rule.severity, plat or None)))
    return run


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


def _cloud_identity(rb: RbacAnalysis) -> Iterator[Finding]:
    for link in rb.cloud_links:
        sa = link.identity
        yield Finding(namespace=sa.namespace, kind="ServiceAccount", name=sa.name, subject=sa.subject,
                      evidence=link.evidence,
                      message=f"{link.service_account} → {link.cloud} ({link.mechanism}; "
                              f"{'used by ' + ', '.join(link.pods) if link.pods else 'no running pod uses it'})")


def _cloud_exposed(rb: RbacAnalysis) -> Iterator[Finding]:
    incoming: dict[str, list[tuple[str, str]]] = {}
    platform = rb.platform_nodes  # platform controllers that create pods are not counted
    for s in rb.steps:
        if s.technique in _STEALS and s.target.startswith("sa:") and s.source not in platform:
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


_SPECIAL: dict[str, tuple[Run, tuple[str, ...]]] = {
    "RBAC-PUBLIC-BINDING": (_public_binding, RBAC_RESOURCES),
    "RBAC-DEFAULT-SA-BOUND": (_default_sa, RBAC_RESOURCES),
    "RBAC-MISSING-ROLE": (_missing_role, RBAC_RESOURCES),
    "RBAC-ESCALATE-CLUSTER-ADMIN": (_escalate(True), RBAC_RESOURCES),
    "RBAC-ESCALATE-NAMESPACE-ADMIN": (_escalate(False), RBAC_RESOURCES),
    "RBAC-AWS-AUTH-MASTERS": (_aws_masters, ("configmaps",)),
    "RBAC-EKS-ACCESS-ENTRY-ADMIN": (_access_entries, ()),
    "RBAC-CLOUD-IDENTITY": (_cloud_identity, ("serviceaccounts",)),
    "RBAC-CLOUD-IDENTITY-EXPOSED": (_cloud_exposed, ("serviceaccounts", *RBAC_RESOURCES)),
}


#: CIS benchmark ids (CIS Kubernetes 1.12, GKE 1.9.0, EKS 1.8.0, AKS 1.8: kube-bench cfg policies.yaml).
CIS: dict[str, tuple[str, ...]] = {
    "RBAC-CLUSTER-ADMIN": ("CIS Kubernetes 5.1.1", "CIS GKE 4.1.1", "CIS EKS 4.1.1", "CIS AKS 4.1.1"),
    "RBAC-SECRETS-READ": ("CIS Kubernetes 5.1.2", "CIS GKE 4.1.2", "CIS EKS 4.1.2", "CIS AKS 4.1.2"),
    "RBAC-NAMESPACE-WILDCARD": ("CIS Kubernetes 5.1.3", "CIS GKE 4.1.3", "CIS EKS 4.1.3", "CIS AKS 4.1.3"),
    "RBAC-POD-CREATE": ("CIS Kubernetes 5.1.4", "CIS EKS 4.1.4", "CIS AKS 4.1.4"),
    "RBAC-DEFAULT-SA-BOUND": ("CIS Kubernetes 5.1.5", "CIS GKE 4.1.4", "CIS EKS 4.1.5", "CIS AKS 4.1.5"),
    "RBAC-AWS-AUTH-MASTERS": ("CIS Kubernetes 5.1.7",),
    "RBAC-BIND-ESCALATE": ("CIS Kubernetes 5.1.8", "CIS GKE 4.1.7", "CIS EKS 4.1.8", "CIS AKS 4.1.7"),
    "RBAC-IMPERSONATE": ("CIS Kubernetes 5.1.8", "CIS GKE 4.1.7", "CIS EKS 4.1.8", "CIS AKS 4.1.7"),
    "RBAC-PV-CREATE": ("CIS Kubernetes 5.1.9", "CIS EKS 4.1.9", "CIS AKS 4.1.8"),
    "RBAC-NODES-PROXY": ("CIS Kubernetes 5.1.10", "CIS EKS 4.1.10", "CIS AKS 4.1.9"),
    "RBAC-CSR-APPROVE": ("CIS Kubernetes 5.1.11", "CIS AKS 4.1.10"),
    "RBAC-WEBHOOK-WRITE": ("CIS Kubernetes 5.1.12", "CIS EKS 4.1.11", "CIS AKS 4.1.11"),
    "RBAC-SA-TOKEN-CREATE": ("CIS Kubernetes 5.1.13", "CIS EKS 4.1.12", "CIS AKS 4.1.12"),
    "RBAC-PUBLIC-BINDING": ("CIS GKE 4.1.8", "CIS GKE 4.1.9", "CIS GKE 4.1.10"),
    "RBAC-EKS-ACCESS-ENTRY-ADMIN": ("CIS EKS 4.1.1",),
}


def _register() -> None:
    for rule in CATALOG:
        run, requires = (_permission_run(rule), RBAC_RESOURCES) if rule.is_permission_rule else _SPECIAL[rule.id]
        check(rule.id, title=rule.title, severity=rule.severity, category=rule.category,
              remediation=rule.remediation, analyzer="rbac", references=rule.references,
              description=rule.condition, requires=requires, cis=CIS.get(rule.id, ()))(run)


_register()
