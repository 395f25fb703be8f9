"""RBAC charts: risky subjects, and who holds the dangerous permissions."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from kubesec_nb.checks import SEVERITIES, SEVERITY_RANK
from kubesec_nb.plot._style import empty_figure, figure, severity_colors
from kubesec_nb.rbac.catalog import CATALOG_BY_ID


def risky_subjects(table: pd.DataFrame, top: int = 15, include_platform: bool = False) -> Figure:
    """Horizontal bars of the highest-scoring subjects, coloured by their worst severity.

    ``table`` is ``a.risky_subjects``. Subjects that reach cluster-admin are marked ``★``;
    platform-managed subjects are left out unless ``include_platform`` (then hatched).

    >>> risky_subjects(pd.DataFrame(columns=["subject", "score", "top_severity", "platform",
    ...                                      "reaches_cluster_admin"])).axes[0].get_title()
    'No risky subjects'
    """
    rows = table if include_platform else table[table["platform"] == ""]
    rows = rows.head(top).iloc[::-1]
    if rows.empty:
        return empty_figure("No risky subjects", 8, 1.3)
    fig, ax = figure(8, 1.0 + 0.3 * len(rows))
    labels = [f"{'★ ' if reach else ''}{s}" for s, reach in zip(rows["subject"], rows["reaches_cluster_admin"],
                                                                     strict=True)]
    colors = severity_colors([str(s) or "info" for s in rows["top_severity"]])
    bars = ax.barh(range(len(rows)), rows["score"], color=colors)
    for bar, plat in zip(bars, rows["platform"], strict=True):
        if plat:
            bar.set_hatch("//")
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xlabel("risk score (see a.risky_subjects)")
    ax.set_title(f"Top {len(rows)} risky subjects (★ reaches cluster-admin)")
    handles = [ax.bar(0, 0, color=c, label=s) for s, c in zip(SEVERITIES[:4], severity_colors(list(SEVERITIES[:4])),
                                                               strict=True)]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=8, frameon=False,
              title="worst permission")
    return fig


def dangerous_permissions(risky: pd.DataFrame, top: int = 12) -> Figure:
    """Stacked bars: how many subjects hold each risky permission, cluster-wide vs in a namespace.

    ``risky`` is ``a.rbac.risky``; platform-managed rows are left out. The most severe
    permissions come first.

    >>> dangerous_permissions(pd.DataFrame(columns=["check_id", "scope", "platform", "subject"])).axes[0].get_title()
    'No risky permissions'
    """
    rows = risky[risky["platform"] == ""]
    if rows.empty:
        return empty_figure("No risky permissions", 8, 1.3)
    fig, ax = figure(8, 1.0 + 0.3 * min(top, rows["check_id"].nunique()))
    where = rows.assign(where=rows["scope"].map(lambda s: "cluster-wide" if s == "cluster" else "in a namespace"))
    table = pd.crosstab(where["check_id"], where["where"]).reindex(columns=["cluster-wide", "in a namespace"],
                                                                   fill_value=0)
    # most severe permissions first, then the most widely held
    rank = {c: SEVERITY_RANK[CATALOG_BY_ID[c].severity] if c in CATALOG_BY_ID else len(SEVERITIES) for c in table.index}
    totals = table.sum(axis=1).to_dict()
    order = sorted(table.index, key=lambda c: (rank[c], -int(totals[c]), c))[:top]
    table = table.loc[order].iloc[::-1]
    table.index = [f"{c} ({CATALOG_BY_ID[c].severity})" if c in CATALOG_BY_ID else c for c in table.index]
    left = pd.Series(0, index=table.index)
    for col, color in (("cluster-wide", "#7f0000"), ("in a namespace", "#fc8d59")):
        ax.barh(table.index, table[col], left=left, color=color, label=col)
        left = left + table[col]
    ax.set_xlabel("subject × scope pairs")
    ax.set_title("Who holds the dangerous permissions")
    ax.legend(loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=8, frameon=False)
    return fig
