"""No hang, no blow-up: every parser guarded, every detector linear, every save atomic."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot import Snapshot
from kubesec_nb.snapshot.parse import check_shape, json_loads, yaml_documents
from tests.conftest import ROOT

# Adversarial 1 MB values for every detector: long runs of one pattern's characters with the
# terminator it needs missing, so that a backtracking pattern would be quadratic (the old
# url-credentials pattern took about 10 minutes on the first one).
_ADVERSARIAL = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from kubesec_nb.snapshot.redact import redact_object
    M = 1 << 20
    values = ["a" * M, "http://a:" + "b" * M, "eyJ" + "a-eyJ" * (M // 5), "ghp_" + "a1" * (M // 2),
              "x " * (M // 2), "\\n".join(["password=v"] * (M // 11)), "mysql -p" * (M // 8), "a.svc" * (M // 5)]
    places = [lambda v: {{"env": [{{"name": "DB_PASSWORD", "value": v}}]}}, lambda v: {{"args": ["--token", v]}},
              lambda v: {{"command": ["sh", "-c", v]}}]
    for i, v in enumerate(values):
        redact_object({{"kind": "Pod", "metadata": {{"name": "p"}},
                       "spec": {{"containers": [{{"name": "c", **places[i % 3](v)}}]}}}})
        if i % 2:
            redact_object({{"kind": "ConfigMap", "metadata": {{"name": "c", "annotations": {{"a": v}}}},
                           "data": {{"k": v}}}})
    print("done")
''')


def test_every_detector_is_linear_on_megabyte_values() -> None:
    # A generous subprocess timeout guards against a hang; no timing is asserted.
    out = subprocess.run([sys.executable, "-c", _ADVERSARIAL.format(root=str(ROOT))], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip() == "done"


def test_self_referencing_alias_does_not_loop() -> None:
    with pytest.raises(SnapshotError, match="a YAML alias contains itself"):
        list(yaml_documents("a: &a [*a]\n", file="x.yaml"))
    with pytest.raises(SnapshotError, match="a YAML alias contains itself"):
        list(yaml_documents("a: &a {b: *a}\n", file="x.yaml"))


def test_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7))
    with pytest.raises(SnapshotError, match="YAML aliases expand beyond"):
        list(yaml_documents(bomb, file="x.yaml"))


def test_merge_keys_may_be_overridden_but_explicit_keys_not_repeated() -> None:
    docs = list(yaml_documents("base: &b {a: 1, b: 2}\nx: {<<: *b, b: 3}\n", file="x.yaml"))
    assert docs[0][1]["x"] == {"a": 1, "b": 3}
    with pytest.raises(SnapshotError, match="duplicate key 'b'"):
        list(yaml_documents("base: &b {a: 1}\nx: {<<: *b, b: 3, b: 4}\n", file="x.yaml"))


def test_yaml_keys_become_json_keys_as_kubernetes_converts_them() -> None:
    assert list(yaml_documents("1: a\ntrue: b\n", file="x.yaml")) == [(0, {"1": "a", "true": "b"})]
    with pytest.raises(SnapshotError, match="duplicate key '1'"):
        list(yaml_documents('1: a\n"1": b\n', file="x.yaml"))
    with pytest.raises(SnapshotError, match="a mapping key must be a string, not null"):
        list(yaml_documents("~: a\n", file="x.yaml"))


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": Infinity}', "Infinity is not a JSON number"),
    ('{"a": -Infinity}', "-Infinity is not a JSON number"),
    ('{"a": 1e999}', "overflows a 64-bit float"),
    ('{"a": "\\udc00"}', r"a: a lone UTF-16 surrogate \(\\udc00\) is not text"),
    ('{"\\ud800": 1}', "lone UTF-16 surrogate"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply to read"),
    ('{"a": 1,}', "invalid JSON at line 1 column 9"),
])
def test_json_guards(text: str, message: str) -> None:
    with pytest.raises(SnapshotError, match=message):
        json_loads(text, file="x.json")


def test_surrogate_pairs_are_text() -> None:
    assert json_loads('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


def test_depth_limit_names_the_path() -> None:
    doc: object = "leaf"
    for _ in range(250):
        doc = {"a": doc}
    with pytest.raises(SnapshotError, match="nested deeper than 200 levels") as err:
        check_shape(doc, file="x.json")
    assert str(err.value).startswith("x.json: a.a.a.") and "…" in str(err.value) and len(str(err.value)) < 200


def test_save_to_a_folder_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="is a folder"):
        Snapshot().save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    good = Snapshot().save(tmp_path / "s.json")
    before = good.read_bytes()
    snap = Snapshot(metadata={"bad": {1, 2}})  # a value JSON cannot hold, set through the Python API
    with pytest.raises(SnapshotError, match="cannot be saved as JSON"):
        snap.save(good)
    snap = Snapshot(metadata={"bad": float("nan")})
    with pytest.raises(SnapshotError, match="cannot be saved as JSON"):
        snap.save(good)
    assert good.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_unwritable_folder_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        if (target / "probe").exists() or _writable(target):
            pytest.skip("running as a user that ignores permissions")
        with pytest.raises(OSError):
            Snapshot().save(target / "s.json")
        assert list(target.iterdir()) == []
    finally:
        target.chmod(0o700)


def _writable(folder: Path) -> bool:
    try:
        (folder / ".w").write_text("")
    except OSError:
        return False
    (folder / ".w").unlink()
    return True


def test_lenient_skips_invalid_objects_and_records_gaps(tmp_path: Path) -> None:
    (tmp_path / "dump.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "good", "namespace": "a", "uid": "1"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "a", "uid": "2"},
         "spec": {"containers": 1}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "b", "uid": "3"},
         "spec": {"ports": "80"}}]}))
    with pytest.raises(SnapshotError, match=r"item #1 \(Pod a/bad\): spec.containers"):
        Snapshot.from_kubectl(tmp_path)
    snap = Snapshot.from_kubectl(tmp_path, lenient=True)
    assert [p["metadata"]["name"] for p in snap.items("pods")] == ["good"]
    gaps = {(g.resource, g.namespace, g.reason) for g in snap.gaps}
    assert gaps == {("pods", "a", "invalid"), ("services", "b", "invalid")}
    assert "Pod a/bad" in snap.gap("pods").message  # type: ignore[union-attr]
    again = Snapshot.load(snap.save(tmp_path / "s.json"))
    assert again.gaps == snap.gaps
