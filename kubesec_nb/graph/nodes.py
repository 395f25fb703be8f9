"""Attack-graph node ids and kinds, and the crown jewels.

DESIGN.md's ids, plus the hubs and network nodes the graph needs to stay linear in size:

===================  ====================================  =====================================================
kind                 id                                    meaning
===================  ====================================  =====================================================
``internet``         ``internet``                          anyone outside the cluster
``pod``              ``pod:<ns>/<name>``                   a running pod; pods of one workload with identical
                                                           attack properties are condensed into one node named
                                                           after the first (``members`` lists them all)
``pod-hub``          ``pod:<ns>/*``, ``pod:*/*``           any running pod of a namespace / the cluster (exec)
``serviceaccount``   ``sa:<ns>/<name>``                    a service account (its token)
``sa-hub``           ``sa:<ns>/*``, ``sa:*/*``             any service account of a namespace / the cluster
``user``             ``user:<name>``                       a user (``user:system:node:<name>``: a node's identity)
``group``            ``group:<name>``                      any member of a group
``node``             ``node:<name>``                       root on a node; ``node:?`` is the node of a pod the
                                                           snapshot shows unscheduled (manifests)
``node-hub``         ``node:*``                            any node the attacker picks
``secret``           ``secret:<ns>/<name>``                read one Secret
``secrets``          ``secrets:*``                         read every Secret of the cluster
``namespace-admin``  ``namespace-admin:<ns>``              admin of one namespace
``cluster-admin``    ``cluster-admin``                     everything
``cloud``            ``cloud:aws|gcp|azure:<id>``          a cloud identity; ``cloud:<p>:unknown-node-identity``
                                                           stands for node identities the snapshot does not name
``net``              ``net:open``, ``net:unisolated``,     network hubs on NetworkPolicy equivalence classes:
                     ``net:from:<ns>``, ``net:to:<ns>``,   open egress, pods without ingress isolation, sources /
                     ``net:in:<ns>:<policies>``,           destinations of a namespace, pods sharing ingress or
                     ``net:out:<ns>:<policies>``           egress policies (see :mod:`.network`)
===================  ====================================  =====================================================

Crown jewels (:data:`JEWELS`): ``cluster-admin``, ``secrets:*``, any node (``node:*``), any
``namespace-admin:<ns>`` and any cloud identity; a target pattern ending in ``*`` matches every
id with that prefix (``node:*`` matches ``node:<name>`` and the ``node:*`` hub itself).
"""

from __future__ import annotations

from collections.abc import Callable

from kubesec_nb.identity import CLUSTER_ADMIN as CLUSTER_ADMIN
from kubesec_nb.identity import SECRETS_ALL as SECRETS_ALL

INTERNET = "internet"
ANY_NODE = "node:*"
UNSCHEDULED_NODE = "node:?"
NET_OPEN = "net:open"
NET_UNISOLATED = "net:unisolated"

#: Crown-jewel categories: (pattern, label, severity).
JEWELS: tuple[tuple[str, str, str], ...] = (
    (CLUSTER_ADMIN, "cluster-admin", "critical"),
    (SECRETS_ALL, "all secrets", "critical"),
    ("node:*", "a node", "high"),
    ("cloud:*", "a cloud identity", "high"),
    ("namespace-admin:*", "namespace admin", "medium"),
)
JEWEL_PATTERNS = tuple(p for p, _, _ in JEWELS)
JEWEL_SEVERITY = {p: s for p, _, s in JEWELS}
JEWEL_LABEL = {p: label for p, label, _ in JEWELS}

_KINDS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda n: n == INTERNET, "internet"),
    (lambda n: n == CLUSTER_ADMIN, "cluster-admin"),
    (lambda n: n == SECRETS_ALL, "secrets"),
    (lambda n: n.startswith("pod:") and n.endswith("/*"), "pod-hub"),
    (lambda n: n.startswith("pod:"), "pod"),
    (lambda n: n.startswith("sa:") and n.endswith("/*"), "sa-hub"),
    (lambda n: n.startswith("sa:"), "serviceaccount"),
    (lambda n: n.startswith("user:"), "user"),
    (lambda n: n.startswith("group:"), "group"),
    (lambda n: n == ANY_NODE, "node-hub"),
    (lambda n: n.startswith("node:"), "node"),
    (lambda n: n.startswith("secret:"), "secret"),
    (lambda n: n.startswith("namespace-admin:"), "namespace-admin"),
    (lambda n: n.startswith("cloud:"), "cloud"),
    (lambda n: n.startswith("net:"), "net"),
)
SUBJECT_KINDS = frozenset({"serviceaccount", "user", "group"})


def kind_of(node: str) -> str:
    """The kind of a node id (see the module docstring); ``other`` when it matches none.

    >>> kind_of("pod:shop/web-1"), kind_of("pod:shop/*"), kind_of("node:*"), kind_of("net:open")
    ('pod', 'pod-hub', 'node-hub', 'net')
    """
    for test, kind in _KINDS:
        if test(node):
            return kind
    return "other"


def matches(pattern: str, node: str) -> bool:
    """Whether ``node`` matches a target ``pattern`` (``*`` at the end: any id with that prefix).

    >>> matches("node:*", "node:n1"), matches("node:*", "node:*"), matches("cloud:*", "cluster-admin")
    (True, True, False)
    """
    if pattern.endswith("*") and pattern != SECRETS_ALL:
        return node.startswith(pattern[:-1])
    return node == pattern


def jewel_of(node: str) -> str | None:
    """The crown-jewel pattern a node belongs to, or None.

    >>> jewel_of("namespace-admin:shop"), jewel_of("sa:shop/web")
    ('namespace-admin:*', None)
    """
    for pattern in JEWEL_PATTERNS:
        if matches(pattern, node):
            return pattern
    return None


def namespace_of(node: str) -> str:
    """The namespace a node id names, or ``""``.

    >>> namespace_of("pod:shop/web"), namespace_of("namespace-admin:shop"), namespace_of("cluster-admin")
    ('shop', 'shop', '')
    """
    kind = kind_of(node)
    if kind in ("pod", "pod-hub", "serviceaccount", "sa-hub", "secret"):
        ns = node.split(":", 1)[1].split("/", 1)[0]
        return "" if ns == "*" else ns
    if kind == "namespace-admin":
        return node.split(":", 1)[1]
    return ""


def label(node: str) -> str:
    """A short human label for charts and tables.

    >>> label("net:open"), label("pod:shop/web-1")
    ('any pod with open egress', 'pod:shop/web-1')
    """
    special = {"net:open": "any pod with open egress", "net:unisolated": "pods without ingress policy",
               ANY_NODE: "any node", UNSCHEDULED_NODE: "its node (unscheduled)", SECRETS_ALL: "every Secret"}
    if node in special:
        return special[node]
    if node.startswith("net:from:"):
        return f"pods of {node[9:]} (open egress)"
    if node.startswith("net:to:"):
        return f"unisolated pods of {node[7:]}"
    if node.startswith("net:in:"):
        return f"ingress of {node[7:]}"
    if node.startswith("net:out:"):
        return f"egress of {node[8:]}"
    return node
