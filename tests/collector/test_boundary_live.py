"""The live collector redacts by position and records objects of the wrong shape as gaps (issue 8)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kubesec_nb.snapshot import Snapshot
from tests.conftest import leaked

from .cluster import cluster_objects
from .fakeapi import FakeApiServer

LIVE = "CANARY-live-6c2d48"


def test_live_collection_redacts_by_position(make_fake: Callable[..., FakeApiServer],
                                            run: Callable[..., Snapshot], tmp_path: Path) -> None:
    objs = cluster_objects()
    objs.append({"apiVersion": "v1", "kind": "Pod", "status": {"phase": "Running"},
                 "metadata": {"name": "live", "namespace": "shop", "annotations": {"db-password": LIVE}},
                 "spec": {"containers": [{"name": "c", "image": "db:1", "args": [f"mysql -p{LIVE}"]}]}})
    objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odd", "namespace": "shop"},
                 "data": {"nested": {"password": LIVE}}})
    make_fake(objects=objs)
    snap = run()
    assert not leaked(snap.save(tmp_path / "live.json.gz").read_bytes())
    gap = snap.gap("configmaps")
    assert gap is not None and gap.reason == "invalid" and "ConfigMap shop/odd" in gap.message
    live = next(p for p in snap.items("pods") if p["metadata"]["name"] == "live")
    assert live["metadata"]["annotations"]["db-password"] == "<redacted:key-name>"
