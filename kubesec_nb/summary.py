"""The executive summary: what a reader sees first, each part one function of the assessment.

The overview notebook shows these one per cell, in this order: :func:`headline` (cluster,
provider, version, semantics applied), :func:`by_severity`, :func:`top_risks` (plain words),
:func:`worst_paths` (the cheapest internet path to each crown jewel), :func:`fix_first` (the
attack graph's minimum cut, with :func:`fix_first_note`), :func:`most_severe` (the most severe
failing checks), :func:`by_topic` and :func:`not_assessed`. A new part is one more function
here and one more cell there. Every part works on any snapshot: a part whose input is missing
says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kubesec_nb.checks import SEVERITIES, SEVERITY_RANK, STATUSES
from kubesec_nb.display import Bullets, Note
from kubesec_nb.findings import summary as _by_category
from kubesec_nb.graph.nodes import INTERNET, JEWEL_LABEL, JEWEL_PATTERNS, JEWEL_SEVERITY

if TYPE_CHECKING:
    from kubesec_nb.assessment import Assessment

#: How many failing checks :func:`top_risks` names at most.
TOP_RISKS = 6


def headline(a: Assessment) -> pd.DataFrame:
    """Cluster, provider, version and the semantics applied (options in force), as a two-column table."""
    m = a.snapshot.metadata
    counts = a.snapshot.counts()
    options = ", ".join(f"{k}={v}" for k, v in sorted(a.options.items())) or "defaults"
    rows = [
        ("cluster", m.get("cluster") or "(unnamed)"),
        ("provider", a.model.provider),
        ("server version", (m.get("serverVersion") or {}).get("gitVersion", "unknown")),
        ("semantics applied", f"Kubernetes {a.model.version[0]}.{a.model.version[1]} ({a.model.version_source})"),
        ("options", options),
        ("source", f"{m.get('source') or 'unknown'}, collected at {m.get('collectedAt') or 'unknown time'}"),
        ("holds", f"{counts.get('namespaces', 0)} namespaces, {counts.get('nodes', 0)} nodes, "
                  f"{counts.get('pods', 0)} pods; {len(a.snapshot.gaps)} gaps"),
        ("checks", _check_statuses(a.findings)),
    ]
    return pd.DataFrame(rows, columns=["", "value"]).rename(columns={"": "fact"})


def _check_statuses(findings: pd.DataFrame) -> str:
    """How many checks ended in each status (a check's status is its worst row's).

    >>> _check_statuses(pd.DataFrame({"check_id": ["A", "A", "B"], "status": ["fail", "pass", "not_assessed"]}))
    '2 checks: 1 fail, 1 not_assessed'
    """
    rank = {s: i for i, s in enumerate(STATUSES)}
    worst = findings.groupby("check_id")["status"].agg(lambda s: min(s, key=rank.__getitem__))
    counts = worst.value_counts()
    parts = ", ".join(f"{int(counts[s])} {s}" for s in STATUSES if s in counts.index)
    return f"{len(worst)} checks: {parts}" if parts else "no checks ran"


def by_severity(findings: pd.DataFrame) -> pd.DataFrame:
    """Failing objects and failing checks per severity, then checks in error and not assessed.

    >>> by_severity(pd.DataFrame(columns=["check_id", "severity", "status"]))["failing objects"].tolist()
    [0, 0, 0, 0, 0]
    """
    fails = findings[findings["status"] == "fail"]
    rows = [{"severity": s, "failing objects": int((fails["severity"] == s).sum()),
             "failing checks": int(fails.loc[fails["severity"] == s, "check_id"].nunique())} for s in SEVERITIES]
    return pd.DataFrame(rows, columns=["severity", "failing objects", "failing checks"])


def _unassessed(df: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """``df``, marked with what was not assessed when it is empty while some checks could not run: an
    empty table must not look clean when the input was missing."""
    if df.empty:
        skipped = findings.loc[findings["status"].isin(["not_assessed", "error"]), "check_id"].nunique()
        if skipped:
            df.attrs["missing"] = (f"{skipped} of {findings['check_id'].nunique()} checks could not run (input "
                                   "missing, or in error): see 'Not assessed, and why'")
    return df


def _failing_checks(findings: pd.DataFrame) -> pd.DataFrame:
    fails = findings[findings["status"] == "fail"]
    if fails.empty:
        return pd.DataFrame(columns=["check_id", "title", "severity", "objects", "examples", "remediation"])

    where = [subject or (f"{ns}/{name}" if name and ns and not name.startswith(f"{ns}/") else name or ns or kind)
             for subject, name, ns, kind in zip(fails["subject"].astype(str), fails["name"].astype(str),
                                                fails["namespace"].astype(str), fails["kind"].astype(str),
                                                strict=True)]
    fails = fails.assign(_where=where)
    g = fails.groupby("check_id", sort=True)
    out = g.agg(title=("title", "first"), severity=("severity", "first"), objects=("check_id", "size"),
                examples=("_where", lambda s: ", ".join(list(dict.fromkeys(s))[:3])),
                remediation=("remediation", "first")).reset_index()
    out["_v"] = out["severity"].map(SEVERITY_RANK)
    return out.sort_values(["_v", "objects", "check_id"], ascending=[True, False, True], kind="stable") \
        .drop(columns="_v").reset_index(drop=True)


def top_risks(a: Assessment, limit: int = TOP_RISKS) -> Bullets:
    """The top risks in plain words: the most severe failing checks with how many objects and examples."""
    items: list[tuple[str, str]] = []
    checks = _failing_checks(a.findings)
    for r in checks.head(limit).itertuples(index=False):
        if SEVERITY_RANK[str(r.severity)] > SEVERITY_RANK["medium"]:
            break
        n = int(str(r.objects))
        items.append((str(r.severity), f"{r.title}: {n} finding{'s' if n != 1 else ''} (e.g. {r.examples}) "
                                       f"[{r.check_id}]"))
    errors = a.findings[a.findings["status"] == "error"]
    if not errors.empty:
        items.insert(0, ("", f"{errors['check_id'].nunique()} check(s) failed internally, their result is "
                             f"unknown: {', '.join(sorted(set(errors['check_id'])))}"))
    return Bullets(items, empty="No failing check at severity medium or above.")


def worst_paths(a: Assessment) -> pd.DataFrame:
    """The worst attack paths: the cheapest path from the internet to each crown jewel it reaches
    (cluster-admin, all secrets, a node, a cloud identity, namespace admin), most severe jewel first.

    Each row gives the path as ``a → [technique] b → …``; ``certainty`` is ``unknown`` when a step
    rests on missing input. The attack-path section shows every step's evidence.
    """
    rows = []
    for pattern in JEWEL_PATTERNS:
        p = a.attack.cheapest(INTERNET, pattern)
        if p is not None:
            rows.append({"severity": JEWEL_SEVERITY[pattern], "jewel": JEWEL_LABEL[pattern], "reached": p.target,
                         "hops": p.hops, "cost": p.cost, "certainty": p.certainty,
                         "path": " → ".join([p.source, *(f"[{s.technique}] {s.target}" for s in p.steps)])})
    df = pd.DataFrame(rows, columns=["severity", "jewel", "reached", "hops", "cost", "certainty", "path"])
    if df.empty:
        df.attrs["missing"] = (f"No attack path from the internet to a crown jewel"
                               f"{f' (the graph may be incomplete: {a.attack.missing})' if a.attack.missing else ''}.")
    return df


def fix_first_note(a: Assessment) -> Note:
    """One sentence on :func:`fix_first`: what the internet reaches and what the changes cut."""
    return Note(a.attack.remediation_summary(a.remediation))


def fix_first(a: Assessment, limit: int = 10) -> pd.DataFrame:
    """Fix these first: the few changes (bindings, token mounts, missing policies, host access, cloud
    links) of a minimum cut between the internet and every crown jewel, ranked by the attack paths
    each cuts, with the exact change to make (``a.remediation``)."""
    cols = ["rank", "change", "paths_cut", "jewels", "example_path"]
    out = a.remediation[cols].head(limit).reset_index(drop=True)
    if out.empty and a.attack.missing:
        out.attrs["missing"] = f"the attack graph is incomplete: {a.attack.missing}"
    return out


def most_severe(a: Assessment, limit: int = 10) -> pd.DataFrame:
    """The most severe failing checks (then the most widespread), with the change to make."""
    checks = _failing_checks(a.findings)
    out = checks.head(limit)[["severity", "check_id", "title", "objects", "examples", "remediation"]]
    return _unassessed(out, a.findings)


def by_topic(findings: pd.DataFrame) -> pd.DataFrame:
    """Failing objects per hardening-guide topic (rows) and severity (columns)."""
    table = _by_category(findings)
    table.index.name = "topic"
    return _unassessed(table, findings)


def not_assessed(a: Assessment) -> pd.DataFrame:
    """What was not assessed and why: one row per reason, with the checks it affects."""
    rows = a.findings[a.findings["status"] == "not_assessed"]
    if rows.empty:
        return pd.DataFrame(columns=["reason", "checks", "check ids"])
    g = rows.groupby("message", sort=True)["check_id"]
    out = pd.DataFrame({"reason": g.size().index, "checks": g.nunique().to_numpy(),
                        "check ids": g.agg(lambda s: ", ".join(sorted(set(s)))).to_numpy()})
    return out.sort_values(["checks", "reason"], ascending=[False, True], kind="stable").reset_index(drop=True)


def errors(findings: pd.DataFrame) -> pd.DataFrame:
    """Checks that raised (status ``error``): their result is unknown, shown at the top of the report."""
    rows = findings[findings["status"] == "error"]
    return rows[["check_id", "title", "severity", "message"]].reset_index(drop=True)
