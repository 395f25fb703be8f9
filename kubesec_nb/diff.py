"""What changed between two snapshots: new and resolved findings, risky grants, internet exposure
and crown jewels the internet reaches through the attack graph.

Each compared aspect is an :class:`Aspect` in :data:`ASPECTS`: a function giving the rows of one
assessment and the columns that identify a row. Rows whose key is only in the new snapshot are
``new``; only in the old one, ``resolved`` (or ``removed``). A new aspect is one more entry there.
``kubesec-nb diff OLD NEW`` and the report's "Changes" section (``--baseline``) show the same tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from kubesec_nb.checks import SEVERITY_RANK
from kubesec_nb.display import Note
from kubesec_nb.graph.nodes import INTERNET, JEWEL_LABEL, JEWEL_PATTERNS, JEWEL_SEVERITY

if TYPE_CHECKING:
    from kubesec_nb.assessment import Assessment


@dataclass(frozen=True)
class Aspect:
    """One compared aspect: ``rows(assessment)`` (a DataFrame) identified by ``keys``."""

    name: str
    rows: Callable[[Assessment], pd.DataFrame]
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    gone: str = "resolved"


def _failing(a: Assessment) -> pd.DataFrame:
    f = a.findings
    return f[f["status"] == "fail"]


def _risky(a: Assessment) -> pd.DataFrame:
    r = a.rbac.risky
    out = r[r["platform"] == ""]
    out.attrs.update(r.attrs)
    return out


def _exposed(a: Assessment) -> pd.DataFrame:
    e = a.network.exposure
    out = e[e["exposed"]] if "exposed" in e.columns else e
    if a.network.missing:
        out.attrs["missing"] = a.network.missing
    return out


def _attack_paths(a: Assessment) -> pd.DataFrame:
    rows = [{"severity": JEWEL_SEVERITY[pattern], "jewel": JEWEL_LABEL[pattern], "reached": target,
             "hops": p.hops, "path": " → ".join([p.source, *(f"[{s.technique}] {s.target}" for s in p.steps)])}
            for pattern in JEWEL_PATTERNS for target, p in a.attack.cheapest_from(INTERNET, pattern).items()]
    out = pd.DataFrame(rows, columns=["severity", "jewel", "reached", "hops", "path"])
    if a.attack.missing:
        out.attrs["missing"] = a.attack.missing
    return out


ASPECTS: tuple[Aspect, ...] = (
    Aspect("findings", _failing, ("check_id", "namespace", "kind", "name", "subject"),
           ("severity", "check_id", "title", "namespace", "kind", "name", "subject", "evidence")),
    Aspect("risky grants", _risky, ("subject", "check_id", "scope"),
           ("severity", "subject", "check_id", "title", "scope", "bindings"), gone="removed"),
    Aspect("internet exposure", _exposed, ("namespace", "workload", "path", "via", "target"),
           ("namespace", "workload", "path", "via", "scope", "target", "policy_allows"), gone="removed"),
    Aspect("attack paths from the internet", _attack_paths, ("jewel", "reached"),
           ("severity", "jewel", "reached", "hops", "path"), gone="removed"),
)


@dataclass
class Changes:
    """The result of :func:`compare`: one table per aspect (``change`` column first), and what could not be compared."""

    old: str
    new: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    not_compared: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """Per aspect: how many rows are new and how many went away."""
        rows: list[dict[str, Any]] = []
        for a in ASPECTS:
            if a.name in self.not_compared:
                rows.append({"aspect": a.name, "new": "", "gone": "", "note": f"not compared: "
                                                                           f"{self.not_compared[a.name]}"})
            elif a.name in self.tables:
                t = self.tables[a.name]
                rows.append({"aspect": a.name, "new": int((t["change"] == "new").sum()),
                             "gone": int((t["change"] != "new").sum()), "note": ""})
        return pd.DataFrame(rows, columns=["aspect", "new", "gone", "note"])

    def part(self, name: str) -> pd.DataFrame | Note:
        """The table of one aspect, or why it was not compared."""
        if name in self.not_compared:
            return Note(f"Not compared: {self.not_compared[name]}", kind="warning")
        return self.tables[name]

    def _repr_html_(self) -> str:
        from kubesec_nb.display import table_html

        return table_html(self.summary)

    def __repr__(self) -> str:
        from kubesec_nb.display import table_text

        return f"changes from {self.old} to {self.new}\n{table_text(self.summary)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per aspect, the changed rows (or the reason it was not compared)."""
        return {"old": self.old, "new": self.new, "not_compared": self.not_compared,
                "changes": {k: v.to_dict(orient="records") for k, v in self.tables.items()}}


def part(changes: Changes | Note, name: str) -> pd.DataFrame | Note:
    """One aspect's table of ``changes``, or ``changes`` itself when it is a note (no baseline, none readable)."""
    return changes.part(name) if isinstance(changes, Changes) else changes


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in df.columns if c != "severity"]
    if "severity" in df.columns:
        df = df.assign(_v=df["severity"].map(SEVERITY_RANK)).sort_values(["change", "_v", *keys], kind="stable")
        return df.drop(columns="_v").reset_index(drop=True)
    return df.sort_values(["change", *keys], kind="stable").reset_index(drop=True)


def compare_aspect(aspect: Aspect, old: Assessment, new: Assessment) -> pd.DataFrame | str:
    """The changed rows of one aspect, or the reason it cannot be compared (input missing on a side)."""
    before, after = aspect.rows(old), aspect.rows(new)
    missing = before.attrs.get("missing") or after.attrs.get("missing")
    if missing:
        return str(missing)
    keys = list(aspect.keys)
    cols = list(aspect.columns)
    before, after = (df.reindex(columns=list(dict.fromkeys([*df.columns, *keys, *cols]))) for df in (before, after))
    b = before.drop_duplicates(keys).set_index(keys)
    a = after.drop_duplicates(keys).set_index(keys)
    added = a.loc[a.index.difference(b.index)].reset_index()
    gone = b.loc[b.index.difference(a.index)].reset_index()
    out = pd.concat([added.assign(change="new"), gone.assign(change=aspect.gone)], ignore_index=True)
    out = out[["change", *cols]] if not out.empty else pd.DataFrame(columns=["change", *cols])
    return _sorted(out.astype({c: str for c in cols if c != "severity"}) if not out.empty else out)


def _cluster(a: Assessment) -> str:
    return str(a.snapshot.metadata.get("cluster") or "snapshot")


def compare(old: Assessment, new: Assessment) -> Changes:
    """What changed from ``old`` to ``new`` (see the module docstring).

    >>> from kubesec_nb import Snapshot, assess
    >>> compare(assess(Snapshot()), assess(Snapshot())).summary[["aspect", "new"]].values.tolist()
    [['findings', 0], ['risky grants', ''], ['internet exposure', ''], ['attack paths from the internet', '']]
    """
    out = Changes(old=_cluster(old), new=_cluster(new))
    for aspect in ASPECTS:
        result = compare_aspect(aspect, old, new)
        if isinstance(result, str):
            out.not_compared[aspect.name] = result
        else:
            out.tables[aspect.name] = result
    return out
