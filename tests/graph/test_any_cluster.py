"""The attack graph, its notebook and the ``paths`` command on clusters nobody here wrote (tests/clusters.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from kubesec_nb import notebook
from kubesec_nb.assessment import Assessment, assess, load_checks
from kubesec_nb.checks import REGISTRY
from kubesec_nb.cli import main
from kubesec_nb.findings import run_check
from kubesec_nb.report import NOTEBOOK_DIR
from kubesec_nb.snapshot import Snapshot
from tests.clusters import ANY_CLUSTER, third_party
from tests.conftest import leaked

load_checks()
PATH_CHECKS = sorted(c for c in REGISTRY if c.startswith("PATH-"))


def _clusters() -> dict[str, Callable[[], Snapshot | None]]:
    out: dict[str, Callable[[], Snapshot | None]] = dict(ANY_CLUSTER)
    if os.environ.get("KUBESEC_NB_THIRD_PARTY"):
        out["third-party"] = third_party
    return out


@pytest.fixture(scope="module", params=sorted(_clusters()))
def saved(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Assessment]:
    snap = _clusters()[request.param]()
    assert snap is not None
    path = tmp_path_factory.mktemp("cluster") / f"{request.param}.json.gz"
    snap.save(path)
    return request.param, path, assess(Snapshot.load(path))


def test_graph_answers_on_any_cluster(saved: tuple[str, Path, Assessment]) -> None:
    name, _, a = saved
    assert {"internet", "cluster-admin", "secrets:*"} <= set(a.graph.nodes)
    paths = a.paths("internet", "cluster-admin")
    assert isinstance(paths, list)
    assert isinstance(a.remediation, type(a.risky_pods)) and isinstance(a.risky_subjects, type(a.risky_pods))
    assert not a.attack.reachability().empty
    facts = dict(a.attack.facts().values.tolist())
    if name == "gaps-403":
        assert "forbidden" in facts["missing input"]
    rows = [r for c in PATH_CHECKS for r in run_check(REGISTRY[c], a)]
    assert not [r for r in rows if r["status"] == "error"], rows
    if name == "gaps-403":  # RBAC unreadable: a check that finds nothing cannot pass
        assert not [r for r in rows if r["status"] == "pass"], rows
    if name == "empty":  # nothing collected: not assessed, never pass
        assert {r["status"] for r in rows} == {"not_assessed"}


def test_notebook_defaults_run_on_any_cluster(saved: tuple[str, Path, Assessment],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every code cell of notebooks/40_attack_paths.ipynb with its default parameters, on this cluster."""
    _, path, a = saved
    loaded: list[str] = []
    monkeypatch.setattr(notebook, "load", lambda snapshot, **_: loaded.append(snapshot) or a)
    nb = nbformat.read(str(NOTEBOOK_DIR / "40_attack_paths.ipynb"), as_version=4)
    scope: dict[str, object] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(cell.source, scope)
        if "parameters" in cell.metadata.get("tags", []):
            scope["snapshot"] = str(path)
    assert loaded == [str(path)] and isinstance(scope["paths"], list)


def test_paths_command_on_any_cluster(saved: tuple[str, Path, Assessment], capsys: pytest.CaptureFixture[str]) -> None:
    _, path, _ = saved
    assert main(["paths", str(path), "--to", "node:*", "-k", "2", "--json"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc["target"] == "node:*" and isinstance(doc["paths"], list) and not leaked(out)
