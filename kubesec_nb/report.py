"""The report: assess once, run the notebooks in one kernel, write one HTML page and the findings files.

``run_report`` does, in order:

1. load and assess the snapshot in this process and compute the findings (the CLI's exit code
   and ``findings.json``/``.csv``/``.sarif`` come from here, whichever notebooks run);
2. pickle the assessment into a private cache folder that ``notebook.load`` reads
   (``KUBESEC_NB_CACHE``), so no notebook assesses again;
3. run the notebooks (papermill parameters) one after the other in one Python kernel, the
   namespace reset between notebooks; a notebook that raises is recorded and the next runs;
4. write ``report.html``: title with the cluster name, a banner at the top naming every failed
   section and every check in error, a table of contents built from the notebooks' ``#`` and
   ``##`` headings, one section per notebook (no code, no prompts), long tables interactive
   through the offline DataTables bundle that itables ships (no network), print styles.

Everything is written into a temporary folder beside the output folder, which replaces the
output folder only at the end: a run that stops half-way never leaves a folder mixing two runs.
A new notebook is one more name in :data:`NOTEBOOKS`; it gets the cache, a section, its
table-of-contents entries and the failure handling from here.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from kubesec_nb import __version__
from kubesec_nb.errors import KubesecError
from kubesec_nb.resources import notebooks_dir

#: Notebooks in report order. The first one holds the executive summary and is always run.
NOTEBOOKS: tuple[str, ...] = (
    "00_overview",
    "05_changes",
    "10_rbac",
    "20_network",
    "30_workloads",
    "40_attack_paths",
    "50_platform",
    "60_audit",
)
#: Notebook metadata key ``kubesec_nb.report_if``: run the notebook only when this parameter is set.
REPORT_IF = "report_if"
#: Cells with these tags are left out of the report (parameters, and cells for interactive use).
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "report-hide", "ks-internal"})
#: A marker file that says a folder is a kubesec-nb report (only such folders are replaced).
MARKER = ".kubesec-nb-report"
NOTEBOOK_DIR = notebooks_dir()


@dataclass(frozen=True)
class Failure:
    """A notebook that stopped: where and why."""

    notebook: str
    title: str
    cell: int | None
    ename: str
    evalue: str

    @property
    def user_error(self) -> bool:
        """Whether the notebook stopped on a user mistake (a KubesecError: bad parameter, absent input)."""
        return self.ename in _user_error_names()

    def __str__(self) -> str:
        where = f" (cell {self.cell})" if self.cell is not None else ""
        return f"section {self.title!r} ({self.notebook}) failed{where}: {self.ename}: {self.evalue}"


def _user_error_names() -> set[str]:
    names, todo = set(), [KubesecError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


@dataclass
class Report:
    """What a report run wrote."""

    out_dir: Path
    html: Path
    findings: pd.DataFrame
    notebooks: list[Path] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Ids of checks that raised (status ``error``): their result is unknown."""
        return sorted(set(self.findings.loc[self.findings["status"] == "error", "check_id"]))


# ---- notebooks and parameters -------------------------------------------------------------------

def notebook_path(name: str) -> Path:
    """The bundled notebook ``name`` (a stem such as ``10_rbac``)."""
    return NOTEBOOK_DIR / f"{name}.ipynb"


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook declares (name → papermill's description).

    >>> sorted(notebook_parameters(notebook_path("00_overview")))[:2]
    ['interactive', 'k8s_version']
    """
    import papermill

    return dict(papermill.inspect_notebook(str(path)))


_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "bool": (bool,), "int": (int,), "float": (int, float),
                                       "dict": (dict,), "list": (list,)}


def check_params(params: dict[str, Any], chosen: Sequence[str]) -> dict[str, Any]:
    """``params`` as the chosen notebooks declare them; raise a KubesecError for an unknown parameter or a bad value.

    A string is taken as the notebook's ``str`` parameter verbatim, and parsed as YAML for the others.

    >>> check_params({"who_verb": "get", "include_platform": "true", "port": "80"}, ["10_rbac", "20_network"])
    {'who_verb': 'get', 'include_platform': True, 'port': '80'}
    >>> check_params({"nope": 1}, ["10_rbac"])
    Traceback (most recent call last):
    kubesec_nb.errors.KubesecError: no notebook of this report has a parameter 'nope' ...
    """
    import yaml

    declared: dict[str, dict[str, Any]] = {}
    for name in chosen:
        for key, desc in notebook_parameters(notebook_path(name)).items():
            declared.setdefault(key, desc)
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in declared:
            raise KubesecError(f"no notebook of this report has a parameter {key!r} (parameters: "
                               f"{', '.join(sorted(declared))})")
        kind = str(declared[key].get("inferred_type_name"))
        if isinstance(value, str) and kind != "str":
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError as exc:
                raise KubesecError(f"parameter {key}: not a valid {kind} ({str(exc).splitlines()[0]})") from exc
        want = _TYPES.get(kind)
        if want and (not isinstance(value, want) or (bool not in want and isinstance(value, bool))):
            raise KubesecError(f"parameter {key} must be a {kind}, got {value!r}")
        out[key] = value
    return out


def _wanted(name: str, params: dict[str, Any]) -> bool:
    nb = nbformat.read(str(notebook_path(name)), as_version=4)
    cond = nb.metadata.get("kubesec_nb", {}).get(REPORT_IF)
    return not cond or bool(params.get(cond))


def choose(notebooks: Sequence[str] | None, params: dict[str, Any]) -> list[str]:
    """The notebooks a run executes: the overview first, then those asked for (default: all) in report order."""
    known = [n for n in NOTEBOOKS if notebook_path(n).is_file()]
    asked = list(dict.fromkeys(notebooks or known))
    unknown = [n for n in asked if n not in known]
    if unknown:
        raise KubesecError(f"unknown notebook(s) {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = [n for n in known if n == NOTEBOOKS[0] or n in asked]
    return [n for n in chosen if n in (notebooks or ()) or _wanted(n, params)]


# ---- one kernel for every notebook --------------------------------------------------------------

class Kernel:
    """One Python kernel (this interpreter) that runs a report's notebooks one after the other.

    Each notebook starts with a fresh namespace (``%reset``) and the environment of its run;
    modules stay imported and ``notebook.load`` keeps the assessment, so the next notebook
    reuses both. A kernel that dies is started again for the next notebook.
    """

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = cwd or NOTEBOOK_DIR
        self.km: Any = None
        self._sockets = ""

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _manager(self) -> Any:
        if self.km is None:
            from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
            from jupyter_client.manager import AsyncKernelManager

            class ThisPython(KernelSpecManager):
                # the kernel runs in this interpreter, whatever kernelspecs the machine has
                def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
                    return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                      display_name="Python 3", language="python")

            # IPC sockets in a private folder: nothing listens on the network, nothing warns about it
            self._sockets = tempfile.mkdtemp(prefix="kubesec-nb-kernel-")
            self.km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisPython(), transport="ipc",
                                         ip=os.path.join(self._sockets, "k"))
        return self.km

    def run(self, nb: nbformat.NotebookNode, env: dict[str, str], timeout: int) -> tuple[str, str, int | None] | None:
        """Execute ``nb`` in place; None when it ran through, else ``(ename, evalue, cell index)``."""
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        prologue = nbformat.v4.new_code_cell(f"%reset -f\nimport os as _os\n_os.environ.update({json.dumps(env)})\n"
                                             "del _os", metadata={"tags": ["ks-internal"]})
        nb.cells.insert(0, prologue)
        km = self._manager()
        client = NotebookClient(nb, km=km, timeout=timeout, interrupt_on_timeout=True, record_timing=False,
                                resources={"metadata": {"path": str(self.cwd)}})
        base_env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "JUPYTER_PLATFORM_DIRS": "1"}
        failed: tuple[str, str, int | None] | None = None
        try:
            client.execute(env=base_env, cwd=str(self.cwd))
        except (CellExecutionError, CellTimeoutError) as exc:
            failed = (getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc)), None)
        except DeadKernelError as exc:
            failed = ("DeadKernelError", f"the kernel died ({exc}); out of memory?", None)
            self.close()
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
            del nb.cells[0]
        if failed is not None:
            cell = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                         and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
            failed = (failed[0], failed[1], cell)
        return failed

    def close(self) -> None:
        """Shut the kernel down (idempotent)."""
        if self.km is not None:
            from jupyter_core.utils import run_sync

            with suppress(Exception):  # already dead
                run_sync(self.km.shutdown_kernel)(now=True)
            self.km = None
            shutil.rmtree(self._sockets, ignore_errors=True)


# ---- the run ------------------------------------------------------------------------------------

@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` that replaces it when the block ends without an exception.

    ``target`` must be absent, empty or an earlier report (it holds :data:`MARKER`, or the
    ``report.html`` of a version before the marker), so a mistyped ``-o`` never deletes someone's folder.
    """
    target = target.resolve()
    ours = target.is_dir() and (not any(target.iterdir()) or (target / MARKER).exists()
                                or (target / "report.html").exists())
    if target.exists() and not ours:
        raise KubesecError(f"{target}: exists and is not a kubesec-nb report folder; choose another output folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the report folder is an ordinary folder
    try:
        (tmp / MARKER).write_text("kubesec-nb report folder: `kubesec-nb report` replaces it as a whole\n")
        yield tmp
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_report(snapshot: Path, out_dir: Path, *, notebooks: Sequence[str] | None = None,
               options: dict[str, Any] | None = None, params: dict[str, Any] | None = None, timeout: int = 900,
               kernel: Kernel | None = None, audit_logs: Sequence[str] = ()) -> Report:
    """Assess ``snapshot`` once, run the notebooks, write ``report.html`` and the findings into ``out_dir``.

    ``audit_logs`` are read instead of the snapshot's audit-log attachment, by this process and
    every notebook (the snapshot file is not changed).

    Raises KubesecError (before anything is written) for an unknown notebook, parameter or
    option. A notebook that fails is recorded in :attr:`Report.failures` and named at the top
    of the report; the caller decides the exit code.
    """
    from kubesec_nb import notebook
    from kubesec_nb.assessment import assess
    from kubesec_nb.snapshot.document import Snapshot

    params = dict(params or {})
    chosen = choose(notebooks, params)
    params = check_params(params, chosen)
    opts = notebook.chosen_options(dict(options or {}))
    snapshot = snapshot.resolve()
    logs = [str(Path(f).resolve()) for f in audit_logs or notebook.audit_logs(str(params.get("audit_log", "")))]
    with staged(out_dir) as tmp:
        a = assess(notebook.with_audit_logs(Snapshot.load(snapshot), logs), **opts)
        findings = a.findings  # every check, in this process: the exit code does not depend on notebooks
        cluster = str(a.snapshot.metadata.get("cluster") or snapshot.name.split(".")[0])
        cache = Path(tempfile.mkdtemp(prefix="kubesec-nb-cache-"))
        try:
            _save_for_notebooks(a, notebook.cache_key(snapshot, opts, logs), cache)
            # the findings files are written while the kernel starts and runs on the other core
            with ThreadPoolExecutor(1) as pool:
                written = pool.submit(notebook.write_findings, a, tmp)
                del a
                env = {notebook.CACHE_ENV: str(cache), notebook.OPTIONS_ENV: json.dumps(opts, default=str),
                       notebook.AUDIT_LOG_ENV: ",".join(logs)}
                executed, failures = _run_all(chosen, {"snapshot": str(snapshot), **opts, **params}, env, timeout,
                                              kernel, tmp)
                written.result()
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        page = render(executed, failures, findings, cluster=cluster, source=snapshot.name)
        (tmp / "report.html").write_text(page, encoding="utf-8")
    out = out_dir.resolve()
    return Report(out_dir=out, html=out / "report.html", findings=findings,
                  notebooks=[out / "notebooks" / f"{n}.ipynb" for n, _ in executed], failures=failures)


def _save_for_notebooks(a: Any, key: str, cache: Path) -> None:
    import pickle

    from kubesec_nb import notebook

    try:
        notebook.save_cache(a, key, cache)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an analyzer holding something unpicklable
        print(f"kubesec-nb: note: the notebooks assess again (the assessment cannot be cached: {exc})",
              file=sys.stderr)


def _run_all(chosen: list[str], params: dict[str, Any], env: dict[str, str], timeout: int, kernel: Kernel | None,
             out: Path) -> tuple[list[tuple[str, nbformat.NotebookNode]], list[Failure]]:
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    (out / "notebooks").mkdir(exist_ok=True)
    executed, failures = [], []
    own = kernel is None
    k = kernel or Kernel()
    try:
        for name in chosen:
            src = notebook_path(name)
            declared = notebook_parameters(src)
            nb = load_notebook_node(str(src))  # papermill's reading: every cell gets metadata.tags
            nb = parameterize_notebook(nb, {k_: v for k_, v in params.items() if k_ in declared},
                                       kernel_name="python3", language="python")
            failed = k.run(nb, env, timeout)
            if failed is not None:
                failures.append(Failure(name, title_of(nb, name), failed[2], failed[0], failed[1]))
            nbformat.write(nb, str(out / "notebooks" / f"{name}.ipynb"))
            executed.append((name, nb))
    finally:
        if own:
            k.close()
    return executed, failures


# ---- the page -----------------------------------------------------------------------------------

_HEADING = re.compile(r'<h([12]) id="([^"]*)">(.*?)(?:<a class="anchor-link" href="#[^"]*">[^<]*</a>)?</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")


def title_of(nb: nbformat.NotebookNode, default: str) -> str:
    """The notebook's title: its first ``#`` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return str(line[2:]).strip()
    return default


def _report_cells(nb: nbformat.NotebookNode, failed: Failure | None) -> nbformat.NotebookNode:
    """The cells the report shows: no hidden cells, no tracebacks (a failure note instead)."""
    out: nbformat.NotebookNode = nbformat.v4.new_notebook(metadata=nb.metadata)
    for i, cell in enumerate(nb.cells):
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            cell = nbformat.from_dict(dict(cell))
            kept = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            if failed is not None and failed.cell == i:
                note = (f'<div class="ks-alert" role="alert">This section stopped here: '
                        f"{html.escape(failed.ename)}: {html.escape(failed.evalue)}. "
                        "What follows in this section was not computed.</div>")
                kept.append(nbformat.v4.new_output("display_data", data={"text/html": note}))
            cell.outputs = kept
        out.cells.append(cell)
        if failed is not None and failed.cell == i:
            break
    return out


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _output_html(out: nbformat.NotebookNode) -> str:
    """One cell output as HTML: rich HTML as the notebook made it (escaped by :mod:`kubesec_nb.display`),
    charts as embedded PNG, text escaped; stderr and errors are never shown."""
    kind = out.get("output_type")
    if kind == "stream":
        text = html.escape(_ANSI.sub("", out.get("text", "")))
        return f'<pre class="ks-text">{text}</pre>' if out.get("name") == "stdout" else ""
    data = out.get("data", {}) if kind in ("display_data", "execute_result") else {}
    if "text/html" in data:
        return f'<div class="ks-output">{data["text/html"]}</div>'
    if "image/png" in data:
        return f'<img class="ks-chart" alt="chart" src="data:image/png;base64,{str(data["image/png"]).strip()}">'
    if "text/plain" in data:
        return f'<pre class="ks-text">{html.escape(_ANSI.sub("", str(data["text/plain"])))}</pre>'
    return ""


def _section_html(name: str, nb: nbformat.NotebookNode,
                  failed: Failure | None) -> tuple[str, list[tuple[int, str, str]]]:
    """A notebook as report HTML (markdown and outputs, no code) and its table-of-contents entries.

    Rendered here rather than by nbconvert's exporter, which parses every output again (tens of
    seconds on a 10,000-pod report) to check image alt texts.
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    parts = []
    for cell in _report_cells(nb, failed).cells:
        if cell.cell_type == "markdown":
            parts.append(f'<div class="ks-md">{markdown2html_mistune(cell.source)}</div>')
        elif cell.cell_type == "code":
            parts.extend(_output_html(o) for o in cell.get("outputs", []))
    toc: list[tuple[int, str, str]] = []

    def heading(m: re.Match[str]) -> str:
        level, ident, text = int(m.group(1)), f"sec-{name}-{len(toc) + 1}", m.group(3)
        toc.append((level, ident, html.unescape(_TAGS.sub("", text)).strip()))
        return f'<h{level} id="{html.escape(ident)}">{text}</h{level}>'

    body = _HEADING.sub(heading, "\n".join(p for p in parts if p))
    return body, toc


def render(executed: list[tuple[str, nbformat.NotebookNode]], failures: list[Failure], findings: pd.DataFrame, *,
           cluster: str, source: str) -> str:
    """The report page (deterministic: no clock, no paths, no random ids)."""
    by_name = {f.notebook: f for f in failures}
    sections, toc = [], []
    for name, nb in executed:
        body, entries = _section_html(name, nb, by_name.get(name))
        state = " ks-failed" if name in by_name else ""
        sections.append(f'<section class="ks-section{state}" id="section-{html.escape(name)}">\n{body}\n</section>')
        toc.extend(entries)
    title = f"kubesec-nb report: {cluster}"
    return _PAGE.format(title=html.escape(title), version=html.escape(__version__), source=html.escape(source),
                        css=_CSS, banner=_banner(failures, findings), toc=_toc(toc), sections="\n".join(sections),
                        tables=_interactive_tables())


def _banner(failures: list[Failure], findings: pd.DataFrame) -> str:
    parts = []
    if failures:
        items = "".join(f'<li><a href="#section-{html.escape(f.notebook)}">{html.escape(f.title)}</a>: '
                        f"{html.escape(f.ename)}: {html.escape(f.evalue)}</li>" for f in failures)
        parts.append(f"<p><strong>This report is incomplete: {len(failures)} section(s) failed.</strong> Each "
                     f"stops where it failed; the findings files are complete (computed before the notebooks "
                     f"ran).</p><ul>{items}</ul>")
    errors = findings[findings["status"] == "error"]
    if not errors.empty:
        items = "".join(f"<li>{html.escape(str(c))}: {html.escape(str(m))}</li>"
                        for c, m in zip(errors["check_id"], errors["message"], strict=True))
        parts.append(f"<p><strong>{errors['check_id'].nunique()} check(s) failed internally</strong>: their "
                     f"result is unknown (status <code>error</code> in the findings).</p><ul>{items}</ul>")
    return f'<div class="ks-alert ks-top" role="alert">{"".join(parts)}</div>' if parts else ""


def _toc(entries: list[tuple[int, str, str]]) -> str:
    out, open_sub = ['<nav class="ks-toc" aria-label="Contents"><h2>Contents</h2><ol>'], False
    for level, ident, text in entries:
        link = f'<a href="#{html.escape(ident)}">{html.escape(text)}</a>'
        if level == 1:
            if open_sub:
                out.append("</ol></li>")
            out.append(f"<li>{link}<ol>")
            open_sub = True
        else:
            out.append(f"<li>{link}</li>")
    if open_sub:
        out.append("</ol></li>")
    out.append("</ol></nav>")
    return "".join(out)


def _interactive_tables() -> str:
    """The offline DataTables bundle of itables, loaded from the page itself, applied to long tables."""
    try:
        from itables.options import dt_bundle
    except ImportError:  # interactive tables are optional: the static tables stay
        return ""
    js = Path(dt_bundle).read_bytes()
    css = Path(dt_bundle).with_suffix(".css").read_text(encoding="utf-8")
    b64 = base64.b64encode(js).decode("ascii")
    return _TABLES.format(css=css, b64=b64)


_TABLES = """<style>{css}</style>
<script type="module">
const bytes = Uint8Array.from(atob("{b64}"), c => c.charCodeAt(0));
const url = URL.createObjectURL(new Blob([new TextDecoder().decode(bytes)], {{type: "text/javascript"}}));
const {{ ITable }} = await import(url);
URL.revokeObjectURL(url);
for (const table of document.querySelectorAll("table.ks-long")) {{
  new ITable(table, {{paging: false, scrollY: "28rem", scrollCollapse: true, order: [], autoWidth: false,
                      layout: {{topStart: null, topEnd: "search", bottomStart: "info", bottomEnd: null}}}});
}}
document.body.dataset.tables = "ready";
</script>"""

_CSS = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 1.5rem 2rem 4rem; }
header.ks-header { border-bottom: 3px solid var(--accent); margin-bottom: 1rem; }
header.ks-header h1 { margin: 0 0 .2rem; font-size: 1.9rem; }
header.ks-header p { margin: 0 0 .6rem; color: var(--muted); }
h1 { font-size: 1.6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2.2rem; }
h2 { font-size: 1.25rem; margin-top: 1.6rem; } h3 { font-size: 1.05rem; }
a { color: var(--accent); }
.ks-toc { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .6rem 1.2rem; }
.ks-toc h2 { margin: .2rem 0 .4rem; font-size: 1.1rem; }
.ks-toc ol { margin: 0; padding-left: 1.3rem; } .ks-toc ol ol { font-size: .92em; columns: 2; }
.ks-alert { background: #ffebe9; border: 1px solid #cf222e; border-left: 6px solid #cf222e; border-radius: 6px;
            padding: .5rem 1rem; margin: .8rem 0; }
.ks-note { color: var(--muted); font-style: italic; margin: .4rem 0; }
.ks-note.ks-warning, .ks-missing { color: #7a4d00; background: #fff8c5; padding: .3rem .6rem; font-style: normal;
            border-left: 4px solid #d4a72c; }
table.ks-table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 12.5px; width: auto; max-width: 100%; }
table.ks-table th, table.ks-table td { border: 1px solid var(--line); padding: .2rem .45rem; text-align: left;
            vertical-align: top; overflow-wrap: break-word; }
table.ks-table th { background: #f6f8fa; position: sticky; top: 0; white-space: nowrap; }
td.ks-sev, .ks-badge { white-space: nowrap; }
div.ks-output { overflow-x: auto; max-width: 100%; }
table.ks-table tbody tr:nth-child(even) { background: #fafbfc; }
table.ks-table td.ks-num { text-align: right; font-variant-numeric: tabular-nums; }
.ks-badge { display: inline-block; border-radius: 3px; padding: 0 .4rem; font-size: 11.5px; font-weight: 600; }
ul.ks-bullets li { margin: .25rem 0; }
pre { background: #f6f8fa; padding: .5rem .8rem; border-radius: 6px; white-space: pre-wrap;
      overflow-wrap: anywhere; font-size: 12.5px; }
img { max-width: 100%; height: auto; }
.anchor-link { display: none; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .ks-toc ol ol { columns: 1; }
  section.ks-section { break-before: page; }
  section.ks-section:first-of-type { break-before: auto; }
  h1, h2, h3 { break-after: avoid; }
  tr, img, .ks-alert { break-inside: avoid; }
  .dt-search, .dt-info, .dt-scroll-head { display: none !important; }
  .dt-scroll-body { max-height: none !important; height: auto !important; overflow: visible !important; }
  table.ks-table th { position: static; }
  a { color: inherit; text-decoration: none; }
}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kubesec-nb {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header class="ks-header"><h1 class="ks-title">{title}</h1>
<p>Kubernetes security assessment of snapshot {source}, by kubesec-nb {version}.</p></header>
{banner}
{toc}
<main>
{sections}
</main>
{tables}
</body>
</html>
"""
