"""The Snapshot document: one versioned JSON file holding a cluster's state.

Layout (``apiVersion: kubesec-nb/v1``, ``kind: Snapshot``)::

    metadata     cluster, context, provider, serverVersion, collectedAt, collector, source
    objects      {"<apiVersion>/<resource>": [API objects as the server prints them]}
    gaps         [{resource, verb, namespace, reason, status, message}]  what could not be read
    attachments  [{kind, source, data}]  cloud descriptions, Trivy reports, access entries

A gap is never an empty list: a resource that could not be read has a gap and no
``objects`` entry, and analyzers report ``not_assessed`` for what depends on it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot.redact import redact_object
from kubesec_nb.snapshot.resources import (
    IGNORED_KINDS,
    SPEC_BY_GR,
    group_of,
    group_resource,
    spec_for,
    split_key,
)

API_VERSION = "kubesec-nb/v1"
KIND = "Snapshot"
#: Files larger than this are refused (override with ``max_bytes``); uncompressed size.
MAX_BYTES = 2 * 1024**3

GAP_REASONS = ("forbidden", "absent", "not_found", "timeout", "error", "not_collected", "unsupported",
               "unauthorized", "invalid")
ATTACHMENT_KINDS = ("gke-cluster", "eks-cluster", "aks-cluster", "trivy", "eks-access-entries",
                    "aks-diagnostic-settings", "audit-log", "eks-nodegroups", "ec2-instances", "eks-addons")


@dataclass(frozen=True)
class Gap:
    """Something the snapshot does not hold, and why.

    ``resource`` is ``resource[.group]`` (``pods``, ``deployments.apps``); ``reason`` is one
    of :data:`GAP_REASONS`: ``forbidden`` (403), ``absent`` (the API group is not served),
    ``timeout``, ``error`` (other failures), ``not_collected`` (the source cannot carry it,
    e.g. manifests have no Nodes), ``unsupported`` (present but not modelled).

    >>> Gap("secrets", "list", "forbidden", status=403).describe()
    'list secrets: forbidden (HTTP 403)'
    """

    resource: str
    verb: str
    reason: str
    namespace: str | None = None
    status: int | None = None
    message: str = ""

    def describe(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else ""
        code = f" (HTTP {self.status})" if self.status else ""
        msg = f": {self.message}" if self.message else ""
        return f"{self.verb} {self.resource}{where}: {self.reason}{code}{msg}"


@dataclass(frozen=True)
class Attachment:
    """An external document attached to the snapshot (cloud description, Trivy report)."""

    kind: str
    source: str
    data: Any


def _obj_label(obj: Mapping[str, Any], index: int | None = None) -> str:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta, dict) else None
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    kind = obj.get("kind") or "object"
    if name:
        return f"{kind} {ns}/{name}" if ns else f"{kind} {name}"
    return f"{kind} #{index}" if index is not None else str(kind)


def validate_object(obj: Any, *, file: str | None = None, where: str | None = None,
                    namespaced: bool | None = None) -> None:
    """Raise :class:`SnapshotError` naming the field when ``obj`` is not a usable API object.

    >>> validate_object({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}, namespaced=True)
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.SnapshotError: Pod p: metadata.namespace: missing (Pod is namespaced)
    """
    label = where or (_obj_label(obj) if isinstance(obj, dict) else "object")
    if not isinstance(obj, dict):
        raise SnapshotError(f"expected a mapping, got {type(obj).__name__}", file=file, obj=label)
    for fld in ("apiVersion", "kind"):
        if not isinstance(obj.get(fld), str) or not obj[fld]:
            raise SnapshotError("missing or not a string", file=file, obj=label, field=fld)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise SnapshotError("missing or not a mapping", file=file, obj=label, field="metadata")
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        raise SnapshotError("missing or not a string", file=file, obj=label, field="metadata.name")
    ns = meta.get("namespace")
    if ns is not None and not isinstance(ns, str):
        raise SnapshotError("not a string", file=file, obj=label, field="metadata.namespace")
    if namespaced and not ns:
        raise SnapshotError(f"missing ({obj['kind']} is namespaced)", file=file, obj=label,
                            field="metadata.namespace")
    for fld in ("labels", "annotations"):
        val = meta.get(fld)
        if val is not None and (not isinstance(val, dict) or
                                not all(isinstance(v, str) for v in val.values())):
            raise SnapshotError("must map strings to strings", file=file, obj=label,
                                field=f"metadata.{fld}")
    for fld in ("spec", "status"):
        if obj.get(fld) is not None and not isinstance(obj[fld], dict):
            raise SnapshotError(f"expected a mapping, got {type(obj[fld]).__name__}", file=file,
                                obj=label, field=fld)


def _sort_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


@dataclass
class Snapshot:
    """A cluster's state as one document. See the module docstring for the layout.

    >>> snap = Snapshot.from_objects([
    ...     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    ...     {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}}])
    >>> sorted(snap.objects)
    ['v1/namespaces', 'v1/pods']
    >>> [p["metadata"]["name"] for p in snap.items("pods")]
    ['web']
    """

    metadata: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    # ---- reading -------------------------------------------------------------------------
    def items(self, resource: str) -> list[dict[str, Any]]:
        """All objects of ``resource[.group]`` across the versions the snapshot holds.

        Returns an empty list both when the cluster has none and when they could not be
        read; :meth:`gap` tells the two apart.
        """
        out: list[dict[str, Any]] = []
        for key in self._keys_for(resource):
            out.extend(self.objects[key])
        return out

    def has(self, resource: str) -> bool:
        """True when the snapshot holds a (possibly empty) list for ``resource[.group]``."""
        return bool(self._keys_for(resource))

    def gap(self, resource: str) -> Gap | None:
        """The gap that explains why ``resource[.group]`` is missing or incomplete, if any."""
        return next((g for g in self.gaps if g.resource == resource), None)

    def _keys_for(self, resource: str) -> list[str]:
        return sorted(k for k in self.objects if group_resource(k) == resource)

    def attachment(self, kind: str) -> Attachment | None:
        """The first attachment of ``kind`` (for example ``eks-cluster``), if any."""
        return next((a for a in self.attachments if a.kind == kind), None)

    def counts(self) -> dict[str, int]:
        """Object count per ``resource[.group]``, sorted by name."""
        out: dict[str, int] = {}
        for key, objs in self.objects.items():
            gr = group_resource(key)
            out[gr] = out.get(gr, 0) + len(objs)
        return dict(sorted(out.items()))

    # ---- building ------------------------------------------------------------------------
    @classmethod
    def from_objects(cls, objs: Iterable[dict[str, Any]], *, metadata: Mapping[str, Any] | None = None,
                     file: str | None = None, strict: bool = False) -> Snapshot:
        """A snapshot of API objects (any order, any kinds); each is validated and redacted.

        Kinds kubesec-nb does not store are skipped (unknown kinds too, unless ``strict``).
        """
        snap = cls(metadata=dict(metadata or {}))
        for i, obj in enumerate(objs):
            snap.add(obj, file=file, index=i, strict=strict)
        snap.normalize()
        return snap

    def add(self, obj: Any, *, file: str | None = None, index: int | None = None, where: str | None = None,
            strict: bool = False) -> bool:
        """Validate, redact and store one object; returns False when its kind is not kept.

        ``where`` says where the object came from (``document #3``) for error messages.
        """
        label = _obj_label(obj, index) if isinstance(obj, dict) else f"object #{index}"
        where = f"{where} ({_obj_label(obj)})" if where and isinstance(obj, dict) else (where or label)
        if not isinstance(obj, dict):
            raise SnapshotError(f"expected a mapping, got {type(obj).__name__}", file=file, obj=where)
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            raise SnapshotError("missing apiVersion or kind", file=file, obj=where,
                                field="apiVersion" if not isinstance(api_version, str) else "kind")
        spec = spec_for(api_version, kind)
        if spec is None:
            if strict and kind not in IGNORED_KINDS:
                raise SnapshotError(f"unknown kind {kind} ({api_version})", file=file, obj=where,
                                    field="kind")
            return False
        validate_object(obj, file=file, where=where, namespaced=spec.namespaced)
        version = api_version.rsplit("/", 1)[-1]
        key = spec.key(version)
        self.objects.setdefault(key, []).append(redact_object(obj))
        return True

    def mark_collected(self, resource: str, version: str | None = None) -> None:
        """Record that ``resource[.group]`` was read completely, even when it has no objects."""
        spec = SPEC_BY_GR.get(resource)
        if spec is None:
            raise SnapshotError(f"unknown resource {resource!r}")
        key = spec.key(version)
        if not self._keys_for(resource):
            self.objects.setdefault(key, [])

    def add_gap(self, gap: Gap) -> None:
        """Record a gap once (same resource, verb, namespace and reason)."""
        if gap not in self.gaps:
            self.gaps.append(gap)

    def normalize(self) -> None:
        """Sort objects and gaps so that saving is deterministic; drop duplicate objects."""
        for key, objs in self.objects.items():
            seen: dict[tuple[str, str], dict[str, Any]] = {}
            for o in objs:
                seen[_sort_key(o)] = o
            self.objects[key] = [seen[k] for k in sorted(seen)]
        self.objects = dict(sorted(self.objects.items()))
        self.gaps = sorted(set(self.gaps), key=lambda g: (g.resource, g.namespace or "", g.verb, g.reason))

    @classmethod
    def collect(cls, context: str | None = None, kubeconfig: str | None = None,
                namespaces: Iterable[str] | None = None, **kwargs: Any) -> Snapshot:
        """Snapshot a live cluster through the official ``kubernetes`` client.

        See :func:`kubesec_nb.snapshot.collector.collect` for the options.
        """
        from kubesec_nb.snapshot.collector import collect

        return collect(context=context, kubeconfig=kubeconfig, namespaces=namespaces, **kwargs)

    @classmethod
    def from_manifests(cls, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                       **kwargs: Any) -> Snapshot:
        """A snapshot from YAML manifests (files or folders; Helm ``template`` output).

        See :func:`kubesec_nb.snapshot.loaders.from_manifests`.
        """
        from kubesec_nb.snapshot.loaders import from_manifests

        return from_manifests(paths, **kwargs)

    @classmethod
    def from_kubectl(cls, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                     **kwargs: Any) -> Snapshot:
        """A snapshot from ``kubectl get ... -A -o json`` output files.

        See :func:`kubesec_nb.snapshot.loaders.from_kubectl`.
        """
        from kubesec_nb.snapshot.loaders import from_kubectl

        return from_kubectl(paths, **kwargs)

    # ---- attachments ---------------------------------------------------------------------
    def attach(self, kind: str, path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> Attachment:
        """Attach an external JSON document: a cloud cluster description or a Trivy report.

        ``kind`` is one of :data:`ATTACHMENT_KINDS` or ``auto`` to recognise the document
        (``gcloud container clusters describe``, ``aws eks describe-cluster``,
        ``az aks show``, ``trivy ... --format json``, ``aws eks list-access-entries``).
        ``audit-log`` summarises one or more audit-log files (:mod:`kubesec_nb.snapshot.auditlog`).
        """
        from kubesec_nb.snapshot.attachments import load_attachment

        att = load_attachment(kind, Path(path) if isinstance(path, str | os.PathLike) else [Path(p) for p in path])
        self.attachments = [a for a in self.attachments if not (a.kind == att.kind and a.source == att.source)]
        self.attachments.append(att)
        self.attachments.sort(key=lambda a: (a.kind, a.source))
        return att

    # ---- files ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": dict(sorted(self.metadata.items())),
            "objects": self.objects,
            "gaps": [{k: v for k, v in asdict(g).items() if v not in (None, "")} for g in self.gaps],
            "attachments": [asdict(a) for a in self.attachments],
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the snapshot as JSON (``.json``) or gzip JSON (``.json.gz``), deterministically.

        The file is written to a temporary name first and renamed, so an interrupted
        save never leaves a truncated snapshot where a good one was.
        """
        out = Path(path)
        self.normalize()
        data = json.dumps(self.to_dict(), sort_keys=False, separators=(",", ":"), ensure_ascii=False)
        raw = data.encode("utf-8")
        if out.name.endswith(".gz"):
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
                gz.write(raw)
            raw = buf.getvalue()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, out)
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Snapshot:
        """Read a snapshot written by :meth:`save` (or by hand), validating every object.

        Errors name the file, the object and the field. Values are redacted again on
        load, so a hand-made snapshot cannot smuggle a secret into a report.
        """
        p = Path(path)
        fname = str(path)
        doc = read_json(p, max_bytes=max_bytes)
        return cls.from_dict(doc, file=fname)

    @classmethod
    def from_dict(cls, doc: Any, *, file: str | None = None) -> Snapshot:
        """Build and validate a snapshot from its parsed JSON document."""
        if not isinstance(doc, dict):
            raise SnapshotError("not a kubesec-nb snapshot (top level is not a JSON object)", file=file)
        if doc.get("kind") != KIND:
            hint = " (a kubectl dump? use 'kubesec-nb import')" if doc.get("kind") in ("List",) or \
                "items" in doc else ""
            raise SnapshotError(f"not a kubesec-nb snapshot (kind is {doc.get('kind')!r}){hint}",
                                file=file, field="kind")
        if doc.get("apiVersion") != API_VERSION:
            raise SnapshotError(f"unknown schema version {doc.get('apiVersion')!r}; this kubesec-nb "
                                f"reads {API_VERSION}", file=file, field="apiVersion")
        meta = doc.get("metadata", {})
        if not isinstance(meta, dict):
            raise SnapshotError("expected a mapping", file=file, field="metadata")
        objects = doc.get("objects", {})
        if not isinstance(objects, dict):
            raise SnapshotError("expected a mapping of '<apiVersion>/<resource>' to lists", file=file,
                                field="objects")
        snap = cls(metadata=dict(meta))
        for key, objs in objects.items():
            try:
                group, version, resource = split_key(key)
            except ValueError as exc:
                raise SnapshotError(str(exc), file=file, field=f"objects.{key}") from None
            gr = resource if not group else f"{resource}.{group}"
            spec = SPEC_BY_GR.get(gr)
            if spec is None:
                raise SnapshotError(f"unknown resource {gr!r}", file=file, field=f"objects.{key}")
            if not isinstance(objs, list):
                raise SnapshotError("expected a list of objects", file=file, field=f"objects.{key}")
            bucket = snap.objects.setdefault(key, [])
            for i, obj in enumerate(objs):
                where = f"objects.{key}[{i}]"
                if not isinstance(obj, dict):
                    raise SnapshotError("expected a mapping", file=file, obj=where)
                obj.setdefault("apiVersion", f"{group}/{version}" if group else version)
                obj.setdefault("kind", spec.kind)
                if obj["kind"] != spec.kind or group_of(str(obj["apiVersion"])) != group:
                    raise SnapshotError(f"{obj['apiVersion']}/{obj['kind']} does not belong under {key}",
                                        file=file, obj=f"{where} ({_obj_label(obj)})", field="kind")
                validate_object(obj, file=file, where=f"{where} ({_obj_label(obj)})",
                                namespaced=spec.namespaced)
                bucket.append(redact_object(obj))
        snap.gaps = [_gap_from(g, file, i) for i, g in enumerate(_list(doc, "gaps", file))]
        snap.attachments = [_attachment_from(a, file, i) for i, a in enumerate(_list(doc, "attachments", file))]
        snap.normalize()
        return snap

    def summary(self) -> Iterator[str]:
        """Human-readable lines: what the snapshot holds and its gaps (the CLI's ``info``)."""
        m = self.metadata
        version = (m.get("serverVersion") or {}).get("gitVersion", "unknown")
        yield f"cluster:   {m.get('cluster') or 'unknown'} ({m.get('provider') or 'unknown'} provider guess)"
        yield f"source:    {m.get('source', 'unknown')}; server version {version}"
        yield f"collected: {m.get('collectedAt') or 'unknown'} by {m.get('collector', 'unknown')}"
        yield "objects:"
        for gr, n in self.counts().items():
            yield f"  {gr:<62} {n:>7}"
        yield f"gaps: {len(self.gaps)}"
        for g in self.gaps:
            yield f"  {g.describe()}"
        yield f"attachments: {len(self.attachments)}"
        for a in self.attachments:
            yield f"  {a.kind:<24} {a.source}"


def _list(doc: Mapping[str, Any], key: str, file: str | None) -> list[Any]:
    val = doc.get(key, [])
    if not isinstance(val, list):
        raise SnapshotError("expected a list", file=file, field=key)
    return val


def _gap_from(g: Any, file: str | None, i: int) -> Gap:
    if not isinstance(g, dict):
        raise SnapshotError("expected a mapping", file=file, field=f"gaps[{i}]")
    for fld in ("resource", "verb", "reason"):
        if not isinstance(g.get(fld), str):
            raise SnapshotError("missing or not a string", file=file, field=f"gaps[{i}].{fld}")
    if g["reason"] not in GAP_REASONS:
        raise SnapshotError(f"unknown reason {g['reason']!r} (one of {', '.join(GAP_REASONS)})",
                            file=file, field=f"gaps[{i}].reason")
    status = g.get("status")
    if status is not None and not isinstance(status, int):
        raise SnapshotError("not an integer", file=file, field=f"gaps[{i}].status")
    return Gap(resource=g["resource"], verb=g["verb"], reason=g["reason"], namespace=g.get("namespace"),
               status=status, message=str(g.get("message", "")))


def _attachment_from(a: Any, file: str | None, i: int) -> Attachment:
    if not isinstance(a, dict) or not isinstance(a.get("kind"), str):
        raise SnapshotError("expected a mapping with a 'kind'", file=file, field=f"attachments[{i}]")
    if a["kind"] not in ATTACHMENT_KINDS:
        raise SnapshotError(f"unknown attachment kind {a['kind']!r}", file=file,
                            field=f"attachments[{i}].kind")
    return Attachment(kind=a["kind"], source=str(a.get("source", "")), data=a.get("data"))


def read_bytes(path: Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """Read a file (transparently gunzipping ``.gz``), with size limits and clear errors."""
    fname = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SnapshotError(f"file is {size} bytes, over the {max_bytes}-byte limit", file=fname)
        raw = path.read_bytes()
    except SnapshotError:
        raise
    except IsADirectoryError:
        raise SnapshotError("is a directory, expected a file", file=fname) from None
    except FileNotFoundError:
        raise SnapshotError("no such file", file=fname) from None
    except OSError as exc:
        raise SnapshotError(f"cannot read: {exc.strerror or exc}", file=fname) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                raw = gz.read(max_bytes + 1)
        except (OSError, EOFError) as exc:
            raise SnapshotError(f"corrupt gzip data: {exc}", file=fname) from None
        if len(raw) > max_bytes:
            raise SnapshotError(f"decompressed size is over the {max_bytes}-byte limit", file=fname)
    return raw


def read_json(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """Parse a JSON (or gzip JSON) file; errors name the file, line and column."""
    raw = read_bytes(path, max_bytes=max_bytes)
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise SnapshotError("not UTF-8 text (is this a JSON file?)", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                            file=str(path)) from None
