"""RBAC hygiene checks on role objects themselves: wildcards, and roles nothing references.

They run over the model (``analyzer="model"``), independent of who holds the roles (the
subject-level checks in :mod:`kubesec_nb.rbac.checks` cover that).

A role is *used* when a binding references it (a RoleBinding may reference a ClusterRole;
a RoleBinding's Role must be in its own namespace), or, for a ClusterRole, when its labels
match the ``clusterRoleSelectors`` of an aggregating ClusterRole (the aggregation controller
copies its rules there). Platform-managed roles (Kubernetes bootstrap roles, ``system:``,
provider roles: :func:`kubesec_nb.rbac.subjects.platform_reason`) and the user-facing
defaults ``admin``, ``edit``, ``view`` and ``cluster-admin`` are never reported as unused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kubesec_nb.checks import Evidence, Finding, check
from kubesec_nb.model import Model, labels_of, selector_matches
from kubesec_nb.rbac.objects import CLUSTERROLEBINDINGS, CLUSTERROLES, ROLEBINDINGS, ROLES
from kubesec_nb.rbac.subjects import platform_reason

RBAC = "Role-Based Access Control"
DEFAULT_ROLES = frozenset({"admin", "edit", "view", "cluster-admin"})


def _label(role: Mapping[str, Any]) -> str:
    meta = role.get("metadata") or {}
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{role.get('kind')} {ns}{meta.get('name')}"


@check("RBAC-WILDCARD-ROLE", title="Roles and ClusterRoles with wildcard rules", severity="medium", category=RBAC,
       analyzer="model", requires=(CLUSTERROLES, ROLES),
       cis=("CIS Kubernetes 5.1.3", "CIS GKE 4.1.3", "CIS EKS 4.1.3", "CIS AKS 4.1.3"),
       references=("kube-bench 5.1.3", "kubescape C-0187"),
       remediation="List the API groups, resources and verbs the role needs instead of `*`: a wildcard also grants "
                   "every resource and verb added to the API later (CRDs included).")
def _wildcards(model: Model) -> Iterator[Finding]:
    for res in (CLUSTERROLES, ROLES):
        for role in model.items(res):
            meta = role.get("metadata") or {}
            hits = []
            for i, rule in enumerate(role.get("rules") or []):
                for field in ("apiGroups", "resources", "verbs", "nonResourceURLs"):
                    if "*" in (rule.get(field) or []):
                        hits.append(Evidence(_label(role), f"rules[{i}].{field}", "*"))
            if hits:
                platform = platform_reason(str(meta.get("name", "")), labels_of(role))
                if meta.get("name") == "cluster-admin":
                    platform = platform or "Kubernetes bootstrap default"
                yield Finding(kind=role.get("kind"), namespace=meta.get("namespace"), name=meta.get("name"),
                              evidence=tuple(hits[:6]), platform=platform,
                              message=f"{_label(role)} grants "
                                      f"{', '.join(sorted({e.field.rsplit('.', 1)[1] for e in hits}))} by wildcard")


def referenced_roles(model: Model) -> set[tuple[str, str, str]]:
    """``(kind, namespace, name)`` of every role a binding references (ClusterRoles with namespace '')."""
    out: set[tuple[str, str, str]] = set()
    for res in (ROLEBINDINGS, CLUSTERROLEBINDINGS):
        for b in model.items(res):
            ref = b.get("roleRef") or {}
            ns = (b.get("metadata") or {}).get("namespace") or ""
            if ref.get("kind") == "ClusterRole":
                out.add(("ClusterRole", "", str(ref.get("name"))))
            elif ref.get("kind") == "Role" and ns:
                out.add(("Role", ns, str(ref.get("name"))))
    return out


def aggregated_into(model: Model) -> dict[str, list[str]]:
    """ClusterRole name → the aggregating ClusterRoles that select it."""
    aggregators = [(r["metadata"]["name"], (r.get("aggregationRule") or {}).get("clusterRoleSelectors") or [])
                   for r in model.items(CLUSTERROLES) if r.get("aggregationRule")]
    out: dict[str, list[str]] = {}
    for role in model.items(CLUSTERROLES):
        labels = labels_of(role)
        into = [name for name, sels in aggregators if name != role["metadata"]["name"]
                and any(selector_matches(s, labels) for s in sels)]
        if into:
            out[role["metadata"]["name"]] = sorted(into)
    return out


@check("RBAC-UNUSED-ROLE", title="Roles and ClusterRoles that no binding references", severity="info",
       category=RBAC, analyzer="model", requires=(CLUSTERROLES, ROLES, CLUSTERROLEBINDINGS, ROLEBINDINGS),
       remediation="Delete roles nobody is bound to (`kubectl delete role NAME -n NS`), or bind them on purpose: "
                   "unused grants are noise in reviews and a ready-made escalation for anyone who can bind.")
def _unused(model: Model) -> Iterator[Finding]:
    used = referenced_roles(model)
    aggregated = aggregated_into(model)
    for res in (CLUSTERROLES, ROLES):
        for role in model.items(res):
            meta = role.get("metadata") or {}
            name, ns = str(meta.get("name", "")), str(meta.get("namespace") or "")
            if (role.get("kind"), ns, name) in used or name in DEFAULT_ROLES or \
                    platform_reason(name, labels_of(role)) or (not ns and name in aggregated):
                continue
            yield Finding(kind=role.get("kind"), namespace=ns or None, name=name,
                          evidence=(Evidence(_label(role), "referenced by", "no RoleBinding or ClusterRoleBinding"),
                                    Evidence(_label(role), "aggregated into", "nothing" if res == CLUSTERROLES
                                             else "n/a (Roles do not aggregate)")),
                          message=f"{_label(role)} is bound to nobody")
