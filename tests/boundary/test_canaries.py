"""No secret kept, whatever the shape: one canary per leak shape of issue 8.

Valid shapes (an annotation ``db-password``, ``sh -c "mysql -p..."``, a probe's ``exec``
command) are redacted and kept; invalid shapes (Secret ``data`` as a string or list, ConfigMap
values as mappings, ``binaryData`` as a string, ``env`` as a mapping, ``args`` as a string) are
refused, and neither the error, nor the gap a lenient load records, nor the snapshot holds the
value. The live collector goes through the same :meth:`Snapshot.add`
(``tests/collector/test_boundary_live.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot import Snapshot
from tests.conftest import leaked

ANN, MYSQL, PROBE, SHAPE = "CANARY-ann-3e7a61", "CANARY-mysql-9d04c2", "CANARY-probe-51b7e0", "CANARY-shape-a83f19"


def _pod(name: str, spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "shop"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


VALID = [
    _pod("annotated", {"containers": [{"name": "c", "image": "db:1"}]},
         {"db-password": ANN, "prometheus.io/port": "9090", "checksum/config": "a" * 64}),
    _pod("shell", {"containers": [{"name": "c", "image": "mysql:8", "command": ["sh", "-c"],
                                   "args": [f"mysql -h db -u root -p{MYSQL} -e 'select 1'"]}]}),
    _pod("probe", {"containers": [{"name": "c", "image": "db:1", "livenessProbe": {"exec": {"command": [
        "mysqladmin", "ping", f"--password={PROBE}"]}}, "lifecycle": {"preStop": {"exec": {"command": [
            "sh", "-c", f"PGPASSWORD={PROBE} psql -c checkpoint"]}}}}]}),
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "tmpl", "namespace": "shop"},
     "spec": {"selector": {"matchLabels": {"app": "t"}}, "template": {
         "metadata": {"labels": {"app": "t"}, "annotations": {"vault-token": ANN}},
         "spec": {"containers": [{"name": "c", "image": "app:1", "args": [f"--db-url=mysql://root:{MYSQL}@db/app"]}]}}}},
]

INVALID = {
    "secret data string": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
                           "data": SHAPE},
    "secret data list": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
                         "data": [SHAPE]},
    "configmap value mapping": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"},
                                "data": {"creds": {"password": SHAPE}}},
    "configmap binaryData string": {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "c", "namespace": "shop"}, "binaryData": SHAPE},
    "env mapping": _pod("p", {"containers": [{"name": "c", "env": {"DB_PASSWORD": SHAPE}}]}),
    "env item string": _pod("p", {"containers": [{"name": "c", "env": [f"DB_PASSWORD={SHAPE}"]}]}),
    "env value mapping": _pod("p", {"containers": [{"name": "c", "env": [{"name": "X", "value": {"v": SHAPE}}]}]}),
    "args string": _pod("p", {"containers": [{"name": "c", "args": f"--password={SHAPE}"}]}),
    "args item mapping": _pod("p", {"containers": [{"name": "c", "args": [{"--password": SHAPE}]}]}),
    "containers mapping": _pod("p", {"containers": {"name": "c", "env": [{"name": "PW", "value": SHAPE}]}}),
    "template spec string": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "shop"},
                             "spec": {"template": {"spec": f"password={SHAPE}"}}},
    "annotations list": _pod("p", {"containers": [{"name": "c"}]}) | {
        "metadata": {"name": "p", "namespace": "shop", "annotations": [SHAPE]}},
    "annotation value number": _pod("p", {"containers": [{"name": "c"}]}) | {
        "metadata": {"name": "p", "namespace": "shop", "annotations": {"pw": {"x": SHAPE}}}},
}


def test_valid_shapes_are_redacted_by_position(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(yaml.safe_dump_all(VALID))
    snap = Snapshot.from_manifests(tmp_path)
    raw = snap.save(tmp_path / "out.json.gz").read_bytes()
    assert not leaked(raw)
    pods = {p["metadata"]["name"]: p for p in snap.items("pods")}
    ann = pods["annotated"]["metadata"]["annotations"]
    assert ann["db-password"] == "<redacted:key-name>" and ann["prometheus.io/port"] == "9090"
    assert ann["checksum/config"] == "a" * 64  # not a secret by name, and annotations skip the entropy detector
    assert pods["shell"]["spec"]["containers"][0]["args"] == [
        "mysql -h db -u root -p<redacted:key-name> -e 'select 1'"]
    probe = pods["probe"]["spec"]["containers"][0]
    assert probe["livenessProbe"]["exec"]["command"][2] == "--password=<redacted:key-name>"
    assert probe["lifecycle"]["preStop"]["exec"]["command"][2] == "PGPASSWORD=<redacted:key-name> psql -c checkpoint"
    assert pods["tmpl-0"]["metadata"]["annotations"]["vault-token"] == "<redacted:key-name>"


@pytest.mark.parametrize("shape", sorted(INVALID))
def test_invalid_shapes_keep_nothing(shape: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [INVALID[shape]]}))
    with pytest.raises(SnapshotError) as err:
        Snapshot.from_manifests(path)
    assert str(err.value).startswith(f"{path}: document #0 item #0")
    assert not leaked(str(err.value))
    snap = Snapshot.from_manifests(path, lenient=True)
    assert [g.reason for g in snap.gaps if g.reason == "invalid"] == ["invalid"]
    assert not leaked(snap.save(tmp_path / "out.json").read_bytes())


def test_secret_values_of_any_type_are_dropped_keys_kept() -> None:
    snap = Snapshot.from_objects([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"},
                                   "stringData": {"k": {"deep": [SHAPE]}}, "data": {"n": 1}, "binaryData": {"b": [SHAPE]}}])
    assert snap.items("secrets")[0]["data"] == {"b": "<redacted:secret>", "k": "<redacted:secret>",
                                                "n": "<redacted:secret>"}


def test_a_hand_made_snapshot_of_any_shape_keeps_nothing(tmp_path: Path) -> None:
    objects: dict[str, list[Any]] = {}
    for obj in INVALID.values():
        key = {"Secret": "v1/secrets", "ConfigMap": "v1/configmaps", "Pod": "v1/pods"}.get(obj["kind"],
                                                                                         "apps/v1/deployments")
        objects.setdefault(key, []).append(json.loads(json.dumps(obj)))
    path = tmp_path / "snap.json"
    path.write_text(json.dumps({"apiVersion": "kubesec-nb/v1", "kind": "Snapshot", "objects": objects}))
    with pytest.raises(SnapshotError) as err:
        Snapshot.load(path)
    assert not leaked(str(err.value))
    snap = Snapshot.load(path, lenient=True)
    assert not leaked(snap.save(tmp_path / "out.json").read_bytes() + repr(snap.gaps).encode())
