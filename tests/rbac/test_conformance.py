"""Conformance of the authorizer with the upstream RBAC semantics.

Every expectation below is written from the Kubernetes sources, not from this package's
output: ``pkg/apis/rbac/v1/evaluation_helpers.go`` (VerbMatches, APIGroupMatches,
ResourceMatches, ResourceNameMatches, NonResourceURLMatches),
``plugin/pkg/auth/authorizer/rbac/rbac.go`` (RuleAllows), ``pkg/registry/rbac/validation/rule.go``
(VisitRulesFor, appliesToUser: ClusterRoleBindings apply everywhere, RoleBindings only to
requests in their namespace, ServiceAccount subjects default to the RoleBinding's namespace,
a missing role grants nothing), the authenticators' implicit groups
(``system:serviceaccounts``, ``system:serviceaccounts:<ns>``, ``system:authenticated``,
``system:unauthenticated``, ``system:nodes``), the privileged-group authorizer
(``system:masters``), the aggregation controller, and the API server's request info
(a request on one Namespace object carries that namespace; ``bind`` is checked in the
namespace of the RoleBinding being written).
"""

from __future__ import annotations

from typing import Any

import pytest

from kubesec_nb.model import Model
from kubesec_nb.rbac import analyze
from kubesec_nb.rbac.rules import Request, Rule, rule_allows
from kubesec_nb.snapshot import Snapshot

# ---- rule level: RuleAllows(request, rule) -------------------------------------------------------
R = Rule


def req(verb: str, group: str = "", resource: str = "", sub: str = "", name: str | None = None,
        ns: str | None = "ns", path: str | None = None) -> Request:
    return Request(verb, group, resource, sub, ns, name, path)


RULE_CASES: list[tuple[str, Rule, Request, bool]] = [
    # verbs: exact or '*'
    ("verb exact", R(("get",), ("",), ("pods",)), req("get", "", "pods"), True),
    ("verb other", R(("get",), ("",), ("pods",)), req("list", "", "pods"), False),
    ("verb star", R(("*",), ("",), ("pods",)), req("deletecollection", "", "pods"), True),
    ("verb star special", R(("*",), ("",), ("users",)), req("impersonate", "", "users"), True),
    ("verb list of two", R(("get", "watch"), ("",), ("pods",)), req("watch", "", "pods"), True),
    ("verb case sensitive", R(("GET",), ("",), ("pods",)), req("get", "", "pods"), False),
    ("verb prefix is not glob", R(("g*",), ("",), ("pods",)), req("get", "", "pods"), False),
    ("request verb star needs rule star", R(("get", "list"), ("",), ("pods",)), req("*", "", "pods"), False),
    ("request verb star rule star", R(("*",), ("",), ("pods",)), req("*", "", "pods"), True),
    ("unknown verb never matches", R(("get",), ("",), ("pods",)), req("frobnicate", "", "pods"), False),
    ("empty verbs", R((), ("",), ("pods",)), req("get", "", "pods"), False),
    # apiGroups: '' is core only; '*' every group
    ("core group", R(("get",), ("",), ("pods",)), req("get", "", "pods"), True),
    ("core rule, apps request", R(("create",), ("",), ("deployments",)), req("create", "apps", "deployments"),
     False),
    ("apps rule, core request", R(("get",), ("apps",), ("pods",)), req("get", "", "pods"), False),
    ("star group covers core", R(("get",), ("*",), ("pods",)), req("get", "", "pods"), True),
    ("star group covers apps", R(("get",), ("*",), ("deployments",)), req("get", "apps", "deployments"), True),
    ("star group covers CRD group", R(("get",), ("*",), ("widgets",)), req("get", "example.io", "widgets"), True),
    ("group exact", R(("get",), ("batch",), ("jobs",)), req("get", "batch", "jobs"), True),
    ("group is not suffix", R(("get",), ("k8s.io",), ("ingresses",)), req("get", "networking.k8s.io", "ingresses"),
     False),
    ("group glob not supported", R(("get",), ("*.k8s.io",), ("ingresses",)),
     req("get", "networking.k8s.io", "ingresses"), False),
    ("empty apiGroups", R(("get",), (), ("pods",)), req("get", "", "pods"), False),
    ("request group star needs rule star", R(("get",), ("",), ("pods",)), req("get", "*", "pods"), False),
    # resources: '*', exact, '*/sub'; 'pods/*' is not a wildcard
    ("resource exact", R(("get",), ("",), ("pods",)), req("get", "", "pods"), True),
    ("resource other", R(("get",), ("",), ("pods",)), req("get", "", "services"), False),
    ("resource star", R(("get",), ("",), ("*",)), req("get", "", "secrets"), True),
    ("resource star covers subresource", R(("create",), ("",), ("*",)), req("create", "", "pods", "exec"), True),
    ("pods does not cover pods/exec", R(("create",), ("",), ("pods",)), req("create", "", "pods", "exec"), False),
    ("pods does not cover pods/log", R(("get",), ("",), ("pods",)), req("get", "", "pods", "log"), False),
    ("pods does not cover ephemeralcontainers", R(("patch",), ("",), ("pods",)),
     req("patch", "", "pods", "ephemeralcontainers"), False),
    ("pods/exec exact", R(("create",), ("",), ("pods/exec",)), req("create", "", "pods", "exec"), True),
    ("pods/exec does not cover pods", R(("get",), ("",), ("pods/exec",)), req("get", "", "pods"), False),
    ("pods/exec does not cover pods/attach", R(("create",), ("",), ("pods/exec",)),
     req("create", "", "pods", "attach"), False),
    ("pods/* is not a wildcard", R(("create",), ("",), ("pods/*",)), req("create", "", "pods", "exec"), False),
    ("pods/* matches literal subresource *", R(("create",), ("",), ("pods/*",)), req("create", "", "pods", "*"),
     True),
    ("*/exec matches pods/exec", R(("create",), ("",), ("*/exec",)), req("create", "", "pods", "exec"), True),
    ("*/exec matches any resource's exec", R(("create",), ("",), ("*/exec",)),
     req("create", "", "widgets", "exec"), True),
    ("*/exec not another subresource", R(("create",), ("",), ("*/exec",)), req("create", "", "pods", "attach"),
     False),
    ("*/exec not the parent", R(("get",), ("",), ("*/exec",)), req("get", "", "pods"), False),
    ("*/status matches nodes/status", R(("patch",), ("",), ("*/status",)), req("patch", "", "nodes", "status"),
     True),
    ("*/scale matches deployments/scale", R(("update",), ("apps",), ("*/scale",)),
     req("update", "apps", "deployments", "scale"), True),
    ("*/ex does not match exec", R(("create",), ("",), ("*/ex",)), req("create", "", "pods", "exec"), False),
    ("*/xexec does not match exec", R(("create",), ("",), ("*/xexec",)), req("create", "", "pods", "exec"), False),
    ("* / * rule", R(("create",), ("",), ("*/*",)), req("create", "", "pods", "exec"), False),
    ("resource glob not supported", R(("get",), ("",), ("pod*",)), req("get", "", "pods"), False),
    ("resource case sensitive", R(("get",), ("",), ("Pods",)), req("get", "", "pods"), False),
    ("request resource star needs rule star", R(("get",), ("",), ("pods",)), req("get", "", "*"), False),
    ("empty resources", R(("get",), ("",), ()), req("get", "", "pods"), False),
    ("nodes/proxy exact", R(("get",), ("",), ("nodes/proxy",)), req("get", "", "nodes", "proxy", ns=None), True),
    ("serviceaccounts/token", R(("create",), ("",), ("serviceaccounts/token",)),
     req("create", "", "serviceaccounts", "token", "web"), True),
    ("userextras/scopes", R(("impersonate",), ("authentication.k8s.io",), ("userextras/scopes",)),
     req("impersonate", "authentication.k8s.io", "userextras", "scopes", "x", ns=None), True),
    ("userextras without key", R(("impersonate",), ("authentication.k8s.io",), ("userextras",)),
     req("impersonate", "authentication.k8s.io", "userextras", "scopes", "x", ns=None), False),
    # resourceNames: exact, empty = all, nameless requests never match
    ("names empty = all", R(("get",), ("",), ("secrets",)), req("get", "", "secrets", name="db"), True),
    ("names match", R(("get",), ("",), ("secrets",), ("db",)), req("get", "", "secrets", name="db"), True),
    ("names no match", R(("get",), ("",), ("secrets",), ("db",)), req("get", "", "secrets", name="api"), False),
    ("names list nameless", R(("list",), ("",), ("secrets",), ("db",)), req("list", "", "secrets"), False),
    ("names create nameless", R(("create",), ("",), ("pods",), ("web",)), req("create", "", "pods"), False),
    ("names create subresource has parent name", R(("create",), ("",), ("pods/exec",), ("web",)),
     req("create", "", "pods", "exec", "web"), True),
    ("names create subresource other parent", R(("create",), ("",), ("pods/exec",), ("web",)),
     req("create", "", "pods", "exec", "db"), False),
    # ResourceNameMatches compares strings: a nameless request has the name "", so resourceNames [""]
    # matches list, watch and create of a top-level object (evaluation_helpers.go, ResourceNameMatches)
    ("names empty string matches nameless list", R(("list",), ("",), ("secrets",), ("",)), req("list", "", "secrets"),
     True),
    ("names empty string matches nameless create", R(("create",), ("",), ("pods",), ("",)), req("create", "", "pods"),
     True),
    ("names empty string does not match a named get", R(("get",), ("",), ("secrets",), ("",)),
     req("get", "", "secrets", name="db"), False),
    ("names empty string beside others", R(("list",), ("",), ("secrets",), ("db", "")), req("list", "", "secrets"),
     True),
    ("names not globbed", R(("get",), ("",), ("secrets",), ("db-*",)), req("get", "", "secrets", name="db-1"),
     False),
    ("names star is literal", R(("get",), ("",), ("secrets",), ("*",)), req("get", "", "secrets", name="db"),
     False),
    ("names case sensitive", R(("get",), ("",), ("secrets",), ("DB",)), req("get", "", "secrets", name="db"),
     False),
    ("names list with field selector name", R(("list",), ("",), ("secrets",), ("db",)),
     req("list", "", "secrets", name="db"), True),
    ("names token for named SA", R(("create",), ("",), ("serviceaccounts/token",), ("web",)),
     req("create", "", "serviceaccounts", "token", "web"), True),
    ("names token other SA", R(("create",), ("",), ("serviceaccounts/token",), ("web",)),
     req("create", "", "serviceaccounts", "token", "admin"), False),
    ("names bind one clusterrole", R(("bind",), ("rbac.authorization.k8s.io",), ("clusterroles",), ("view",)),
     req("bind", "rbac.authorization.k8s.io", "clusterroles", name="view"), True),
    ("names bind other clusterrole", R(("bind",), ("rbac.authorization.k8s.io",), ("clusterroles",), ("view",)),
     req("bind", "rbac.authorization.k8s.io", "clusterroles", name="cluster-admin"), False),
    ("names impersonate group", R(("impersonate",), ("",), ("groups",), ("devs",)),
     req("impersonate", "", "groups", name="system:masters", ns=None), False),
    ("names approve signer", R(("approve",), ("certificates.k8s.io",), ("signers",),
                               ("kubernetes.io/kube-apiserver-client",)),
     req("approve", "certificates.k8s.io", "signers", name="kubernetes.io/kube-apiserver-client", ns=None), True),
    # non-resource URLs
    ("url exact", R(("get",), non_resource_urls=("/healthz",)), req("get", path="/healthz", ns=None), True),
    ("url other", R(("get",), non_resource_urls=("/healthz",)), req("get", path="/livez", ns=None), False),
    ("url star", R(("get",), non_resource_urls=("*",)), req("get", path="/metrics", ns=None), True),
    ("url prefix star", R(("get",), non_resource_urls=("/healthz/*",)), req("get", path="/healthz/etcd", ns=None),
     True),
    ("url prefix star not the bare path", R(("get",), non_resource_urls=("/healthz/*",)),
     req("get", path="/healthz", ns=None), False),
    ("url prefix without slash", R(("get",), non_resource_urls=("/health*",)), req("get", path="/healthz", ns=None),
     True),
    ("url exact is not a prefix", R(("get",), non_resource_urls=("/api",)), req("get", path="/api/v1", ns=None),
     False),
    ("url verb mismatch", R(("get",), non_resource_urls=("/metrics",)), req("post", path="/metrics", ns=None),
     False),
    ("url rule does not grant resources", R(("get",), non_resource_urls=("*",)), req("get", "", "pods"), False),
    ("resource rule does not grant urls", R(("get",), ("*",), ("*",)), req("get", path="/metrics", ns=None), False),
    ("url in middle star is literal", R(("get",), non_resource_urls=("/a/*/b",)), req("get", path="/a/x/b", ns=None),
     False),
    ("url double star suffix", R(("get",), non_resource_urls=("/logs**",)), req("get", path="/logs/x", ns=None),
     True),
]


@pytest.mark.parametrize(("case", "rule", "request_", "expected"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rule_allows(case: str, rule: Rule, request_: Request, expected: bool) -> None:
    assert rule_allows(rule, request_) is expected, case


# ---- cluster level: bindings, scope, subjects, groups, aggregation --------------------------------
RBAC = "rbac.authorization.k8s.io/v1"


def _role(name: str, rules: list[dict[str, Any]], ns: str | None = None, labels: dict[str, str] | None = None,
          aggregate: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    obj: dict[str, Any] = {"apiVersion": RBAC, "kind": "Role" if ns else "ClusterRole", "metadata": meta,
                           "rules": rules}
    if aggregate:
        obj["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {aggregate: "true"}}]}
    return obj


def _bind(name: str, kind: str, role: str, subjects: list[dict[str, str]], ns: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": RBAC, "kind": "RoleBinding" if ns else "ClusterRoleBinding", "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}, "subjects": subjects}


def _r(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if names:
        out["resourceNames"] = names
    return out


U = lambda n: {"kind": "User", "name": n}  # noqa: E731
G = lambda n: {"kind": "Group", "name": n}  # noqa: E731


def SA(name: str, ns: str | None = None) -> dict[str, str]:  # noqa: N802
    out = {"kind": "ServiceAccount", "name": name}
    if ns:
        out["namespace"] = ns
    return out


OBJECTS: list[dict[str, Any]] = [
    _role("pod-reader", [_r([""], ["pods"], ["get", "list", "watch"])]),
    _role("node-reader", [_r([""], ["nodes"], ["get", "list"]), _r([""], ["namespaces"], ["get", "patch"]),
                          {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]),
    _role("deployer", [_r(["apps"], ["deployments"], ["create", "update"]), _r([""], ["pods/exec"], ["create"])],
          "shop"),
    _role("named-secrets", [_r([""], ["secrets"], ["get"], ["db"])], "shop"),
    _role("empty-name-lister", [_r([""], ["secrets"], ["list"], [""]), _r([""], ["pods"], ["create"], [""])]),
    _role("crd-admin", [_r(["example.io"], ["*"], ["*"])]),
    _role("everything", [_r(["*"], ["*"], ["*"]), {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    _role("binder", [_r(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"], ["view"]),
                     _r(["rbac.authorization.k8s.io"], ["rolebindings"], ["create"])]),
    # aggregation: 'agg-view' has empty rules in the manifest; two roles feed it
    _role("agg-view", [], aggregate="example.io/aggregate-to-agg-view"),
    _role("widgets-view", [_r(["example.io"], ["widgets"], ["get"])],
          labels={"example.io/aggregate-to-agg-view": "true"}),
    _role("gadgets-view", [_r(["example.io"], ["gadgets"], ["list"])],
          labels={"example.io/aggregate-to-agg-view": "true"}),
    _role("unrelated", [_r(["example.io"], ["secrets"], ["get"])], labels={"other": "true"}),
    # bindings
    _bind("alice-pods", "ClusterRole", "pod-reader", [U("alice")]),                        # CRB: everywhere
    _bind("bob-pods", "ClusterRole", "pod-reader", [U("bob")], "shop"),                    # RB to ClusterRole
    _bind("bob-nodes", "ClusterRole", "node-reader", [U("bob")], "shop"),                  # cluster-scoped rules
    _bind("carol-nodes", "ClusterRole", "node-reader", [U("carol")]),
    _bind("deployer", "Role", "deployer", [SA("ci"), G("deployers")], "shop"),             # SA ns defaulted
    _bind("deployer-other-ns", "Role", "deployer", [SA("ci", "dev")], "shop"),             # explicit ns
    _bind("secret-db", "Role", "named-secrets", [U("dave")], "shop"),
    _bind("crd-admins", "ClusterRole", "crd-admin", [U("erin")]),
    _bind("sa-group", "ClusterRole", "pod-reader", [G("system:serviceaccounts:prod")]),
    _bind("all-sa", "ClusterRole", "agg-view", [G("system:serviceaccounts")]),
    _bind("authenticated", "ClusterRole", "widgets-view", [G("system:authenticated")], "public"),
    _bind("anonymous", "ClusterRole", "gadgets-view", [G("system:unauthenticated")], "public"),
    _bind("nodes", "ClusterRole", "pod-reader", [G("system:nodes")], "kube-system"),
    _bind("ghost", "Role", "does-not-exist", [U("frank")], "shop"),
    _bind("ghost-cluster", "ClusterRole", "missing", [U("frank")]),
    _bind("crb-to-role", "Role", "deployer", [U("gina")]),                                 # invalid: CRB→Role
    _bind("sa-no-ns-in-crb", "ClusterRole", "everything", [SA("nobody")]),                 # matches nothing
    _bind("user-spelled-sa", "ClusterRole", "node-reader", [U("system:serviceaccount:prod:api")]),
    _bind("root", "ClusterRole", "everything", [U("root")]),
    _bind("ns-root", "ClusterRole", "everything", [U("nsroot")], "shop"),
    _bind("binder", "ClusterRole", "binder", [U("henry")], "shop"),
    _bind("unknown-kind", "ClusterRole", "everything", [{"kind": "Robot", "name": "r2"}]),
    _bind("ivan-agg", "ClusterRole", "agg-view", [U("ivan")], "shop"),
    _bind("empty-name", "ClusterRole", "empty-name-lister", [U("jack")]),
]

CLUSTER_CASES: list[tuple[str, str, str, str, str | None, str | None, bool]] = [
    # ClusterRoleBinding: every namespace and cluster-wide
    ("CRB in a namespace", "User:alice", "get", "pods", "shop", None, True),
    ("CRB in another namespace", "User:alice", "list", "pods", "dev", None, True),
    ("CRB cluster-wide list", "User:alice", "list", "pods", None, None, True),
    ("CRB verb not granted", "User:alice", "delete", "pods", "shop", None, False),
    ("CRB other resource", "User:alice", "get", "secrets", "shop", None, False),
    ("CRB subresource not granted", "User:alice", "get", "pods/log", "shop", "web", False),
    ("other user", "User:zed", "get", "pods", "shop", None, False),
    # RoleBinding to a ClusterRole: only its namespace
    ("RB→CR own namespace", "User:bob", "get", "pods", "shop", None, True),
    ("RB→CR other namespace", "User:bob", "get", "pods", "dev", None, False),
    ("RB→CR cluster-wide list", "User:bob", "list", "pods", None, None, False),
    ("RB never grants nodes", "User:bob", "get", "nodes", "shop", None, False),
    ("RB never grants nodes cluster-wide", "User:bob", "list", "nodes", None, None, False),
    ("RB never grants non-resource URLs", "User:bob", "get", "/metrics", None, None, False),
    ("RB reaches its own Namespace object", "User:bob", "patch", "namespaces", None, "shop", True),
    ("RB get own Namespace", "User:bob", "get", "namespaces", "shop", "shop", True),
    ("RB does not reach other Namespace", "User:bob", "patch", "namespaces", None, "dev", False),
    ("RB cannot list namespaces", "User:bob", "get", "namespaces", None, None, False),
    ("CRB nodes", "User:carol", "get", "nodes", None, "node-1", True),
    ("CRB list nodes", "User:carol", "list", "nodes", None, None, True),
    ("CRB non-resource URL", "User:carol", "get", "/metrics", None, None, True),
    ("CRB other URL", "User:carol", "get", "/healthz", None, None, False),
    ("CRB URL wrong verb", "User:carol", "post", "/metrics", None, None, False),
    ("CRB patch any Namespace", "User:carol", "patch", "namespaces", None, "dev", True),
    ("cluster-scoped resource ignores namespace argument", "User:carol", "get", "nodes", "shop", None, True),
    # Role in a RoleBinding, ServiceAccount subjects
    ("SA subject without namespace defaults to the RB namespace", "ServiceAccount:shop:ci", "create",
     "deployments.apps", "shop", None, True),
    ("SA username form", "system:serviceaccount:shop:ci", "create", "deployments", "shop", None, True),
    ("SA of another namespace same name", "ServiceAccount:dev:ci", "create", "deployments.apps", "shop", None,
     True),
    ("SA with explicit namespace only that one", "ServiceAccount:prod:ci", "create", "deployments.apps", "shop",
     None, False),
    ("Role outside its namespace", "ServiceAccount:shop:ci", "create", "deployments.apps", "dev", None, False),
    ("Role apps group only", "ServiceAccount:shop:ci", "create", "deployments.extensions", "shop", None, False),
    ("bare deployments reads as apps", "ServiceAccount:shop:ci", "update", "deployments", "shop", "web", True),
    ("Role pods/exec", "ServiceAccount:shop:ci", "create", "pods/exec", "shop", "web", True),
    ("Role pods/exec does not give pods", "ServiceAccount:shop:ci", "get", "pods", "shop", "web", False),
    ("Role pods/exec does not give attach", "ServiceAccount:shop:ci", "create", "pods/attach", "shop", "web", False),
    ("group subject", "Group:deployers", "create", "deployments.apps", "shop", None, True),
    ("user in group via nothing", "User:deployers", "create", "deployments.apps", "shop", None, False),
    # resourceNames through bindings
    ("named secret", "User:dave", "get", "secrets", "shop", "db", True),
    ("other secret", "User:dave", "get", "secrets", "shop", "api", False),
    ("list with names never", "User:dave", "list", "secrets", "shop", None, False),
    ("get without name never", "User:dave", "get", "secrets", "shop", None, False),
    # CRD-group wildcard is not cluster admin
    ("CRD wildcard in its group", "User:erin", "delete", "widgets.example.io", "shop", None, True),
    ("CRD wildcard any resource of its group", "User:erin", "create", "anything.example.io", None, None, True),
    ("CRD wildcard not core", "User:erin", "get", "secrets", "shop", None, False),
    ("CRD wildcard not everything", "User:erin", "*", "*", None, None, False),
    # implicit groups
    ("SA in system:serviceaccounts:<ns>", "ServiceAccount:prod:web", "get", "pods", "shop", None, True),
    ("SA of another namespace not in that group", "ServiceAccount:dev:web", "get", "pods", "shop", None, False),
    ("user not in SA groups", "User:prod-user", "get", "pods", "shop", None, False),
    ("all SAs via system:serviceaccounts (aggregated role)", "ServiceAccount:dev:web", "get", "widgets.example.io",
     "dev", None, True),
    ("aggregated role second source", "ServiceAccount:dev:web", "list", "gadgets.example.io", None, None, True),
    ("aggregation does not pick unlabelled roles", "ServiceAccount:dev:web", "get", "secrets.example.io", "dev",
     None, False),
    ("users are not in system:serviceaccounts", "User:alice", "get", "widgets.example.io", "dev", None, False),
    ("system:authenticated includes users (RB in public)", "User:zed", "get", "widgets.example.io", "public", None,
     True),
    ("system:authenticated includes SAs", "ServiceAccount:dev:web", "get", "widgets.example.io", "public", None,
     True),
    ("system:authenticated RB only in its namespace", "User:zed", "get", "widgets.example.io", "shop", None, False),
    ("anonymous is not authenticated", "User:system:anonymous", "get", "widgets.example.io", "public", None, False),
    ("anonymous is unauthenticated", "User:system:anonymous", "list", "gadgets.example.io", "public", None, True),
    ("users are not unauthenticated", "User:zed", "list", "gadgets.example.io", "public", None, False),
    ("nodes are in system:nodes", "User:system:node:node-1", "get", "pods", "kube-system", None, True),
    ("nodes group RB only in kube-system", "User:system:node:node-1", "get", "pods", "shop", None, False),
    ("users are not nodes", "User:node-1", "get", "pods", "kube-system", None, False),
    ("Group query counts only that group", "Group:system:serviceaccounts", "get", "widgets.example.io", "dev", None,
     True),
    ("Group query does not add authenticated", "Group:deployers", "get", "widgets.example.io", "public", None,
     False),
    ("Group query other group", "Group:devs", "get", "widgets.example.io", "dev", None, False),
    # missing roles grant nothing
    ("binding to a missing Role", "User:frank", "get", "pods", "shop", None, False),
    ("binding to a missing ClusterRole", "User:frank", "get", "pods", None, None, False),
    ("CRB to a Role grants nothing", "User:gina", "create", "deployments.apps", "shop", None, False),
    ("SA subject without namespace in a CRB matches nothing", "ServiceAccount:default:nobody", "get", "pods", None,
     None, False),
    ("unknown subject kind matches nothing", "User:r2", "get", "pods", None, None, False),
    # a User subject spelled as an SA username is that SA
    ("User subject with SA username", "ServiceAccount:prod:api", "get", "nodes", None, None, True),
    ("User subject with SA username, other SA", "ServiceAccount:prod:web", "get", "nodes", None, None, False),
    # wildcard admin
    ("root any verb any resource", "User:root", "escalate", "clusterroles", None, "admin", True),
    ("root request star", "User:root", "*", "*", None, None, True),
    ("root URL", "User:root", "delete", "/logs/x", None, None, True),
    ("root CRD", "User:root", "create", "widgets.example.io", "x", None, True),
    ("namespace root in its namespace", "User:nsroot", "*", "*", "shop", None, True),
    ("namespace root elsewhere", "User:nsroot", "get", "pods", "dev", None, False),
    ("namespace root not cluster-scoped", "User:nsroot", "get", "nodes", None, None, False),
    ("namespace root not cluster-wide", "User:nsroot", "list", "secrets", None, None, False),
    ("namespace root not URLs", "User:nsroot", "get", "/healthz", None, None, False),
    ("namespace root own Namespace object", "User:nsroot", "delete", "namespaces", None, "shop", True),
    ("namespace root impersonate users (cluster-scoped)", "User:nsroot", "impersonate", "users", None, "x", False),
    ("namespace root impersonate SAs of its namespace", "User:nsroot", "impersonate", "serviceaccounts", "shop",
     "web", True),
    # bind is checked in the namespace of the RoleBinding being written
    ("bind named clusterrole in RB namespace", "User:henry", "bind", "clusterroles", "shop", "view", True),
    ("bind other clusterrole", "User:henry", "bind", "clusterroles", "shop", "admin", False),
    ("bind in other namespace", "User:henry", "bind", "clusterroles", "dev", "view", False),
    ("bind for a ClusterRoleBinding (no namespace)", "User:henry", "bind", "clusterroles", None, "view", False),
    ("create rolebindings", "User:henry", "create", "rolebindings", "shop", None, True),
    ("create clusterrolebindings", "User:henry", "create", "clusterrolebindings", None, None, False),
    # system:masters is allowed everything without a binding
    ("system:masters", "Group:system:masters", "delete", "nodes", None, "n1", True),
    ("system:masters any URL", "Group:system:masters", "get", "/debug/pprof", None, None, True),
    ("system:masters anything", "Group:system:masters", "*", "*", None, None, True),
    # RoleBinding to an aggregated ClusterRole
    ("RB to aggregated role", "User:ivan", "get", "widgets.example.io", "shop", None, True),
    ("RB to aggregated role other ns", "User:ivan", "get", "widgets.example.io", "dev", None, False),
    ("aggregated verbs stay per source rule", "User:ivan", "list", "widgets.example.io", "shop", None, False),
    # resourceNames [""]: the nameless request's name is "" (ResourceNameMatches)
    ("resourceNames empty string: list all", "User:jack", "list", "secrets", None, None, True),
    ("resourceNames empty string: no named get", "User:jack", "get", "secrets", "shop", "db", False),
    ("resourceNames empty string: create", "User:jack", "create", "pods", "shop", None, True),
]


@pytest.fixture(scope="module")
def rb() -> Any:
    snap = Snapshot.from_objects(OBJECTS, metadata={"source": "manifests"})
    return analyze(Model(snap))


@pytest.mark.parametrize(("case", "subject", "verb", "resource", "ns", "name", "expected"), CLUSTER_CASES,
                         ids=[c[0] for c in CLUSTER_CASES])
def test_can(rb: Any, case: str, subject: str, verb: str, resource: str, ns: str | None, name: str | None,
             expected: bool) -> None:
    d = rb.can(subject, verb, resource, ns, name)
    assert bool(d) is expected, f"{case}: {d}"
    if expected and not d.masters:
        assert d.reasons, "an allowed decision names the rule that allowed it"


def test_enough_cases() -> None:
    assert len(RULE_CASES) + len(CLUSTER_CASES) >= 150


def test_missing_role_is_reported(rb: Any) -> None:
    d = rb.can("User:frank", "get", "pods", "shop")
    assert not d
    assert any("RoleBinding/shop/ghost" in x and "does-not-exist" in x for x in d.dangling)
    assert any("does not exist" in line for line in d.why)


def test_empty_resource_name_is_a_full_capability(rb: Any) -> None:
    """resourceNames [""] on list secrets lists every Secret (plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows →
    pkg/apis/rbac/v1/evaluation_helpers.go ResourceNameMatches: ``ruleName == requestedName`` with requestedName ""
    for a list), so the catalog and escalation see it as reading every Secret and creating pods."""
    risky = rb.risky[rb.risky["subject"] == "User:jack"]
    assert {"RBAC-SECRETS-READ", "RBAC-POD-CREATE"} <= set(risky["check_id"])
    assert ("user:jack", "rbac-grant", "secrets:*") in {(s.source, s.technique, s.target) for s in rb.steps}
    assert '""' in set(rb.permissions.loc[rb.permissions["subject"] == "User:jack", "resourceNames"].astype(str))


def test_who_can_matches_can(rb: Any) -> None:
    """who_can and can agree on every subject of the conformance cluster."""
    for verb, resource, ns, name in (("get", "pods", "shop", None), ("create", "deployments", "shop", None),
                                     ("get", "widgets.example.io", "public", None), ("get", "/metrics", None, None),
                                     ("patch", "namespaces", None, "shop"), ("get", "secrets", "shop", "db"),
                                     ("list", "secrets", None, None)):
        who = set(rb.who_can(verb, resource, ns, name)["subject"])
        for subject in rb.principals.principals:
            assert (subject in who) is bool(rb.can(subject, verb, resource, ns, name)), (subject, verb, resource)
