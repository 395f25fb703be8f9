"""Risky subjects: every subject ranked by the severity and breadth of what it holds and reaches."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import pandas as pd

from kubesec_nb.checks import SEVERITY_RANK
from kubesec_nb.rbac.records import EscalationPath, RiskyGrant
from kubesec_nb.rbac.subjects import parse_subject

SEVERITY_WEIGHT = {"critical": 10, "high": 5, "medium": 2, "low": 1, "info": 0}
COLUMNS = ["subject", "subject_kind", "score", "top_severity", "risky_rules", "cluster_wide", "namespaces",
           "reaches_cluster_admin", "cluster_admin_hops", "namespace_admin_of", "public", "platform", "checks"]


@dataclass
class _Rank:
    subject: str
    score: float = 0.0
    top_severity: str = ""
    cluster_wide: int = 0
    namespaces: set[str] = field(default_factory=set)
    reaches_cluster_admin: bool = False
    cluster_admin_hops: int = 0
    namespace_admin_of: int = 0
    public: bool = False
    platform: set[str] = field(default_factory=set)
    checks: set[str] = field(default_factory=set)


def rank_subjects(risky: Iterable[RiskyGrant], escalations: Iterable[EscalationPath], kind_of: Callable[[str], str],
                  public_groups: Collection[str]) -> pd.DataFrame:
    """Rank subjects from their catalog matches (``risky``) and escalation paths (``escalations``).

    score = Σ severity weight (critical 10, high 5, medium 2, low 1) of each catalog match, ×3
    when it holds cluster-wide; +40/hops when the subject reaches cluster-admin (40 when it
    holds it, 20 two steps away, ...); +3 per namespace it reaches namespace admin of (at most
    10); ×2 for groups anyone can join. A subject is platform-managed when every record behind it
    is; those rank after all others, whatever their score.

    >>> from kubesec_nb.identity import user
    >>> from kubesec_nb.rbac.catalog import CLUSTER_ADMIN_RULE
    >>> r = RiskyGrant(user("a"), CLUSTER_ADMIN_RULE, "high", "cluster", None, False, (), ())
    >>> rank_subjects([r], [], lambda s: "User", ())[["subject", "score"]].values.tolist()
    [['User:a', 15.0]]
    """
    by_subject: dict[str, _Rank] = {}

    def entry(s: str) -> _Rank:
        return by_subject.setdefault(s, _Rank(s))

    for r in risky:
        e = entry(r.subject)
        wide = r.scope == "cluster"
        e.score += SEVERITY_WEIGHT[r.severity] * (3 if wide else 1)
        e.checks.add(r.check_id)
        e.public = e.public or r.public
        e.platform.add(r.platform or "")
        if wide:
            e.cluster_wide += 1
        else:
            e.namespaces.add(r.scope)
        if not e.top_severity or SEVERITY_RANK[r.severity] < SEVERITY_RANK[e.top_severity]:
            e.top_severity = r.severity
    for p in escalations:
        e = entry(p.subject)
        e.platform.add(p.platform or "")
        if p.to_cluster_admin:
            e.reaches_cluster_admin = True
            e.cluster_admin_hops = p.hops
            e.score += 40 / max(p.hops, 1)
        else:
            e.namespace_admin_of += 1
            if e.namespace_admin_of <= 10:
                e.score += 3
    rows = []
    for e in by_subject.values():
        if not e.subject.startswith("cloud:"):
            ident = parse_subject(e.subject)
            e.public = e.public or (ident.kind == "Group" and ident.name in public_groups)
        score = round(float(e.score * (2 if e.public else 1)), 1)
        if score <= 0:
            continue
        platform = "" if "" in e.platform or not e.platform else sorted(e.platform)[0]
        rows.append((e.subject, kind_of(e.subject), score, e.top_severity, len(e.checks), e.cluster_wide,
                     len(e.namespaces), e.reaches_cluster_admin, e.cluster_admin_hops, e.namespace_admin_of, e.public,
                     platform, ", ".join(sorted(e.checks))))
    df = pd.DataFrame(rows, columns=COLUMNS)
    if not df.empty:
        df["_p"] = df["platform"] != ""
        df = df.sort_values(["_p", "score", "subject"], ascending=[True, False, True], kind="stable")
        df = df.drop(columns="_p")
    return df.reset_index(drop=True)
