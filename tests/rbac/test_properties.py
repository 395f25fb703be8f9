"""Property tests (hypothesis) of the authorizer over random roles, bindings and requests."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubesec_nb.model import Model
from kubesec_nb.rbac import analyze
from kubesec_nb.rbac.apiresources import CLUSTER_SCOPED
from kubesec_nb.rbac.rules import Request, Rule, rule_allows
from kubesec_nb.snapshot import Snapshot

RBAC = "rbac.authorization.k8s.io/v1"
NAMESPACES = ["a", "b"]
VERBS = ["get", "list", "create", "patch", "delete", "bind", "impersonate", "*"]
GROUPS = ["", "apps", "rbac.authorization.k8s.io", "example.io", "*"]
RESOURCES = ["pods", "pods/exec", "secrets", "deployments", "nodes", "nodes/proxy", "namespaces", "clusterroles",
             "users", "*", "*/exec", "pods/*"]
NAMES = ["x", "y", "a", ""]  # "" matches nameless requests (ResourceNameMatches)
SUBJECTS = [("User", "alice", None), ("User", "bob", None), ("Group", "devs", None),
            ("Group", "system:authenticated", None), ("ServiceAccount", "web", "a"), ("ServiceAccount", "web", None),
            ("Group", "system:serviceaccounts:b", None)]
QUERY_SUBJECTS = ["User:alice", "User:bob", "Group:devs", "ServiceAccount:a:web", "ServiceAccount:b:web",
                  "ServiceAccount:b:api"]

rules_st = st.builds(
    lambda v, g, r, n, u: {k: val for k, val in (("verbs", v), ("apiGroups", g), ("resources", r),
                                                  ("resourceNames", n), ("nonResourceURLs", u)) if val},
    st.lists(st.sampled_from(VERBS), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(NAMES), max_size=1),
    st.lists(st.sampled_from(["/metrics", "/healthz*", "*"]), max_size=1))


@st.composite
def clusters(draw: Any, max_bindings: int = 5) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    n_roles = draw(st.integers(1, 3))
    for i in range(n_roles):
        rules = draw(st.lists(rules_st, min_size=1, max_size=3))
        objs.append({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": f"cr{i}"}, "rules": rules})
        objs.append({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": f"r{i}", "namespace": "a"},
                     "rules": rules})
    for j in range(draw(st.integers(0, max_bindings))):
        objs.append(draw(bindings(j, n_roles)))
    return objs


@st.composite
def bindings(draw: Any, j: int, n_roles: int) -> dict[str, Any]:
    kind, role_kind = draw(st.sampled_from([("ClusterRoleBinding", "ClusterRole"), ("RoleBinding", "ClusterRole"),
                                            ("RoleBinding", "Role")]))
    ns = draw(st.sampled_from(NAMESPACES)) if kind == "RoleBinding" else None
    subjects = []
    for k, name, sns in draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=2)):
        s = {"kind": k, "name": name}
        if sns:
            s["namespace"] = sns
        subjects.append(s)
    meta = {"name": f"b{j}", **({"namespace": ns} if ns else {})}
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta, "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind,
                        "name": f"{'cr' if role_kind == 'ClusterRole' else 'r'}{draw(st.integers(0, n_roles - 1))}"}}


queries = st.tuples(st.sampled_from(VERBS[:-1]), st.sampled_from([
    "pods", "pods/exec", "secrets", "deployments.apps", "nodes", "nodes/proxy", "namespaces", "users",
    "widgets.example.io", "clusterroles", "/metrics", "/healthz/etcd"]),
    st.sampled_from([None, *NAMESPACES]), st.sampled_from([None, *NAMES]))


def _analyze(objs: list[dict[str, Any]]) -> Any:
    return analyze(Model(Snapshot.from_objects(objs)))


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.sampled_from([*VERBS, "escalate", "approve", "deletecollection"]),
       st.sampled_from([*GROUPS, "certificates.k8s.io"]), st.text("abcdefghijklmnopqrstuvwxyz*", min_size=1),
       st.text("abcdefghijklmnopqrstuvwxyz", max_size=8), st.one_of(st.none(), st.text(min_size=1, max_size=5)),
       st.one_of(st.none(), st.sampled_from(NAMESPACES)))
def test_star_everywhere_allows_everything(verb: str, group: str, resource: str, sub: str, name: str | None,
                                           ns: str | None) -> None:
    star = Rule(("*",), ("*",), ("*",), (), ("*",))
    assert rule_allows(star, Request(verb, group, resource, sub, ns, name))
    assert rule_allows(star, Request(verb, path="/" + resource))


@FAST
@given(queries)
def test_star_cluster_role_binding_allows_every_query(q: tuple[str, str, str | None, str | None]) -> None:
    rb = _analyze([{"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "all"},
                    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                              {"nonResourceURLs": ["*"], "verbs": ["*"]}]},
                   {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": "all"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "all"},
                    "subjects": [{"kind": "User", "name": "alice"}]}])
    assert rb.can("User:alice", *q)


@FAST
@given(clusters(), st.data())
def test_adding_a_binding_never_removes_a_permission(objs: list[dict[str, Any]], data: Any) -> None:
    n_roles = sum(1 for o in objs if o["kind"] == "ClusterRole")
    extra = data.draw(bindings(99, n_roles))
    before, after = _analyze(objs), _analyze([*objs, extra])
    for q in data.draw(st.lists(queries, min_size=5, max_size=10)):
        for s in QUERY_SUBJECTS:
            if before.can(s, *q):
                assert after.can(s, *q), (s, q, extra)


@FAST
@given(clusters(max_bindings=6))
def test_role_bindings_never_grant_cluster_scoped_resources(objs: list[dict[str, Any]]) -> None:
    only_rb = [o for o in objs if o["kind"] != "ClusterRoleBinding"]
    rb = _analyze(only_rb)
    for s in QUERY_SUBJECTS:
        for verb in VERBS:
            for group, resource in sorted(CLUSTER_SCOPED):
                if resource == "namespaces" or (verb == "bind" and resource == "clusterroles"):
                    continue  # a Namespace object is in its own namespace; bind is checked in the binding's
                for ns in (None, *NAMESPACES):
                    q = f"{resource}.{group}" if group else resource
                    assert not rb.can(s, verb, q, ns, "x"), (s, verb, q, ns)
            assert not rb.can(s, verb, "/metrics"), (s, verb)
            # namespaces: only the RoleBinding's own namespace object
            for name in NAMESPACES:
                d = rb.can(s, verb, "namespaces", None, name)
                assert all(r.scope in ("cluster", name) for r in d.reasons), d


@FAST
@given(clusters(), st.lists(queries, min_size=3, max_size=6))
def test_who_can_agrees_with_can(objs: list[dict[str, Any]], qs: list[tuple[str, str, str | None, str | None]]
                                 ) -> None:
    rb = _analyze(objs)
    for q in qs:
        who = set(rb.who_can(*q)["subject"])
        for s in rb.principals.principals:
            assert (s in who) is bool(rb.can(s, *q)), (s, q)


@FAST
@given(clusters())
def test_permission_rows_are_allowed(objs: list[dict[str, Any]]) -> None:
    """Every concrete row of the permissions table is allowed by the authorizer."""
    rb = _analyze(objs)
    for row in rb.permissions.to_dict("records"):
        if row["binding"] == "(system:masters)":
            continue
        names = [n.strip('"') for n in str(row["resourceNames"]).split(",") if n] or [None]
        ns = None if row["scope"] == "cluster" else str(row["scope"])
        if row["nonResourceURL"]:
            path = str(row["resource"]).rstrip("*") or "/"
            assert rb.can(row["subject"], row["verb"], path if path.startswith("/") else "/" + path), row
            continue
        resource = str(row["resource"])
        if "*" in resource or row["apiGroup"] == "*" or row["verb"] == "*":
            continue  # wildcard rows stand for many requests; the rule tests cover them
        group = str(row["apiGroup"])
        base, _, sub = resource.partition("/")
        name = ns if base == "namespaces" and ns else names[0]
        req = Request.for_query(str(row["verb"]), f"{base}/{sub}" if sub else base, ns, name, api_group=group)
        p = rb.principal(row["subject"])
        d = rb.authorizer.authorize(p.subject, p.identity.username, p.groups, req)
        assert d, (row, str(req))
