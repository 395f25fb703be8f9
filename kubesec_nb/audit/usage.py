"""The audit log's requests as tables, and their join to RBAC: what each subject used, and what it holds but
never used, ranked by the risky-permission catalog.

A request's *subject* is its user as RBAC sees it (``User:alice``, ``ServiceAccount:ns:name``; the impersonated
user when there is one). Its *outcome* is ``allowed`` (authorization allowed it, whatever the response code),
``denied`` (authorization refused it, or 403 without a decision annotation), ``unauthenticated`` (401) or
``unknown``. A grant is *used* when an allowed request of a subject that holds it (directly or through a group
it authenticated with) matches the grant's rule, exactly as the authorizer matches rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd

from kubesec_nb.checks import SEVERITY_RANK
from kubesec_nb.rbac.catalog import CATALOG, CatalogRule
from kubesec_nb.rbac.rules import Request, Rule, rule_allows
from kubesec_nb.rbac.subjects import user
from kubesec_nb.snapshot.auditlog import USAGE_COLUMNS

USED_COLUMNS = ["subject", "verb", "resource", "namespace", "name", "count", "first", "last", "outcome", "code",
                "granted", "impersonator", "first_id", "last_id"]
UNUSED_COLUMNS = ["risk", "subject", "subject_kind", "scope", "verb", "resource", "resourceNames", "binding", "role",
                  "rule_index", "via", "platform", "checks", "status"]
READS = frozenset({"get", "list", "watch"})


def subject_of(username: str) -> str:
    """The subject a username stands for (``(unauthenticated)`` when the request had none).

    >>> subject_of("system:serviceaccount:ci:jenkins"), subject_of("alice"), subject_of("")
    ('ServiceAccount:ci:jenkins', 'User:alice', '(unauthenticated)')
    """
    return user(username).subject if username else "(unauthenticated)"


def resource_ref(group: str, resource: str, subresource: str, path: str) -> str:
    """A request's resource as ``can()`` reads it (``deployments.apps``, ``pods/exec``), or its URL path.

    >>> resource_ref("apps", "deployments", "scale", ""), resource_ref("", "", "", "/healthz")
    ('deployments.apps/scale', '/healthz')
    """
    if not resource:
        return path
    base = f"{resource}.{group}" if group else resource
    return f"{base}/{subresource}" if subresource else base


def outcome(code: int, decision: str) -> str:
    """``allowed``, ``denied``, ``unauthenticated`` or ``unknown`` (see the module docstring).

    >>> outcome(404, "allow"), outcome(403, ""), outcome(201, ""), outcome(401, "")
    ('allowed', 'denied', 'allowed', 'unauthenticated')
    """
    if code == 401:
        return "unauthenticated"
    if decision == "forbid" or (not decision and code == 403):
        return "denied"
    if decision == "allow" or 0 < code < 400 or code >= 404:
        return "allowed"
    return "unknown"


def usage_frame(summaries: Sequence[Mapping[str, Any]], window: tuple[str, str]) -> pd.DataFrame:
    """Every summary's usage rows in ``window`` (day buckets whose first or last request is inside it), with
    ``subject``, ``resource_ref`` and ``outcome`` columns."""
    rows = [r for s in summaries for r in s["usage"]["rows"]]
    df = pd.DataFrame(rows, columns=list(USAGE_COLUMNS))
    start, end = window
    if start:
        df = df[df["last"] >= start]
    if end:
        df = df[df["first"] <= end]
    df = df.reset_index(drop=True)
    subjects = {u: subject_of(u) for u in df["user"].unique()}
    df["subject"] = df["user"].map(subjects)
    df["resource_ref"] = [resource_ref(g, r, s, p) for g, r, s, p in
                          zip(df["group"], df["resource"], df["subresource"], df["path"], strict=True)]
    df["outcome"] = [outcome(c, d) for c, d in zip(df["code"], df["decision"], strict=True)]
    return df


def request_of(verb: str, group: str, resource: str, subresource: str, namespace: str, name: str,
               path: str) -> Request:
    """The authorization attributes of a logged request (``*``, the "many names" bucket, as nameless).

    >>> request_of("get", "", "namespaces", "", "", "shop", "").namespace
    'shop'
    """
    if not resource:
        return Request(verb=verb, path=path or "/")
    # the authorizer sees no name when a top-level object is created (it is in the body)
    name_ = None if name in ("", "*") or (verb == "create" and not subresource) else name
    ns = namespace or None
    if resource == "namespaces" and name_:  # a request on one Namespace is evaluated in that namespace
        ns = name_
    return Request(verb=verb, api_group=group, resource=resource, subresource=subresource, namespace=ns, name=name_)


def grant_rule(row: Mapping[Any, Any]) -> Rule:
    """The single-verb, single-resource rule of one effective-permission row."""
    if row["nonResourceURL"]:
        return Rule(verbs=(str(row["verb"]),), non_resource_urls=(str(row["resource"]),))
    names = tuple(n for n in str(row["resourceNames"]).split(",") if n)
    return Rule(verbs=(str(row["verb"]),), api_groups=(str(row["apiGroup"]),), resources=(str(row["resource"]),),
                resource_names=names)


def _names_ok(need_names: str, rule: Rule, scope: str) -> bool:
    if need_names == "all":
        return not rule.resource_names
    if need_names == "self" and scope != "cluster":
        return not rule.resource_names or scope in rule.resource_names
    if need_names.startswith("="):
        return not rule.resource_names or any(n in rule.resource_names for n in need_names[1:].split("|"))
    return True


def _scope_ok(c: CatalogRule, scope: str) -> bool:
    if c.scope == "cluster" and scope != "cluster":
        return False
    if c.scope == "namespace" and scope == "cluster" and not c.namespaces:
        return False
    return not (c.namespaces and scope != "cluster" and scope not in c.namespaces)


@lru_cache(maxsize=65536)
def risk_of(rule: Rule, scope: str, flags: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """``(severity, catalog ids)`` of the catalog entries one grant meets a need of (at ``scope``), or ``("", ())``.

    A grant that meets one clause of a multi-clause entry (``bind`` without RBAC writes) counts for it: removing
    it breaks the entry.

    >>> risk_of(Rule(verbs=("list",), api_groups=("",), resources=("secrets",)), "cluster", frozenset())
    ('critical', ('RBAC-SECRETS-READ',))
    >>> risk_of(Rule(verbs=("get",), api_groups=("",), resources=("configmaps",)), "shop", frozenset())
    ('', ())
    """
    ids: list[str] = []
    worst = ""
    for c in CATALOG:
        if not c.all_of or not _scope_ok(c, scope):
            continue
        if any((not n.when or n.when in flags) and n.probe.matches(rule) and _names_ok(n.names, rule, scope)
               for clause in c.all_of for n in clause):
            ids.append(c.id)
            sev = c.cluster_severity if scope == "cluster" and c.cluster_severity else c.severity
            if not worst or SEVERITY_RANK[sev] < SEVERITY_RANK[worst]:
                worst = sev
    return worst, tuple(ids)


def _matches(rule: Rule, scope: str, req: Request) -> bool:
    if scope != "cluster" and req.namespace != scope:
        return False
    return rule_allows(rule, req)


def unused_frame(permissions: pd.DataFrame, used: pd.DataFrame, members: Mapping[str, Iterable[str]],
                 risky: pd.DataFrame, flags: frozenset[str], reads_logged: bool) -> pd.DataFrame:
    """Grant rows (of ``a.rbac.permissions``) that no allowed request of their subject matched, with their risk.

    A grant's risk is the severity of the catalog entries (``a.rbac.risky``) that its binding subject holds at
    that scope and that this grant takes part in (it meets one of the entry's needs): ``create rolebindings``
    is critical for a subject that also holds ``bind``, low otherwise. ``members`` maps a group to the subjects
    seen authenticating with it, so that a group's grants count as used by its members' requests. When the log
    holds no read request, unused read grants are ``unknown``.
    """
    held: dict[tuple[str, str, str], str] = {}
    for s, cid, scope, sev in zip(risky["subject"], risky["check_id"], risky["scope"], risky["severity"],
                                  strict=True):
        key = (str(s), str(cid), str(scope))
        if key not in held or SEVERITY_RANK[str(sev)] < SEVERITY_RANK[held[key]]:
            held[key] = str(sev)
    allowed = used[used["outcome"] == "allowed"]
    requests: dict[str, list[Request]] = defaultdict(list)
    for r in allowed.itertuples(index=False):
        requests[str(r.subject)].append(request_of(str(r.verb), str(r.group), str(r.resource), str(r.subresource),
                                                   str(r.namespace), str(r.name), str(r.path)))
    for group, subs in members.items():
        reqs = requests.setdefault(f"Group:{group}", [])
        for s in subs:
            reqs.extend(requests.get(s, ()))
    perms = permissions.astype({c: str for c in permissions.columns if c not in ("rule_index", "nonResourceURL")})
    perms = perms.reset_index(drop=True)
    # Only the grants of subjects with requests need matching; everyone else's are all unused.
    is_used = pd.Series(False, index=perms.index)
    active = perms[perms["subject"].isin([k for k, v in requests.items() if v])]
    for i, rec in zip(active.index, active.to_dict(orient="records"), strict=True):
        rule, scope = grant_rule(rec), str(rec["scope"])
        is_used[i] = any(_matches(rule, scope, q) for q in requests[str(rec["subject"])])
    df = perms[~is_used]
    if df.empty:
        return pd.DataFrame(columns=UNUSED_COLUMNS)
    # risk and display per distinct grant shape, not per row: tens of thousands of rows share a few shapes
    shape = ["via", "scope", "verb", "apiGroup", "resource", "resourceNames", "nonResourceURL"]
    shapes = df[shape].drop_duplicates()
    risks, checks, shown = [], [], []
    for rec in shapes.to_dict(orient="records"):
        rule, scope, via = grant_rule(rec), str(rec["scope"]), str(rec["via"])
        ids = tuple(c for c in risk_of(rule, scope, flags)[1] if (via, c, scope) in held)
        risks.append(min((held[(via, c, scope)] for c in ids), key=SEVERITY_RANK.__getitem__, default="none"))
        checks.append(", ".join(ids))
        shown.append(_display(str(rec["resource"]), str(rec["apiGroup"]), bool(rec["nonResourceURL"])))
    shapes = shapes.assign(risk=risks, checks=checks, resource_shown=shown)
    df = df.merge(shapes, on=shape, how="left")
    unknown = df["verb"].isin(READS) & (not reads_logged)
    df["status"] = unknown.map({True: "unknown: the log holds no read requests", False: "unused"})
    df["resource"] = df["resource_shown"]
    df["rule_index"] = df["rule_index"].astype(int)
    rank = {**SEVERITY_RANK, "none": len(SEVERITY_RANK)}
    df["_r"] = df["risk"].map(rank)
    df = df.sort_values(["_r", "subject", "scope", "resource", "verb", "binding", "rule_index"], kind="stable")
    return df[UNUSED_COLUMNS].reset_index(drop=True)


def _display(resource: str, group: str, url: bool) -> str:
    """A grant's resource as ``can()`` reads it (``deployments.apps/scale``).

    >>> _display("deployments/scale", "apps", False), _display("pods", "*", False)
    ('deployments.apps/scale', 'pods (any group)')
    """
    if url or group == "":
        return resource
    if group == "*":
        return resource if resource == "*" else f"{resource} (any group)"
    base, sep, sub = resource.partition("/")
    return f"{base}.{group}{sep}{sub}"
