"""What notebook cells call: load a snapshot by sample name or path, fixed display settings.

Notebooks stay thin: a cell calls one or two of these (or package) functions and shows
the result. Everything here is deterministic and writes nothing to stderr.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from kubesec_nb import __version__
from kubesec_nb import findings as _findings
from kubesec_nb.assessment import Assessment, assess
from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot.document import Snapshot

#: Where the bundled samples live (override with ``KUBESEC_NB_SAMPLES``).
SAMPLES_DIR = Path(os.environ.get("KUBESEC_NB_SAMPLES", Path(__file__).resolve().parent.parent / "data" / "samples"))


def setup() -> None:
    """Fixed pandas display options and silenced library deprecation noise, for stable outputs."""
    pd.set_option("display.max_rows", 80)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 120)
    pd.set_option("display.show_dimensions", True)
    for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    _inline_figures()


def _inline_figures() -> None:
    # Charts are detached Figures (no pyplot state), so register IPython's PNG formatter for them.
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - outside Jupyter
        return
    if get_ipython() is not None:
        set_matplotlib_formats("png")


def samples() -> list[str]:
    """Names of the bundled sample snapshots.

    >>> "eks-shop" in samples()
    True
    """
    return sorted(p.name[: -len(".json.gz")] for p in SAMPLES_DIR.glob("*.json.gz"))


def resolve(snapshot: str | os.PathLike[str]) -> Path:
    """A snapshot path from a path or a bundled sample name.

    >>> resolve("eks-shop").name
    'eks-shop.json.gz'
    """
    p = Path(snapshot)
    if p.exists():
        return p
    sample = SAMPLES_DIR / f"{snapshot}.json.gz"
    if sample.exists():
        return sample
    raise SnapshotError(f"no such snapshot file or sample (samples: {', '.join(samples())})", file=str(snapshot))


def load(snapshot: str | os.PathLike[str], *, audit_log: str | os.PathLike[str] = "", **options: Any) -> Assessment:
    """Load a snapshot (path or sample name) and start its assessment.

    Options whose value is ``""`` or None are left at their defaults, so notebook
    parameters can use ``""`` for "not set". ``audit_log`` (a file, or files separated by commas)
    replaces the snapshot's audit-log attachment for this assessment (the file is not changed).
    """
    setup()
    chosen = {k: v for k, v in options.items() if v not in ("", None)}
    snap = Snapshot.load(resolve(snapshot))
    if audit_log:
        snap.attachments = [x for x in snap.attachments if x.kind != "audit-log"]
        snap.attach("audit-log", [p.strip() for p in str(audit_log).split(",") if p.strip()])
    return assess(snap, **chosen)


def facts(a: Assessment) -> pd.DataFrame:
    """Key facts about the snapshot as a two-column table (no paths, no clock reads)."""
    m = a.snapshot.metadata
    counts = a.snapshot.counts()
    rows = [
        ("cluster", m.get("cluster", "")), ("provider (guess)", a.model.provider),
        ("server version", (m.get("serverVersion") or {}).get("gitVersion", "unknown")),
        ("semantics applied", f"Kubernetes {a.model.version[0]}.{a.model.version[1]} ({a.model.version_source})"),
        ("source", m.get("source", "")), ("collected at", m.get("collectedAt") or "unknown"),
        ("namespaces", counts.get("namespaces", 0)), ("nodes", counts.get("nodes", 0)),
        ("pods", counts.get("pods", 0)), ("gaps", len(a.snapshot.gaps)),
        ("attachments", ", ".join(sorted({x.kind for x in a.snapshot.attachments})) or "none"),
    ]
    return pd.DataFrame(rows, columns=["fact", "value"]).astype({"value": str})


def gaps_note(a: Assessment) -> str:
    """One sentence on the gaps, for the top of the gaps section.

    >>> gaps_note(assess(Snapshot()))
    'No gaps recorded: every resource the source could carry was read.'
    """
    if not a.snapshot.gaps:
        return "No gaps recorded: every resource the source could carry was read."
    by_reason: dict[str, int] = {}
    for g in a.snapshot.gaps:
        by_reason[g.reason] = by_reason.get(g.reason, 0) + 1
    parts = ", ".join(f"{n} {r}" for r, n in sorted(by_reason.items()))
    return (f"{len(a.snapshot.gaps)} gaps ({parts}). Checks that depend on these resources report "
            "`not_assessed`, never `pass`.")


def export(a: Assessment, out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Write ``findings.json``, ``findings.csv`` and ``findings.sarif`` to ``out_dir`` (when set).

    Returns the files written (names only, so that notebook outputs do not depend on paths).
    """
    if not out_dir:
        return pd.DataFrame({"file": [], "rows": []})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"cluster": a.snapshot.metadata.get("cluster", ""), "kubesec_nb": __version__,
            "collectedAt": a.snapshot.metadata.get("collectedAt")}
    df = a.findings
    _findings.write_json(df, out / "findings.json", meta)
    _findings.write_csv(df, out / "findings.csv")
    sarif = _findings.to_sarif(df, __version__)
    (out / "findings.sarif").write_text(json.dumps(sarif, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return pd.DataFrame({"file": ["findings.json", "findings.csv", "findings.sarif"],
                         "rows": [len(df), len(df), len(sarif["runs"][0]["results"])]})
