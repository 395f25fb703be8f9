"""Identities and attack-graph node ids: one value type for every way a caller is written.

A caller is an :class:`Identity` (kind ``User``, ``Group`` or ``ServiceAccount``, a name, and
a namespace for service accounts). Its encodings are properties, never sliced by hand:

=================  ===========================================  =========================
encoding           example                                      read back with
=================  ===========================================  =========================
``subject``        ``User:alice``, ``ServiceAccount:shop:web``  :func:`parse_subject`
``username``       ``alice``, ``system:serviceaccount:shop:web``  :func:`user`
``key``            ``u:alice``, ``g:oncall`` (binding index)      :func:`from_key`
``node_id``        ``user:alice``, ``group:oncall``, ``sa:shop/web``  :func:`from_node_id`
=================  ===========================================  =========================

A ServiceAccount authenticates as the username ``system:serviceaccount:<ns>:<name>``, so a
User subject spelled that way is that service account, as in the upstream authorizer
(``appliesToUser``). The other attack-graph node ids (DESIGN.md) are built here too:
``cluster-admin``, ``namespace-admin:<ns>``, ``secrets:*``, ``secret:<ns>/<name>``,
``pod:<ns>/<name>``, ``node:<name>``, and the hubs ``sa:<ns>/*`` / ``pod:<ns>/*`` ("any service
account / running pod of the namespace", ``*`` for every namespace).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.errors import OptionError

#: How a service account authenticates: the username ``system:serviceaccount:<ns>:<name>``.
SA_PREFIX = "system:serviceaccount:"
NODE_PREFIX = "system:node:"
ANONYMOUS = "system:anonymous"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
SERVICEACCOUNTS = "system:serviceaccounts"
NODES = "system:nodes"
MASTERS = "system:masters"

CLUSTER_ADMIN = "cluster-admin"
SECRETS_ALL = "secrets:*"
_NODE_KINDS = {"user": "User", "group": "Group"}


@dataclass(frozen=True, order=True)
class Identity:
    """A caller as RBAC sees it: a user (service accounts are users), or a member of one group.

    ``Group:g`` stands for "any member of g, counting only what g is granted".

    >>> i = parse_subject("system:serviceaccount:shop:web")
    >>> i.subject, i.node_id, i.username, i.key
    ('ServiceAccount:shop:web', 'sa:shop/web', 'system:serviceaccount:shop:web', 'u:system:serviceaccount:shop:web')
    >>> i.implicit_groups
    ('system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated')
    >>> i.ref
    'shop/web'
    """

    kind: str
    name: str
    namespace: str = ""

    @property
    def username(self) -> str:
        """The username it authenticates with (empty for a group)."""
        if self.kind == "ServiceAccount":
            return f"{SA_PREFIX}{self.namespace}:{self.name}"
        return self.name if self.kind == "User" else ""

    @property
    def subject(self) -> str:
        """As analysts write it: ``User:alice``, ``Group:oncall``, ``ServiceAccount:ns:name``."""
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
        """The principal key that binding subjects are indexed by (``u:<username>`` or ``g:<group>``)."""
        return f"g:{self.name}" if self.kind == "Group" else f"u:{self.username}"

    @property
    def ref(self) -> str:
        """``ns/name`` of a service account (the name otherwise), as pods and objects are keyed."""
        return f"{self.namespace}/{self.name}" if self.kind == "ServiceAccount" else self.name

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
        ns, sep, name = username[len(SA_PREFIX):].partition(":")
        if sep and ns and name and ":" not in name:
            return Identity("ServiceAccount", name, ns)
    return Identity("User", username)


def group(name: str) -> Identity:
    """The identity "a member of group ``name``".

    >>> group("oncall").key
    'g:oncall'
    """
    return Identity("Group", name)


def service_account(ref: str) -> Identity:
    """The service account ``ns/name`` (as pods and ServiceAccount objects are keyed).

    >>> service_account("shop/web").subject
    'ServiceAccount:shop:web'
    """
    ns, _, name = ref.partition("/")
    return Identity("ServiceAccount", name, ns)


def parse_subject(text: Any) -> Identity:
    """Read a subject as analysts write it: ``User:alice``, ``Group:oncall``, ``ServiceAccount:ns:name``
    (``sa:ns/name`` too), a username (``system:serviceaccount:ns:name``), or an attack-graph node id.

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
        return group(rest)
    return user(s)


def from_key(key: str) -> Identity:
    """The identity a principal key stands for.

    >>> from_key("g:oncall").subject, from_key("u:system:serviceaccount:a:b").subject
    ('Group:oncall', 'ServiceAccount:a:b')
    """
    return group(key[2:]) if key.startswith("g:") else user(key[2:])


def from_node_id(node: str) -> Identity | None:
    """The identity behind an attack-graph node id, or None for other nodes (hubs, pods, targets).

    >>> from_node_id("sa:shop/web").subject, from_node_id("user:alice").key, from_node_id("sa:shop/*")
    ('ServiceAccount:shop:web', 'u:alice', None)
    """
    kind, sep, rest = node.partition(":")
    if not sep or not rest:
        return None
    if kind == "sa":
        ns, sep2, name = rest.partition("/")
        return Identity("ServiceAccount", name, ns) if sep2 and ns and name and name != "*" else None
    return Identity(_NODE_KINDS[kind], rest) if kind in _NODE_KINDS else None


def binding_subject(subject: Mapping[str, Any], binding_namespace: str | None) -> Identity | None:
    """The identity a binding subject applies to, or None when it can match nobody.

    A ServiceAccount subject without a namespace takes the RoleBinding's namespace; in a
    ClusterRoleBinding it matches nothing. Unknown kinds match nothing. A User subject spelled
    ``system:serviceaccount:<ns>:<name>`` is that service account.

    >>> binding_subject({"kind": "ServiceAccount", "name": "web"}, "shop").key
    'u:system:serviceaccount:shop:web'
    >>> binding_subject({"kind": "ServiceAccount", "name": "web"}, None) is None
    True
    """
    kind, name = subject.get("kind"), subject.get("name")
    if not isinstance(name, str) or not name:
        return None
    if kind == "User":
        return user(name)
    if kind == "Group":
        return group(name)
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_namespace
        return Identity("ServiceAccount", name, str(ns)) if ns else None
    return None


# ---- other attack-graph node ids -------------------------------------------------------------
def namespace_admin(ns: str) -> str:
    """The node id of namespace admin of ``ns``.

    >>> namespace_admin("shop")
    'namespace-admin:shop'
    """
    return f"namespace-admin:{ns}"


def admin_namespace(node: str) -> str | None:
    """The namespace of a ``namespace-admin:<ns>`` node, else None.

    >>> admin_namespace("namespace-admin:shop"), admin_namespace("cluster-admin")
    ('shop', None)
    """
    kind, sep, ns = node.partition(":")
    return ns if kind == "namespace-admin" and sep and ns else None


def secret_node(ns: str, name: str) -> str:
    """The node id of one Secret.

    >>> secret_node("shop", "db")
    'secret:shop/db'
    """
    return f"secret:{ns}/{name}"


def pod_node(key: str) -> str:
    """The node id of pod ``ns/name``.

    >>> pod_node("shop/web-1")
    'pod:shop/web-1'
    """
    return f"pod:{key}"


def host_node(name: str) -> str:
    """The node id of Kubernetes node ``name``.

    >>> host_node("n1")
    'node:n1'
    """
    return f"node:{name}"


def host_name(node: str) -> str | None:
    """The Kubernetes node name of a ``node:<name>`` node id, else None.

    >>> host_name("node:n1"), host_name("pod:a/b")
    ('n1', None)
    """
    kind, sep, name = node.partition(":")
    return name if kind == "node" and sep and name else None


def any_service_account(ns: str | None) -> str:
    """The hub node "any service account of ``ns``" (``sa:<ns>/*``; ``sa:*/*`` for the whole cluster).

    >>> any_service_account("shop"), any_service_account(None)
    ('sa:shop/*', 'sa:*/*')
    """
    return f"sa:{ns or '*'}/*"


def any_pod(ns: str | None) -> str:
    """The hub node "any running pod of ``ns`` that mounts a token" (``pod:<ns>/*``; ``pod:*/*`` cluster-wide).

    >>> any_pod("shop")
    'pod:shop/*'
    """
    return f"pod:{ns or '*'}/*"


def hub_namespace(node: str) -> str | None:
    """The namespace of a hub node (``*`` for the cluster-wide hubs), or None when ``node`` is no hub.

    >>> hub_namespace("sa:shop/*"), hub_namespace("pod:*/*"), hub_namespace("sa:shop/web")
    ('shop', '*', None)
    """
    kind, sep, rest = node.partition(":")
    if kind not in ("sa", "pod") or not sep or not rest.endswith("/*"):
        return None
    return rest[:-2]
