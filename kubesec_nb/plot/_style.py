"""Shared figure setup: figures detached from pyplot, fixed fonts and sizes, severity colours."""

from __future__ import annotations

from typing import Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

_RC: Any = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.titlesize": 11,
    "svg.hashsalt": "kubesec-nb",
    "path.simplify": True,
}

#: Report width in inches at the figure dpi: charts wider than this are scaled down by the page.
REPORT_WIDTH = 9.5
#: Bars per chart at most: more are unreadable at report width (the table under the chart has every row).
MAX_BARS = 30

SEVERITY_COLORS = {"critical": "#7f0000", "high": "#d7301f", "medium": "#fc8d59", "low": "#fdcc8a",
                   "info": "#bdbdbd"}


def severity_colors(severities: list[str]) -> list[str]:
    """Colours for a list of severities.

    >>> severity_colors(["high", "low"])
    ['#d7301f', '#fdcc8a']
    """
    return [SEVERITY_COLORS.get(s, "#969696") for s in severities]


def figure(width: float = 8.0, height: float = 4.5, nrows: int = 1, ncols: int = 1) -> tuple[Figure, Any]:
    """A new figure with kubesec-nb's fixed style; returns ``(fig, axes)``.

    The figure is detached from pyplot's state machine so that building charts in a
    loop does not accumulate open figures.

    >>> fig, ax = figure(4, 3)
    >>> type(fig).__name__, ax.get_figure() is fig
    ('Figure', True)
    """
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(min(width, REPORT_WIDTH), height), layout="constrained")
        axes = fig.subplots(nrows, ncols)
    return fig, axes


def top_rows(table: pd.DataFrame, limit: int = MAX_BARS) -> pd.DataFrame:
    """The ``limit`` rows of ``table`` with the largest totals, in their original order, and one more row
    summing the rest (labelled ``(N more)``), so a chart stays readable whatever the cluster's size.

    >>> t = pd.DataFrame({"a": [1, 5, 2, 4]}, index=["w", "x", "y", "z"])
    >>> top_rows(t, 2)["a"].to_dict()
    {'x': 5, 'z': 4, '(2 more)': 3}
    """
    if len(table) <= limit:
        return table
    keep = table.sum(axis=1, numeric_only=True).sort_values(ascending=False, kind="stable").index[:limit]
    kept = table.loc[[i for i in table.index if i in set(keep)]]
    rest = table.drop(index=keep).sum(numeric_only=True).rename(f"({len(table) - limit} more)")
    return pd.concat([kept, rest.to_frame().T])


def empty_figure(title: str, width: float = 8.0, height: float = 1.2) -> Figure:
    """A figure that only says why there is nothing to draw (a chart must never look empty by accident).

    >>> empty_figure("No pods").axes[0].get_title()
    'No pods'
    """
    fig, ax = figure(width, height)
    ax.set_title(title)
    ax.set_axis_off()
    return fig
