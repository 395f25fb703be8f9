"""How tables and notes look in notebooks and in the report: escaped HTML, no index, severity in colour.

Every DataFrame a notebook shows goes through :func:`table_html` (``notebook.setup`` registers it
with IPython): no index column (a meaningful index becomes a column), no size footer, severity and
status cells coloured, every value HTML-escaped (object names and labels are data, never markup),
an empty table says why it is empty, and a long one is cut at :data:`MAX_ROWS` with a note.
Tables of more than :data:`LONG_ROWS` rows carry the class ``ks-long``, which the report turns
into an interactive table (search, sort) with the offline DataTables bundle; the committed
notebooks keep the static table.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import pandas as pd

from kubesec_nb.checks import SEVERITIES

#: Rows shown at most per table (the notebook variable, findings.csv and the CLI have them all).
MAX_ROWS = 500
#: Tables longer than this become interactive in the report.
LONG_ROWS = 15
#: Severity colours (background, text), shared with the charts (kubesec_nb.plot._style).
SEVERITY_STYLE = {"critical": ("#7f0000", "#fff"), "high": ("#d7301f", "#fff"), "medium": ("#fc8d59", "#000"),
                  "low": ("#fdcc8a", "#000"), "info": ("#e0e0e0", "#000")}
STATUS_STYLE = {"fail": ("#d7301f", "#fff"), "error": ("#6a1b9a", "#fff"), "not_assessed": ("#ffe082", "#000"),
                "not_applicable": ("#eeeeee", "#000"), "pass": ("#c8e6c9", "#000")}
_COLOURED = {"severity": SEVERITY_STYLE, "top_severity": SEVERITY_STYLE, "status": STATUS_STYLE}


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """The table with a meaningful index turned into columns and the default RangeIndex dropped."""
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return df
    names = [n if n is not None else "" for n in df.index.names]
    if names == [""]:
        return df.reset_index(drop=True)
    return df.reset_index()


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


def badge(value: str, column: str = "severity") -> str:
    """An inline-styled HTML badge for a severity or status value (escaped).

    >>> badge("high")
    '<span class="ks-badge sev-high" style="background:#d7301f;color:#fff">high</span>'
    """
    bg, fg = _COLOURED.get(column, SEVERITY_STYLE).get(value, ("#f5f5f5", "#000"))
    return (f'<span class="ks-badge sev-{html.escape(value)}" style="background:{bg};color:{fg}">'
            f"{html.escape(value)}</span>")


def table_html(df: pd.DataFrame, *, max_rows: int = MAX_ROWS) -> str:
    """An escaped HTML table without index or footer; see the module docstring.

    >>> print(table_html(pd.DataFrame({"name": ["<script>x</script>"], "n": [1]})))
    <table class="ks-table"><thead><tr><th>name</th><th>n</th></tr></thead><tbody>
    <tr><td>&lt;script&gt;x&lt;/script&gt;</td><td class="ks-num">1</td></tr>
    </tbody></table>
    """
    missing = df.attrs.get("missing")
    flat = _flat(df)
    head = f'<div class="ks-note ks-missing">Not assessed: {html.escape(str(missing))}</div>\n' if missing else ""
    if flat.empty:
        what = "no rows (nothing to show: the input was read and nothing matched)" if not missing else "no rows"
        return f'{head}<div class="ks-note ks-empty">{html.escape(what)}</div>'
    shown = flat.head(max_rows)
    cols = [str(c) for c in shown.columns]
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(shown[c])
               for c in shown.columns]
    cls = "ks-table ks-long" if len(flat) > LONG_ROWS else "ks-table"
    out = [f'{head}<table class="{cls}"><thead><tr>'
           + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr></thead><tbody>"]
    for row in shown.itertuples(index=False, name=None):
        tds = []
        for c, num, v in zip(cols, numeric, row, strict=True):
            text = _cell(v)
            if c in _COLOURED and text:
                tds.append(f'<td class="ks-sev">{badge(text, c)}</td>')
            elif num:
                tds.append(f'<td class="ks-num">{html.escape(text)}</td>')
            else:
                tds.append(f"<td>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    if len(flat) > max_rows:
        out.append(f'<div class="ks-note">Showing the first {max_rows:,} of {len(flat):,} rows.</div>')
    return "\n".join(out)


def table_text(df: pd.DataFrame, *, max_rows: int = 60, max_width: int = 80) -> str:
    """The plain-text form of :func:`table_html`, as kubectl prints tables: left-aligned, no index, no footer.

    >>> print(table_text(pd.DataFrame({"name": ["web", "db"], "pods": [2, 10]})))
    name  pods
    web   2
    db    10
    """
    missing = df.attrs.get("missing")
    flat = _flat(df)
    head = f"Not assessed: {missing}\n" if missing else ""
    if flat.empty:
        return head + "(no rows)"

    def cut(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= max_width else text[: max_width - 3] + "..."

    cols = [str(c) for c in flat.columns]
    rows = [[cut(_cell(v)) for v in row] for row in flat.head(max_rows).itertuples(index=False, name=None)]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    lines = ["  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip() for line in [cols, *rows]]
    more = f"\n... showing {max_rows} of {len(flat)} rows" if len(flat) > max_rows else ""
    return head + "\n".join(lines) + more


class Note:
    """A short message shown in place of a result (what to set, why a query has no answer).

    >>> Note("Set `src` in the parameters cell.")
    Set `src` in the parameters cell.
    >>> Note("<b>x</b>", kind="warning")._repr_html_()
    '<div class="ks-note ks-warning">&lt;b&gt;x&lt;/b&gt;</div>'
    """

    def __init__(self, text: str, kind: str = "info") -> None:
        self.text, self.kind = text, kind

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f'<div class="ks-note ks-{html.escape(self.kind)}">{html.escape(self.text)}</div>'


class Bullets:
    """A list of sentences, each optionally led by a severity badge (escaped).

    >>> b = Bullets([("high", "3 pods run privileged"), ("", "no gaps")])
    >>> print(repr(b))
    - [high] 3 pods run privileged
    - no gaps
    """

    def __init__(self, items: Iterable[tuple[str, str]], empty: str = "Nothing to report.") -> None:
        self.items, self.empty = list(items), empty

    def __repr__(self) -> str:
        if not self.items:
            return self.empty
        return "\n".join(f"- [{sev}] {text}" if sev else f"- {text}" for sev, text in self.items)

    def _repr_html_(self) -> str:
        if not self.items:
            return Note(self.empty)._repr_html_()
        lis = "".join(f"<li>{badge(sev) + ' ' if sev in SEVERITIES else ''}{html.escape(text)}</li>"
                      for sev, text in self.items)
        return f'<ul class="ks-bullets">{lis}</ul>'
