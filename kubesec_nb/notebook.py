"""What notebook cells call: load a snapshot once, show tables the report's way, ask questions safely.

Notebooks stay thin: a cell calls one or two of these (or package) functions and shows the
result. Everything here is deterministic and writes nothing to stderr.

``load(snapshot, **options)`` is every notebook's entry point. It reuses an assessment
already made for the same snapshot content and options: in the same kernel (the report runs
all notebooks in one kernel), or from the pickle that ``kubesec-nb report`` wrote for its
run (``KUBESEC_NB_CACHE``, a private folder of that run), so a report assesses once.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kubesec_nb import __version__
from kubesec_nb import findings as _findings
from kubesec_nb.assessment import Assessment, assess, gc_paused
from kubesec_nb.display import Note, table_html, table_text
from kubesec_nb.errors import KubesecError, SnapshotError
from kubesec_nb.resources import sample_path, samples
from kubesec_nb.snapshot.document import Snapshot

#: Folder holding ``<key>.pickle`` assessments made by the report for this run (set by the report only).
CACHE_ENV = "KUBESEC_NB_CACHE"
#: Assessment options of a report run (JSON), applied under each notebook's own parameters.
OPTIONS_ENV = "KUBESEC_NB_OPTIONS"
#: Audit logs a report run reads instead of the snapshot's attachment (comma separated), for every notebook.
AUDIT_LOG_ENV = "KUBESEC_NB_AUDIT_LOG"

_memo: dict[str, Assessment] = {}


def setup() -> None:
    """Fixed display: tables without index or footer (:mod:`kubesec_nb.display`), inline PNG charts,
    and no library deprecation noise on stderr."""
    pd.set_option("display.max_rows", 80)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 120)
    for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - outside Jupyter
        return
    ip = get_ipython()
    if ip is None:
        return
    # Charts are detached Figures (no pyplot state), so register IPython's PNG formatter for them.
    set_matplotlib_formats("png")
    formatters = ip.display_formatter.formatters
    formatters["text/html"].for_type(pd.DataFrame, table_html)
    formatters["text/plain"].for_type(pd.DataFrame, lambda df, p, cycle: p.text(table_text(df)))


def resolve(snapshot: str | os.PathLike[str]) -> Path:
    """A snapshot path from a path or a bundled sample name.

    >>> resolve("eks-shop").name
    'eks-shop.json.gz'
    """
    p = Path(snapshot)
    if p.is_file():
        return p
    sample = sample_path(str(snapshot))
    if sample is not None:
        return sample
    raise SnapshotError(f"no such snapshot file or sample (samples: {', '.join(samples())})", file=str(snapshot))


def chosen_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options that are set: ``""``, None and empty containers mean "not set" (the default applies).

    >>> chosen_options({"k8s_version": "", "idp_groups": {}, "network_profile": "calico"})
    {'network_profile': 'calico'}
    """
    return {k: v for k, v in sorted(options.items()) if v is not None and not (hasattr(v, "__len__") and not len(v))}


def cache_key(path: Path, options: dict[str, Any], files: Sequence[str] = ()) -> str:
    """The key of an assessment: the snapshot's content, the options set, the content of ``files``
    (audit logs read instead of the snapshot's attachment) and the kubesec-nb version.

    >>> cache_key(resolve("eks-shop"), {}) == cache_key(resolve("eks-shop"), {"k8s_version": ""})
    True
    """
    h = hashlib.sha256()
    for p in (path, *(Path(f) for f in files)):
        h.update(p.read_bytes())
    h.update(json.dumps(chosen_options(options), sort_keys=True, default=str).encode())
    h.update(__version__.encode())
    return h.hexdigest()[:32]


def save_cache(a: Assessment, key: str, folder: Path) -> Path:
    """Write ``a`` for the notebooks of a report run (a private folder the run made)."""
    path = folder / f"{key}.pickle"
    tmp = path.with_suffix(".tmp")
    with gc_paused(), tmp.open("wb") as fh:  # pickling millions of objects: no collections midway
        pickle.dump(a, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


def remember(a: Assessment, key: str) -> None:
    """Keep ``a`` as the assessment of ``key`` in this process (the last two: a snapshot and its baseline)."""
    _memo.pop(key, None)
    _memo[key] = a
    while len(_memo) > 2:
        del _memo[next(iter(_memo))]


def _from_cache(key: str) -> Assessment | None:
    if key in _memo:
        return _memo[key]
    folder = os.environ.get(CACHE_ENV)
    path = Path(folder) / f"{key}.pickle" if folder else None
    if path is None or not path.is_file():
        return None
    with gc_paused(), path.open("rb") as fh:  # unpickling millions of objects: no collections midway
        a: Assessment = pickle.load(fh)  # written by this run's own report process, in a private folder
    return a


def report_options() -> dict[str, Any]:
    """The assessment options of the report run this kernel serves (none outside a report)."""
    raw = os.environ.get(OPTIONS_ENV)
    return dict(json.loads(raw)) if raw else {}


def load(snapshot: str | os.PathLike[str], *, audit_log: str | os.PathLike[str] = "", **options: Any) -> Assessment:
    """Load a snapshot (path or sample name) and start its assessment, or reuse the one already made.

    Options whose value is ``""``, None or empty are left at their defaults, so notebook
    parameters can use ``""`` for "not set". In a report run the report's options apply
    under the notebook's own. ``audit_log`` (a file, or files separated by commas) replaces
    the snapshot's audit-log attachment for this assessment (the file is not changed).
    """
    setup()
    path = resolve(snapshot)
    chosen = chosen_options({**report_options(), **chosen_options(options)})
    logs = audit_logs(str(audit_log) or os.environ.get(AUDIT_LOG_ENV, ""))
    key = cache_key(path, chosen, logs)
    a = _from_cache(key)
    if a is None:
        a = assess(with_audit_logs(Snapshot.load(path), logs), **chosen)
    remember(a, key)
    return a


def audit_logs(text: str) -> list[str]:
    """Audit-log files named in a parameter: comma separated, blanks ignored.

    >>> audit_logs(" a.json, ,b.json.gz")
    ['a.json', 'b.json.gz']
    """
    return [p.strip() for p in text.split(",") if p.strip()]


def with_audit_logs(snap: Snapshot, logs: Sequence[str]) -> Snapshot:
    """``snap`` reading ``logs`` instead of its audit-log attachment (none given: ``snap`` unchanged)."""
    if logs:
        snap.attachments = [x for x in snap.attachments if x.kind != "audit-log"]
        snap.attach("audit-log", list(logs))
    return snap


# ---- queries that never stop a notebook ------------------------------------------------------------

def ask(question: Callable[[], Any], **needed: Any) -> Any:
    """The answer to a notebook query, or a note: what to set when a parameter is empty, or why there
    is no answer (an object the snapshot does not hold). A query never raises in a notebook.

    >>> ask(lambda: 42, src="a", dst="")
    Set `dst` in the parameters cell to ask this question.
    >>> ask(lambda: 42, src="a")
    42
    >>> from kubesec_nb.errors import OptionError
    >>> def absent() -> None:
    ...     raise OptionError("no Service shop/web in the snapshot")
    >>> ask(absent, src="svc:shop/web")
    No answer: no Service shop/web in the snapshot
    """
    unset = [name for name, value in needed.items() if value is None or str(value).strip() == ""]
    if unset:
        names = ", ".join(f"`{n}`" for n in unset)
        return Note(f"Set {names} in the parameters cell to ask this question.")
    try:
        return question()
    except KubesecError as exc:
        return Note(f"No answer: {exc}", kind="warning")


# ---- the overview's notes and exports ------------------------------------------------------------------------

def gaps_note(a: Assessment) -> Note:
    """One sentence on the gaps, for the top of the gaps section.

    >>> gaps_note(assess(Snapshot()))
    No gaps recorded: every resource the source could carry was read.
    """
    if not a.snapshot.gaps:
        return Note("No gaps recorded: every resource the source could carry was read.")
    by_reason: dict[str, int] = {}
    for g in a.snapshot.gaps:
        by_reason[g.reason] = by_reason.get(g.reason, 0) + 1
    parts = ", ".join(f"{n} {r}" for r, n in sorted(by_reason.items()))
    return Note(f"{len(a.snapshot.gaps)} gaps ({parts}). Checks that depend on these resources report "
                "not_assessed, never pass.", kind="warning")


def write_findings(a: Assessment, out: Path) -> dict[str, int]:
    """Write ``findings.json``, ``findings.csv`` and ``findings.sarif`` into ``out``; rows per file."""
    out.mkdir(parents=True, exist_ok=True)
    meta = {"cluster": a.snapshot.metadata.get("cluster", ""), "kubesec_nb": __version__,
            "collectedAt": a.snapshot.metadata.get("collectedAt")}
    df = a.findings
    with gc_paused():  # tens of thousands of short-lived records: no collections midway
        records = _findings.to_records(df)
        _findings.write_json(df, out / "findings.json", meta, records)
        _findings.write_csv(df, out / "findings.csv")
        sarif = _findings.to_sarif(df, __version__, records)
        (out / "findings.sarif").write_text(_findings.dumps(sarif) + "\n", encoding="utf-8")
    return {"findings.json": len(df), "findings.csv": len(df), "findings.sarif": len(sarif["runs"][0]["results"])}


def export(a: Assessment, out_dir: str | os.PathLike[str]) -> pd.DataFrame | Note:
    """Write the findings files to ``out_dir`` when it is set (``kubesec-nb report`` writes its own)."""
    if not out_dir:
        return Note("Set `out_dir` to write findings.json, findings.csv and findings.sarif.")
    written = write_findings(a, Path(out_dir))
    return pd.DataFrame({"file": list(written), "rows": list(written.values())})
