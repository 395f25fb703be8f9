"""Subjects as bindings name them, and which ones the platform manages.

Identities (``User:alice``, ``Group:oncall``, ``ServiceAccount:ns:name``, principal keys and
attack-graph node ids) are :class:`kubesec_nb.identity.Identity` values, re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesec_nb.identity import (
    ANONYMOUS,
    AUTHENTICATED,
    MASTERS,
    NODE_PREFIX,
    NODES,
    SA_PREFIX,
    SERVICEACCOUNTS,
    UNAUTHENTICATED,
    Identity,
    binding_subject,
    from_key,
    from_node_id,
    group,
    parse_subject,
    service_account,
    user,
)
from kubesec_nb.model import Model

__all__ = ["ANONYMOUS", "AUTHENTICATED", "BROAD_GROUPS", "MASTERS", "NODES", "NODE_PREFIX", "SA_PREFIX",
           "SERVICEACCOUNTS", "UNAUTHENTICATED", "Identity", "binding_subject", "describe_binding_subject",
           "from_key", "from_node_id", "group", "parse_subject", "platform_reason", "service_account",
           "subject_platform_reason", "user"]

#: Groups that every caller of some broad class belongs to; bindings to them are never "platform".
BROAD_GROUPS = frozenset({AUTHENTICATED, UNAUTHENTICATED, SERVICEACCOUNTS})


def describe_binding_subject(subject: Mapping[str, Any], binding_namespace: str | None) -> str:
    """A binding subject as written (``ServiceAccount:ns:name`` with the namespace defaulted)."""
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount":
        return f"ServiceAccount:{subject.get('namespace') or binding_namespace or '?'}:{name}"
    return f"{kind}:{name}"


# ---- platform-managed objects and subjects --------------------------------------------------
_PLATFORM_LABELS = {
    "kubernetes.io/bootstrapping": "Kubernetes bootstrap default",
    "eks.amazonaws.com/component": "EKS component",
    "addonmanager.kubernetes.io/mode": "cluster add-on manager",
    "kubernetes.azure.com/managedby": "AKS managed",
    "components.gke.io/component-name": "GKE component",
}
# Longest prefix first, so that system:gke- wins over system:.
_PLATFORM_PREFIXES = sorted((
    ("system:", "Kubernetes system"), ("eks:", "EKS"), ("eks-", "EKS"), ("aws-node", "EKS VPC CNI"),
    ("gce:", "GKE"), ("gke-", "GKE"), ("gke:", "GKE"), ("system:gke-", "GKE"), ("system:gcp-", "GKE"),
    ("aks-", "AKS"), ("system:azure-", "AKS"), ("kubeadm:", "kubeadm"),
), key=lambda p: -len(p[0]))
# ``app.kubernetes.io/managed-by`` values that name the platform (other tools, such as Helm, do not).
_MANAGED_BY = {"addonmanager", "gke", "aks", "eks"}


def platform_reason(name: str, labels: Mapping[str, str] | None = None) -> str | None:
    """Why a Role, ClusterRole or binding is platform-managed (created by Kubernetes or the provider).

    >>> platform_reason("system:controller:job-controller"), platform_reason("shop-admin")
    ('Kubernetes system', None)
    >>> platform_reason("x", {"kubernetes.io/bootstrapping": "rbac-defaults"})
    'Kubernetes bootstrap default'
    """
    labels = labels or {}
    for key, why in _PLATFORM_LABELS.items():
        if key in labels:
            return why
    managed_by = labels.get("app.kubernetes.io/managed-by")
    if managed_by is not None and str(managed_by).lower() in _MANAGED_BY:
        return f"managed by {managed_by}"
    for prefix, why in _PLATFORM_PREFIXES:
        if name.startswith(prefix):
            return why
    return None


def subject_platform_reason(identity: Identity) -> str | None:
    """Why a subject is platform-managed: ``system:`` users and groups (except the broad groups
    and anonymous), provider users, and service accounts in system namespaces.

    >>> subject_platform_reason(parse_subject("ServiceAccount:kube-system:coredns"))
    'service account in system namespace kube-system'
    >>> subject_platform_reason(parse_subject("Group:system:authenticated")) is None
    True
    """
    if identity.kind == "ServiceAccount":
        if Model.is_system_namespace(identity.namespace):
            return f"service account in system namespace {identity.namespace}"
        return None
    if identity.name in BROAD_GROUPS or identity.name == ANONYMOUS:
        return None
    if identity.name.startswith(NODE_PREFIX):
        return "node identity"
    return platform_reason(identity.name)
