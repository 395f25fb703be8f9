"""Run every registered check over an assessment and write the results.

Each check produces either its findings (status ``fail``), one ``not_assessed`` row
with the reason when its input is missing, one ``not_applicable`` row when it cannot
apply to this cluster, one ``error`` row when it raised, or one ``pass`` row. So every
check in the registry appears in the table: a clean table never hides a check that did
not run.
"""

from __future__ import annotations

import csv
import io
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pandas as pd

from kubesec_nb.checks import (
    PROVIDERS,
    REGISTRY,
    SEVERITIES,
    SEVERITY_RANK,
    Check,
    Evidence,
    Finding,
    NotApplicable,
    NotAssessed,
)
from kubesec_nb.errors import KubesecError

if TYPE_CHECKING:
    from kubesec_nb.assessment import Assessment

COLUMNS = ["check_id", "title", "severity", "category", "status", "namespace", "kind", "name", "subject",
           "evidence", "message", "remediation", "references"]
_STATUS_RANK = {"fail": 0, "error": 1, "not_assessed": 2, "not_applicable": 3, "pass": 4}


def _row(chk: Check, f: Finding, severity: str | None = None) -> dict[str, Any]:
    return {
        "check_id": chk.id, "title": chk.title, "severity": severity or f.severity or chk.severity,
        "category": chk.category, "status": f.status, "namespace": f.namespace or "", "kind": f.kind or "",
        "name": f.name or "", "subject": f.subject or "",
        "evidence": "; ".join(str(e) for e in f.evidence), "message": f.message,
        "remediation": chk.remediation, "references": ", ".join(chk.references),
        "_evidence": [{"object": e.object, "field": e.field, "value": e.value} for e in f.evidence],
    }


def _applies(chk: Check, provider: str) -> Finding | None:
    """A not_applicable or not_assessed finding when the check is limited to other providers."""
    if set(chk.providers) == set(PROVIDERS):
        return None
    if provider in PROVIDERS and provider != "other":
        if provider in chk.providers:
            return None
        return Finding(status="not_applicable",
                       message=f"applies to {', '.join(chk.providers)} clusters; this one is {provider}")
    if "other" in chk.providers:
        return None
    return Finding(status="not_assessed", message=f"applies to {', '.join(chk.providers)} clusters; the provider "
                                                  "of this one is unknown")


def _platform_rule(f: Finding, mode: str) -> tuple[Finding, str | None] | None:
    """The one rule for platform-managed findings (option ``platform_findings``): ``(finding, severity)``
    to keep, or None to drop."""
    if not f.platform or f.status != "fail" or mode == "keep":
        return f, None
    if mode == "hide":
        return None
    tagged = replace(f, message=f"{f.message} [platform-managed: {f.platform}]")
    return tagged, "info"


def run_check(chk: Check, assessment: Assessment) -> list[dict[str, Any]]:
    """Rows for one check: its failures, or one not_assessed / not_applicable / error row, or one pass row.

    The runner owns the id: every row is stamped with ``chk.id``. A check that raises gives one
    ``error`` row with the exception's summary as evidence, never a missing check or a ``pass``.
    """
    early = _applies(chk, assessment.model.provider)
    if early is not None:
        return [_row(chk, early)]
    missing = assessment.model.missing(*chk.requires) if chk.requires else None
    if missing:
        return [_row(chk, Finding(status="not_assessed", message=missing))]
    try:
        found = list(chk.run(assessment.analyzer(chk.analyzer)))
    except NotAssessed as exc:
        return [_row(chk, Finding(status="not_assessed", message=str(exc)))]
    except NotApplicable as exc:
        return [_row(chk, Finding(status="not_applicable", message=str(exc)))]
    except KubesecError:
        raise  # a user mistake (an invalid option) is reported as such, not as a failed check
    except Exception as exc:  # one broken check must not take the others down
        where = traceback.extract_tb(exc.__traceback__)[-1]
        summary = f"{type(exc).__name__}: {str(exc)[:200]}"
        ev = (Evidence(f"check {chk.id}", f"{Path(where.filename).name}:{where.lineno}", summary),)
        return [_row(chk, Finding(status="error", evidence=ev,
                                  message=f"the check failed: {summary}; its result is unknown"))]
    mode = str(assessment.options.get("platform_findings") or "info")
    rows = []
    for f in found:
        kept = _platform_rule(f, mode)
        if kept is not None:
            rows.append(_row(chk, *kept))
    if not any(r["status"] == "fail" for r in rows):
        return [_row(chk, Finding(status="pass", message="no offending object"))]
    return rows


def run_checks(assessment: Assessment, checks: Iterable[Check] | None = None) -> pd.DataFrame:
    """The findings table: one row per failure, plus pass/not_assessed rows per check.

    Sorted by status (fail first), severity, check id, namespace, kind, name, subject.
    """
    rows: list[dict[str, Any]] = []
    for chk in sorted(checks if checks is not None else REGISTRY.values(), key=lambda c: c.id):
        rows.extend(run_check(chk, assessment))
    return findings_frame(rows)


def findings_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A sorted findings DataFrame from rows made by :func:`run_check`."""
    df = pd.DataFrame(rows, columns=[*COLUMNS, "_evidence"])
    if df.empty:
        return df
    df["_s"] = df["status"].map(_STATUS_RANK)
    df["_v"] = df["severity"].map(SEVERITY_RANK)
    df = df.sort_values(["_s", "_v", "check_id", "namespace", "kind", "name", "subject", "evidence"],
                        kind="stable")
    return df.drop(columns=["_s", "_v"]).reset_index(drop=True)


def summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Failing objects per category (rows) and severity (columns), for the executive summary."""
    fails = findings[findings["status"] == "fail"]
    table = pd.crosstab(fails["category"], fails["severity"]) if not fails.empty else pd.DataFrame()
    table = table.reindex(columns=list(SEVERITIES), fill_value=0)
    return table.sort_index()


def not_assessed(findings: pd.DataFrame) -> pd.DataFrame:
    """Checks that could not run, with the reason."""
    rows = findings[findings["status"] == "not_assessed"]
    return rows[["check_id", "title", "category", "message"]].reset_index(drop=True)


def failures(findings: pd.DataFrame, *, min_severity: str = "info", area: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
    """Failing findings at or above ``min_severity`` (of one check ``area`` such as ``NET``), most severe first."""
    rank = SEVERITY_RANK[min_severity]
    rows = findings[(findings["status"] == "fail") & (findings["severity"].map(SEVERITY_RANK) <= rank)]
    if area:
        rows = rows[rows["check_id"].str.startswith(f"{area}-")]
    cols = ["severity", "check_id", "title", "namespace", "kind", "name", "subject", "evidence"]
    rows = rows[cols].reset_index(drop=True)
    return rows if limit is None else rows.head(limit)


def checks_table(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per check: id, title, severity, category, status and failing-object count."""
    if findings.empty:
        return pd.DataFrame(columns=["check_id", "title", "severity", "category", "status", "failures"])
    g = findings.groupby("check_id", sort=True)
    out = g.agg(title=("title", "first"), category=("category", "first"), status=("status", "first"),
                failures=("status", lambda s: int((s == "fail").sum())))
    out["severity"] = [REGISTRY[c].severity if c in REGISTRY else "" for c in out.index]
    out = out.reset_index()[["check_id", "title", "severity", "category", "status", "failures"]]
    return out


def to_records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """Findings as JSON-ready records, evidence kept structured.

    >>> to_records(findings_frame([]))
    []
    """
    cols = [c for c in findings.columns if c != "_evidence"]
    # column lists and zip: DataFrame.to_dict boxes every cell (about 1 s at 38,000 rows)
    evidence = findings["_evidence"].tolist() if "_evidence" in findings.columns else [[]] * len(findings)
    out: list[dict[str, Any]] = []
    for row, ev in zip(zip(*(findings[c].tolist() for c in cols), strict=True), evidence, strict=True):
        rec = dict(zip(cols, row, strict=True))
        rec["evidence"] = ev
        rec["references"] = [r for r in str(rec["references"]).split(", ") if r]
        out.append(rec)
    return out


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys (msgspec: about 5 times json's speed on findings).

    >>> dumps({"b": 1, "a": "é"})
    '{"a":"é","b":1}'
    """
    return msgspec.json.encode(value, order="sorted").decode("utf-8")


def write_json(findings: pd.DataFrame, path: Path, meta: Mapping[str, Any] | None = None,
               records: list[dict[str, Any]] | None = None) -> Path:
    """Write ``findings.json`` (``{metadata, findings}``), one finding per line (``records``: from
    :func:`to_records`, when the caller has them)."""
    rows = ",\n".join(dumps(r) for r in (to_records(findings) if records is None else records))
    path.write_text(f'{{"metadata": {dumps(dict(meta or {}))},\n"findings": [\n{rows}\n]}}\n', encoding="utf-8")
    return path


def write_csv(findings: pd.DataFrame, path: Path) -> Path:
    """Write ``findings.csv`` with the columns of :data:`COLUMNS`."""
    buf = io.StringIO()
    findings[COLUMNS].to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def to_sarif(findings: pd.DataFrame, tool_version: str, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """SARIF 2.1.0 for code-scanning dashboards: one rule per check, one result per failure (``records``:
    :func:`to_records` of ``findings``, when the caller has them)."""
    fails = findings[findings["status"] == "fail"]
    rule_ids = sorted(set(fails["check_id"]))
    rules = []
    for cid in rule_ids:
        chk = REGISTRY.get(cid)
        rules.append({
            "id": cid, "name": cid,
            "shortDescription": {"text": chk.title if chk else cid},
            "help": {"text": chk.remediation if chk else ""},
            "properties": {"category": chk.category if chk else "", "severity": chk.severity if chk else ""},
        })
    results = []
    for rec in (to_records(fails) if records is None else [r for r in records if r["status"] == "fail"]):
        where = "/".join(p for p in (rec["namespace"], rec["kind"], rec["name"] or rec["subject"]) if p)
        results.append({
            "ruleId": rec["check_id"], "level": _SARIF_LEVEL.get(rec["severity"], "warning"),
            "message": {"text": rec["message"] or rec["title"]},
            "locations": [{"logicalLocations": [{"fullyQualifiedName": where or rec["check_id"]}]}],
            "properties": {"severity": rec["severity"], "evidence": rec["evidence"]},
        })
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "kubesec-nb", "version": tool_version, "rules": rules}},
                  "results": results}],
    }
