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

import contextlib
import gzip
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot.parse import MAX_BYTES, excerpt, read_json, type_name, without_gc
from kubesec_nb.snapshot.records import ATTACHMENT_KINDS, GAP_REASONS, Attachment, Gap
from kubesec_nb.snapshot.redact import redact_object
from kubesec_nb.snapshot.resources import (
    IGNORED_KINDS,
    SPEC_BY_GR,
    ResourceSpec,
    group_of,
    group_resource,
    spec_for,
    split_key,
)
from kubesec_nb.snapshot.schema import SnapshotMetadata, check_attachment, check_type, validate

API_VERSION = "kubesec-nb/v1"
KIND = "Snapshot"

__all__ = ["API_VERSION", "ATTACHMENT_KINDS", "GAP_REASONS", "KIND", "MAX_BYTES", "Attachment", "Gap", "Snapshot",
           "object_label"]


def object_label(obj: Any, index: int | None = None) -> str:
    """``Kind ns/name`` for messages, from whatever parts of ``obj`` are strings.

    >>> object_label({"kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}}), object_label([1], 3)
    ('Pod shop/web', 'object #3')
    """
    if not isinstance(obj, dict):
        return f"object #{index}" if index is not None else "object"
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name, ns, kind = meta.get("name"), meta.get("namespace"), obj.get("kind")
    kind = kind if isinstance(kind, str) and kind else "object"
    kind = kind if len(kind) <= 80 else excerpt(kind)
    if isinstance(name, str) and name:
        name = name if len(name) <= 80 else excerpt(name)
        if isinstance(ns, str) and ns:
            return f"{kind} {ns if len(ns) <= 80 else excerpt(ns)}/{name}"
        return f"{kind} {name}"
    return f"{kind} #{index}" if index is not None else kind


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
                     file: str | None = None, strict: bool = False, lenient: bool = False) -> Snapshot:
        """A snapshot of API objects (any order, any kinds); each is redacted and validated.

        Kinds kubesec-nb does not store are skipped (unknown kinds too, unless ``strict``);
        ``lenient`` skips invalid objects and records each as a gap (see :meth:`add`).
        """
        snap = cls()
        snap.metadata = snap.checked_metadata(dict(metadata or {}), file=file)
        for i, obj in enumerate(objs):
            snap.add(obj, file=file, index=i, strict=strict, lenient=lenient)
        snap.normalize()
        return snap

    def add(self, obj: Any, *, file: str | None = None, index: int | None = None, where: str | None = None,
            strict: bool = False, lenient: bool = False) -> bool:
        """Redact, validate and store one object; returns False when it is not kept.

        ``where`` says where the object came from (``document #3``) for error messages.
        Redaction comes first, by position, so that neither an invalid object nor its
        error message keeps a secret value. An invalid object raises one
        :class:`SnapshotError` naming the file, ``where``, the object and the field; with
        ``lenient`` it is skipped instead and recorded as a gap of reason ``invalid``.
        """
        def described() -> str:
            label = object_label(obj, index)
            return f"{where} ({label})" if where and not label.startswith("object") else (where or label)

        if not isinstance(obj, dict):
            raise SnapshotError(f"expected a mapping (a Kubernetes object), got {type_name(obj)}", file=file,
                                obj=described())
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        for name, value in (("apiVersion", api_version), ("kind", kind)):
            if not isinstance(value, str) or not value:
                exc = SnapshotError(f"missing or not a string ({excerpt(value)})" if value is not None else "missing",
                                    file=file, obj=described(), field=name)
                if not lenient:
                    raise exc
                self.add_gap(Gap("unknown", "read", "invalid", message=f"skipped {exc}"))
                return False
        assert isinstance(api_version, str) and isinstance(kind, str)
        spec = spec_for(api_version, kind)
        if spec is None:
            if strict and kind not in IGNORED_KINDS:
                raise SnapshotError(f"unknown kind {kind[:80]} ({api_version[:80]})", file=file, obj=described(),
                                    field="kind")
            return False
        if not self._checked(obj, spec, group_of(api_version), file=file, where=described, lenient=lenient):
            return False
        version = api_version.rsplit("/", 1)[-1]
        self.objects.setdefault(spec.key(version), []).append(obj)
        return True

    def _checked(self, obj: dict[str, Any], spec: ResourceSpec, group: str, *, file: str | None,
                 where: Callable[[], str], lenient: bool) -> bool:
        """Redact then validate ``obj``; False (and a gap) when it is invalid and ``lenient``.

        ``where`` makes the object's label for a message, only when one is needed.
        """
        redact_object(obj)
        try:
            validate(obj, group, spec.kind, namespaced=spec.namespaced, file=file)
        except SnapshotError as exc:
            self._refuse(SnapshotError(exc.reason, file=file, obj=where(), field=exc.field), spec, obj, lenient)
            return False
        return True

    def _refuse(self, exc: SnapshotError, spec: ResourceSpec, obj: Any, lenient: bool) -> None:
        """Raise ``exc``, or with ``lenient`` record it as a gap of reason ``invalid`` (in the object's namespace)."""
        if not lenient:
            raise exc from None
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        self.add_gap(Gap(spec.group_resource, "read", "invalid", namespace=ns if isinstance(ns, str) else None,
                         message=f"skipped {exc}"))

    @staticmethod
    def checked_metadata(meta: Any, *, file: str | None = None) -> dict[str, Any]:
        """``metadata`` after checking the fields kubesec-nb reads (``serverVersion``, ``provider``, ...)."""
        if not isinstance(meta, dict):
            raise SnapshotError(f"expected a mapping, got {type_name(meta)}", file=file, field="metadata")
        check_type(meta, SnapshotMetadata, file=file, prefix="metadata")
        return meta

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

        return collect(context=context, kubeconfig=kubeconfig, namespaces=namespaces, snapshot_cls=cls, **kwargs)

    @classmethod
    def from_manifests(cls, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                       **kwargs: Any) -> Snapshot:
        """A snapshot from YAML manifests (files or folders; Helm ``template`` output).

        See :func:`kubesec_nb.snapshot.loaders.from_manifests`; ``lenient=True`` skips invalid
        objects, each recorded as a gap, instead of failing on the first.
        """
        from kubesec_nb.snapshot.loaders import from_manifests

        return from_manifests(paths, snapshot_cls=cls, **kwargs)

    @classmethod
    def from_kubectl(cls, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                     **kwargs: Any) -> Snapshot:
        """A snapshot from ``kubectl get ... -A -o json`` output files.

        See :func:`kubesec_nb.snapshot.loaders.from_kubectl`; ``lenient=True`` as for
        :meth:`from_manifests`.
        """
        from kubesec_nb.snapshot.loaders import from_kubectl

        return from_kubectl(paths, snapshot_cls=cls, **kwargs)

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

        The document is serialised completely before anything is written, then written to a
        temporary file beside ``path`` and renamed over it: a save that fails (a value JSON
        cannot hold, a full disk, ``path`` naming a folder) raises :class:`SnapshotError` or
        :class:`OSError`, leaves no temporary file and never damages an existing snapshot.
        """
        out = Path(path)
        if out.is_dir():
            raise SnapshotError("is a folder; give a file name such as cluster.json.gz", file=str(out))
        self.normalize()
        try:
            data = json.dumps(self.to_dict(), sort_keys=False, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False)
            raw = data.encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:  # UnicodeEncodeError is a ValueError
            raise SnapshotError(f"cannot be saved as JSON: {str(exc)[:200]}", file=str(out)) from None
        if out.name.endswith(".gz"):
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
                gz.write(raw)
            raw = buf.getvalue()
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.replace(tmp, out)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, lenient: bool = False) -> Snapshot:
        """Read a snapshot written by :meth:`save` (or by hand), validating every object.

        Errors name the file, the object and the field. Values are redacted again on
        load, so a hand-made snapshot cannot smuggle a secret into a report. ``lenient``
        skips invalid objects, each recorded as a gap of reason ``invalid``.
        """
        doc = read_json(Path(path), max_bytes=max_bytes)
        return without_gc(lambda: cls.from_dict(doc, file=str(path), lenient=lenient))

    @classmethod
    def from_dict(cls, doc: Any, *, file: str | None = None, lenient: bool = False) -> Snapshot:
        """Build and validate a snapshot from its parsed JSON document."""
        if not isinstance(doc, dict):
            raise SnapshotError("not a kubesec-nb snapshot (top level is not a JSON object)", file=file)
        if doc.get("kind") != KIND:
            hint = " (a kubectl dump or manifest? use 'kubesec-nb import')" if isinstance(doc.get("kind"), str) \
                or "items" in doc else ""
            raise SnapshotError(f"not a kubesec-nb snapshot (kind is {excerpt(doc.get('kind'))}){hint}",
                                file=file, field="kind")
        if doc.get("apiVersion") != API_VERSION:
            raise SnapshotError(f"unknown schema version {excerpt(doc.get('apiVersion'))}; this kubesec-nb "
                                f"reads {API_VERSION}", file=file, field="apiVersion")
        snap = cls(metadata=cls.checked_metadata(doc.get("metadata", {}), file=file))
        objects = doc.get("objects", {})
        if not isinstance(objects, dict):
            raise SnapshotError("expected a mapping of '<apiVersion>/<resource>' to lists", file=file,
                                field="objects")
        for key, objs in objects.items():
            try:
                group, version, resource = split_key(key)
            except ValueError as exc:
                raise SnapshotError(str(exc), file=file, field=f"objects.{key}") from None
            gr = resource if not group else f"{resource}.{group}"
            spec = SPEC_BY_GR.get(gr)
            if spec is None:
                raise SnapshotError(f"unknown resource {excerpt(gr)}", file=file, field=f"objects.{key}")
            if not isinstance(objs, list):
                raise SnapshotError(f"expected a list of objects, got {type_name(objs)}", file=file,
                                    field=f"objects.{key}")
            api_version = f"{group}/{version}" if group else version
            bucket = snap.objects.setdefault(key, [])
            for i, obj in enumerate(objs):
                if not isinstance(obj, dict):
                    snap._refuse(SnapshotError(f"expected a mapping, got {type_name(obj)}", file=file,
                                               obj=f"objects.{key}[{i}]"), spec, None, lenient)
                    continue
                obj.setdefault("apiVersion", api_version)
                obj.setdefault("kind", spec.kind)
                label = partial(_label, f"objects.{key}[{i}]", obj)
                if obj["kind"] != spec.kind or not isinstance(obj["apiVersion"], str) or \
                        group_of(obj["apiVersion"]) != group:
                    wrong = f"{excerpt(obj['apiVersion'])}/{excerpt(obj['kind'])} does not belong under {key}"
                    snap._refuse(SnapshotError(wrong, file=file, obj=label(), field="kind"), spec, obj, lenient)
                    continue
                if snap._checked(obj, spec, group, file=file, where=label, lenient=lenient):
                    bucket.append(obj)
        snap.gaps.extend(_gap_from(g, file, i) for i, g in enumerate(_list(doc, "gaps", file)))
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


def _label(where: str, obj: Any) -> str:
    return f"{where} ({object_label(obj)})"


def _list(doc: Mapping[str, Any], key: str, file: str | None) -> list[Any]:
    val = doc.get(key, [])
    if not isinstance(val, list):
        raise SnapshotError(f"expected a list, got {type_name(val)}", file=file, field=key)
    return val


def _gap_from(g: Any, file: str | None, i: int) -> Gap:
    if not isinstance(g, dict):
        raise SnapshotError(f"expected a mapping, got {type_name(g)}", file=file, field=f"gaps[{i}]")
    for fld in ("resource", "verb", "reason"):
        if not isinstance(g.get(fld), str):
            raise SnapshotError("missing or not a string", file=file, field=f"gaps[{i}].{fld}")
    if g["reason"] not in GAP_REASONS:
        raise SnapshotError(f"unknown reason {excerpt(g['reason'])} (one of {', '.join(GAP_REASONS)})",
                            file=file, field=f"gaps[{i}].reason")
    status = g.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 0 <= status < 1000):
        raise SnapshotError(f"not an HTTP status ({excerpt(status)})", file=file, field=f"gaps[{i}].status")
    for fld in ("namespace", "message"):
        if g.get(fld) is not None and not isinstance(g[fld], str):
            raise SnapshotError(f"not a string ({excerpt(g[fld])})", file=file, field=f"gaps[{i}].{fld}")
    return Gap(resource=g["resource"], verb=g["verb"], reason=g["reason"], namespace=g.get("namespace"),
               status=status, message=g.get("message") or "")


def _attachment_from(a: Any, file: str | None, i: int) -> Attachment:
    if not isinstance(a, dict) or not isinstance(a.get("kind"), str):
        raise SnapshotError("expected a mapping with a 'kind'", file=file, field=f"attachments[{i}]")
    if a["kind"] not in ATTACHMENT_KINDS:
        raise SnapshotError(f"unknown attachment kind {excerpt(a['kind'])}", file=file,
                            field=f"attachments[{i}].kind")
    if a.get("source") is not None and not isinstance(a["source"], str):
        raise SnapshotError(f"not a string ({excerpt(a['source'])})", file=file, field=f"attachments[{i}].source")
    check_attachment(a["kind"], a.get("data"), file=file, prefix=f"attachments[{i}].data")
    return Attachment(kind=a["kind"], source=a.get("source") or "", data=a.get("data"))
