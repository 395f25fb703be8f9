"""Offline loaders: ``kubectl get -o json`` dumps and YAML manifests to a Snapshot.

Both accept files and folders (searched recursively for ``.json``, ``.json.gz``,
``.yaml``, ``.yml``), in any mix. Errors name the file and the document index (and the
line for YAML syntax errors). Kinds kubesec-nb does not keep are skipped and counted
in ``metadata.skipped``; an unknown kind is never a silent success: the counts say so.
Lists (``kind: List``, ``ConfigMapList``, ...) are unpacked, Lists inside Lists too; a
kubesec-nb snapshot file is refused (it is read with ``Snapshot.load``). Every object is
redacted and validated by :meth:`Snapshot.add`; ``lenient=True`` skips invalid objects
and records each as a gap of reason ``invalid``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot.defaults import apply_server_defaults
from kubesec_nb.snapshot.parse import (
    MAX_BYTES,
    check_shape,
    decode_text,
    excerpt,
    json_loads,
    read_bytes,
    type_name,
    yaml_documents,
)
from kubesec_nb.snapshot.provider import guess_provider
from kubesec_nb.snapshot.records import Gap
from kubesec_nb.snapshot.resources import RESOURCES, spec_for
from kubesec_nb.snapshot.schema import dns1123_label

if TYPE_CHECKING:  # document.py imports the loaders, not the reverse
    from kubesec_nb.snapshot.document import Snapshot

SUFFIXES = (".json", ".json.gz", ".yaml", ".yml", ".yaml.gz", ".yml.gz")
#: How deep Lists may nest inside Lists (``kubectl get -o json`` of a List file).
MAX_LIST_NESTING = 8


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


def parse_documents(path: Path, *, max_bytes: int = MAX_BYTES) -> Iterator[tuple[int, Any]]:
    """``(index, document)`` for every non-empty document of a JSON or (multi-document) YAML file.

    Parsing is strict and guarded (:mod:`kubesec_nb.snapshot.parse`): duplicate keys, values
    JSON cannot hold, alias bombs and documents nested deeper than
    :data:`~kubesec_nb.snapshot.parse.MAX_DEPTH` are errors naming the file and document.
    """
    fname = str(path)
    text = decode_text(read_bytes(path, max_bytes=max_bytes), file=fname)
    if path.name.endswith((".json", ".json.gz")) or text.lstrip()[:1] in ("{", "["):
        try:
            doc = json_loads(text, file=fname, obj="document #0")
        except SnapshotError:
            if path.name.endswith((".json", ".json.gz")):
                raise
            # YAML flow style also starts with '{' or '['; the YAML parser decides
        else:
            check_shape(doc, file=fname, obj="document #0")
            yield 0, doc
            return
    yield from yaml_documents(text, file=fname)


def is_snapshot(doc: Any) -> bool:
    """True for a kubesec-nb snapshot document (which ``import`` does not take).

    >>> is_snapshot({"apiVersion": "kubesec-nb/v1", "kind": "Snapshot"}), is_snapshot({"kind": "List"})
    (True, False)
    """
    return isinstance(doc, dict) and doc.get("kind") == "Snapshot" and \
        str(doc.get("apiVersion", "")).startswith("kubesec-nb/")


def is_list(doc: Any) -> bool:
    """True for a ``List`` (or typed ``PodList``, ...) document with ``items``.

    >>> is_list({"apiVersion": "v1", "kind": "List", "items": []}), is_list({"kind": "Pod"})
    (True, False)
    """
    return isinstance(doc, dict) and isinstance(doc.get("kind"), str) and doc["kind"].endswith("List") and \
        "items" in doc


def _objects(doc: Any, fname: str, index: int) -> Iterator[tuple[str, Any]]:
    """Objects in a document: itself, or the items of a List (``List``, ``PodList``, ...), Lists in Lists included."""
    if is_snapshot(doc):
        raise SnapshotError("this is a kubesec-nb snapshot, not a manifest or kubectl dump: use it directly "
                            "('kubesec-nb info FILE', 'kubesec-nb report FILE')", file=fname)
    if isinstance(doc, list):
        doc = {"kind": "List", "items": doc}  # a bare JSON array of objects
    stack: list[tuple[str, Any, int]] = [(f"document #{index}", doc, 0)]
    while stack:
        where, node, depth = stack.pop()
        if not isinstance(node, dict):
            raise SnapshotError(f"expected a mapping (a Kubernetes object), got {type_name(node)}", file=fname,
                                obj=where)
        if not is_list(node):
            yield where, node
            continue
        if depth >= MAX_LIST_NESTING:
            raise SnapshotError(f"Lists nested deeper than {MAX_LIST_NESTING} levels", file=fname, obj=where)
        items = node.get("items")
        if items is None:
            continue
        if not isinstance(items, list):
            raise SnapshotError(f"expected a list, got {type_name(items)}", file=fname, obj=where, field="items")
        list_version = node.get("apiVersion")
        item_kind = node["kind"][:-4] if node["kind"] != "List" else None
        children = []
        for i, item in enumerate(items):
            if isinstance(item, dict) and item_kind and isinstance(list_version, str):
                # typed lists from the API omit apiVersion/kind on items
                item.setdefault("apiVersion", list_version)
                item.setdefault("kind", item_kind)
            children.append((f"{where} item #{i}", item, depth + 1))
        stack.extend(reversed(children))


def looks_like_kubectl(doc: Any) -> bool:
    """True when a document is ``kubectl get`` output rather than a manifest.

    ``kubectl get`` prints what the API server stored: objects with the server-set
    ``metadata.uid`` or ``metadata.resourceVersion``, and Lists with a ``metadata.resourceVersion``
    (empty when the list was assembled by kubectl). Manifests may be Lists too
    (``kind: ConfigMapList`` in kube-prometheus) and may carry ``status`` (CRDs), so
    neither counts.

    >>> looks_like_kubectl({"kind": "Pod", "metadata": {"name": "p", "uid": "1f0c"}})
    True
    >>> looks_like_kubectl({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": []})
    True
    >>> looks_like_kubectl({"apiVersion": "v1", "kind": "ConfigMapList", "items": [{"metadata": {"name": "a"}}]})
    False
    >>> looks_like_kubectl({"kind": "CustomResourceDefinition", "metadata": {"name": "x"}, "status": {}})
    False
    """
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        meta = node.get("metadata") if isinstance(node, dict) else None
        if is_list(node):
            if isinstance(meta, dict) and "resourceVersion" in meta:
                return True
            if isinstance(node["items"], list):
                stack.extend(node["items"])
        elif isinstance(meta, dict) and (meta.get("uid") or meta.get("resourceVersion")):
            return True
    return False


def _default_namespace(obj: dict[str, Any], namespace: str) -> bool:
    """Put a namespaced object without a namespace into ``namespace``, as ``kubectl apply -n`` does; True if it did."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    spec = spec_for(api_version, kind) if isinstance(api_version, str) and isinstance(kind, str) else None
    meta = obj.get("metadata")
    if spec is not None and spec.namespaced and isinstance(meta, dict) and meta.get("namespace") in (None, ""):
        meta["namespace"] = namespace
        return True
    return False


def _load(snap: Snapshot, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
          strict: bool, lenient: bool, max_bytes: int, default_namespace: str | None = None) -> Snapshot:
    skipped: Counter[str] = Counter()
    defaulted = 0
    files = iter_files(paths)
    for path in files:
        fname = str(path)
        for index, doc in parse_documents(path, max_bytes=max_bytes):
            for where, obj in _objects(doc, fname, index):
                if not obj.get("apiVersion") and not obj.get("kind"):
                    raise SnapshotError("not a Kubernetes object (no apiVersion and kind)", file=fname, obj=where)
                if default_namespace:
                    defaulted += _default_namespace(obj, default_namespace)
                api_version, kind = obj.get("apiVersion"), obj.get("kind")
                if not snap.add(obj, file=fname, where=where, strict=strict, lenient=lenient) and \
                        isinstance(api_version, str) and isinstance(kind, str) and spec_for(api_version, kind) is None:
                    skipped[f"{api_version}/{kind}"] += 1
    snap.metadata["skipped"] = dict(sorted(skipped.items()))
    snap.metadata["inputs"] = [str(p) for p in files]
    if default_namespace:
        snap.metadata["namespaceDefaulted"] = defaulted
    return snap


def _namespace_option(namespace: Any) -> str:
    if not isinstance(namespace, str) or dns1123_label(namespace):
        raise SnapshotError(f"--namespace {excerpt(namespace)} is not a namespace name "
                            f"({dns1123_label(namespace) if isinstance(namespace, str) else 'not a string'})")
    return namespace


def _version_option(server_version: Any) -> str:
    if not isinstance(server_version, str) or not server_version.lstrip("v")[:1].isdigit():
        raise SnapshotError(f"server version {excerpt(server_version)} is not a version such as '1.30'")
    return f"v{server_version.lstrip('v')}"


def from_kubectl(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, snapshot_cls: type[Snapshot],
                 complete: bool = False, strict: bool = False, lenient: bool = False, cluster: str | None = None,
                 server_version: str | None = None, max_bytes: int = MAX_BYTES) -> Snapshot:
    """A snapshot of ``kubectl get ... -A -o json`` (or ``-o yaml``) output: Lists or single objects.

    ``complete=True`` declares that the dump covered every built-in resource kubesec-nb
    reads, so a resource with no objects is an empty list rather than "not in snapshot"
    (kubectl prints an empty ``List`` without saying of what). Add-on APIs stay absent.
    ``lenient`` skips invalid objects, each recorded as a gap of reason ``invalid``.
    ``snapshot_cls`` is the class to fill (:meth:`Snapshot.from_kubectl` passes its own).
    """
    snap = _load(snapshot_cls(metadata={"source": "kubectl"}), paths, strict=strict, lenient=lenient,
                 max_bytes=max_bytes)
    if complete:
        for spec in RESOURCES:
            if not spec.optional:
                snap.mark_collected(spec.group_resource)
    snap.metadata["cluster"] = cluster or "kubectl-dump"
    snap.metadata["provider"] = guess_provider(snap)
    if server_version:
        snap.metadata["serverVersion"] = {"gitVersion": _version_option(server_version)}
    snap.normalize()
    return snap


def from_manifests(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
                   snapshot_cls: type[Snapshot], namespace: str = "default", bootstrap_rbac: bool = True,
                   expand: bool = True, strict: bool = False, lenient: bool = False, cluster: str | None = None,
                   server_version: str | None = None, max_bytes: int = MAX_BYTES) -> Snapshot:
    """A snapshot of YAML/JSON manifests (Helm ``template`` output included), with server defaults.

    ``namespace`` is where namespaced objects without one go (``helm template -n``);
    ``bootstrap_rbac`` adds the built-in ClusterRoles and bindings; ``expand`` creates
    representative pods for controllers (see :mod:`kubesec_nb.snapshot.defaults`).
    ``server_version`` (``"1.30"``) tells the version-dependent checks which Kubernetes
    the manifests target; manifests carry no Nodes, so ``nodes`` is recorded as a gap.
    ``lenient`` skips invalid objects, each recorded as a gap of reason ``invalid``.
    """
    namespace = _namespace_option(namespace)
    version = _version_option(server_version) if server_version else None
    snap = _load(snapshot_cls(metadata={"source": "manifests"}), paths, strict=strict, lenient=lenient,
                 max_bytes=max_bytes, default_namespace=namespace)
    try:
        apply_server_defaults(snap, default_namespace=namespace, bootstrap_rbac=bootstrap_rbac, expand=expand)
    except SnapshotError as exc:  # an object the defaults derive (validated like any other): name the input
        inputs = snap.metadata["inputs"]
        where = inputs[0] if len(inputs) == 1 else f"{inputs[0]} (and {len(inputs) - 1} more inputs)"
        raise SnapshotError(f"{exc.reason} (in what the API server would add)", file=where, obj=exc.obj,
                            field=exc.field) from None
    for spec in RESOURCES:
        if not spec.optional and spec.group_resource != "nodes":
            snap.mark_collected(spec.group_resource)
    if not snap.has("nodes"):
        snap.add_gap(Gap("nodes", "list", "not_collected", message="manifests describe no nodes"))
    snap.metadata["cluster"] = cluster or "manifests"
    snap.metadata["provider"] = guess_provider(snap)
    if version:
        snap.metadata["serverVersion"] = {"gitVersion": version}
    snap.normalize()
    return snap
