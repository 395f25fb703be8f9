"""The boundary fuzz suite: seeded, reproducible structural and textual damage to valid inputs.

Each example starts from valid objects (the Helm-rendered fixture app, which cross-references
Services, pods, policies and bindings, plus one object of the eks-shop sample; snapshot files
also carry the samples' cloud descriptions, Trivy report and access entries), damages one
position with :mod:`tests.boundary.mutate` (type swaps, nulls, deletions, wrong containers,
deep nesting, huge and odd scalars) or the file's text, writes it as a manifest folder, a
kubectl dump or a snapshot file, and runs :func:`tests.boundary.pipeline.run`: load, assess,
every check, save, load again. The only outcomes allowed are OK and one
:class:`~kubesec_nb.errors.KubesecError` naming the file; a check that raises (an ``error``
row) fails the test too, since the typed layer should have refused what it could not read.

``derandomize=True`` makes every run draw the same examples; the example counts keep the
suite near a minute on the shared 2-core machine.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.boundary import pipeline
from tests.boundary.mutate import mutate, mutate_text
from tests.conftest import FIXTURES, leaked

FORMATS = ("manifests", "kubectl", "snapshot")
SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _app() -> list[dict[str, Any]]:
    docs = yaml.safe_load_all((FIXTURES / "manifests" / "helm-shop" / "rendered.yaml").read_text())
    objs = [d for d in docs if isinstance(d, dict)]
    for o in objs:  # namespace them, as the kubectl and snapshot forms need
        meta = o.setdefault("metadata", {})
        if o["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            meta.setdefault("namespace", "default")
    return objs


APP = _app()


def _case(data: st.DataObject, fmt: str, text: bool) -> tuple[str, str]:
    def pick(seq: Any) -> Any:
        return data.draw(st.sampled_from(list(seq)))

    objs = copy.deepcopy(APP)
    extra = copy.deepcopy(pick(pipeline.pool()))
    objs.append(extra)
    atts = copy.deepcopy(pipeline.attachments()) if fmt == "snapshot" else []
    if atts and data.draw(st.booleans()):
        i = pick(range(len(atts)))
        atts[i], desc = mutate(atts[i], pick)
    else:
        i = pick(range(len(objs)))
        objs[i], desc = mutate(objs[i], pick)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        path = pipeline.write_input(tmp / "in", objs, fmt, atts)
        if text:
            damaged, tdesc = mutate_text(path.read_text(encoding="utf-8"), pick)
            path.write_text(damaged, encoding="utf-8", errors="surrogatepass")
            desc += f"; {tdesc}"
        result = pipeline.run(path, fmt, tmp)
        out = tmp / "out.json.gz"
        assert result == "error" or not leaked(out.read_bytes()), f"canary kept in the snapshot ({desc})"
    return result, desc


@SETTINGS
@given(st.data())
def test_fuzz_manifests(data: st.DataObject) -> None:
    _case(data, "manifests", text=data.draw(st.booleans()))


@SETTINGS
@given(st.data())
def test_fuzz_kubectl_dumps(data: st.DataObject) -> None:
    _case(data, "kubectl", text=data.draw(st.booleans()))


@SETTINGS
@given(st.data())
def test_fuzz_snapshot_files(data: st.DataObject) -> None:
    _case(data, "snapshot", text=data.draw(st.booleans()))
