"""Attack-graph charts: paths drawn left to right, the entry × crown-jewel summary, the riskiest pods and subjects.

Paths are laid out in layers, one layer per hop, wrapped into rows of ``per_row`` nodes so
that a 20-hop path stays legible at a fixed width; every position is computed from the path
itself (no random layout).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from kubesec_nb.plot._style import empty_figure, figure

#: Fill colour per node kind (see kubesec_nb.graph.nodes).
KIND_COLORS = {"internet": "#fdd0a2", "pod": "#c6dbef", "pod-hub": "#deebf7", "serviceaccount": "#c7e9c0",
               "sa-hub": "#e5f5e0", "user": "#d9f0d3", "group": "#d9f0d3", "node": "#fcbba1", "node-hub": "#fee0d2",
               "secret": "#efedf5", "secrets": "#bcbddc", "namespace-admin": "#fdae6b", "cluster-admin": "#e6550d",
               "cloud": "#9ecae1", "net": "#f0f0f0"}


def _short(text: str, width: int = 26) -> str:
    """Middle-ellipsis ``text`` to ``width`` characters.

    >>> _short("pod:shop/web-7d9f8c6b5-abcde", 20)
    'pod:shop/web…5-abcde'
    """
    if len(text) <= width:
        return text
    head = (width - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def _wrap(text: str, width: int = 24) -> str:
    r"""Split a node id over two lines after its first ``/`` (else ``:``); each line shortened to ``width``.

    >>> _wrap("namespace-admin:payments-prod")
    'namespace-admin:\npayments-prod'
    >>> _wrap("node:ip-10-0-16-12.eu-west-1.compute.internal")
    'node:\nip-10-0-16-12.e…internal'
    """
    if len(text) <= width:
        return text
    for sep in ("/", ":"):
        i = text.find(sep)
        if 0 < i < len(text) - 1:
            return f"{_short(text[:i + 1], width)}\n{_short(text[i + 1:], width)}"
    return _short(text, width)


def attack_paths(paths: Sequence[Any], title: str = "", per_row: int = 6) -> Figure:
    """Paths left to right, one hop per layer, ``per_row`` nodes per row; arrows carry the technique.

    ``paths`` are :class:`~kubesec_nb.graph.paths.AttackPath` values (``a.paths(...)``).

    >>> attack_paths([]).axes[0].get_title()
    'No attack path'
    """
    if not paths:
        return empty_figure(title or "No attack path", 10, 1.2)
    from kubesec_nb.graph.nodes import kind_of

    rows_per_path = [(len(p.nodes) + per_row - 1) // per_row for p in paths]
    total_rows = sum(rows_per_path) + len(paths)  # one title row per path
    fig, ax = figure(12, 0.35 + 0.95 * total_rows)
    ax.set_xlim(-0.6, per_row - 0.4)
    ax.set_ylim(-total_rows + 0.4, 0.9)
    ax.set_axis_off()
    ax.set_title(title or f"{len(paths)} cheapest attack path{'s' if len(paths) > 1 else ''}")
    y = 0.0
    for i, p in enumerate(paths, 1):
        note = "" if p.certainty == "confirmed" else ", rests on unknown inputs"
        ax.text(-0.55, y, f"#{i}  cost {p.cost}, {p.hops} steps{note}", fontsize=9, fontweight="bold", va="center")
        y -= 1
        pos = {}
        for j, node in enumerate(p.nodes):
            x, yy = j % per_row, y - j // per_row
            pos[j] = (x, yy)
            box = FancyBboxPatch((x - 0.42, yy - 0.24), 0.84, 0.48, boxstyle="round,pad=0.02",
                                 facecolor=KIND_COLORS.get(kind_of(node), "#ffffff"), edgecolor="#636363",
                                 linewidth=0.8)
            ax.add_patch(box)
            ax.text(x, yy, _wrap(node), ha="center", va="center", fontsize=7)
        for j, step in enumerate(p.steps):
            (x0, y0), (x1, y1) = pos[j], pos[j + 1]
            if y0 == y1:
                ax.annotate("", xy=(x1 - 0.43, y1), xytext=(x0 + 0.43, y0),
                            arrowprops={"arrowstyle": "->", "color": "#525252", "lw": 0.9})
                ax.text((x0 + x1) / 2, y0 + 0.3, step.technique, ha="center", va="bottom", fontsize=6.5,
                        color="#252525")
            else:  # wrap to the next row: down from the last box, back to the first column
                ax.annotate("", xy=(x1, y1 + 0.25), xytext=(x0, y0 - 0.25),
                            arrowprops={"arrowstyle": "->", "color": "#525252", "lw": 0.9,
                                        "connectionstyle": "arc3,rad=0.05"})
                ax.text(x0 + 0.42, y0 - 0.42, f"↓ {step.technique}", ha="right", va="center", fontsize=6.5,
                        color="#252525", bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        y -= rows_per_path[i - 1]
    return fig


def _grid(ax: Any, hops: pd.DataFrame, cost: pd.DataFrame | None, title: str) -> None:
    values = (cost if cost is not None else hops).to_numpy(dtype="float64")
    steps = hops.to_numpy(dtype="float64")
    costs = cost.to_numpy(dtype="float64") if cost is not None else None
    top = max(10.0, float(pd.DataFrame(values).max().max()) if pd.notna(values).any() else 10.0)
    ax.imshow(values, cmap="OrRd_r", aspect="auto", vmin=0, vmax=top)
    for r in range(hops.shape[0]):
        for c in range(hops.shape[1]):
            h = steps[r, c]
            text = "—" if pd.isna(h) else f"{int(h)} hop{'' if h == 1 else 's'}" + (
                "" if costs is None else f"\ncost {int(costs[r, c])}")
            dark = pd.notna(values[r, c]) and values[r, c] < 0.35 * top
            ax.text(c, r, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set_xticks(range(hops.shape[1]), list(hops.columns), fontsize=8)
    ax.set_yticks(range(hops.shape[0]), [_short(str(x), 44) for x in hops.index], fontsize=8)
    ax.set_title(title)


def reachability(table: pd.DataFrame) -> Figure:
    """Entry × crown-jewel heatmap: cheapest cost (colour, text) and hops; ``—`` where not reached.

    ``table`` is ``a.attack.reachability()``.

    >>> reachability(pd.DataFrame(columns=["entry", "jewel", "reached", "cost", "hops"])).axes[0].get_title()
    'No entry point'
    """
    if table.empty:
        return empty_figure("No entry point", 8, 1.2)
    entries = list(dict.fromkeys(table["entry"]))
    jewels = list(dict.fromkeys(table["jewel"]))

    def grid(col: str) -> pd.DataFrame:
        wide = table.assign(**{col: pd.to_numeric(table[col], errors="coerce")})
        return wide.pivot(index="entry", columns="jewel", values=col).reindex(index=entries, columns=jewels)

    fig, ax = figure(8, 0.8 + 0.45 * len(entries))
    _grid(ax, grid("hops"), grid("cost"), "Entry points × crown jewels (cheapest path; — not reached)")
    return fig


def risky(table: pd.DataFrame, label: str, top: int = 15, title: str = "", include_platform: bool = False) -> Figure:
    """Rows × crown-jewel kinds: the hops of the cheapest path from each row to each kind (``—``: not reached).

    ``table`` is ``a.risky_pods`` (``label="pod"``) or ``a.risky_subjects`` (``label="subject"``), already
    ranked; rows that reach no crown jewel, and platform-managed rows unless ``include_platform``, are left out.

    >>> risky(pd.DataFrame(columns=["pod", "jewel_count"]), "pod").axes[0].get_title()
    'Nothing reaches a crown jewel'
    """
    from kubesec_nb.graph.nodes import JEWEL_LABEL, JEWEL_PATTERNS
    from kubesec_nb.graph.ranking import JEWEL_COLUMNS

    rows = table[pd.to_numeric(table["jewel_count"], errors="coerce").fillna(0) > 0]
    if not include_platform and "platform" in rows:
        rows = rows[rows["platform"].astype(str) == ""]
    rows = rows.head(top)
    if rows.empty:
        return empty_figure("Nothing reaches a crown jewel", 8, 1.3)
    hops = pd.DataFrame({JEWEL_LABEL[p]: pd.to_numeric(rows[f"{JEWEL_COLUMNS[p]}_hops"], errors="coerce").tolist()
                         for p in JEWEL_PATTERNS}, index=[str(x) for x in rows[label]])
    fig, ax = figure(9, 0.9 + 0.32 * len(rows))
    _grid(ax, hops, None, title or f"Top {len(rows)} {label}s: hops to each crown jewel (— not reached)")
    return fig
