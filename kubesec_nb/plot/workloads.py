"""Charts of the workload analysis: Pod Security compliance, workload findings, host escapes, vulnerabilities."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kubesec_nb.checks import REGISTRY, SEVERITIES
from kubesec_nb.plot._style import empty_figure, figure, severity_colors, top_rows
from kubesec_nb.plot.summary import findings_by_category
from kubesec_nb.workload.psa import version_label
from kubesec_nb.workload.trivy import SEVERITIES as TRIVY_SEVERITIES

_LEVEL_COLORS = {"restricted": "#1a9850", "baseline only": "#fdae61", "privileged only": "#d73027"}
_IMPACT_GROUPS = (("root", ("root",), "#7f0000"),
                  ("node credentials or tokens", ("node-credentials", "tokens"), "#d7301f"),
                  ("host read/write", ("write", "read"), "#fc8d59"),
                  ("host namespaces", ("processes", "network", "ipc", "pod-network"), "#fdcc8a"))


def pod_security_compliance(workloads: Any) -> Figure:
    """Pods per namespace by the strictest Pod Security level they pass, with the level each namespace
    enforces; ``workloads`` is ``a.workloads``.

    >>> from kubesec_nb.model import Model
    >>> from kubesec_nb.snapshot import Snapshot
    >>> from kubesec_nb.workload import analyze
    >>> pod_security_compliance(analyze(Model(Snapshot()))).axes[0].get_title()
    'No pods'
    """
    ps: pd.DataFrame = workloads.pod_security
    if ps.empty:
        return empty_figure("No pods")
    level = ps["restricted"].eq("pass").map({True: "restricted", False: ""})
    level = level.where(level != "", ps["baseline"].eq("pass").map({True: "baseline only", False: "privileged only"}))
    table = pd.crosstab(ps["namespace"], level).reindex(columns=list(_LEVEL_COLORS), fill_value=0)
    fig, ax, left = _stacked(top_rows(table.sort_index()).iloc[::-1],
                             [(name, color, f"passes {name}") for name, color in _LEVEL_COLORS.items()])
    enforce = workloads.namespaces.set_index("namespace")["enforce"].to_dict()
    for y, ns in enumerate(left.index):
        if ns in enforce:
            ax.text(left[ns], y, f"  enforce: {enforce[ns]}", va="center", fontsize=7, color="#404040")
    ax.set_xlim(0, left.max() * 1.3 + 1)
    ax.set_xlabel("pods")
    ax.set_title(f"Pod Security compliance by namespace (policy {version_label(workloads.version)})")
    _finish(ax)
    return fig


def _stacked(table: pd.DataFrame, series: list[tuple[str, str, str]]) -> tuple[Figure, Any, pd.Series]:
    """Horizontal stacked bars, one per row of ``table``, a segment per ``(column, colour, label)``;
    returns the figure, its axes and the bar ends."""
    fig, ax = figure(8, 1.0 + 0.32 * len(table))
    left = pd.Series(0, index=table.index)
    for column, color, label in series:
        ax.barh(table.index, table[column], left=left, color=color, label=label)
        left = left + table[column]
    return fig, ax, left


def _finish(ax: Any) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def workload_findings(findings: pd.DataFrame) -> Figure:
    """Failing workload findings (``PSS-``, ``WL-``, ``SEC-``, ``IMG-`` checks) per category and severity.

    >>> workload_findings(pd.DataFrame(columns=["check_id", "status", "category", "severity"])).axes[0].get_title()
    'No failing workload findings'
    """
    ids = {c for c, chk in REGISTRY.items() if chk.analyzer == "workloads"}
    rows = findings[findings["check_id"].isin(ids) & (findings["status"] == "fail")]
    if rows.empty:
        return empty_figure("No failing workload findings")
    fig = findings_by_category(rows)
    fig.axes[0].set_title("Workload findings by category and severity")
    return fig


def host_escapes(workloads: Any) -> Figure:
    """Pods per namespace that can reach their node, by the strongest impact of their escapes.

    >>> from kubesec_nb.model import Model
    >>> from kubesec_nb.snapshot import Snapshot
    >>> from kubesec_nb.workload import analyze
    >>> host_escapes(analyze(Model(Snapshot()))).axes[0].get_title()
    'No host escapes'
    """
    es: pd.DataFrame = workloads.escapes
    if es.empty:
        return empty_figure("No host escapes")
    rank = {impact: i for i, (_, impacts, _) in enumerate(_IMPACT_GROUPS) for impact in impacts}
    best = es.assign(_r=es["impact"].map(rank)).groupby(["namespace", "pod"])["_r"].min().reset_index()
    best["group"] = best["_r"].map(lambda r: _IMPACT_GROUPS[int(r)][0])
    names = [g for g, _, _ in _IMPACT_GROUPS]
    table = pd.crosstab(best["namespace"], best["group"]).reindex(columns=names, fill_value=0)
    fig, ax, _ = _stacked(top_rows(table.sort_index()).iloc[::-1], [(n, c, n) for n, _, c in _IMPACT_GROUPS])
    ax.set_xlabel("pods")
    ax.set_title("Pods that reach their node, by strongest impact")
    _finish(ax)
    return fig


def vulnerabilities(workloads: Any, top: int = 15) -> Figure:
    """Vulnerabilities by severity for the ``top`` workloads (by critical, then high), from the Trivy join.

    >>> from kubesec_nb.model import Model
    >>> from kubesec_nb.snapshot import Snapshot
    >>> from kubesec_nb.workload import analyze
    >>> vulnerabilities(analyze(Model(Snapshot()))).axes[0].get_title()
    'No Trivy report attached'
    """
    if not workloads.trivy_reports:
        return empty_figure("No Trivy report attached")
    v: pd.DataFrame = workloads.vulnerabilities
    v = v[v["match"] != "not in report"]
    if v.empty:
        return empty_figure("No running image is in the attached reports")
    sev = [s.lower() for s in TRIVY_SEVERITIES]
    label = v["namespace"] + "/" + v["workload"]
    table = v.assign(label=label).groupby("label")[sev].sum().astype(int)
    table = table.sort_values(["critical", "high", "medium"], ascending=False, kind="stable").head(top)
    colors = severity_colors([*SEVERITIES[:4], "info"])
    fig, ax, _ = _stacked(table.iloc[::-1], [(s, c, s) for s, c in zip(sev, colors, strict=True)])
    ax.set_xlabel("vulnerabilities (de-duplicated per image)")
    ax.set_title("Image vulnerabilities per workload (Trivy)")
    _finish(ax)
    return fig
