"""Risky subjects: every subject ranked by the severity and breadth of what it holds and reaches."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import pandas as pd

from kubesec_nb.checks import SEVERITY_RANK
from kubesec_nb.rbac.escalation import CLUSTER_ADMIN
from kubesec_nb.rbac.subjects import parse_subject

SEVERITY_WEIGHT = {"critical": 10, "high": 5, "medium": 2, "low": 1, "info": 0}
COLUMNS = ["subject", "subject_kind", "score", "top_severity", "risky_rules", "cluster_wide", "namespaces",
           "reaches_cluster_admin", "cluster_admin_hops", "namespace_admin_of", "public", "platform", "checks"]


def rank_subjects(risky: pd.DataFrame, escalations: pd.DataFrame, kind_of: Callable[[str], str],
                  public_groups: Collection[str]) -> pd.DataFrame:
    """Rank subjects from their catalog matches (``risky``) and escalation paths (``escalations``).

    score = Σ severity weight (critical 10, high 5, medium 2, low 1) of each catalog match, ×3
    when it holds cluster-wide; +40/hops when the subject reaches cluster-admin (40 when it
    holds it, 20 two steps away, ...); +3 per namespace it reaches namespace admin of (at most
    10); ×2 for groups anyone can join. A subject is platform-managed when every row behind it
    is; those rank after all others, whatever their score.

    >>> risky = pd.DataFrame([{"subject": "User:a", "check_id": "RBAC-SECRETS-READ", "severity": "high",
    ...                        "scope": "cluster", "public": False, "platform": ""}])
    >>> esc = pd.DataFrame(columns=["subject", "target", "hops", "platform"])
    >>> rank_subjects(risky, esc, lambda s: "User", ())[["subject", "score"]].values.tolist()
    [['User:a', 15.0]]
    """
    by_subject: dict[str, dict[str, Any]] = {}

    def entry(s: str) -> dict[str, Any]:
        if s not in by_subject:
            by_subject[s] = {"subject": s, "subject_kind": kind_of(s), "score": 0.0, "top_severity": "",
                             "risky_rules": 0, "cluster_wide": 0, "namespaces": set(), "reaches_cluster_admin": False,
                             "cluster_admin_hops": 0, "namespace_admin_of": 0, "public": False, "platform": set(),
                             "checks": set()}
        return by_subject[s]

    for r in risky.to_dict("records"):
        e = entry(str(r["subject"]))
        sev = str(r["severity"])
        e["score"] += SEVERITY_WEIGHT[sev] * (3 if r["scope"] == "cluster" else 1)
        e["checks"].add(str(r["check_id"]))
        e["public"] = e["public"] or bool(r["public"])
        e["platform"].add(str(r["platform"]))
        if r["scope"] == "cluster":
            e["cluster_wide"] += 1
        else:
            e["namespaces"].add(str(r["scope"]))
        if not e["top_severity"] or SEVERITY_RANK[sev] < SEVERITY_RANK[e["top_severity"]]:
            e["top_severity"] = sev
    for r in escalations.to_dict("records"):
        e = entry(str(r["subject"]))
        e["platform"].add(str(r["platform"]))
        if r["target"] == CLUSTER_ADMIN:
            hops = int(r["hops"])
            e["reaches_cluster_admin"] = True
            e["cluster_admin_hops"] = hops
            e["score"] += 40 / max(hops, 1)
        else:
            e["namespace_admin_of"] += 1
            if e["namespace_admin_of"] <= 10:
                e["score"] += 3
    rows = []
    for e in by_subject.values():
        e["risky_rules"] = len(e["checks"])
        e["checks"] = ", ".join(sorted(e["checks"]))
        e["namespaces"] = len(e["namespaces"])
        labels = e["platform"]
        e["platform"] = "" if "" in labels or not labels else sorted(labels)[0]
        subject = str(e["subject"])
        ident = parse_subject(subject) if not subject.startswith("cloud:") else None
        if ident is not None and ident.kind == "Group" and ident.name in public_groups:
            e["public"] = True
        if e["public"]:
            e["score"] *= 2
        e["score"] = round(float(e["score"]), 1)
        if e["score"] > 0:
            rows.append(e)
    df = pd.DataFrame(rows, columns=COLUMNS)
    if not df.empty:
        df["_p"] = df["platform"] != ""
        df = df.sort_values(["_p", "score", "subject"], ascending=[True, False, True], kind="stable")
        df = df.drop(columns="_p")
    return df.reset_index(drop=True)
