"""An in-process fake Kubernetes API server for the collector's contract tests.

The real ``kubernetes`` client talks HTTP to this server exactly as it would to a
kube-apiserver: discovery (aggregated ``apidiscovery.k8s.io/v2`` or the legacy
documents), ``/version``, paginated lists with ``limit``/``continue``, content
negotiation for ``Table`` and ``PartialObjectMetadataList``, ``Status`` error bodies,
and scripted faults (403, 404, 410, 429 with ``Retry-After``, 5xx, slow responses).

Why pytest-httpserver and not kmock or a hand-rolled ``http.server``:

* it is synchronous (werkzeug in a thread): the official client is synchronous too, so
  tests call it directly, with no event loop and no ``asyncio.to_thread`` (kmock needs
  both, and its pytest plugin breaks every run when ``pytest-asyncio`` is missing);
* kmock's Kubernetes emulator ignores ``limit``/``continue`` and knows nothing of
  ``Table`` or ``PartialObjectMetadataList`` responses, which are exactly what these
  tests are about, so it would need custom reactions for everything that matters;
* compared with our own ``ThreadingHTTPServer``, pytest-httpserver brings the server
  lifecycle, werkzeug's request parsing (query strings, ``Accept`` headers) and a
  request log that tests assert on ("the secrets list asked for a Table", "no request
  was made for an absent group"). It is already a pinned test dependency.

The API semantics (which status for what, the ``Status`` body, the table columns of
Secrets, the discovery documents) follow upstream kube-apiserver behaviour; this
module holds one :class:`FakeApiServer` per test, served by the threaded server of the
``apiserver`` fixture in ``conftest.py``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from kubesec_nb.snapshot.resources import RESOURCES, ResourceSpec, spec_for

VERSION = {"major": "1", "minor": "30", "gitVersion": "v1.30.4-eks-a737599", "gitCommit": "0" * 40,
           "gitTreeState": "clean", "buildDate": "2024-08-26T21:27:52Z", "goVersion": "go1.22.5",
           "compiler": "gc", "platform": "linux/amd64"}

#: Add-on API groups the default fake cluster does not serve (everything optional but Gateway API and VAP).
DEFAULT_ABSENT = frozenset(s.group for s in RESOURCES
                           if s.optional and s.group not in ("gateway.networking.k8s.io",
                                                             "admissionregistration.k8s.io"))


def status(code: int, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    """A ``meta/v1 Status`` failure body as the API server writes it."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code, **extra}


@dataclass
class Fault:
    """A scripted response for requests whose path matches ``path`` (a regex, full match)."""

    path: str
    code: int
    times: int | None = 1  # None: forever
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    delay: float = 0.0  # seconds to stall before answering (client timeouts)
    when: Callable[[Request], bool] | None = None
    hits: int = 0


@dataclass(frozen=True)
class Served:
    """One resource the fake serves: where, and at which version."""

    spec: ResourceSpec
    version: str

    @property
    def base(self) -> str:
        g = self.spec.group
        return f"/api/{self.version}" if not g else f"/apis/{g}/{self.version}"


class FakeApiServer:
    """State and request handling of one fake cluster.

    ``objects`` are API objects (with ``apiVersion``/``kind``); each is served under its
    resource at the version the fake serves. ``absent_groups`` are not served at all;
    ``versions`` overrides the served version of a ``resource[.group]``.
    """

    def __init__(self, objects: Iterable[dict[str, Any]] = (), *, aggregated: bool = True,
                 absent_groups: Iterable[str] = DEFAULT_ABSENT, versions: dict[str, str] | None = None,
                 token: str | None = "test-token", tables: bool = True, version: dict[str, Any] | None = None,
                 discovery_status: int | None = None) -> None:
        self.aggregated, self.token, self.tables = aggregated, token, tables
        self.version = version or VERSION
        self.discovery_status = discovery_status
        absent = set(absent_groups)
        versions = versions or {}
        self.served = [Served(s, versions.get(s.group_resource, s.versions[0]))
                       for s in RESOURCES if s.group not in absent]
        self.objects: dict[str, list[dict[str, Any]]] = {s.spec.group_resource: [] for s in self.served}
        for obj in objects:
            spec = spec_for(obj["apiVersion"], obj["kind"])
            assert spec is not None, obj["kind"]
            self.objects.setdefault(spec.group_resource, []).append(obj)
        self.faults: list[Fault] = []
        self.expire: dict[str, int] = {}  # path -> how many continue requests answer 410
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []  # path, query, headers
        self.release = threading.Event()  # set at teardown to end stalled responses early
        self._rv = 1000

    # ---- scripting --------------------------------------------------------------------------
    def fail(self, path: str, code: int, *, times: int | None = 1, headers: dict[str, str] | None = None,
             message: str = "", when: Callable[[Request], bool] | None = None) -> Fault:
        reason = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 410: "Expired", 429: "TooManyRequests",
                  500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}.get(code, "Unknown")
        fault = Fault(path, code, times, dict(headers or {}), status(code, reason, message or reason), when=when)
        self.faults.append(fault)
        return fault

    def stall(self, path: str, seconds: float, *, times: int | None = None) -> Fault:
        fault = Fault(path, 200, times, delay=seconds)
        self.faults.append(fault)
        return fault

    def expire_continue(self, path: str, times: int = 1) -> None:
        """The next ``times`` requests on ``path`` that carry a continue token get 410 Gone."""
        self.expire[path] = times

    def paths(self, pattern: str = ".*") -> list[str]:
        """Paths requested so far that fully match ``pattern``, in order."""
        return [p for p, _, _ in self.requests if re.fullmatch(pattern, p)]

    def queries(self, path: str) -> list[dict[str, str]]:
        return [q for p, q, _ in self.requests if p == path]

    def headers(self, path: str) -> list[dict[str, str]]:
        return [h for p, _, h in self.requests if p == path]

    # ---- serving ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        query = {k: v for k, v in request.args.items()}
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append((path, query, headers))
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return self._json(status(401, "Unauthorized", "Unauthorized"), 401)
        for fault in self.faults:
            if (fault.times is None or fault.hits < fault.times) and re.fullmatch(fault.path, path) and \
                    (fault.when is None or fault.when(request)):
                fault.hits += 1
                if fault.delay:
                    self.release.wait(fault.delay)
                if fault.code != 200:
                    return self._json(fault.body or {}, fault.code, fault.headers)
                break
        return self._route(path, query, headers.get("accept", "application/json"))

    def _route(self, path: str, query: dict[str, str], accept: str) -> Response:
        if path == "/version":
            return self._json(self.version)
        if path in ("/api", "/apis"):
            if self.discovery_status:
                return self._json(status(self.discovery_status, "Forbidden", "discovery is forbidden"),
                                  self.discovery_status)
            return self._json(self._discovery(path, "as=APIGroupDiscoveryList" in accept))
        for served in self.served:
            if path == served.base and not self.aggregated:
                return self._json(self._resource_list(served.spec.group, served.version))
            m = re.fullmatch(re.escape(served.base) + r"(?:/namespaces/([^/]+))?/" + served.spec.resource, path)
            if m:
                return self._list(served, m.group(1), query, accept, path)
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)", path)
        if m:
            for ns in self.objects.get("namespaces", []):
                if ns["metadata"]["name"] == m.group(1):
                    return self._json(ns)
            return self._json(status(404, "NotFound", f'namespaces "{m.group(1)}" not found'), 404)
        return self._json(status(404, "NotFound", "the server could not find the requested resource"), 404)

    # ---- discovery
    def _groups(self) -> dict[str, dict[str, list[Served]]]:
        out: dict[str, dict[str, list[Served]]] = {}
        for s in self.served:
            out.setdefault(s.spec.group, {}).setdefault(s.version, []).append(s)
        return out

    def _discovery(self, path: str, aggregated: bool) -> dict[str, Any]:
        groups = {g: v for g, v in self._groups().items() if (g == "") == (path == "/api")}
        if aggregated and self.aggregated:
            items = [{"metadata": {"name": g}, "versions": [
                {"version": v, "freshness": "Current", "resources": [
                    {"resource": s.spec.resource, "scope": "Namespaced" if s.spec.namespaced else "Cluster",
                     "responseKind": {"group": g, "version": v, "kind": s.spec.kind},
                     "verbs": ["get", "list", "watch"]} for s in served]}
                for v, served in versions.items()]} for g, versions in sorted(groups.items())]
            return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                    "items": items}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:443"}]}
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in versions],
             "preferredVersion": {"groupVersion": f"{g}/{next(iter(versions))}", "version": next(iter(versions))}}
            for g, versions in sorted(groups.items())]}

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        served = [s for s in self.served if s.spec.group == group and s.version == version]
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}".lstrip("/"),
                "resources": [r for s in served for r in (
                    {"name": s.spec.resource, "singularName": "", "namespaced": s.spec.namespaced,
                     "kind": s.spec.kind, "verbs": ["get", "list", "watch"]},
                    {"name": f"{s.spec.resource}/status", "singularName": "", "namespaced": s.spec.namespaced,
                     "kind": s.spec.kind, "verbs": ["get", "patch", "update"]})]}

    # ---- lists
    def _list(self, served: Served, namespace: str | None, query: dict[str, str], accept: str,
              path: str) -> Response:
        spec = served.spec
        items = sorted((o for o in self.objects.get(spec.group_resource, [])
                        if namespace is None or o["metadata"].get("namespace") == namespace),
                       key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        offset, rv = 0, str(self._rv)
        token = query.get("continue")
        if token:
            if self.expire.get(path, 0) > 0:
                self.expire[path] -= 1
                return self._json(status(410, "Expired", "The provided continue parameter is too old to display "
                                         "a consistent list result. You can start a new list without the continue "
                                         "parameter."), 410)
            state = json.loads(base64.urlsafe_b64decode(token))
            offset, rv = state["offset"], state["rv"]
        else:
            self._rv += 1
            rv = str(self._rv)
        limit = int(query.get("limit") or 0) or len(items) or 1
        page = [dict(o) for o in items[offset:offset + limit]]
        for o in page:  # list items carry no apiVersion/kind
            o.pop("apiVersion", None)
            o.pop("kind", None)
        meta: dict[str, Any] = {"resourceVersion": rv}
        if offset + limit < len(items):
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"offset": offset + limit, "rv": rv}).encode()).decode()
            meta["remainingItemCount"] = len(items) - offset - limit
        api_version = f"{spec.group}/{served.version}" if spec.group else served.version
        for media in (m.strip() for m in accept.split(",")):
            if "as=Table" in media and self.tables:
                return self._json(self._table(spec, page, meta, query.get("includeObject", "Metadata")))
            if "as=PartialObjectMetadataList" in media and self.tables:
                return self._json({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                                   "metadata": meta, "items": [
                                       {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                        "metadata": o["metadata"]} for o in page]})
            if media.startswith("application/json") and "as=" not in media:
                break
        else:
            if self.tables:
                return self._json(status(406, "NotAcceptable", f"only the following media types are accepted: "
                                         f"application/json (asked: {accept})"), 406)
        return self._json({"kind": f"{spec.kind}List", "apiVersion": api_version, "metadata": meta, "items": page})

    @staticmethod
    def _table(spec: ResourceSpec, page: list[dict[str, Any]], meta: dict[str, Any],
               include: str) -> dict[str, Any]:
        if spec.kind == "Secret":
            columns = ["Name", "Type", "Data", "Age"]

            def cells(o: dict[str, Any]) -> list[Any]:
                return [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}), "5d"]
        else:
            columns = ["Name", "Age"]

            def cells(o: dict[str, Any]) -> list[Any]:
                return [o["metadata"]["name"], "5d"]

        def obj(o: dict[str, Any]) -> dict[str, Any] | None:
            if include == "None":
                return None
            if include == "Object":
                return o
            return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}

        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                "columnDefinitions": [{"name": c, "type": "string", "format": "", "description": "",
                                       "priority": 0} for c in columns],
                "rows": [{"cells": cells(o), "object": obj(o)} for o in page]}

    @staticmethod
    def _json(doc: dict[str, Any], code: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(doc), status=code, headers=headers or {}, content_type="application/json")


def kubeconfig(server: str, *, token: str = "test-token", context: str = "test",
               cluster: str = "arn:aws:eks:eu-west-1:111122223333:cluster/shop", extra_contexts: Iterable[str] = (),
               user: dict[str, Any] | None = None) -> dict[str, Any]:
    """A kubeconfig document whose context ``context`` points at ``server``."""
    contexts = [{"name": context, "context": {"cluster": cluster, "user": "tester"}}]
    contexts += [{"name": c, "context": {"cluster": cluster, "user": "tester"}} for c in extra_contexts]
    return {"apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": cluster, "cluster": {"server": server}}],
            "contexts": contexts,
            "users": [{"name": "tester", "user": user or {"token": token}}]}

