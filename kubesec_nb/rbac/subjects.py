"""Subjects and identities: how bindings name them, how analysts write them, which groups they carry.

Written forms: ``User:alice``, ``Group:oncall``, ``ServiceAccount:ns:name``; also the username
``system:serviceaccount:ns:name``, the attack-graph ids ``user:alice``, ``group:oncall``,
``sa:ns/name``, and a bare username. Internally a binding subject becomes a *principal key*:
``u:<username>`` or ``g:<group>``. A ServiceAccount subject is the username
``system:serviceaccount:<ns>:<name>``, so a User subject spelled that way matches the same
service account, as in the upstream authorizer (``appliesToUser``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.errors import OptionError
from kubesec_nb.model import SA_PREFIX as SA_PREFIX
from kubesec_nb.model import Model
from kubesec_nb.model import binding_subject_key as binding_subject_key

NODE_PREFIX = "system:node:"
ANONYMOUS = "system:anonymous"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
SERVICEACCOUNTS = "system:serviceaccounts"
NODES = "system:nodes"
MASTERS = "system:masters"
#: Groups that every caller of some broad class belongs to; bindings to them are never "platform".
BROAD_GROUPS = frozenset({AUTHENTICATED, UNAUTHENTICATED, SERVICEACCOUNTS})


@dataclass(frozen=True, order=True)
class Identity:
    """A caller as RBAC sees it: a user (service accounts are users), or a member of one group.

    ``Group:g`` stands for "any member of g, counting only what g is granted".

    >>> i = parse_subject("system:serviceaccount:shop:web")
    >>> i.subject, i.node_id, i.username
    ('ServiceAccount:shop:web', 'sa:shop/web', 'system:serviceaccount:shop:web')
    >>> i.implicit_groups
    ('system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated')
    """

    kind: str
    name: str
    namespace: str = ""

    @property
    def username(self) -> str:
        if self.kind == "ServiceAccount":
            return f"{SA_PREFIX}{self.namespace}:{self.name}"
        return self.name if self.kind == "User" else ""

    @property
    def subject(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount:{self.namespace}:{self.name}"
        return f"{self.kind}:{self.name}"

    @property
    def node_id(self) -> str:
        """The attack-graph node id (``sa:ns/name``, ``user:name``, ``group:name``)."""
        if self.kind == "ServiceAccount":
            return f"sa:{self.namespace}/{self.name}"
        return f"{'user' if self.kind == 'User' else 'group'}:{self.name}"

    @property
    def key(self) -> str:
        """The principal key that binding subjects are indexed by."""
        return f"g:{self.name}" if self.kind == "Group" else f"u:{self.username}"

    @property
    def implicit_groups(self) -> tuple[str, ...]:
        """Groups the authenticator always adds for this kind of caller."""
        if self.kind == "ServiceAccount":
            return (SERVICEACCOUNTS, f"{SERVICEACCOUNTS}:{self.namespace}", AUTHENTICATED)
        if self.kind == "Group":
            return ()
        if self.name == ANONYMOUS:
            return (UNAUTHENTICATED,)
        if self.name.startswith(NODE_PREFIX):
            return (NODES, AUTHENTICATED)
        return (AUTHENTICATED,)


def user(username: str) -> Identity:
    """The identity of a username, recognising service-account usernames.

    >>> user("system:serviceaccount:a:b").kind, user("alice").subject
    ('ServiceAccount', 'User:alice')
    """
    if username.startswith(SA_PREFIX):
        rest = username[len(SA_PREFIX):]
        ns, sep, name = rest.partition(":")
        if sep and ns and name and ":" not in name:
            return Identity("ServiceAccount", name, ns)
    return Identity("User", username)


def parse_subject(text: Any) -> Identity:
    """Read a subject as analysts write it (see the module docstring).

    >>> parse_subject("ServiceAccount:shop:web").node_id, parse_subject("group:oncall").subject
    ('sa:shop/web', 'Group:oncall')
    >>> parse_subject("Group:system:masters").name
    'system:masters'
    """
    if isinstance(text, Identity):
        return text
    if not isinstance(text, str) or not text.strip():
        raise OptionError(f"subject must be a string like 'User:alice', got {text!r}")
    s = text.strip()
    kind, sep, rest = s.partition(":")
    low = kind.lower()
    if sep and low in ("serviceaccount", "sa"):
        ns, sep2, name = rest.replace("/", ":", 1).partition(":")
        if not (sep2 and ns and name):
            raise OptionError(f"service account subject must be 'ServiceAccount:<namespace>:<name>', got {s!r}")
        return Identity("ServiceAccount", name, ns)
    if sep and low == "user" and rest:
        return user(rest)
    if sep and low == "group" and rest:
        return Identity("Group", rest)
    return user(s)


def identity_of_key(key: str) -> Identity:
    """The identity a principal key stands for.

    >>> identity_of_key("g:oncall").subject, identity_of_key("u:system:serviceaccount:a:b").subject
    ('Group:oncall', 'ServiceAccount:a:b')
    """
    return Identity("Group", key[2:]) if key.startswith("g:") else user(key[2:])


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
