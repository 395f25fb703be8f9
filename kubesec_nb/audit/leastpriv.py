"""Least-privilege RBAC from what a subject did: roles that allow exactly its logged requests, and the check.

The suggestion covers the subject's allowed requests that the cluster would refuse once the bindings that
name the subject are removed (requests its groups already allow, such as discovery for
``system:authenticated``, need nothing). Each rule allows only logged (verb, resource, name) combinations:

* resources share a rule only when they were used with the same verbs and names;
* names stay as ``resourceNames`` (a verb also used without a name needs none; creating a top-level object
  has none, as RBAC cannot limit it by name; more than the summary's name limit for one verb counts as any
  name);
* requests in a namespace get a Role and RoleBinding there; requests without one (cluster-scoped resources,
  lists across every namespace, non-resource URLs) a ClusterRole and ClusterRoleBinding, which RBAC cannot
  narrow further: a ClusterRoleBinding also allows the same verb inside each namespace;
* ``get`` on ``pods/exec``, ``attach`` or ``portforward`` (a WebSocket session) also needs ``create`` where
  ``exec_via_get`` is off (Kubernetes 1.35 and later).

:func:`round_trip` proves it: the cluster without the subject's bindings, plus the suggestion, allows every
logged request again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from kubesec_nb.audit.usage import request_of
from kubesec_nb.identity import binding_subject
from kubesec_nb.model import Model
from kubesec_nb.rbac.analysis import RbacAnalysis
from kubesec_nb.rbac.objects import CLUSTERROLEBINDINGS, ROLEBINDINGS
from kubesec_nb.rbac.rules import Request
from kubesec_nb.rbac.subjects import MASTERS, Identity, parse_subject
from kubesec_nb.snapshot.document import Snapshot
from kubesec_nb.snapshot.resources import group_resource

RBAC_API = "rbac.authorization.k8s.io"
CONNECT = frozenset({"exec", "attach", "portforward"})


@dataclass(frozen=True, order=True)
class Used:
    """One logged request shape: where (``""`` = no namespace), verb, group, resource[/sub], name, or a path."""

    namespace: str
    verb: str
    group: str = ""
    resource: str = ""
    name: str = ""
    path: str = ""

    @classmethod
    def of(cls, namespace: str, verb: str, group: str, resource: str, name: str, path: str) -> Used:
        """A shape with the name RBAC sees: none for creating a top-level object (the name is in the body)
        and none for the summary's "many names" bucket ``*``.

        >>> Used.of("shop", "create", "", "pods", "web", ""), Used.of("shop", "create", "", "pods/exec", "web", "")
        (Used(namespace='shop', verb='create', group='', resource='pods', name='', path=''), \
Used(namespace='shop', verb='create', group='', resource='pods/exec', name='web', path=''))
        """
        if name == "*" or (verb == "create" and "/" not in resource):
            name = ""
        return cls(namespace, verb, group, resource, name, path)

    def request(self) -> Request:
        """The authorization attributes of this shape."""
        res, _, sub = self.resource.partition("/")
        return request_of(self.verb, self.group, res, sub, self.namespace, self.name, self.path)


def without_subject(snapshot: Snapshot, identity: Identity) -> Snapshot:
    """A copy of ``snapshot`` whose RoleBindings and ClusterRoleBindings no longer name ``identity`` (a binding
    left without subjects is dropped); other objects are shared, not copied."""
    objects: dict[str, list[dict[str, Any]]] = {}
    for res_key, objs in snapshot.objects.items():
        if group_resource(res_key) not in (ROLEBINDINGS, CLUSTERROLEBINDINGS):
            objects[res_key] = list(objs)
            continue
        kept = []
        for b in objs:
            subjects = b.get("subjects") or []
            ns = (b.get("metadata") or {}).get("namespace")
            others = [s for s in subjects if binding_subject(s, ns) != identity]
            if len(others) == len(subjects):
                kept.append(b)
            elif others:
                kept.append({**b, "subjects": others})
        objects[res_key] = kept
    return Snapshot(metadata=dict(snapshot.metadata), objects=objects, gaps=list(snapshot.gaps))


def bindings_naming(rbac: RbacAnalysis, identity: Identity) -> list[str]:
    """The bindings whose subjects name ``identity`` itself (not its groups)."""
    return sorted({b.ref for b in rbac.objects.bindings for s in b.subjects if s.key == identity.key})


def reanalyse(rbac: RbacAnalysis, snapshot: Snapshot) -> RbacAnalysis:
    """The RBAC analysis of another snapshot with the same options and Kubernetes version."""
    version = f"{rbac.model.version[0]}.{rbac.model.version[1]}"
    return RbacAnalysis(Model(snapshot, k8s_version=version), rbac.options)


def _subject_entry(identity: Identity) -> dict[str, str]:
    if identity.kind == "ServiceAccount":
        return {"kind": "ServiceAccount", "name": identity.name, "namespace": identity.namespace}
    return {"apiGroup": RBAC_API, "kind": identity.kind, "name": identity.name}


def role_name(identity: Identity) -> str:
    """The name of the suggested roles and bindings.

    >>> role_name(parse_subject("ServiceAccount:ci:jenkins"))
    'kubesec-nb:least-privilege:serviceaccount:ci:jenkins'
    """
    who = f"{identity.namespace}:{identity.name}" if identity.kind == "ServiceAccount" else identity.name
    return f"kubesec-nb:least-privilege:{identity.kind.lower()}:{who}"


def _rules(used: Iterable[Used]) -> list[dict[str, Any]]:
    """Exact rules for one scope (see the module docstring)."""
    nameless: dict[tuple[str, str], set[str]] = defaultdict(set)
    named: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    urls: dict[str, set[str]] = defaultdict(set)
    items = list(used)
    for u in items:
        if u.path:
            urls[u.path].add(u.verb)
        elif not u.name:
            nameless[(u.group, u.resource)].add(u.verb)
    for u in items:
        if not u.path and u.name and u.verb not in nameless.get((u.group, u.resource), ()):
            named[(u.group, u.resource)][u.name].add(u.verb)
    rules: dict[tuple[Any, ...], set[str]] = defaultdict(set)  # (group, verbs, names) -> resources
    for (group, res), verbs in nameless.items():
        rules[(group, tuple(sorted(verbs)), ())].add(res)
    for (group, res), by_name in named.items():
        by_verbs: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for name, verbs in by_name.items():
            by_verbs[tuple(sorted(verbs))].append(name)
        for verbs_t, names in by_verbs.items():
            rules[(group, verbs_t, tuple(sorted(names)))].add(res)
    out: list[dict[str, Any]] = []
    for (group, verbs_t, names), resources in sorted(rules.items()):
        rule: dict[str, Any] = {"apiGroups": [group], "resources": sorted(resources), "verbs": list(verbs_t)}
        if names:
            rule["resourceNames"] = list(names)
        out.append(rule)
    by_url_verbs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path, verbs in urls.items():
        by_url_verbs[tuple(sorted(verbs))].append(path)
    out.extend({"nonResourceURLs": sorted(paths), "verbs": list(verbs_t)}
               for verbs_t, paths in sorted(by_url_verbs.items()))
    return out


def _covered(u: Used, cluster: set[Used]) -> bool:
    """Whether the cluster-wide part of the suggestion already allows ``u`` (a request inside a namespace)."""
    return any(c.verb == u.verb and c.group == u.group and c.resource == u.resource and c.name in ("", u.name)
               and not c.path for c in cluster)


def suggest(identity: Identity, used: Iterable[Used], *, exec_via_get: bool) -> list[dict[str, Any]]:
    """The Role/ClusterRole and binding objects that allow exactly ``used`` for ``identity``."""
    shapes = set(used)
    if not exec_via_get:
        shapes |= {Used(u.namespace, "create", u.group, u.resource, u.name) for u in shapes
                   if u.verb == "get" and u.group == "" and u.resource.partition("/")[::2] in
                   {("pods", s) for s in CONNECT}}
    cluster = {u for u in shapes if not u.namespace}
    by_ns: dict[str, set[Used]] = defaultdict(set)
    for u in shapes:
        if u.namespace and not _covered(u, cluster):
            by_ns[u.namespace].add(u)
    name = role_name(identity)
    labels = {"app.kubernetes.io/managed-by": "kubesec-nb"}
    subject = _subject_entry(identity)
    objs: list[dict[str, Any]] = []
    if cluster:
        objs.append({"apiVersion": f"{RBAC_API}/v1", "kind": "ClusterRole",
                     "metadata": {"name": name, "labels": labels}, "rules": _rules(cluster)})
        objs.append({"apiVersion": f"{RBAC_API}/v1", "kind": "ClusterRoleBinding",
                     "metadata": {"name": name, "labels": labels},
                     "roleRef": {"apiGroup": RBAC_API, "kind": "ClusterRole", "name": name},
                     "subjects": [subject]})
    for ns in sorted(by_ns):
        objs.append({"apiVersion": f"{RBAC_API}/v1", "kind": "Role",
                     "metadata": {"name": name, "namespace": ns, "labels": labels}, "rules": _rules(by_ns[ns])})
        objs.append({"apiVersion": f"{RBAC_API}/v1", "kind": "RoleBinding",
                     "metadata": {"name": name, "namespace": ns, "labels": labels},
                     "roleRef": {"apiGroup": RBAC_API, "kind": "Role", "name": name},
                     "subjects": [subject]})
    return objs


def to_yaml(objs: list[dict[str, Any]], header: Iterable[str]) -> str:
    """Multi-document YAML with ``header`` as leading comments."""
    head = "".join(f"# {line}\n" for line in header)
    body = yaml.safe_dump_all(objs, sort_keys=False, default_flow_style=False) if objs else ""
    return head + ("---\n" + body if body else "")


def allowed_without(rbac: RbacAnalysis, identity: Identity, groups: Iterable[str], used: Iterable[Used],
                    extra: Iterable[dict[str, Any]] = ()) -> dict[Used, bool]:
    """Whether each request is allowed once the bindings naming ``identity`` are gone (and ``extra`` objects,
    a suggestion, are added). ``system:masters`` is left out of ``groups``: RBAC cannot grant or remove it."""
    snap = without_subject(rbac.model.snapshot, identity)
    for obj in extra:
        snap.add(obj)
    reduced = reanalyse(rbac, snap)
    gs = tuple(g for g in dict.fromkeys(groups) if g != MASTERS)
    return {u: reduced.authorizer.authorize(identity.subject, identity.username, gs, u.request()).allowed
            for u in used}


def round_trip(rbac: RbacAnalysis, subject: str, text: str, used: Iterable[Used], groups: Iterable[str]) -> list[Used]:
    """The logged requests that the cluster without the subject's bindings plus the suggested YAML does not
    allow (empty: the suggestion is sufficient)."""
    identity = parse_subject(subject)
    objs = [d for d in yaml.safe_load_all(text) if d]
    got = allowed_without(rbac, identity, groups, used, objs)
    return sorted(u for u, ok in got.items() if not ok)
