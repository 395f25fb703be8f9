"""Notebook contract: papermill can read every parameter, the common ones exist, the report lists them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubesec_nb.report import NOTEBOOK_DIR, NOTEBOOKS, notebook_parameters

NOTEBOOK_FILES = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_report_runs_every_notebook() -> None:
    assert sorted(NOTEBOOKS) == [p.stem for p in NOTEBOOK_FILES]


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_parameters_cell(path: Path) -> None:
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    declared = [ln.split(":")[0] for ln in "".join(tagged[0]["source"]).splitlines() if ln and not ln.startswith("#")]
    params = notebook_parameters(path)
    assert list(params) == declared, "papermill cannot parse some parameter lines (a '=' in a comment?)"
    assert {"snapshot", "out_dir"} <= set(params)
    assert all(p["help"] and p["inferred_type_name"] != "None" for p in params.values())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_committed_with_outputs_and_no_errors(path: Path) -> None:
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])]
    assert all(c["outputs"] for c in code), "commit notebooks executed (make goldens)"
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "notebooks must not write to stderr"
