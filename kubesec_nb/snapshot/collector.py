"""Snapshot a live cluster through the official ``kubernetes`` client.

:func:`collect` reads every resource in :data:`~kubesec_nb.snapshot.resources.RESOURCES`
as the API server's own JSON (camelCase, as ``kubectl get -o json`` prints it) and
returns a :class:`~kubesec_nb.snapshot.document.Snapshot`, the same document the
offline loaders build. How it talks to the cluster:

* **Configuration** (:mod:`kubesec_nb.snapshot.connect`): a kubeconfig context through
  ``new_client_from_config`` (exec credential plugins run as the client runs them) or,
  inside a pod without a kubeconfig, the service account. Every configuration problem,
  an unreachable server and rejected credentials are a
  :class:`~kubesec_nb.errors.CollectError` in one sentence.
* **Requests** (:mod:`kubesec_nb.snapshot.transport`): generic ``GET``s through the
  client's ``param_serialize``/``call_api`` (its auth, TLS and proxy settings, no model
  classes), a timeout on every request, and bounded retries with exponential backoff
  on 429 (honouring ``Retry-After``), 500/502/503/504, timeouts and connection errors.
* **Discovery first** (:mod:`kubesec_nb.snapshot.discovery`): an API group or version
  the server does not serve becomes ``Gap(resource, "list", "absent")`` without a
  list request; the first served version in the spec's order is read.
* **Lists** page explicitly (``limit`` + ``continue``); a ``410 Gone`` (expired continue
  token) restarts that list from the beginning, a bounded number of times, so every
  list is one consistent read. A failure on one resource (403, timeout, 5xx after the
  retries) becomes a gap naming the verb, the resource and the namespace, and
  collection goes on. A list that fails halfway keeps nothing: partial lists would
  look complete.
* **Secrets** are listed as a server-side ``Table`` with ``includeObject=Metadata``:
  the response carries metadata, the type and the number of keys, never a value (the
  key count is kept as the annotation :data:`DATA_KEY_COUNT`; key names are not
  available without reading values). ``kubectl.kubernetes.io/last-applied-configuration``
  (which repeats the values) is dropped as each page is parsed, and
  :meth:`Snapshot.add` redacts again. CRDs are read as ``PartialObjectMetadataList``.

Metadata recorded: ``cluster``, ``context``, ``provider`` (the guess of
:func:`kubesec_nb.snapshot.provider.guess_provider`, else from the endpoint),
``serverVersion`` (the ``/version`` document), ``collectedAt`` (UTC), ``collector``,
``source: live``, ``secrets`` (mode),
``discovery`` (``aggregated``/``legacy``/``unavailable``), ``namespaces`` (when
limited) and ``resourceVersions`` (one per list: ``<key>`` or ``<key>@<namespace>``).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import urllib3

from kubesec_nb.errors import CollectError, OptionError, SnapshotError
from kubesec_nb.snapshot.connect import Target, cluster_display_name, connect, endpoint_provider
from kubesec_nb.snapshot.discovery import (
    ACCEPT_AGGREGATED,
    Discovery,
    group_version_path,
    is_aggregated,
    parse_aggregated,
    parse_legacy_groups,
    parse_resource_list,
)
from kubesec_nb.snapshot.progress import progress_enabled
from kubesec_nb.snapshot.provider import guess_provider
from kubesec_nb.snapshot.records import Gap
from kubesec_nb.snapshot.redact import LAST_APPLIED, SECRET_VALUE
from kubesec_nb.snapshot.resources import RESOURCES, ResourceSpec
from kubesec_nb.snapshot.transport import ACCEPT_JSON, ExpiredError, Http, RequestError

if TYPE_CHECKING:  # document.py imports the collector, not the reverse
    from kubesec_nb.snapshot.document import Snapshot

log = logging.getLogger(__name__)

#: Annotation holding a Secret's key count (the ``Data`` column of the server's table).
DATA_KEY_COUNT = "kubesec-nb.io/data-key-count"
SECRETS_MODES = ("metadata", "skip")

# Secrets: a server-side table (type, key count, metadata) or bare metadata; never plain JSON,
# so a server that can do neither answers 406 instead of sending values.
ACCEPT_SECRETS = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                  "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")
ACCEPT_METADATA = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"


# ---- shaping list items ---------------------------------------------------------------------

def _metadata_only(raw: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(raw.get("metadata") or {})
    meta.pop("managedFields", None)
    ann = meta.get("annotations")
    if isinstance(ann, dict) and LAST_APPLIED in ann:  # a full copy of the object, values included
        meta["annotations"] = {k: v for k, v in ann.items() if k != LAST_APPLIED}
    return meta


def _shape_secret(raw: Mapping[str, Any], cells: Mapping[str, Any] | None) -> dict[str, Any]:
    """A Secret without values, from a table row (type, key count) or, defensively, from a full object."""
    obj: dict[str, Any] = {"metadata": _metadata_only(raw)}
    secret_type = (cells or {}).get("Type") or raw.get("type")
    if secret_type:
        obj["type"] = str(secret_type)
    keys = [k for f in ("data", "stringData") for k in (raw.get(f) or {})]
    count = (cells or {}).get("Data")
    if keys:  # the server ignored the Accept header and sent values: keep key names only
        obj["data"] = dict.fromkeys(sorted(keys), SECRET_VALUE)
    elif isinstance(count, int):
        obj["metadata"]["annotations"] = {**(obj["metadata"].get("annotations") or {}), DATA_KEY_COUNT: str(count)}
    return obj


def _page_items(doc: Mapping[str, Any], spec: ResourceSpec) -> list[dict[str, Any]]:
    """The objects of one list page (a List, a Table or a PartialObjectMetadataList), shaped for ``spec``."""
    pairs: list[tuple[Mapping[str, Any], dict[str, Any] | None]]
    if doc.get("kind") == "Table":
        names = [str(c.get("name")) for c in doc.get("columnDefinitions") or [] if isinstance(c, dict)]
        rows = [r for r in doc.get("rows") or [] if isinstance(r, dict)]
        pairs = [(r.get("object") or {}, dict(zip(names, r.get("cells") or [], strict=False))) for r in rows]
    else:
        pairs = [(item, None) for item in doc.get("items") or [] if isinstance(item, dict)]
    out: list[dict[str, Any]] = []
    for raw, cells in pairs:
        if spec.kind == "Secret":
            out.append(_shape_secret(raw, cells))
        elif spec.metadata_only:
            out.append({"metadata": _metadata_only(raw)})
        else:
            out.append(dict(raw))
    return out


# ---- the collector ------------------------------------------------------------------------

@dataclass
class _Collector:
    http: Http
    snap: Snapshot
    page_size: int
    list_restarts: int
    namespaces: list[str] | None
    secrets: str
    bar: Any
    resource_versions: dict[str, str] = field(default_factory=dict)

    # ---- discovery
    def discover(self, specs: Sequence[ResourceSpec]) -> Discovery:
        try:
            api_doc = self.http.get("/api", accept=ACCEPT_AGGREGATED)
            apis_doc = self.http.get("/apis", accept=ACCEPT_AGGREGATED)
        except RequestError as exc:
            log.debug("discovery unavailable (%s); trying versions in order", exc.message)
            return Discovery()
        # Each document is read as what it is: a server (or a proxy in front of it) may
        # answer aggregated discovery on one path and the legacy document on the other.
        mode = "aggregated" if is_aggregated(api_doc) and is_aggregated(apis_doc) else "legacy"
        disc = Discovery(groups=parse_legacy_groups(None if is_aggregated(api_doc) else api_doc,
                                                    None if is_aggregated(apis_doc) else apis_doc), mode=mode)
        for doc in (api_doc, apis_doc):
            if is_aggregated(doc):
                groups, resources = parse_aggregated(doc)
                disc.groups = {**(disc.groups or {}), **groups}
                disc.resources.update(resources)
        for group, version in disc.needed(specs):
            try:
                disc.resources[(group, version)] = parse_resource_list(
                    self.http.get(group_version_path(group, version)))
            except RequestError as exc:
                if exc.reason == "absent":
                    disc.resources[(group, version)] = set()
                # other failures: unknown, so the list itself is tried
        return disc

    # ---- lists
    def list_all(self, path: str, spec: ResourceSpec) -> tuple[list[dict[str, Any]], str | None]:
        """Every item of one list, page by page; restarts from the beginning on 410 Gone."""
        accept, extra = ACCEPT_JSON, []
        if spec.kind == "Secret":
            accept, extra = ACCEPT_SECRETS, [("includeObject", "Metadata")]
        elif spec.metadata_only:
            accept = ACCEPT_METADATA
        for _ in range(self.list_restarts + 1):
            items: list[dict[str, Any]] = []
            cont: str | None = None
            seen: set[str] = set()
            rv: str | None = None
            try:
                while True:
                    query: list[tuple[str, Any]] = [("limit", self.page_size), *extra]
                    if cont:
                        query.append(("continue", cont))
                    doc = self.http.get(path, query, accept)
                    items.extend(_page_items(doc, spec))
                    meta = doc.get("metadata") or {}
                    if rv is None and meta.get("resourceVersion"):
                        rv = str(meta["resourceVersion"])
                    cont = meta.get("continue") or None
                    if not cont:
                        return items, rv
                    if cont in seen:
                        raise RequestError("error", f"GET {path}: the server repeated a continue token")
                    seen.add(cont)
            except ExpiredError:
                log.debug("GET %s: continue token expired; restarting the list", path)
        raise RequestError("error", f"the list expired (HTTP 410) {self.list_restarts + 1} times while paging; "
                       "the cluster changes faster than it can be read with this page size", 410)

    def collect_spec(self, spec: ResourceSpec, versions: Sequence[str]) -> None:
        gr = spec.group_resource
        scopes: list[str | None] = list(self.namespaces) if spec.namespaced and self.namespaces else [None]
        for i, version in enumerate(versions):
            try:
                self._read(spec, version, scopes)
                return
            except RequestError as exc:  # absent at this version: try the next one
                if i == len(versions) - 1:
                    self.snap.add_gap(Gap(gr, "list", "absent", status=exc.status,
                                          message=f"not served at {', '.join(versions)} ({exc.message})"))
                    self.bar.update(len(scopes))

    def _read(self, spec: ResourceSpec, version: str, scopes: Sequence[str | None]) -> None:
        gr, key = spec.group_resource, spec.key(version)
        base = group_version_path(spec.group, version)
        read_any = False
        for ns in scopes:
            path = f"{base}/namespaces/{quote(ns, safe='')}/{spec.resource}" if ns else f"{base}/{spec.resource}"
            self.bar.set_postfix_str(f"{gr} {ns}" if ns else gr, refresh=False)
            try:
                items, rv = self.list_all(path, spec)
            except RequestError as exc:
                if exc.reason == "absent" and not read_any:
                    raise
                self.snap.add_gap(Gap(gr, "list", exc.reason, namespace=ns, status=exc.status, message=exc.message))
                self.bar.update(1)
                continue
            self._store(spec, version, items, ns)
            if rv:
                self.resource_versions[f"{key}@{ns}" if ns else key] = rv
            read_any = True
            self.bar.update(1)
        if read_any:
            self.snap.mark_collected(gr, version)

    def _store(self, spec: ResourceSpec, version: str, items: Iterable[dict[str, Any]], ns: str | None) -> None:
        api_version = f"{spec.group}/{version}" if spec.group else version
        for obj in items:
            # List items carry no apiVersion/kind; metadata-only items say PartialObjectMetadata.
            obj["apiVersion"], obj["kind"] = api_version, spec.kind
            try:
                self.snap.add(obj)
            except SnapshotError as exc:
                self.snap.add_gap(Gap(spec.group_resource, "list", "invalid", namespace=ns, message=str(exc)))

    def get_namespaces(self, spec: ResourceSpec, names: Sequence[str]) -> None:
        """With a namespace filter, read just those Namespace objects (``get``), not every namespace."""
        read_any = False
        for ns in names:
            self.bar.set_postfix_str(f"namespaces {ns}", refresh=False)
            try:
                obj = self.http.get(f"/api/v1/namespaces/{quote(ns, safe='')}")
            except RequestError as exc:
                reason = "not_found" if exc.reason == "absent" else exc.reason
                self.snap.add_gap(Gap(spec.group_resource, "get", reason, namespace=ns, status=exc.status,
                                      message=exc.message))
            else:
                self._store(spec, "v1", [obj], None)
                read_any = True
            self.bar.update(1)
        if read_any:
            self.snap.mark_collected(spec.group_resource, "v1")

    def run(self, specs: Sequence[ResourceSpec], discovery: Discovery) -> None:
        for spec in specs:
            gr = spec.group_resource
            if gr == "secrets" and self.secrets == "skip":
                self.snap.add_gap(Gap(gr, "list", "not_collected", message="secrets were skipped (secrets=skip)"))
                continue
            if gr == "namespaces" and self.namespaces:
                self.get_namespaces(spec, self.namespaces)
                continue
            versions = discovery.candidates(spec)
            if not versions:
                self.snap.add_gap(Gap(gr, "list", "absent", message=discovery.absent_reason(spec)))
                self.bar.update(_tasks(spec, self.namespaces, self.secrets))
                continue
            self.collect_spec(spec, versions)


def _tasks(spec: ResourceSpec, namespaces: Sequence[str] | None, secrets: str) -> int:
    """How many requests (progress steps) reading ``spec`` takes."""
    if spec.group_resource == "secrets" and secrets == "skip":
        return 0
    if namespaces and (spec.namespaced or spec.group_resource == "namespaces"):
        return len(namespaces)
    return 1


def _server_version(http: Http, target: Target) -> dict[str, Any]:
    """``GET /version``: proves the server answers and the credentials work."""
    try:
        return http.get("/version")
    except RequestError as exc:
        where = f"the Kubernetes API server at {target.server}"
        if exc.reason == "unauthorized":
            notes = f"; credential plugin: {target.auth_notes[0]}" if target.auth_notes else ""
            ctx = f" of context {target.context!r}" if target.context else ""
            raise CollectError(f"{where} rejected the credentials{ctx} (HTTP 401){notes}") from None
        if exc.reason == "forbidden":
            return {}  # /version is readable by everyone by default; a cluster that forbids it can still be read
        if exc.reason == "timeout":
            raise CollectError(f"{where} did not answer: {exc.message}") from None
        if exc.connection:
            raise CollectError(f"cannot reach {where}: {exc.message}") from None
        raise CollectError(f"{where} does not answer like a Kubernetes API server (GET /version: "
                           f"{exc.message})") from None


def collect(context: str | None = None, kubeconfig: str | os.PathLike[str] | None = None,
            namespaces: Iterable[str] | str | None = None, *, timeout: float = 30.0, retries: int = 4,
            backoff: float = 0.5, max_backoff: float = 30.0, page_size: int = 500, list_restarts: int = 3,
            progress: bool | None = None, secrets: str = "metadata", client: Any = None,
            cluster_name: str | None = None, sleep: Callable[[float], None] = time.sleep,
            snapshot_cls: type[Snapshot] | None = None) -> Snapshot:
    """Snapshot a live cluster (see the module docstring for what is read and how).

    ``context``/``kubeconfig`` choose the cluster (default: the current context of
    ``$KUBECONFIG`` or ``~/.kube/config``; in a pod without a kubeconfig, its service
    account); ``client`` passes a ready ``kubernetes.client.ApiClient`` instead.
    ``namespaces`` limits namespaced resources (and the Namespace objects) to those
    namespaces; cluster-scoped resources are read in full. ``timeout`` is the connect and
    read timeout of each request in seconds; ``retries`` bounds the retries of one request
    (429, 500/502/503/504, timeouts, connection errors) with waits of ``backoff``,
    ``2*backoff``, ... up to ``max_backoff`` (a ``Retry-After`` header sets the wait,
    capped by ``max_backoff``); ``page_size`` is the ``limit`` of each list page;
    ``list_restarts`` bounds restarts after ``410 Gone``. ``progress`` shows a tqdm bar on
    stderr (default: only when stderr is a terminal and not under Jupyter/papermill).
    ``secrets="metadata"`` lists Secrets without values; ``"skip"`` records a
    ``not_collected`` gap instead (for a role without ``list secrets``). ``cluster_name``
    overrides the name recorded in the metadata. ``sleep`` is the wait function
    (tests pass a recorder). ``snapshot_cls`` is the class to fill (:meth:`Snapshot.collect`
    passes its own; call that rather than this function).

    Raises :class:`~kubesec_nb.errors.CollectError` (one sentence) when the cluster cannot
    be configured or reached; failures on single resources become gaps.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> Snapshot.collect(kubeconfig="/nonexistent/kubeconfig")
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.CollectError: kubeconfig /nonexistent/kubeconfig does not exist
    """
    if secrets not in SECRETS_MODES:
        raise OptionError(f"secrets must be one of {', '.join(SECRETS_MODES)}, not {secrets!r}")
    for name, value, low in (("timeout", timeout, 0.0), ("page_size", page_size, 1), ("retries", retries, 0),
                             ("backoff", backoff, 0.0), ("max_backoff", max_backoff, 0.0),
                             ("list_restarts", list_restarts, 0)):
        if not isinstance(value, int | float) or value < low or (name == "timeout" and value <= 0):
            raise OptionError(f"{name} must be a number >= {low}, not {value!r}")
    ns_list = None if namespaces is None else sorted({namespaces} if isinstance(namespaces, str) else set(namespaces))
    if ns_list == []:
        raise OptionError("namespaces is empty; pass None to read every namespace")
    if client is not None and (context is not None or kubeconfig is not None):
        raise OptionError("pass either client= or context=/kubeconfig=, not both")
    target = (Target(api=client, context=context, cluster=None, server=str(client.configuration.host), owned=False)
              if client is not None else connect(context, kubeconfig))
    try:
        with warnings.catch_warnings():
            # insecure-skip-tls-verify in a kubeconfig would print one warning per request
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            return _collect(target, ns_list, timeout=timeout, retries=retries, backoff=backoff,
                            max_backoff=max_backoff, page_size=page_size, list_restarts=list_restarts,
                            progress=progress_enabled(progress), secrets=secrets, cluster_name=cluster_name,
                            sleep=sleep, snapshot_cls=snapshot_cls)
    finally:
        if target.owned:
            target.api.close()


def _collect(target: Target, namespaces: list[str] | None, *, timeout: float, retries: int, backoff: float,
             max_backoff: float, page_size: int, list_restarts: int, progress: bool, secrets: str,
             cluster_name: str | None, sleep: Callable[[float], None], snapshot_cls: type[Snapshot] | None
             ) -> Snapshot:
    from tqdm import tqdm

    from kubesec_nb.version import __version__

    http = Http(target.api, timeout=float(timeout), retries=int(retries), backoff=float(backoff),
                 max_backoff=float(max_backoff), sleep=sleep)
    version = _server_version(http, target)
    if snapshot_cls is None:
        raise OptionError("collect() fills a Snapshot class it is given: call Snapshot.collect()")
    snap = snapshot_cls()
    with tqdm(total=0, desc="kubesec-nb snapshot", unit="list", file=sys.stderr, disable=not progress,
              leave=False, dynamic_ncols=True) as bar:
        collector = _Collector(http, snap, page_size=int(page_size), list_restarts=int(list_restarts),
                               namespaces=namespaces, secrets=secrets, bar=bar)
        discovery = collector.discover(RESOURCES)
        bar.total = sum(_tasks(s, namespaces, secrets) for s in RESOURCES)
        bar.refresh()
        collector.run(RESOURCES, discovery)
    snap.metadata = {
        "cluster": cluster_name or cluster_display_name(target.cluster),
        "context": target.context,
        "serverVersion": version,
        "collectedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "collector": f"kubesec-nb {__version__}",
        "source": "live",
        "secrets": secrets,
        "discovery": discovery.mode,
        "resourceVersions": dict(sorted(collector.resource_versions.items())),
    }
    if namespaces is not None:
        snap.metadata["namespaces"] = namespaces
    provider = guess_provider(snap)
    snap.metadata["provider"] = provider if provider != "unknown" else endpoint_provider(target.server,
                                                                                         target.cluster or "")
    snap.metadata = {k: v for k, v in snap.metadata.items() if v is not None}
    try:
        snap.checked_metadata(snap.metadata)
    except SnapshotError as exc:
        raise CollectError(f"the API server's answer cannot be recorded: {exc}") from None
    snap.normalize()
    return snap
