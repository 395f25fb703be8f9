"""Kubernetes audit logs, streamed into a summary that a snapshot carries (attachment kind ``audit-log``).

Read (one file at a time, never whole, ``.gz`` or plain; each line or document item recognised on its own):

===============================  =======================================================================
``kubernetes``                   ``audit.k8s.io/v1`` Events, one JSON object per line, as the API server's log
                                 backend writes them (an ``EventList`` per line, as the webhook backend sends,
                                 is read too)
``eks-cloudwatch``               EKS control-plane logs: ``aws logs filter-log-events`` / ``get-log-events``
                                 output (``{"events": [{"timestamp", "message", "logStreamName"}]}``), its
                                 events one per line (``jq -c '.events[]'``), or CloudWatch export-to-S3 files
                                 (``<timestamp> <message>`` per line); streams other than ``kube-apiserver-audit``
                                 (``authenticator``, ``kube-apiserver``) are ignored
``gke-cloud-logging``            GKE Cloud Logging ``LogEntry`` objects whose ``protoPayload`` is a
                                 ``type.googleapis.com/google.cloud.audit.AuditLog`` with ``serviceName``
                                 ``k8s.io`` (``gcloud logging read --format=json``, a JSON array; a Cloud
                                 Storage sink export, one entry per line). ``methodName``
                                 (``io.k8s.core.v1.pods.exec.create``) gives the verb and subresource,
                                 ``resourceName`` (``core/v1/namespaces/NS/pods/NAME/exec``) the object,
                                 ``authenticationInfo.principalEmail`` the user, ``requestMetadata.callerIp``
                                 and ``.callerSuppliedUserAgent`` the source, ``status.code`` (gRPC) the outcome,
                                 ``labels`` the authorization annotations, ``insertId`` the audit ID
``aks-diagnostics``              AKS diagnostic records of category ``kube-audit`` or ``kube-audit-admin``
                                 whose ``properties.log`` holds the event (a storage account's ``PT1H.json``,
                                 one record per line; an Event Hub message ``{"records": [...]}``). When both
                                 categories are read, ``kube-audit-admin`` (a subset) is dropped.
===============================  =======================================================================

What the summary keeps: per day, user, calling pod, verb, resource, namespace, name and response code, the
number of requests with first and last time and audit ID (``usage``; object names are capped per user and
verb, and not kept for nodes and control-plane components, see :data:`COARSE_USERS`); per user its groups,
source IPs and user agents; individual records of the requests incident response needs (exec, attach,
port-forward, ephemeral containers, kubelet exec; pod and workload writes with the security-relevant fields of
their body; RBAC writes with the written role or binding; anonymous requests), capped per kind; per user and
minute the denied requests. What it never keeps: request and response bodies (only the fields above are read
from the request body of pod, workload and RBAC writes; response bodies are not even parsed), headers,
``user.extra`` other than the pod, node and AWS ARN of the caller, query parameters outside a short list
(others become ``<redacted>``; of an exec ``command`` only the program name), and any kept string that looks
like a credential (:func:`kubesec_nb.snapshot.redact.detect`).

A request is counted once, from its last stage (``ResponseComplete`` or ``Panic``; a request whose log
ends earlier counts from the last stage seen). Lines that cannot be read are counted and listed with their
file and line (document items: their index), never fatal.
"""

from __future__ import annotations

import gc
import gzip
import io
import os
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qsl, urlsplit

import msgspec

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot.document import Attachment
from kubesec_nb.snapshot.redact import detect, marker

KIND = "audit-log"
SUMMARY_VERSION = 1
#: Individual records kept per kind (``exec``, ``pods``, ``rbac``, ``anonymous``); the rest are counted.
MAX_RECORDS = 2000
#: Distinct object names kept per (day, user, verb, resource, namespace); further names count under ``*``.
MAX_NAMES = 20
#: Usage rows kept with object names; past this many, new rows count under name ``*`` (memory stays bounded).
MAX_NAMED_ROWS = 200_000
#: Users whose requests keep no object names (``*``): nodes and control-plane components make most requests of
#: a cluster, on objects they are meant to touch; their exec, pod, RBAC and anonymous records are kept all the same.
COARSE_USERS = ("system:node:", "system:kube-", "system:apiserver", "system:serviceaccount:kube-system:")
#: Audit IDs remembered to drop duplicate events (a request's stages, overlapping exports): two generations.
DEDUPE_GENERATION = 250_000
#: Malformed lines listed (all are counted).
MAX_MALFORMED = 100
#: Minutes with denied requests kept per user.
MAX_DENIED_MINUTES = 5000
#: Source IPs and user agents kept per user; further ones count under ``*``.
MAX_SOURCES = 200

SA_PREFIX = "system:serviceaccount:"
ANONYMOUS = "system:anonymous"
UNAUTHENTICATED = "system:unauthenticated"
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_RESOURCES = frozenset({"roles", "clusterroles", "rolebindings", "clusterrolebindings"})
#: Resources whose request body holds a pod template: (group, resource).
POD_WRITERS = frozenset({("", "pods"), ("", "replicationcontrollers"), ("apps", "deployments"),
                         ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
                         ("batch", "jobs"), ("batch", "cronjobs")})
WRITE_VERBS = frozenset({"create", "update", "patch"})
READ_VERBS = frozenset({"get", "list", "watch"})
#: Kubelet API paths (under ``nodes/proxy``) that run commands in containers.
KUBELET_EXEC = ("run", "exec", "attach", "portForward", "cri")
PSA_VIOLATIONS = "pod-security.kubernetes.io/audit-violations"
#: Annotations kept on records (authorization decision and reason, Pod Security, legacy token use).
KEPT_ANNOTATIONS = ("authorization.k8s.io/decision", "authorization.k8s.io/reason", PSA_VIOLATIONS,
                    "pod-security.kubernetes.io/enforce-policy", "authentication.k8s.io/legacy-token")
#: Query parameters kept in request URIs; any other value becomes ``<redacted>``.
SAFE_QUERY = frozenset({
    "watch", "labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "resourceVersionMatch",
    "timeout", "timeoutSeconds", "allowWatchBookmarks", "sendInitialEvents", "container", "stdin", "stdout",
    "stderr", "tty", "follow", "previous", "tailLines", "sinceSeconds", "timestamps", "dryRun", "fieldManager",
    "fieldValidation", "force", "propagationPolicy", "gracePeriodSeconds", "orphanDependents", "ports", "pretty"})
#: gRPC status code (GKE ``protoPayload.status.code``) → HTTP status, as grpc-gateway maps them.
GRPC_TO_HTTP = {0: 200, 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409,
                11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401}
USAGE_COLUMNS = ("day", "user", "pod", "impersonator", "verb", "group", "resource", "subresource", "namespace",
                 "name", "path", "code", "decision", "count", "first", "last", "first_id", "last_id")


# ---- the shapes read: only these fields are ever decoded ---------------------------------------------------
class _User(msgspec.Struct):
    username: str = ""
    groups: list[str] = []
    extra: dict[str, list[str]] = {}


class _ObjectRef(msgspec.Struct):
    resource: str = ""
    namespace: str = ""
    name: str = ""
    apiGroup: str = ""  # noqa: N815 - the API's field names
    subresource: str = ""


class _Status(msgspec.Struct):
    code: int = 0
    message: str = ""


class Event(msgspec.Struct):
    """The fields of an ``audit.k8s.io/v1`` Event that kubesec-nb reads (``requestObject`` stays raw bytes
    and is decoded only for pod, workload and RBAC writes; ``responseObject`` is never decoded)."""

    kind: str = ""
    level: str = ""
    auditID: str = ""  # noqa: N815
    stage: str = ""
    requestURI: str = ""  # noqa: N815
    verb: str = ""
    user: _User = msgspec.field(default_factory=_User)
    impersonatedUser: _User | None = None  # noqa: N815
    sourceIPs: list[str] = []  # noqa: N815
    userAgent: str = ""  # noqa: N815
    objectRef: _ObjectRef | None = None  # noqa: N815
    responseStatus: _Status | None = None  # noqa: N815
    requestObject: msgspec.Raw = msgspec.Raw()  # noqa: N815 - empty when the level dropped it
    requestReceivedTimestamp: str = ""  # noqa: N815
    stageTimestamp: str = ""  # noqa: N815
    annotations: dict[str, str] = {}


class _GkeAuthn(msgspec.Struct):
    principalEmail: str = ""  # noqa: N815


class _GkeAuthz(msgspec.Struct):
    permission: str = ""
    granted: bool | None = None


class _GkeMeta(msgspec.Struct):
    callerIp: str = ""  # noqa: N815
    callerSuppliedUserAgent: str = ""  # noqa: N815


class _GkePayload(msgspec.Struct):
    type: str = msgspec.field(default="", name="@type")
    serviceName: str = ""  # noqa: N815
    methodName: str = ""  # noqa: N815
    resourceName: str = ""  # noqa: N815
    authenticationInfo: _GkeAuthn = msgspec.field(default_factory=_GkeAuthn)  # noqa: N815
    authorizationInfo: list[_GkeAuthz] = []  # noqa: N815
    requestMetadata: _GkeMeta = msgspec.field(default_factory=_GkeMeta)  # noqa: N815
    status: _Status | None = None
    request: msgspec.Raw = msgspec.Raw()


class _AksProperties(msgspec.Struct):
    log: str | None = None


class _Line(Event):
    """One line (or document item) of any supported format: an Event plus the envelopes' own fields."""

    items: list[msgspec.Raw] | None = None  # EventList
    message: str | None = None  # CloudWatch
    logStreamName: str = ""  # noqa: N815
    timestamp: int | str | None = None  # CloudWatch (ms) or LogEntry (RFC 3339)
    events: list[msgspec.Raw] | None = None
    logEvents: list[msgspec.Raw] | None = None  # noqa: N815
    protoPayload: _GkePayload | None = None  # noqa: N815
    insertId: str = ""  # noqa: N815
    logName: str = ""  # noqa: N815
    labels: dict[str, str] = {}
    entries: list[msgspec.Raw] | None = None
    category: str = ""
    properties: _AksProperties | None = None
    time: str = ""
    records: list[msgspec.Raw] | None = None


class _SecurityContext(msgspec.Struct):
    privileged: bool | None = None
    capabilities: dict[str, list[str]] | None = None


class _Container(msgspec.Struct):
    name: str = ""
    securityContext: _SecurityContext | None = None  # noqa: N815


class _HostPath(msgspec.Struct):
    path: str = ""


class _Volume(msgspec.Struct):
    name: str = ""
    hostPath: _HostPath | None = None  # noqa: N815


class _PodSpec(msgspec.Struct):
    containers: list[_Container] = []
    initContainers: list[_Container] = []  # noqa: N815
    ephemeralContainers: list[_Container] = []  # noqa: N815
    volumes: list[_Volume] = []
    hostPID: bool | None = None  # noqa: N815
    hostIPC: bool | None = None  # noqa: N815
    hostNetwork: bool | None = None  # noqa: N815
    serviceAccountName: str = ""  # noqa: N815


class _Template(msgspec.Struct):
    spec: _PodSpec | None = None


class _JobSpec(msgspec.Struct):
    template: _Template | None = None


class _JobTemplate(msgspec.Struct):
    spec: _JobSpec | None = None


class _WorkloadSpec(_PodSpec):
    template: _Template | None = None
    jobTemplate: _JobTemplate | None = None  # noqa: N815


class _PodBody(msgspec.Struct):
    spec: _WorkloadSpec | None = None


class _Meta(msgspec.Struct):
    name: str = ""
    namespace: str = ""


class _RoleRef(msgspec.Struct):
    apiGroup: str = ""  # noqa: N815
    kind: str = ""
    name: str = ""


class _Subject(msgspec.Struct):
    kind: str = ""
    name: str = ""
    namespace: str = ""
    apiGroup: str = ""  # noqa: N815


class _PolicyRule(msgspec.Struct, omit_defaults=True):
    verbs: list[str] = []
    apiGroups: list[str] = []  # noqa: N815
    resources: list[str] = []
    resourceNames: list[str] = []  # noqa: N815
    nonResourceURLs: list[str] = []  # noqa: N815


class _RbacBody(msgspec.Struct):
    kind: str = ""
    metadata: _Meta = msgspec.field(default_factory=_Meta)
    roleRef: _RoleRef | None = None  # noqa: N815
    subjects: list[_Subject] | None = None
    rules: list[_PolicyRule] | None = None
    aggregationRule: msgspec.Raw = msgspec.Raw()  # noqa: N815


_LINE = msgspec.json.Decoder(_Line)
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
_POD_BODY = msgspec.json.Decoder(_PodBody)
_RBAC_BODY = msgspec.json.Decoder(_RbacBody)
_CLOUDWATCH_EXPORT = re.compile(rb"^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)) (\{.*)$", re.S)


# ---- small helpers -----------------------------------------------------------------------------------------
def timestamp(value: str | int | None) -> str:
    """An RFC 3339 time (or CloudWatch milliseconds) as fixed-width UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
    so that times compare as strings; "" when unreadable.

    >>> timestamp("2026-11-20T10:00:00Z"), timestamp("2026-11-20T10:00:00.5Z")
    ('2026-11-20T10:00:00.000000Z', '2026-11-20T10:00:00.500000Z')
    >>> timestamp(1763632800000), timestamp("2026-11-20T11:00:00.123456789+01:00")
    ('2025-11-20T10:00:00.000000Z', '2026-11-20T10:00:00.123456Z')
    """
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if not value:
        return ""
    if len(value) == 27 and value[-1] == "Z" and value[19] == ".":
        return value
    if value[-1] == "Z" and len(value) >= 20:
        frac = value[20:-1] if value[19] == "." else ""
        if frac.isdigit() or not frac:
            return f"{value[:19]}.{(frac + '000000')[:6]}Z"
    try:
        base, _, rest = value.partition(".")
        if rest:  # Python reads at most 6 fractional digits
            digits = len(rest) - len(rest.lstrip("0123456789"))
            value = f"{base}.{rest[:min(digits, 6)]}{rest[digits:]}"
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@lru_cache(maxsize=4096)
def clean(value: str, name: str = "value", limit: int = 300, *, patterns_only: bool = False) -> str:
    """``value`` truncated, or a redaction marker when it looks like a credential (``patterns_only``: only
    known credential formats count, not the entropy heuristic that version strings trip).

    >>> clean("kubectl/v1.30.2"), clean("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMTIz")
    ('kubectl/v1.30.2', '<redacted:jwt>')
    >>> clean("kube-controller-manager/v1.30.4", "userAgent", patterns_only=True)
    'kube-controller-manager/v1.30.4'
    """
    found = detect(name, value)
    if found and not (patterns_only and found in ("high-entropy", "key-name")):
        return marker(found)
    return value if len(value) <= limit else value[:limit] + "…"


def sanitize_uri(uri: str) -> str:
    """A request URI without secrets: its path, and of its query only the parameters in :data:`SAFE_QUERY`
    (others ``<redacted>``; of ``command`` the program's name).

    >>> sanitize_uri("/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=echo+x&container=c&tty=true")
    '/api/v1/namespaces/a/pods/b/exec?command=sh+…&container=c&tty=true'
    >>> sanitize_uri("/api/v1/pods?access_token=abc&watch=1")
    '/api/v1/pods?access_token=<redacted>&watch=1'
    """
    parts = urlsplit(uri)
    path = clean(parts.path, "path")
    if not parts.query:
        return path
    out: list[str] = []
    commands = 0
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "command":
            commands += 1
            if commands == 1:
                out.append(f"command={os.path.basename(value) or '<redacted>'}")
            elif commands == 2:
                out[-1] += "+…"
        elif key in SAFE_QUERY:
            out.append(f"{key}={clean(value, key, 120)}")
        else:
            out.append(f"{key}=<redacted>")
    return f"{path}?{'&'.join(out)}"


def exec_command(uri: str) -> str:
    """The program an exec request runs (its first ``command`` parameter's base name), else "".

    >>> exec_command("/api/v1/namespaces/a/pods/b/exec?command=%2Fbin%2Fbash&stdin=true")
    'bash'
    """
    for key, value in parse_qsl(urlsplit(uri).query):
        if key == "command":
            return clean(os.path.basename(value), "command", 60)
    return ""


def progress_enabled(progress: bool | None) -> bool:
    """An explicit choice, else a progress bar only on a terminal and never inside a notebook kernel."""
    if progress is not None:
        return progress
    if "ipykernel" in sys.modules:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# ---- request attributes ----------------------------------------------------------------------------------
def _gke_event(e: _Line) -> Event | None:
    """An Event from a GKE ``LogEntry`` (None when it is not a Kubernetes API request)."""
    p = e.protoPayload
    if p is None or p.serviceName != "k8s.io":
        return None
    parts = p.resourceName.split("/")
    method = p.methodName.split(".")
    version = parts[1] if len(parts) > 1 else ""
    rest: list[str] = []
    for i in range(len(method) - 3, len(method) - 5, -1):
        if i > 0 and method[i] == version:
            rest = method[i + 1:]
            break
    ref: _ObjectRef | None = None
    verb = method[-1] if method else ""
    if rest and len(parts) >= 3:
        resource, sub = rest[0], (rest[1] if len(rest) == 3 else "")
        group = "" if parts[0] == "core" else parts[0]
        tail = parts[2:]
        ns = ""
        if tail[0] == "namespaces" and resource != "namespaces" and len(tail) >= 3:
            ns, tail = tail[1], tail[2:]
        name = tail[1] if len(tail) > 1 else ""
        ref = _ObjectRef(resource=resource, namespace=ns, name=name, apiGroup=group, subresource=sub)
    labels = e.labels
    decision = labels.get("authorization.k8s.io/decision", "")
    if not decision and p.authorizationInfo:
        decision = "allow" if all(a.granted is not False for a in p.authorizationInfo) else "forbid"
    annotations = {k: v for k, v in labels.items() if k in KEPT_ANNOTATIONS}
    if decision:
        annotations["authorization.k8s.io/decision"] = decision
    code = GRPC_TO_HTTP.get(p.status.code, 500) if p.status is not None else 200
    ts = e.timestamp if isinstance(e.timestamp, str) else ""
    return Event(
        kind="Event", level="Request" if p.request else "Metadata", auditID=e.insertId,
        stage="ResponseComplete", requestURI="/" + p.resourceName, verb=verb,
        user=_User(username=p.authenticationInfo.principalEmail),
        sourceIPs=[p.requestMetadata.callerIp] if p.requestMetadata.callerIp else [],
        userAgent=p.requestMetadata.callerSuppliedUserAgent, objectRef=ref,
        responseStatus=_Status(code=code, message=p.status.message if p.status else ""),
        requestObject=p.request, requestReceivedTimestamp=ts, annotations=annotations)


def _flags(spec: _PodSpec) -> dict[str, Any]:
    """The security-relevant fields of a pod spec: privileged containers, host namespaces, hostPath
    volumes, added capabilities, the service account."""
    out: dict[str, Any] = {}
    containers = [*spec.containers, *spec.initContainers, *spec.ephemeralContainers]
    priv = sorted({c.name for c in containers if c.securityContext and c.securityContext.privileged})
    if priv:
        out["privileged"] = priv
    caps = sorted({cap for c in containers if c.securityContext and c.securityContext.capabilities
                   for cap in c.securityContext.capabilities.get("add", []) if isinstance(cap, str)})
    if caps:
        out["capabilities"] = caps
    for fld in ("hostPID", "hostIPC", "hostNetwork"):
        if getattr(spec, fld):
            out[fld] = True
    paths = sorted({v.hostPath.path for v in spec.volumes if v.hostPath is not None})
    if paths:
        out["hostPath"] = [clean(p, "hostPath", 200) for p in paths]
    if spec.serviceAccountName:
        out["serviceAccountName"] = spec.serviceAccountName
    return out


def pod_flags(body: bytes) -> dict[str, Any] | None:
    """Security-relevant fields of a pod or workload request body (a full object or a merge patch), or None
    when the body cannot be read as one (a JSON patch, another kind).

    >>> pod_flags(b'{"kind":"Pod","spec":{"hostPID":true,"containers":[{"name":"x","securityContext":'
    ...           b'{"privileged":true}}],"volumes":[{"name":"r","hostPath":{"path":"/"}}]}}')
    {'privileged': ['x'], 'hostPID': True, 'hostPath': ['/']}
    """
    try:
        doc = _POD_BODY.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    spec = doc.spec
    if spec is None:
        return None
    if spec.template is not None and spec.template.spec is not None:
        return _flags(spec.template.spec)
    job = spec.jobTemplate
    if job is not None and job.spec is not None and job.spec.template is not None and job.spec.template.spec:
        return _flags(job.spec.template.spec)
    return _flags(spec)


def rbac_object(body: bytes) -> dict[str, Any] | None:
    """The role or binding a request body writes (roleRef, subjects, rules), or None when unreadable.

    >>> rbac_object(b'{"kind":"ClusterRoleBinding","metadata":{"name":"x"},"roleRef":{"apiGroup":'
    ...             b'"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},'
    ...             b'"subjects":[{"kind":"User","name":"eve"}]}')["subjects"]
    [{'kind': 'User', 'name': 'eve'}]
    """
    try:
        doc = _RBAC_BODY.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    out: dict[str, Any] = {"kind": doc.kind, "name": doc.metadata.name}
    if doc.metadata.namespace:
        out["namespace"] = doc.metadata.namespace
    if doc.roleRef is not None:
        out["roleRef"] = msgspec.to_builtins(doc.roleRef)
    if doc.subjects is not None:
        out["subjects"] = [{k: v for k, v in msgspec.to_builtins(s).items() if v} for s in doc.subjects]
    if doc.rules is not None:
        out["rules"] = [msgspec.to_builtins(r) for r in doc.rules]
    if doc.aggregationRule:
        out["aggregated"] = True
    return out if len(out) > 2 or doc.kind else None


# ---- the summary being built --------------------------------------------------------------------------------
class _Sender:
    """What one user's requests came from: groups, source IPs and user agents (``[count, first, last,
    first_id]`` each), node, AWS identity."""

    __slots__ = ("agents", "arn", "groups", "ips", "nodes", "requests")

    def __init__(self) -> None:
        self.groups: set[str] = set()
        self.requests = 0
        self.ips: dict[str, list[Any]] = {}
        self.agents: dict[str, list[Any]] = {}
        self.nodes: set[str] = set()
        self.arn = ""

    def to_dict(self) -> dict[str, Any]:
        return {"groups": sorted(self.groups), "requests": self.requests, "ips": dict(sorted(self.ips.items())),
                "agents": dict(sorted(self.agents.items())), "nodes": sorted(self.nodes),
                **({"arn": self.arn} if self.arn else {})}


def _touch(row: list[Any], count: int, first: str, last: str, first_id: str, last_id: str | None = None) -> None:
    """Add ``count`` requests seen from ``first`` to ``last`` to a ``[count, first, last, first_id(, last_id)]``
    row."""
    row[0] += count
    if first < row[1]:
        row[1], row[3] = first, first_id
    if last > row[2]:
        row[2] = last
        if last_id is not None:
            row[4] = last_id


def _bump(table: dict[str, list[Any]], key: str, ts: str, audit_id: str, cap: int) -> None:
    """Count one request under ``key`` of a per-user source table (``*`` once it holds ``cap`` keys)."""
    row = table.get(key)
    if row is None and len(table) >= cap:
        key = "*"
        row = table.get(key)
    if row is None:
        table[key] = [1, ts, ts, audit_id]
    else:
        _touch(row, 1, ts, ts, audit_id)


class _Stream:
    """Aggregates of one stream of events (AKS ``kube-audit-admin`` records go to their own, see the module
    docstring)."""

    def __init__(self) -> None:
        self.usage: dict[tuple[Any, ...], list[Any]] = {}
        self.names: dict[tuple[Any, ...], int] = {}
        self.users: dict[str, _Sender] = {}
        self.records: dict[str, list[dict[str, Any]]] = {"exec": [], "pods": [], "rbac": [], "anonymous": []}
        self.dropped: dict[str, int] = {}
        self.denied: dict[str, dict[str, list[Any]]] = {}
        self.requests = 0
        self.levels: dict[str, int] = {}
        self.reads = 0
        self.pod_writes = 0
        self.pod_writes_read = 0
        self.first = ""
        self.last = ""

    def user(self, name: str) -> _Sender:
        u = self.users.get(name)
        if u is None:
            u = self.users[name] = _Sender()
        return u

    def merge(self, other: _Stream) -> None:
        """Add another stream's aggregates to this one."""
        for key, row in other.usage.items():
            cur = self.usage.get(key)
            if cur is None:
                self.usage[key] = list(row)
            else:
                _touch(cur, *row)
        for name, u in other.users.items():
            mine = self.user(name)
            mine.groups |= u.groups
            mine.nodes |= u.nodes
            mine.requests += u.requests
            mine.arn = mine.arn or u.arn
            for table, theirs in ((mine.ips, u.ips), (mine.agents, u.agents)):
                for k, row in theirs.items():
                    cur = table.get(k)
                    if cur is None:
                        table[k] = list(row)
                    else:
                        _touch(cur, *row)
        for kind, recs in other.records.items():
            self.records[kind].extend(recs)
        for kind, n in other.dropped.items():
            self.dropped[kind] = self.dropped.get(kind, 0) + n
        for name, minutes in other.denied.items():
            mine_m = self.denied.setdefault(name, {})
            for minute, slot in minutes.items():
                if minute in mine_m:
                    mine_m[minute][0] += slot[0]
                else:
                    mine_m[minute] = list(slot)
        for level, n in other.levels.items():
            self.levels[level] = self.levels.get(level, 0) + n
        self.requests += other.requests
        self.reads += other.reads
        self.pod_writes += other.pod_writes
        self.pod_writes_read += other.pod_writes_read
        self.first = min(x for x in (self.first, other.first) if x) if self.first or other.first else ""
        self.last = max(self.last, other.last)


class Summarizer:
    """Stream events in, :meth:`result` out (see the module docstring for what is kept).

    >>> s = Summarizer()
    >>> s.add_line(b'{"kind":"Event","auditID":"a1","stage":"ResponseComplete","verb":"get","user":{"username":'
    ...            b'"alice"},"objectRef":{"resource":"secrets","namespace":"shop","name":"db"},"responseStatus":'
    ...            b'{"code":200},"requestReceivedTimestamp":"2026-11-20T10:00:00Z"}', "x.log", 1)
    >>> r = s.result()
    >>> r["counts"]["requests"], r["usage"]["rows"][0][:10]
    (1, ['2026-11-20', 'alice', '', '', 'get', '', 'secrets', '', 'shop', 'db'])
    """

    def __init__(self) -> None:
        self.main = _Stream()
        self.admin = _Stream()  # AKS kube-audit-admin, dropped when kube-audit is read too
        self.aks_full = False
        self.events = 0
        self.ignored = 0
        self.duplicates = 0
        self.malformed: list[dict[str, Any]] = []
        self.malformed_total = 0
        self.sources: list[dict[str, Any]] = []
        self.formats: set[str] = set()
        self.categories: set[str] = set()
        self.logs: set[str] = set()
        # audit ID → stream of requests seen at an earlier stage and not yet final; recently finished IDs
        self._open: dict[str, tuple[Event, _Stream]] = {}
        self._done: set[str] = set()
        self._done_before: set[str] = set()

    # ---- reading ---------------------------------------------------------------------------------------
    def bad(self, file: str, where: str, error: str) -> None:
        """Count (and list the first :data:`MAX_MALFORMED`) unreadable lines."""
        self.malformed_total += 1
        if len(self.malformed) < MAX_MALFORMED:
            self.malformed.append({"file": file, "line": where, "error": error[:160]})

    def add_line(self, raw: bytes | str, file: str, where: int | str) -> None:
        """Read one line or document item of any supported format."""
        data = raw.encode() if isinstance(raw, str) else raw
        if data[:1].isdigit():  # CloudWatch export to S3: "<timestamp> <message>"
            m = _CLOUDWATCH_EXPORT.match(data.strip())
            if m is None:
                self.bad(file, str(where), "neither JSON nor '<timestamp> <JSON event>'")
                return
            self.formats.add("eks-cloudwatch")
            self._inner(m.group(2), file, where, "")
            return
        try:
            line = _LINE.decode(data)
        except msgspec.ValidationError as exc:
            try:  # a JSON array on one line (``gcloud logging read --format=json`` piped through jq -c)
                items = _ITEMS.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                self.bad(file, str(where), str(exc))
                return
            for i, item in enumerate(items):
                self.add_line(bytes(item), file, f"{where}[{i}]")
            return
        except msgspec.DecodeError as exc:
            self.bad(file, str(where), str(exc))
            return
        self._dispatch(line, file, where)

    def _inner(self, text: bytes | str, file: str, where: int | str, category: str) -> None:
        try:
            line = _LINE.decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self.bad(file, str(where), f"embedded event: {exc}")
            return
        if line.items is not None:
            self._items(line.items, file, where, category)
        elif line.auditID or line.kind == "Event":
            self._event(line, category)
        else:
            self.ignored += 1

    def _items(self, items: list[msgspec.Raw], file: str, where: int | str, category: str = "") -> None:
        for i, item in enumerate(items):
            self._inner(bytes(item), file, f"{where}[{i}]", category)

    def _dispatch(self, line: _Line, file: str, where: int | str) -> None:
        if line.protoPayload is not None:
            self.formats.add("gke-cloud-logging")
            if line.logName:
                self.logs.add(line.logName.rsplit("%2F", 1)[-1].rsplit("/", 1)[-1])
            ev = _gke_event(line)
            if ev is None:
                self.ignored += 1
            else:
                self._event(ev, "")
        elif line.category or line.properties is not None:
            self.formats.add("aks-diagnostics")
            if line.category.lower() not in ("kube-audit", "kube-audit-admin") or line.properties is None \
                    or not line.properties.log:
                self.ignored += 1
                return
            self.categories.add(line.category.lower())
            self._inner(line.properties.log, file, where, line.category.lower())
        elif line.message is not None:
            self.formats.add("eks-cloudwatch")
            stream = line.logStreamName
            if stream and "audit" not in stream:
                self.ignored += 1
                return
            self._inner(line.message, file, where, "")
        elif line.items is not None:
            self.formats.add("kubernetes")
            self._items(line.items, file, where)
        elif line.auditID or line.kind == "Event":
            self.formats.add("kubernetes")
            self._event(line, "")
        else:
            nested = line.events if line.events is not None else (
                line.records if line.records is not None else (line.logEvents if line.logEvents is not None
                                                               else line.entries))
            if nested is None:
                self.ignored += 1
                return
            for i, item in enumerate(nested):
                self.add_line(bytes(item), file, f"{where}[{i}]")

    # ---- one event ---------------------------------------------------------------------------------------
    def _event(self, ev: Event, category: str) -> None:
        self.events += 1
        stream = self.admin if category == "kube-audit-admin" else self.main
        if category == "kube-audit":
            self.aks_full = True
        audit_id = ev.auditID
        if ev.stage not in ("ResponseComplete", "Panic", ""):
            # an earlier stage: keep it until the final one arrives (long-running requests, truncated logs)
            if audit_id and audit_id not in self._done and audit_id not in self._done_before:
                self._open[audit_id] = (ev, stream)
            return
        if audit_id:
            if self._open:
                self._open.pop(audit_id, None)
            done = self._done
            if audit_id in done or audit_id in self._done_before:
                self.duplicates += 1
                return
            done.add(audit_id)
            if len(done) > DEDUPE_GENERATION:
                self._done_before, self._done = done, set()
        self._count(ev, stream)

    def _count(self, ev: Event, stream: _Stream) -> None:
        # the hot path: every request passes here once, so lookups are local and calls few
        ts = ev.requestReceivedTimestamp
        if len(ts) != 27 or ts[26] != "Z" or ts[19] != ".":
            ts = timestamp(ts or ev.stageTimestamp)
        stream.requests += 1
        level = ev.level
        levels = stream.levels
        levels[level] = levels.get(level, 0) + 1
        if ts > stream.last:
            stream.last = ts
        if ts and (ts < stream.first or not stream.first):
            stream.first = ts
        user = ev.user
        username = user.username
        impersonator = ""
        if ev.impersonatedUser is not None and ev.impersonatedUser.username:
            impersonator = username
            self._impersonation(ev, stream, ts)
            user = ev.impersonatedUser
            username = user.username
        ref = ev.objectRef
        verb = ev.verb
        if ref is not None and ref.resource:
            group, resource, sub, ns, name, path = ref.apiGroup, ref.resource, ref.subresource, ref.namespace, \
                ref.name, ""
        else:
            group = resource = sub = ns = name = ""
            path = clean(urlsplit(ev.requestURI).path, "path", 200)
        if verb in READ_VERBS:
            stream.reads += 1
        status = ev.responseStatus
        code = status.code if status is not None else 0
        decision = ev.annotations.get("authorization.k8s.io/decision", "")
        audit_id = ev.auditID
        pod = ""
        if user.extra and username.startswith(SA_PREFIX):
            pods = user.extra.get("authentication.kubernetes.io/pod-name")
            pod = pods[0] if pods else ""
        if name and username.startswith(COARSE_USERS):
            name = "*"
        key = (ts[:10], username, pod, impersonator, verb, group, resource, sub, ns, path, code, decision, name)
        usage = stream.usage
        row = usage.get(key)
        if row is None and name and name != "*":
            family = key[:12]
            seen = stream.names.get(family, 0)
            if seen >= MAX_NAMES or len(usage) >= MAX_NAMED_ROWS:
                key = (*family, "*")
                row = usage.get(key)
            else:
                stream.names[family] = seen + 1
        if row is None:
            usage[key] = [1, ts, ts, audit_id, audit_id]
        else:
            row[0] += 1
            if ts >= row[2]:
                row[2], row[4] = ts, audit_id
            elif ts < row[1]:
                row[1], row[3] = ts, audit_id
        self._user(stream, ev, ts, audit_id)
        if impersonator:
            stream.user(username).groups.update(user.groups)
        denied = decision == "forbid" or (not decision and code == 403)
        if denied:
            minutes = stream.denied.setdefault(username, {})
            minute = ts[:16]
            slot = minutes.get(minute)
            if slot is None:
                if len(minutes) < MAX_DENIED_MINUTES:
                    minutes[minute] = [1, audit_id, audit_id, f"{verb} {self._what(group, resource, sub, path)}"
                                                              f"{' in ' + ns if ns else ''}"]
            else:
                slot[0] += 1
                slot[2] = audit_id
        anonymous = username == ANONYMOUS or UNAUTHENTICATED in user.groups or code == 401
        if anonymous:
            self._record(stream, "anonymous", ev, ts, username, impersonator)
        if (resource == "pods" and sub in ("exec", "attach", "portforward")) or \
                (resource == "pods" and sub == "ephemeralcontainers" and verb in WRITE_VERBS) or \
                (resource == "nodes" and sub == "proxy" and self._kubelet_exec(ev.requestURI)):
            rec = self._record(stream, "exec", ev, ts, username, impersonator)
            if rec is not None and sub == "exec":
                rec["command"] = exec_command(ev.requestURI)
            if rec is not None and sub == "ephemeralcontainers" and ev.requestObject:
                flags = pod_flags(bytes(ev.requestObject))
                if flags:
                    rec["flags"] = flags
        if verb in WRITE_VERBS and (group, resource) in POD_WRITERS and not sub:
            stream.pod_writes += 1
            flags = pod_flags(bytes(ev.requestObject)) if ev.requestObject else None
            psa = ev.annotations.get(PSA_VIOLATIONS, "")
            if flags is not None or psa:
                stream.pod_writes_read += 1
            if flags or psa:
                rec = self._record(stream, "pods", ev, ts, username, impersonator)
                if rec is not None:
                    rec["flags"] = flags or {}
                    if psa:
                        rec["psa"] = clean(psa, "psa", 600)
        if group == RBAC_GROUP and resource in RBAC_RESOURCES and (verb in WRITE_VERBS or verb.startswith("delete")):
            rec = self._record(stream, "rbac", ev, ts, username, impersonator)
            if rec is not None and ev.requestObject and verb in WRITE_VERBS:
                obj = rbac_object(bytes(ev.requestObject))
                if obj is not None:
                    rec["object"] = obj

    @staticmethod
    def _what(group: str, resource: str, sub: str, path: str) -> str:
        if not resource:
            return path
        res = f"{resource}.{group}" if group else resource
        return f"{res}/{sub}" if sub else res

    @staticmethod
    def _kubelet_exec(uri: str) -> bool:
        # /api/v1/nodes/NAME/proxy/<kubelet path>
        parts = urlsplit(uri).path.split("/")
        try:
            i = parts.index("proxy")
        except ValueError:
            return False
        return len(parts) > i + 1 and parts[i + 1] in KUBELET_EXEC

    def _impersonation(self, ev: Event, stream: _Stream, ts: str) -> None:
        """Usage rows for the impersonation checks the API server made (``impersonate`` users, groups,
        service accounts), attributed to the impersonator."""
        target = ev.impersonatedUser
        assert target is not None
        code = ev.responseStatus.code if ev.responseStatus is not None else 0
        day = ts[:10]
        checks: list[tuple[str, str, str]] = []
        if target.username.startswith(SA_PREFIX) and target.username.count(":") == 3:
            ns, name = target.username[len(SA_PREFIX):].split(":")
            checks.append(("serviceaccounts", ns, name))
        else:
            checks.append(("users", "", target.username))
        checks.extend(("groups", "", g) for g in target.groups
                      if g not in ("system:authenticated", "system:serviceaccounts")
                      and not g.startswith("system:serviceaccounts:"))
        for resource, ns, name in checks:
            key = (day, ev.user.username, "", "", "impersonate", "", resource, "", ns, "", code, "allow", name)
            row = stream.usage.get(key)
            if row is None:
                stream.usage[key] = [1, ts, ts, ev.auditID, ev.auditID]
            else:
                _touch(row, 1, ts, ts, ev.auditID, ev.auditID)

    @staticmethod
    def _user(stream: _Stream, ev: Event, ts: str, audit_id: str) -> None:
        """Who sent the request (the impersonator, when there is one): groups, sources, node, AWS identity."""
        user = ev.user
        u = stream.users.get(user.username)
        if u is None:
            u = stream.users[user.username] = _Sender()
        u.requests += 1
        u.groups.update(user.groups)
        ips = ev.sourceIPs
        # The last address is the one the API server saw the connection from (earlier ones are client-supplied
        # X-Forwarded-For). Both keys come from the client: cleaned like every kept string (cached, cheap).
        ip = clean(ips[-1], "ip", 60, patterns_only=True) if ips else ""
        for table, key in ((u.ips, ip), (u.agents, clean(ev.userAgent, "userAgent", 200, patterns_only=True))):
            row = table.get(key)
            if row is not None:
                row[0] += 1
                if ts > row[2]:
                    row[2] = ts
                elif ts < row[1]:
                    row[1], row[3] = ts, audit_id
            else:
                _bump(table, key, ts, audit_id, MAX_SOURCES)
        extra = user.extra
        if extra:
            nodes = extra.get("authentication.kubernetes.io/node-name")
            if nodes:
                u.nodes.update(nodes[:1])
            arn = extra.get("arn") or extra.get("canonicalArn")
            if arn and not u.arn:
                u.arn = clean(arn[0], "arn", 200)

    def _record(self, stream: _Stream, kind: str, ev: Event, ts: str, username: str,
                impersonator: str) -> dict[str, Any] | None:
        recs = stream.records[kind]
        if len(recs) >= MAX_RECORDS:
            stream.dropped[kind] = stream.dropped.get(kind, 0) + 1
            return None
        ref = ev.objectRef
        user = ev.impersonatedUser if impersonator and ev.impersonatedUser is not None else ev.user
        rec: dict[str, Any] = {
            "id": ev.auditID, "ts": ts, "user": username, "groups": sorted(user.groups), "verb": ev.verb,
            "group": ref.apiGroup if ref else "", "resource": ref.resource if ref else "",
            "subresource": ref.subresource if ref else "", "namespace": ref.namespace if ref else "",
            "name": ref.name if ref else "", "code": ev.responseStatus.code if ev.responseStatus else 0,
            "decision": ev.annotations.get("authorization.k8s.io/decision", ""),
            "ips": [clean(ip, "ip", 60, patterns_only=True) for ip in ev.sourceIPs[:4]],
            "agent": clean(ev.userAgent, "userAgent", 200, patterns_only=True),
            "uri": sanitize_uri(ev.requestURI), "level": ev.level,
        }
        if impersonator:
            rec["impersonator"] = impersonator
        pods = user.extra.get("authentication.kubernetes.io/pod-name") if user.extra else None
        if pods:
            rec["pod"] = pods[0]
        reason = ev.annotations.get("authorization.k8s.io/reason")
        if reason:
            rec["reason"] = clean(reason, "reason", 300)
        if ev.responseStatus is not None and ev.responseStatus.message and rec["code"] >= 400:
            rec["message"] = clean(ev.responseStatus.message, "message", 300)
        recs.append(rec)
        return rec

    # ---- the result ---------------------------------------------------------------------------------------
    def finish(self) -> None:
        """Count requests whose final stage never arrived (from the last stage seen)."""
        pending, self._open = self._open, {}
        for ev, stream in pending.values():
            self._count(ev, stream)

    def result(self) -> dict[str, Any]:
        """The summary as a JSON-ready, deterministically ordered document."""
        self.finish()
        s = self.main
        if not self.aks_full and self.admin.requests:
            s.merge(self.admin)
        rows = [[*key[:9], key[12], *key[9:12], *row] for key, row in s.usage.items()]
        rows.sort(key=lambda r: tuple(r[:13]))
        return {
            "version": SUMMARY_VERSION,
            "sources": self.sources,
            "formats": sorted(self.formats),
            "window": {"first": s.first, "last": s.last},
            "counts": {"events": self.events, "requests": s.requests, "ignored": self.ignored,
                       "malformed": self.malformed_total,
                       "duplicates": self.duplicates + (self.admin.requests if self.aks_full else 0)},
            "coverage": {"levels": dict(sorted(s.levels.items())), "reads": s.reads,
                         "aks_categories": sorted(self.categories), "gke_logs": sorted(self.logs),
                         "pod_writes": s.pod_writes, "pod_writes_read": s.pod_writes_read},
            "malformed": self.malformed,
            "usage": {"columns": list(USAGE_COLUMNS), "rows": rows},
            "users": {name: u.to_dict() for name, u in sorted(s.users.items())},
            "records": {k: sorted(v, key=lambda r: (r["ts"], r["id"])) for k, v in sorted(s.records.items())},
            "dropped": dict(sorted(s.dropped.items())),
            "denied": {name: [[m, *v] for m, v in sorted(minutes.items())]
                       for name, minutes in sorted(s.denied.items())},
        }


# ---- files -----------------------------------------------------------------------------------------------------
class _Counting(io.RawIOBase):
    """A raw reader that counts the bytes it hands out (the progress bar's position on compressed input)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.fh.readinto(b)  # type: ignore[attr-defined]
        self.count += n or 0
        return int(n or 0)


_DOCUMENT_KEYS = re.compile(rb'"(events|records|items|entries|logEvents)"\s*:\s*\[')


def _document_prefix(head: bytes) -> str | None:
    """The ijson prefix of the items of a JSON document (``item`` for an array, ``events.item`` ...)."""
    text = head.lstrip()
    if text.startswith(b"["):
        return "item"
    m = _DOCUMENT_KEYS.search(head)
    return f"{m.group(1).decode()}.item" if m else None


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except IsADirectoryError:
        raise SnapshotError("is a directory, expected an audit log file", file=str(path)) from None
    except FileNotFoundError:
        raise SnapshotError("no such file", file=str(path)) from None
    except OSError as exc:
        raise SnapshotError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None


def _is_document(head: bytes) -> str | None:
    """The ijson prefix of a multi-line JSON document's items, or None for one record per line."""
    first = head.lstrip().split(b"\n", 1)[0].strip()
    if first[:1] not in (b"{", b"["):
        return None
    try:
        msgspec.json.decode(first)
    except msgspec.DecodeError:
        return _document_prefix(head)
    return None


def _read_file(path: Path, summarizer: Summarizer, bar: Any) -> dict[str, Any]:
    name = path.name
    before = (summarizer.events, summarizer.ignored, summarizer.malformed_total, set(summarizer.formats))
    lines = 0
    with _open(path) as raw:
        counter = _Counting(raw)
        reader: io.BufferedReader = io.BufferedReader(counter, 1 << 20)
        if reader.peek(2)[:2] == b"\x1f\x8b":
            reader = io.BufferedReader(cast(io.RawIOBase, gzip.GzipFile(fileobj=reader)), 1 << 20)
        last = 0
        try:
            prefix = _is_document(reader.peek(1 << 16)[: 1 << 16])
            if prefix is None:
                add = summarizer.add_line
                for lines, line in enumerate(reader, 1):
                    if len(line) > 2 or line.strip():
                        add(line, name, lines)
                    if lines % 8192 == 0:
                        bar.update(counter.count - last)
                        last = counter.count
            else:
                lines = _read_document(reader, prefix, name, summarizer)
        except (OSError, EOFError) as exc:  # corrupt or truncated gzip: keep what was read
            summarizer.bad(name, str(lines + 1), f"unreadable from here on: {exc}")
        bar.update(counter.count - last)
    formats = sorted(summarizer.formats - before[3]) or sorted(summarizer.formats)
    return {"file": name, "format": ",".join(formats) or "unknown", "lines": lines,
            "events": summarizer.events - before[0], "ignored": summarizer.ignored - before[1],
            "malformed": summarizer.malformed_total - before[2]}


def _read_document(reader: BinaryIO, prefix: str, name: str, summarizer: Summarizer) -> int:
    """Stream the items of one JSON document (``{"events": [...]}``, a JSON array) without loading it."""
    import ijson

    encode = msgspec.json.encode
    n = 0
    key = prefix.split(".", 1)[0] if prefix != "item" else ""
    try:
        for n, item in enumerate(ijson.items(reader, prefix, use_float=True), 1):
            summarizer.add_line(encode(item), name, f"{key}[{n - 1}]" if key else f"[{n - 1}]")
    except ijson.JSONError as exc:  # truncated or broken document: keep what was read
        summarizer.bad(name, f"{key}[{n}]" if key else f"[{n}]", f"invalid JSON document: {exc}")
    return n


def summarize(paths: Iterable[str | os.PathLike[str]], *, progress: bool | None = None) -> dict[str, Any]:
    """Read audit-log files (any supported format, gzip accepted) into one summary. A directory stands for the
    files inside it (sorted, recursively)."""
    from tqdm import tqdm

    files: list[Path] = []
    for p in paths:
        path = Path(p)
        files.extend(sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path])
    if not files:
        raise SnapshotError("no audit log files given")
    total = sum(f.stat().st_size for f in files if f.is_file())
    summarizer = Summarizer()
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived objects and no reference cycles: the cycle collector only costs time
    try:
        with tqdm(total=total, desc="kubesec-nb audit log", unit="B", unit_scale=True, file=sys.stderr,
                  disable=not progress_enabled(progress), leave=False, dynamic_ncols=True) as bar:
            for f in files:
                summarizer.sources.append(_read_file(f, summarizer, bar))
        return summarizer.result()
    finally:
        if collecting:
            gc.enable()


def load_audit_log(paths: Sequence[str | os.PathLike[str]], *, progress: bool | None = None) -> Attachment:
    """An ``audit-log`` attachment summarising these files (see :func:`summarize`)."""
    data = summarize(paths, progress=progress)
    if not data["counts"]["requests"] and not data["counts"]["events"]:
        what = f"{data['counts']['malformed']} unreadable lines, {data['counts']['ignored']} other records"
        raise SnapshotError(f"no Kubernetes audit events found ({what}); expected audit.k8s.io/v1 JSON lines, "
                            "EKS CloudWatch, GKE Cloud Logging or AKS kube-audit records",
                            file=", ".join(str(p) for p in paths))
    return Attachment(kind=KIND, source=", ".join(Path(p).name for p in paths), data=data)


def sniff(path: Path) -> bool:
    """Whether ``path`` looks like an audit log (for ``attach --kind auto``)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as gz:
                head = gz.read(1 << 16)
    except (OSError, EOFError):
        return False
    native = b'"auditID"' in head or b'\\"auditID\\"' in head  # an Event, or one inside a message / log string
    return native or (b'"protoPayload"' in head and b'"k8s.io"' in head)
