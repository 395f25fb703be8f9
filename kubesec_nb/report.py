"""The report driver: run the notebooks with papermill, then join them into one HTML page.

Each notebook runs in its own papermill process (papermill leaves kernel threads behind
when called repeatedly in one process), with the snapshot and the output folder as
parameters. The overview notebook writes ``findings.json``/``.csv``/``.sarif``. The HTML
report is written to a temporary file and renamed, so a failed run never destroys the
previous report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from kubesec_nb.errors import KubesecError

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: Notebooks in report order.
NOTEBOOKS: tuple[str, ...] = (
    "00_overview",
    "10_rbac",
    "20_network",
    "30_workloads",
    "40_attack_paths",
    "60_audit",
)
_HIDDEN_TAGS = {"parameters", "injected-parameters", "report-hide"}


@dataclass
class Report:
    """What a report run wrote."""

    out_dir: Path
    html: Path
    notebooks: list[Path] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook declares (name → papermill's description).

    >>> sorted(notebook_parameters(NOTEBOOK_DIR / "00_overview.ipynb"))[:2]
    ['k8s_version', 'out_dir']
    """
    import papermill

    return dict(papermill.inspect_notebook(str(path)))


def _run_notebook(src: Path, dst: Path, params: dict[str, Any], timeout: int) -> None:
    declared = notebook_parameters(src)
    own = {k: v for k, v in params.items() if k in declared}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        yaml.safe_dump(own, fh)
        param_file = fh.name
    cmd = [sys.executable, "-m", "papermill", str(src), str(dst), "-k", "python3", "--cwd", str(src.parent),
           "-f", param_file, "--no-progress-bar", "--execution-timeout", str(timeout)]
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    finally:
        os.unlink(param_file)
    if proc.returncode != 0:
        last = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        reason = last[-1] if last else f"papermill exited with {proc.returncode}"
        raise KubesecError(f"notebook {src.name} failed: {reason} (partial output: {dst})")


def _combine(paths: list[Path], title: str) -> nbformat.NotebookNode:
    combined: nbformat.NotebookNode = nbformat.v4.new_notebook()
    combined.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "title": title}
    for p in paths:
        nb: nbformat.NotebookNode = nbformat.read(str(p), as_version=4)
        for cell in nb.cells:
            if _HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
                continue
            combined.cells.append(cell)
    return combined


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """HTML of a notebook without code: only markdown and outputs, images embedded."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return str(body)


def run_report(snapshot: Path, out_dir: Path, *, notebooks: list[str] | None = None,
               options: dict[str, Any] | None = None, timeout: int = 900, cluster: str = "") -> Report:
    """Execute the report notebooks on ``snapshot`` and write ``report.html`` into ``out_dir``."""
    chosen = list(notebooks or NOTEBOOKS)
    unknown = [n for n in chosen if not (NOTEBOOK_DIR / f"{n}.ipynb").exists()]
    if unknown:
        raise KubesecError(f"unknown notebook(s) {', '.join(unknown)}; known: {', '.join(NOTEBOOKS)}")
    out_dir = out_dir.resolve()
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    params = {"snapshot": str(snapshot.resolve()), "out_dir": str(out_dir), **(options or {})}
    executed = []
    for name in chosen:
        dst = out_dir / "notebooks" / f"{name}.ipynb"
        _run_notebook(NOTEBOOK_DIR / f"{name}.ipynb", dst, params, timeout)
        executed.append(dst)
    title = f"kubesec-nb report: {cluster}" if cluster else "kubesec-nb report"
    html = to_html(_combine(executed, title), title)
    target = out_dir / "report.html"
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    findings_file = out_dir / "findings.json"
    findings = json.loads(findings_file.read_text())["findings"] if findings_file.exists() else []
    return Report(out_dir=out_dir, html=target, notebooks=executed, findings=findings)
