"""Network charts: namespace-to-namespace reachability heatmap, internet exposure summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kubesec_nb.plot._style import empty_figure, figure

_SCOPE_COLORS = {"public": "#d7301f", "unknown": "#fc8d59", "internal": "#9ecae1"}


def reachability_heatmap(matrix: pd.DataFrame, max_namespaces: int = 40) -> Figure:
    """Heatmap of ``NetworkAnalysis.matrix(level="namespace")``: share of pod pairs allowed.

    Rows are sources, columns destinations; an ``internet`` row/column is kept last. With
    more than ``max_namespaces`` namespaces the most reachable ones (by incoming share) are shown.

    >>> m = pd.DataFrame([[1.0, 0.0], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> reachability_heatmap(m).axes[0].get_title()
    'Share of pod pairs allowed by NetworkPolicy (source row → destination column)'
    """
    if matrix.empty:
        return empty_figure("No pods: nothing to show", 6, 2)
    names = [n for n in matrix.index if n != "internet"]
    if len(names) > max_namespaces:
        incoming = matrix.loc[names, names].mean(axis=0).sort_values(ascending=False, kind="stable")
        names = sorted(incoming.index[:max_namespaces])
    rows = names + (["internet"] if "internet" in matrix.index else [])
    cols = names + (["internet"] if "internet" in matrix.columns else [])
    data = matrix.loc[rows, cols].to_numpy(dtype=float)
    size = 2.5 + 0.28 * len(cols)
    fig, ax = figure(size + 1.5, 1.5 + 0.28 * len(rows))
    shown = np.ma.masked_invalid(data)
    im = ax.imshow(shown, cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("destination namespace")
    ax.set_ylabel("source namespace")
    ax.set_title("Share of pod pairs allowed by NetworkPolicy (source row → destination column)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="share allowed")
    return fig


def exposure_summary(entry_points: pd.DataFrame) -> Figure:
    """Pods reachable from outside, per path and scope (``NetworkAnalysis.entry_points``).

    >>> exposure_summary(pd.DataFrame(columns=["pod", "path", "scope", "exposed"])).axes[0].get_title()
    'No entry points from outside the cluster'
    """
    if entry_points.empty:
        return empty_figure("No entry points from outside the cluster", 6, 2)
    df = entry_points.copy()
    df["scope"] = np.where(df["scope"].isin(["public", "unknown"]) & ~df["exposed"].astype(bool),
                           "blocked by policy", df["scope"])
    table = df.drop_duplicates(["pod", "path", "scope"]).pivot_table(
        index="path", columns="scope", values="pod", aggfunc="count", fill_value=0)
    order = [c for c in ("public", "unknown", "blocked by policy", "internal") if c in table.columns]
    table = table[order].sort_index(ascending=False)
    fig, ax = figure(8, 1.0 + 0.4 * len(table))
    left = pd.Series(0, index=table.index)
    for scope in order:
        ax.barh(table.index, table[scope], left=left, color=_SCOPE_COLORS.get(scope, "#bdbdbd"), label=scope)
        left = left + table[scope]
    ax.set_xlabel("pods")
    ax.set_title("Entry points from outside the cluster, by path and scope")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig
