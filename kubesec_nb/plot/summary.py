"""Charts over the findings table shared by every area."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from kubesec_nb.checks import SEVERITIES
from kubesec_nb.findings import summary
from kubesec_nb.plot._style import empty_figure, figure, severity_colors


def findings_by_category(findings: pd.DataFrame) -> Figure:
    """Horizontal stacked bars: failing findings per category, split by severity.

    >>> findings_by_category(pd.DataFrame(columns=["status", "category", "severity"])).axes[0].get_title()
    'No failing findings'
    """
    table = summary(findings).sort_index(ascending=False)
    if table.empty:
        return empty_figure("No failing findings", 8, 1.22)
    fig, ax = figure(8, 0.9 + 0.32 * len(table))
    left = pd.Series(0, index=table.index)
    for sev, color in zip(SEVERITIES, severity_colors(list(SEVERITIES)), strict=True):
        ax.barh(table.index, table[sev], left=left, color=color, label=sev)
        left = left + table[sev]
    ax.set_xlabel("failing objects")
    ax.set_title("Findings by hardening-guide topic and severity")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig
