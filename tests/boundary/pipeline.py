"""The boundary contract, as one function: load -> assess -> findings -> save -> load ends in OK or one clear error."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import yaml

import kubesec_nb as ks
from kubesec_nb.errors import KubesecError
from kubesec_nb.snapshot import Snapshot
from kubesec_nb.snapshot.resources import spec_for
from tests.boundary.mutate import paths
from tests.clusters import SAMPLES

#: The objects mutations start from: every kind of the bundled sample, one of each shape.
_POOL: list[dict[str, Any]] = []
_ATTACHMENTS: list[dict[str, Any]] = []


def attachments() -> list[dict[str, Any]]:
    """Every attachment of the three samples (EKS, GKE and AKS descriptions, Trivy, access entries, diagnostics)."""
    if not _ATTACHMENTS:
        for name in ("eks-shop", "gke-media", "aks-bank"):
            doc = json.loads(gzip.decompress((SAMPLES / f"{name}.json.gz").read_bytes()))
            _ATTACHMENTS.extend(doc["attachments"])
    return _ATTACHMENTS


def pool() -> list[dict[str, Any]]:
    """One object per (resource, set of field paths) of the three samples: every shape they hold."""
    if not _POOL:
        seen: set[tuple[str, str]] = set()
        for name in ("eks-shop", "gke-media", "aks-bank"):
            snap = Snapshot.load(SAMPLES / f"{name}.json.gz")
            for key, objs in snap.objects.items():
                for o in objs:
                    shape = (key, ",".join(sorted({".".join(map(str, p)) for p in paths(o) if len(p) <= 6
                                                   and not isinstance(p[-1], int) and p[:2] != ("metadata", "labels")
                                                   and p[:2] != ("metadata", "annotations")})))
                    if shape not in seen:
                        seen.add(shape)
                        _POOL.append(o)
    return _POOL


def write_input(tmp: Path, objs: list[dict[str, Any]], fmt: str, atts: list[dict[str, Any]] | None = None) -> Path:
    """``objs`` as a manifest folder (YAML), a kubectl dump (a JSON List) or a snapshot file (with ``atts``)."""
    tmp.mkdir(parents=True, exist_ok=True)
    if fmt == "manifests":
        path = tmp / "app.yaml"
        try:
            text = yaml.safe_dump_all(objs, sort_keys=False, width=1 << 20)
        except RecursionError:  # PyYAML's emitter recurses; JSON is YAML too
            text = json.dumps(objs)
        path.write_text(text, encoding="utf-8")
    elif fmt == "kubectl":
        path = tmp / "dump.json"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}), encoding="utf-8")
    else:
        path = tmp / "snap.json"
        objects: dict[str, list[dict[str, Any]]] = {}
        for o in objs:
            key = _key(o)
            if key:  # kinds a snapshot does not store have no key to go under
                objects.setdefault(key, []).append(o)
        path.write_text(json.dumps({"apiVersion": "kubesec-nb/v1", "kind": "Snapshot", "metadata": {},
                                    "objects": objects, "attachments": atts or []}), encoding="utf-8")
    return path


def _key(o: dict[str, Any]) -> str | None:
    spec = spec_for(str(o.get("apiVersion")), str(o.get("kind")))
    return spec.key(str(o.get("apiVersion")).rsplit("/", 1)[-1]) if spec else None


def load(path: Path, fmt: str, *, lenient: bool = False) -> Snapshot:
    """``path`` loaded as ``fmt`` (``manifests``, ``kubectl`` or ``snapshot``)."""
    if fmt == "manifests":
        return Snapshot.from_manifests(path, lenient=lenient)
    if fmt == "kubectl":
        return Snapshot.from_kubectl(path, lenient=lenient)
    return Snapshot.load(path, lenient=lenient)


def run(path: Path, fmt: str, tmp: Path, *, lenient: bool = False) -> str:
    """``ok`` or ``error`` (a KubesecError naming ``path``); anything else raises."""
    try:
        snap = load(path, fmt, lenient=lenient)
    except KubesecError as exc:
        assert str(exc).startswith(str(path)), f"error names no file: {exc}"
        assert len(str(exc)) < 600, f"error too long: {str(exc)[:700]}"
        return "error"
    a = ks.assess(snap)
    findings = a.findings
    errors = findings[findings["status"] == "error"]
    assert errors.empty, f"checks raised: {errors[['check_id', 'message']].values.tolist()[:3]}"
    for table in (a.rbac.permissions, a.network.exposure, a.workloads.pod_security, a.workloads.escapes):
        assert table is not None
    out = snap.save(tmp / "out.json.gz")
    again = Snapshot.load(out)
    assert again.counts() == snap.counts()
    return "ok"
