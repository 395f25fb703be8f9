"""Offline loaders: ``kubectl get -o json`` dumps and YAML manifests to a Snapshot.

Both accept files and folders (searched recursively for ``.json``, ``.json.gz``,
``.yaml``, ``.yml``), in any mix. Errors name the file and the document index (and the
line for YAML syntax errors). Kinds kubesec-nb does not keep are skipped and counted
in ``metadata.skipped``; an unknown kind is never a silent success: the counts say so.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot.defaults import apply_server_defaults
from kubesec_nb.snapshot.document import MAX_BYTES, Gap, Snapshot, read_bytes
from kubesec_nb.snapshot.provider import guess_provider
from kubesec_nb.snapshot.resources import RESOURCES, spec_for

SUFFIXES = (".json", ".json.gz", ".yaml", ".yml", ".yaml.gz", ".yml.gz")
#: A document may reuse YAML anchors, but not expand into more nodes than this.
MAX_EXPANDED_NODES = 1_000_000

try:  # the C parser is ~10x faster; fall back when PyYAML was built without libyaml
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


def iter_files(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Input files, folders expanded recursively (sorted), in the order given.

    Raises :class:`SnapshotError` for a path that does not exist or a folder with no input.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SUFFIXES)
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not found:
                raise SnapshotError(f"folder has no {', '.join(SUFFIXES)} files", file=str(p))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise SnapshotError("no such file or folder", file=str(p))
    if not out:
        raise SnapshotError("no input files given")
    return out


def expanded_size(doc: Any) -> int:
    """Nodes in ``doc`` once every YAML alias is expanded (shared containers counted per use).

    >>> shared = [1, 2]
    >>> expanded_size({"a": shared, "b": shared})
    7
    """
    size: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:  # iterative post-order: deep documents must not hit the recursion limit
        node, done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        if done:
            size[id(node)] = 1 + sum(size.get(id(c), 1) for c in children)
        elif id(node) not in size:
            stack.append((node, True))
            stack.extend((c, False) for c in children if isinstance(c, (dict, list)) and id(c) not in size)
    return size.get(id(doc), 1)


def _check_aliases(doc: Any, file: str, index: int) -> None:
    # PyYAML builds aliases as shared references: a "billion laughs" document is small in
    # memory but explodes when walked or serialised.
    if expanded_size(doc) > MAX_EXPANDED_NODES:
        raise SnapshotError(f"YAML aliases expand beyond {MAX_EXPANDED_NODES} nodes", file=file,
                            obj=f"document #{index}")


_SEPARATOR = re.compile(r"^---(\s|$)")


def _document_at_line(text: str, line: int) -> int:
    r"""Index of the YAML document containing 0-based ``line``.

    >>> _document_at_line("a: 1\n---\nb: [\n", 2), _document_at_line("---\na: 1\n---\nb: 2\n", 3)
    (1, 1)
    """
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if _SEPARATOR.match(ln)]
    leading = bool(starts) and all(not ln.strip() or ln.lstrip().startswith(("#", "%")) for ln in lines[:starts[0]])
    return max(0, sum(1 for s in starts if s <= line) - (1 if leading else 0))


def parse_documents(path: Path, *, max_bytes: int = MAX_BYTES) -> Iterator[tuple[int, Any]]:
    """``(index, document)`` for every non-empty document of a JSON or (multi-document) YAML file."""
    fname = str(path)
    raw = read_bytes(path, max_bytes=max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SnapshotError("not UTF-8 text", file=fname) from None
    if path.name.endswith((".json", ".json.gz")) or text.lstrip()[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            if path.name.endswith((".json", ".json.gz")):
                raise SnapshotError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                                    file=fname, obj="document #0") from None
        else:
            yield 0, doc
            return
    try:
        for index, doc in enumerate(yaml.load_all(text, Loader=_Loader)):
            if doc is None:
                continue  # empty documents between '---' separators, as Helm emits
            _check_aliases(doc, fname, index)
            yield index, doc
    except yaml.YAMLError as exc:
        # The parser reads ahead, so the document at fault is found from the error's line.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        at = f" #{_document_at_line(text, mark.line)}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SnapshotError(f"invalid YAML{where}: {problem}", file=fname, obj=f"document{at}") from None


def _objects(doc: Any, fname: str, index: int) -> Iterator[tuple[str, Any]]:
    """Objects in a document: itself, or the items of a List (``List``, ``PodList``, ...)."""
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            yield f"document #{index} item #{i}", item
        return
    if not isinstance(doc, dict):
        raise SnapshotError(f"expected a mapping (a Kubernetes object), got {type(doc).__name__}", file=fname,
                            obj=f"document #{index}")
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        items = doc.get("items")
        if items is None:
            return
        if not isinstance(items, list):
            raise SnapshotError("expected a list", file=fname, obj=f"document #{index}", field="items")
        list_version = doc.get("apiVersion")
        item_kind = kind[:-4] if kind != "List" else None
        for i, item in enumerate(items):
            if isinstance(item, dict) and item_kind and list_version:
                # typed lists from the API omit apiVersion/kind on items
                item.setdefault("apiVersion", list_version)
                item.setdefault("kind", item_kind)
            yield f"document #{index} item #{i}", item
        return
    yield f"document #{index}", doc


def _default_namespace(obj: dict[str, Any], namespace: str) -> None:
    # kubectl apply puts namespaced objects without a namespace into the target namespace
    spec = spec_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    meta = obj.get("metadata")
    if spec is not None and spec.namespaced and isinstance(meta, dict) and not meta.get("namespace"):
        meta["namespace"] = namespace


def _load(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], source: str, *,
          strict: bool, max_bytes: int, default_namespace: str | None = None) -> Snapshot:
    snap = Snapshot(metadata={"source": source})
    skipped: Counter[str] = Counter()
    files = iter_files(paths)
    for path in files:
        fname = str(path)
        for index, doc in parse_documents(path, max_bytes=max_bytes):
            for where, obj in _objects(doc, fname, index):
                if isinstance(obj, dict) and not obj.get("apiVersion") and not obj.get("kind"):
                    raise SnapshotError("not a Kubernetes object (no apiVersion and kind)", file=fname, obj=where)
                if default_namespace and isinstance(obj, dict):
                    _default_namespace(obj, default_namespace)
                kept = snap.add(obj, file=fname, where=where, strict=strict)
                if not kept:
                    skipped[f"{obj.get('apiVersion')}/{obj.get('kind')}"] += 1
    snap.metadata["skipped"] = dict(sorted(skipped.items()))
    snap.metadata["inputs"] = [str(p) for p in files]
    return snap


def from_kubectl(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, complete: bool = False,
                 strict: bool = False, cluster: str | None = None, max_bytes: int = MAX_BYTES) -> Snapshot:
    """A snapshot of ``kubectl get ... -A -o json`` (or ``-o yaml``) output: Lists or single objects.

    ``complete=True`` declares that the dump covered every built-in resource kubesec-nb
    reads, so a resource with no objects is an empty list rather than "not in snapshot"
    (kubectl prints an empty ``List`` without saying of what). Add-on APIs stay absent.
    """
    snap = _load(paths, "kubectl", strict=strict, max_bytes=max_bytes)
    if complete:
        for spec in RESOURCES:
            if not spec.optional:
                snap.mark_collected(spec.group_resource)
    snap.metadata["cluster"] = cluster or "kubectl-dump"
    snap.metadata["provider"] = guess_provider(snap)
    snap.normalize()
    return snap


def from_manifests(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
                   namespace: str = "default", bootstrap_rbac: bool = True, expand: bool = True,
                   strict: bool = False, cluster: str | None = None, server_version: str | None = None,
                   max_bytes: int = MAX_BYTES) -> Snapshot:
    """A snapshot of YAML/JSON manifests (Helm ``template`` output included), with server defaults.

    ``namespace`` is where namespaced objects without one go (``helm template -n``);
    ``bootstrap_rbac`` adds the built-in ClusterRoles and bindings; ``expand`` creates
    representative pods for controllers (see :mod:`kubesec_nb.snapshot.defaults`).
    ``server_version`` (``"1.30"``) tells the version-dependent checks which Kubernetes
    the manifests target; manifests carry no Nodes, so ``nodes`` is recorded as a gap.
    """
    snap = _load(paths, "manifests", strict=strict, max_bytes=max_bytes, default_namespace=namespace)
    apply_server_defaults(snap, default_namespace=namespace, bootstrap_rbac=bootstrap_rbac, expand=expand)
    for spec in RESOURCES:
        if not spec.optional and spec.group_resource != "nodes":
            snap.mark_collected(spec.group_resource)
    if not snap.has("nodes"):
        snap.add_gap(Gap("nodes", "list", "not_collected", message="manifests describe no nodes"))
    snap.metadata["cluster"] = cluster or "manifests"
    snap.metadata["provider"] = guess_provider(snap)
    if server_version:
        snap.metadata["serverVersion"] = {"gitVersion": f"v{server_version.lstrip('v')}"}
    snap.normalize()
    return snap
