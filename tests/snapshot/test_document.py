"""The Snapshot document: save/load, determinism, validation errors that name file, object and field."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot import Gap, Snapshot
from kubesec_nb.snapshot.document import API_VERSION
from tests.conftest import leaked


def _snap() -> Snapshot:
    s = Snapshot.from_objects([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "namespace": "shop"}, "spec": {}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "shop"}, "spec": {}},
    ], metadata={"cluster": "c1"})
    s.add_gap(Gap("secrets", "list", "forbidden", status=403, message="RBAC"))
    return s


@pytest.mark.parametrize("name", ["snap.json", "snap.json.gz"])
def test_roundtrip_and_deterministic_bytes(tmp_path: Path, name: str) -> None:
    s = _snap()
    p1, p2 = s.save(tmp_path / name), _snap().save(tmp_path / ("2" + name))
    assert p1.read_bytes() == p2.read_bytes()
    back = Snapshot.load(p1)
    assert [p["metadata"]["name"] for p in back.items("pods")] == ["a", "b"]
    assert back.gaps == [Gap("secrets", "list", "forbidden", status=403, message="RBAC")]
    assert back.metadata["cluster"] == "c1"


def test_save_is_atomic_and_leaves_no_temp(tmp_path: Path) -> None:
    _snap().save(tmp_path / "s.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def _write(tmp_path: Path, doc: object) -> Path:
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    return p


def _doc(**over: object) -> dict[str, object]:
    d: dict[str, object] = {"apiVersion": API_VERSION, "kind": "Snapshot", "metadata": {}, "objects": {},
                            "gaps": [], "attachments": []}
    d.update(over)
    return d


@pytest.mark.parametrize(("doc", "message"), [
    (_doc(apiVersion="kubesec-nb/v9"), "apiVersion: unknown schema version 'kubesec-nb/v9'"),
    ({"apiVersion": "v1", "kind": "List", "items": []}, "kind: not a kubesec-nb snapshot (kind is 'List')"),
    ([1, 2], "not a kubesec-nb snapshot (top level is not a JSON object)"),
    (_doc(objects={"v1/pods": [{"metadata": {"name": "p"}}]}),
     "objects.v1/pods[0] (Pod p): metadata.namespace: missing (Pod is namespaced)"),
    (_doc(objects={"v1/pods": [{"metadata": {"namespace": "a"}}]}), "metadata.name: missing or empty"),
    (_doc(objects={"v1/pods": [{"metadata": {"name": "p", "namespace": "a", "labels": {"x": 1}}}]}),
     "metadata.labels['x']: expected string, got integer (1)"),
    (_doc(objects={"v1/pods": [{"metadata": {"name": "p", "namespace": "a"}, "spec": []}]}),
     "spec: expected object, got array ([])"),
    (_doc(objects={"v1/widgets": []}), "objects.v1/widgets: unknown resource 'widgets'"),
    (_doc(objects={"v1/pods": {}}), "objects.v1/pods: expected a list of objects"),
    (_doc(objects={"v1/pods": [{"kind": "Service", "metadata": {"name": "s", "namespace": "a"}}]}),
     "does not belong under v1/pods"),
    (_doc(gaps=[{"resource": "pods", "verb": "list", "reason": "nope"}]), "gaps[0].reason: unknown reason 'nope'"),
    (_doc(attachments=[{"kind": "mystery"}]), "attachments[0].kind: unknown attachment kind 'mystery'"),
])
def test_validation_names_file_object_and_field(tmp_path: Path, doc: object, message: str) -> None:
    p = _write(tmp_path, doc)
    with pytest.raises(SnapshotError) as err:
        Snapshot.load(p)
    assert str(err.value).startswith(str(p))
    assert message in str(err.value)


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"apiVersion": ')
    with pytest.raises(SnapshotError, match=r"broken.json: invalid JSON at line 1 column 16"):
        Snapshot.load(tmp_path / "broken.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SnapshotError, match=r"bin.json: (not UTF-8|invalid JSON)"):
        Snapshot.load(tmp_path / "bin.json")
    (tmp_path / "trunc.json.gz").write_bytes(gzip.compress(b'{"a": 1}')[:12])
    with pytest.raises(SnapshotError, match="corrupt gzip"):
        Snapshot.load(tmp_path / "trunc.json.gz")
    with pytest.raises(SnapshotError, match="no such file"):
        Snapshot.load(tmp_path / "missing.json")
    with pytest.raises(SnapshotError, match="is a directory"):
        Snapshot.load(tmp_path)


def test_oversized_input_is_refused(tmp_path: Path) -> None:
    p = _snap().save(tmp_path / "s.json")
    with pytest.raises(SnapshotError, match="over the 100-byte limit"):
        Snapshot.load(p, max_bytes=100)
    gz = _snap().save(tmp_path / "s.json.gz")
    with pytest.raises(SnapshotError, match="decompressed size is over"):
        Snapshot.load(gz, max_bytes=gz.stat().st_size + 10)


def test_hand_made_snapshot_cannot_smuggle_secret_values(tmp_path: Path) -> None:
    doc = _doc(objects={"v1/secrets": [{"metadata": {"name": "s", "namespace": "a"},
                                         "data": {"k": "Q0FOQVJZLWt1YmVjdGwtc2VjcmV0"}}]})
    s = Snapshot.load(_write(tmp_path, doc))
    assert s.items("secrets")[0]["data"] == {"k": "<redacted:secret>"}
    assert not leaked(s.save(tmp_path / "out.json").read_bytes())


def test_items_across_versions_and_gaps() -> None:
    s = Snapshot.from_objects([
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "a", "namespace": "x"}},
        {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "Gateway", "metadata": {"name": "b", "namespace": "x"}},
    ])
    assert sorted(s.objects) == ["gateway.networking.k8s.io/v1/gateways", "gateway.networking.k8s.io/v1beta1/gateways"]
    assert [g["metadata"]["name"] for g in s.items("gateways.gateway.networking.k8s.io")] == ["a", "b"]
    assert not s.has("pods") and s.gap("pods") is None


def test_unknown_kinds_are_skipped_or_refused_in_strict_mode() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert Snapshot.from_objects([obj]).objects == {}
    with pytest.raises(SnapshotError, match="kind: unknown kind Widget"):
        Snapshot.from_objects([obj], strict=True)
