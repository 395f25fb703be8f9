"""Effective permissions (one row per subject, scope, verb, group, resource) and who-can queries.

Rules are expanded once per (role, binding kind) and joined to the binding subjects, then to
every principal through its memberships (its own key and each group), vectorised with pandas
so that tens of thousands of service accounts stay within seconds.

Scope is ``cluster`` for ClusterRoleBindings, else the RoleBinding's namespace. Rows a
RoleBinding can never make effective are left out: non-resource URLs and known
cluster-scoped resources (a ``namespaces`` row in a namespace scope is that Namespace object,
named in ``resourceNames``; ``bind`` on ``clusterroles`` is kept, as the API server checks it in the
binding's namespace). Non-resource URL rows have ``nonResourceURL`` True, the URL pattern
in ``resource`` and an empty ``apiGroup``. Members of ``system:masters`` get one ``*``/``*``/``*`` row
and one ``*`` URL row from ``(system:masters)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kubesec_nb.rbac.apiresources import carries_namespace
from kubesec_nb.rbac.authorizer import Authorizer, Grant
from kubesec_nb.rbac.rules import ALL, Request, Rule, rule_allows, shown_names
from kubesec_nb.rbac.subjects import MASTERS, group

PERMISSION_COLUMNS = ["subject", "subject_kind", "scope", "verb", "apiGroup", "resource", "resourceNames",
                      "nonResourceURL", "binding", "role", "rule_index", "via", "platform"]
WHO_CAN_COLUMNS = ["subject", "subject_kind", "via", "scope", "binding", "role", "rule_index", "rule", "platform"]
MASTERS_BINDING = f"({MASTERS})"
MASTERS_SUBJECT = group(MASTERS).subject


def _expand(rule: Rule, scope: str) -> list[tuple[str, str, str, str, bool]]:
    """``(verb, apiGroup, resource, resourceNames, nonResourceURL)`` rows of one rule at a scope."""
    namespaced = scope != "cluster"
    names = shown_names(rule.resource_names)
    rows = []
    for v in rule.verbs:
        for g in rule.api_groups:
            for r in rule.resources:
                base = r.split("/", 1)[0]
                if namespaced and base == "namespaces":
                    # a RoleBinding reaches its own Namespace object only
                    if rule.resource_names and scope not in rule.resource_names:
                        continue
                    rows.append((v, g, r, scope, False))
                    continue
                if namespaced and not carries_namespace(v, g, base):
                    continue
                rows.append((v, g, r, names, False))
        if not namespaced:
            rows.extend((v, "", u, "", True) for u in rule.non_resource_urls)
    return rows


def _names_namespaces(rules: tuple[Rule, ...]) -> bool:
    return any(r.split("/", 1)[0] == "namespaces" for rule in rules for r in rule.resources)


def grant_frame(authorizer: Authorizer) -> pd.DataFrame:
    """One row per (binding subject key, scope, verb, group, resource), with binding and role."""
    exp_rows: list[tuple[int, int, str, str, str, str, bool]] = []
    exp_ids: dict[tuple[str, str], int] = {}
    grant_rows: list[tuple[str, str, str, str, str, str, int]] = []
    for g in authorizer.grants:
        if g.role is None:
            continue
        scope = g.binding.scope
        # a namespaced expansion depends on the namespace only through rules on Namespace objects
        kind = scope if scope == "cluster" or _names_namespaces(g.role.rules) else "namespace"
        key = (g.role.ref, kind)
        eid = exp_ids.get(key)
        if eid is None:
            eid = exp_ids[key] = len(exp_ids)
            for i, rule in enumerate(g.role.rules):
                exp_rows.extend((eid, i, *row) for row in _expand(rule, scope))
        grant_rows.append((g.key, scope, g.binding.ref, g.role.ref, g.subject.written, g.binding.platform or "", eid))
    exp = pd.DataFrame(exp_rows, columns=["_e", "rule_index", "verb", "apiGroup", "resource", "resourceNames",
                                          "nonResourceURL"])
    grants = pd.DataFrame(grant_rows, columns=["key", "scope", "binding", "role", "via", "platform", "_e"])
    out = grants.merge(exp, on="_e", how="inner").drop(columns="_e")
    for col in ("key", "scope", "binding", "role", "via", "platform", "verb", "apiGroup", "resource",
                "resourceNames"):
        out[col] = out[col].astype("category")
    return out


@dataclass
class WhoCanIndex:
    """Rules indexed by (verb, resource) for fast who-can queries."""

    authorizer: Authorizer
    _idx: dict[tuple[str, str], list[tuple[Grant, int, Rule]]] = field(default_factory=dict, repr=False)
    _urls: list[tuple[Grant, int, Rule]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        idx: dict[tuple[str, str], list[tuple[Grant, int, Rule]]] = defaultdict(list)
        for g in self.authorizer.grants:
            if g.role is None:
                continue
            for i, rule in enumerate(g.role.rules):
                entry = (g, i, rule)
                for v in set(rule.verbs):
                    for r in set(rule.resources):
                        idx[(v, r)].append(entry)
                if rule.non_resource_urls and g.binding.kind == "ClusterRoleBinding":
                    self._urls.append(entry)
        self._idx = dict(idx)

    def matching(self, req: Request) -> list[tuple[Grant, int, Rule]]:
        """Grants and rules that allow ``req`` (RoleBindings only in the request's namespace)."""
        if not req.is_resource_request:
            return [e for e in self._urls if rule_allows(e[2], req)]
        resources = {req.combined_resource, ALL}
        if req.subresource:
            resources.add(f"*/{req.subresource}")
        seen: set[int] = set()
        out: list[tuple[Grant, int, Rule]] = []
        for v in {req.verb, ALL}:
            for r in resources:
                for e in self._idx.get((v, r), ()):
                    g = e[0]
                    if g.binding.kind == "RoleBinding" and g.binding.namespace != req.namespace:
                        continue
                    if id(e) in seen or not rule_allows(e[2], req):
                        continue
                    seen.add(id(e))
                    out.append(e)
        return out


def who_can_frame(matches: Iterable[tuple[Grant, int, Rule]], members: Mapping[str, list[str]],
                  kinds: Mapping[str, str], subject_of_key: Mapping[str, str], masters: Iterable[str]) -> pd.DataFrame:
    """Rows for the grants that allow a request, expanded to group members.

    ``platform`` is why the granting binding is platform-managed (empty when it is not).
    """
    rows: list[tuple[Any, ...]] = []
    for g, i, rule in matches:
        ident = g.subject.identity
        assert g.role is not None and ident is not None  # grants are made for roles that exist and keyed subjects
        base = (g.binding.scope, g.binding.ref, g.role.ref, i, str(rule), g.binding.platform or "")
        who = subject_of_key.get(g.key, ident.subject)
        rows.append((who, kinds.get(who, ident.kind), g.subject.written, *base))
        if ident.kind == "Group":
            rows.extend((m, kinds.get(m, ""), g.subject.written, *base) for m in members.get(ident.name, ()))
    for m in masters:
        rows.append((m, kinds.get(m, ""), MASTERS_SUBJECT, "cluster", MASTERS_BINDING, "(hard-wired)", -1,
                     "everything", "Kubernetes (hard-wired group)"))
    df = pd.DataFrame(rows, columns=WHO_CAN_COLUMNS)
    return df.sort_values(["subject", "scope", "binding", "rule_index"], kind="stable").drop_duplicates(
        ).reset_index(drop=True)


def membership_frame(pairs: Iterable[tuple[str, str, str]]) -> pd.DataFrame:
    """``(subject, subject_kind, key)`` rows."""
    return pd.DataFrame(list(pairs), columns=["subject", "subject_kind", "key"])


def permissions_frame(grants: pd.DataFrame, membership: pd.DataFrame,
                      masters: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """Effective permissions: the grants joined to every principal through its keys."""
    mem = membership.copy()
    mem["key"] = pd.Categorical(mem["key"], categories=grants["key"].cat.categories)
    mem = mem.dropna(subset=["key"])
    out = mem.merge(grants, on="key", how="inner")[PERMISSION_COLUMNS]
    extra = pd.DataFrame(
        [(s, k, "cluster", "*", g, "*", "", url, MASTERS_BINDING, "(hard-wired)", -1, MASTERS_SUBJECT, "")
         for s, k in masters for g, url in (("*", False), ("", True))], columns=PERMISSION_COLUMNS)
    # Ordered categoricals with sorted categories: sorting on their codes is far cheaper than
    # on strings for hundreds of thousands of rows, and the frame stays small in memory.
    for col in PERMISSION_COLUMNS:
        if col in ("rule_index", "nonResourceURL"):
            continue
        values = out[col]
        have = list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype) else list(values.unique())
        dtype = pd.CategoricalDtype(sorted({str(v) for v in have} | set(extra[col].astype(str))), ordered=True)
        out[col] = values.astype(str).astype(dtype) if not isinstance(values.dtype, pd.CategoricalDtype) else \
            values.cat.rename_categories([str(c) for c in values.cat.categories]).cat.set_categories(
                dtype.categories, ordered=True)
        extra[col] = extra[col].astype(str).astype(dtype)
    if not extra.empty:
        out = pd.concat([out, extra], ignore_index=True)
    out["rule_index"] = out["rule_index"].astype("int64")
    out["nonResourceURL"] = out["nonResourceURL"].astype(bool)
    keys = ["subject", "scope", "apiGroup", "resource", "verb", "binding", "rule_index"]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
