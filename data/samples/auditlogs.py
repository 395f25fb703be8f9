"""Kubernetes audit events as the API server writes them, and the shapes each provider exports them in.

Used by the sample generator (a sample audit log per sample cluster), the tests and the audit benchmark.
Everything is deterministic: audit IDs derive from the event's content and position.

- :func:`event` builds an ``audit.k8s.io/v1`` Event (request URI, objectRef, annotations);
- :func:`native_lines`: the API server's log backend (JSON lines);
- :func:`cloudwatch_filter_log_events`, :func:`cloudwatch_export`: EKS control-plane logs from CloudWatch;
- :func:`gke_entries`: GKE Cloud Logging ``LogEntry`` objects (``protoPayload`` AuditLog);
- :func:`aks_records`: AKS diagnostic records (``kube-audit`` / ``kube-audit-admin``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
CORE_PREFIXES = {"": "/api/v1"}
#: HTTP status → gRPC code, as GKE's AuditLog ``status.code`` carries it.
HTTP_TO_GRPC = {200: 0, 201: 0, 101: 0, 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 422: 3, 429: 8, 500: 13}


def audit_id(*parts: Any) -> str:
    """A stable UUID-shaped audit ID."""
    h = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def uri_of(group: str, version: str, resource: str, ns: str, name: str, sub: str, query: str = "") -> str:
    """The request URI of a resource request."""
    base = "/api/v1" if not group else f"/apis/{group}/{version}"
    path = base + (f"/namespaces/{ns}" if ns and resource != "namespaces" else "") + f"/{resource}"
    if name:
        path += f"/{name}"
    if sub:
        path += f"/{sub}"
    return path + (f"?{query}" if query else "")


def event(ts: str, username: str, verb: str, resource: str = "", *, ns: str = "", name: str = "", sub: str = "",
          group: str = "", version: str = "v1", code: int = 200, ips: tuple[str, ...] = ("10.0.0.1",),
          agent: str = "kubectl/v1.30.2 (linux/amd64) kubernetes/3d5f1b4", groups: tuple[str, ...] = (),
          extra: Obj | None = None, request: Obj | None = None, response: Obj | None = None,
          annotations: dict[str, str] | None = None, path: str = "", query: str = "", level: str = "",
          stage: str = "ResponseComplete", impersonate: Obj | None = None, reason: str = "", seq: int = 0) -> Obj:
    """One audit event. ``resource`` empty means a non-resource request on ``path``."""
    user: Obj = {"username": username, "uid": audit_id("uid", username)[:36]}
    if username == "system:anonymous":
        groups = groups or ("system:unauthenticated",)
    elif username.startswith("system:serviceaccount:") and not groups:
        ns_ = username.split(":")[2]
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{ns_}", "system:authenticated")
    elif not groups and username:
        groups = ("system:authenticated",)
    if groups:
        user["groups"] = list(groups)
    if extra:
        user["extra"] = extra
    decision = "forbid" if code == 403 else "allow"
    ann = {"authorization.k8s.io/decision": decision,
           "authorization.k8s.io/reason": reason or ("" if decision == "forbid" else "RBAC: allowed")}
    if code == 401:
        ann = {}
    ann.update(annotations or {})
    ev: Obj = {"kind": "Event", "apiVersion": "audit.k8s.io/v1",
               "level": level or ("RequestResponse" if response is not None else
                                  "Request" if request is not None else "Metadata"),
               "auditID": audit_id(ts, username, verb, resource, ns, name, sub, path, seq), "stage": stage,
               "requestURI": uri_of(group, version, resource, ns, name, sub, query) if resource else path,
               "verb": verb, "user": user, "sourceIPs": list(ips), "userAgent": agent}
    if impersonate:
        ev["impersonatedUser"] = impersonate
    if resource:
        ref: Obj = {"resource": resource, "apiVersion": version}
        if ns:
            ref["namespace"] = ns
        if name:
            ref["name"] = name
        if group:
            ref["apiGroup"] = group
        if sub:
            ref["subresource"] = sub
        ev["objectRef"] = ref
    status: Obj = {"metadata": {}, "code": code}
    if code >= 400:
        status.update({"status": "Failure", "reason": "Forbidden" if code == 403 else "Unauthorized",
                       "message": f'{resource or path} is forbidden: User "{username}" cannot {verb} it'})
    ev["responseStatus"] = status
    if request is not None:
        ev["requestObject"] = request
    if response is not None:
        ev["responseObject"] = response
    ev["requestReceivedTimestamp"] = ts
    ev["stageTimestamp"] = ts
    if ann:
        ev["annotations"] = ann
    return ev


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=False)


def native_lines(events: list[Obj]) -> bytes:
    """The API server's log backend: one JSON Event per line."""
    return "".join(_dumps(e) + "\n" for e in events).encode()


def _ms(ts: str) -> int:
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC).timestamp() * 1000)


def cloudwatch_events(events: list[Obj], stream: str = "kube-apiserver-audit-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
                      ) -> list[Obj]:
    """CloudWatch log events as ``filter-log-events`` returns them."""
    out = []
    for i, e in enumerate(events):
        ms = _ms(e["requestReceivedTimestamp"])
        out.append({"logStreamName": stream, "timestamp": ms, "message": _dumps(e), "ingestionTime": ms + 1200,
                    "eventId": f"{37000000000000000000000000000000000000000000000000000000 + i * 7919:056d}"})
    return out


def cloudwatch_filter_log_events(events: list[Obj], extra: list[Obj] | None = None) -> bytes:
    """``aws logs filter-log-events --log-group-name /aws/eks/CLUSTER/cluster`` output (pretty-printed, as the
    AWS CLI prints it); ``extra`` are more CloudWatch events (other streams)."""
    evs = sorted(cloudwatch_events(events) + (extra or []), key=lambda e: (e["timestamp"], e["eventId"]))
    return (json.dumps({"events": evs, "searchedLogStreams": sorted(
        {e["logStreamName"] for e in evs})}, indent=4) + "\n").encode()


def cloudwatch_export(events: list[Obj]) -> bytes:
    """A CloudWatch export-to-S3 file: ``<timestamp> <message>`` per line."""
    out = []
    for e in events:
        ts = datetime.fromtimestamp(_ms(e["requestReceivedTimestamp"]) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        out.append(f"{ts[:-3]}Z {_dumps(e)}\n")
    return "".join(out).encode()


def _gke_group(group: str) -> str:
    """The API group as GKE spells it in ``methodName`` (``rbac.authorization.k8s.io`` -> ``authorization.rbac``)."""
    if not group:
        return "core"
    if group.endswith(".k8s.io"):
        return ".".join(reversed(group[: -len(".k8s.io")].split(".")))
    return group


def gke_entries(events: list[Obj], project: str, location: str, cluster: str) -> list[Obj]:
    """GKE Cloud Logging entries (``protoPayload`` AuditLog) for Kubernetes audit events."""
    out = []
    for e in events:
        ref = e.get("objectRef")
        if ref:
            group, version = ref.get("apiGroup", ""), ref.get("apiVersion", "v1")
            res = ref["resource"] + (f".{ref['subresource']}" if ref.get("subresource") else "")
            method = f"io.k8s.{_gke_group(group)}.{version}.{res}.{e['verb']}"
            rn = f"{group or 'core'}/{version}"
            if ref.get("namespace") and ref["resource"] != "namespaces":
                rn += f"/namespaces/{ref['namespace']}"
            rn += f"/{ref['resource']}"
            if ref.get("name"):
                rn += f"/{ref['name']}"
            if ref.get("subresource"):
                rn += f"/{ref['subresource']}"
        else:
            method = f"io.k8s.{e['verb']}"
            rn = e["requestURI"].lstrip("/").split("?", 1)[0]
        code = e["responseStatus"]["code"]
        grpc = HTTP_TO_GRPC.get(code, 2)
        payload: Obj = {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": e["user"]["username"]},
            "authorizationInfo": [{"granted": code != 403, "permission": method, "resource": rn}],
            "methodName": method, "requestMetadata": {"callerIp": e["sourceIPs"][0],
                                                      "callerSuppliedUserAgent": e["userAgent"]},
            "resourceName": rn, "serviceName": "k8s.io",
            "status": {} if grpc == 0 else {"code": grpc, "message": e["responseStatus"].get("message", "")},
        }
        if "requestObject" in e:
            payload["request"] = {"@type": f"{_gke_group(ref.get('apiGroup', '')) if ref else 'core'}.k8s.io/"
                                            f"{ref.get('apiVersion', 'v1') if ref else 'v1'}.Object",
                                  **e["requestObject"]}
        if "responseObject" in e:
            payload["response"] = {"@type": "core.k8s.io/v1.Object", **e["responseObject"]}
        read = e["verb"] in ("get", "list", "watch")
        labels = {k: v for k, v in (e.get("annotations") or {}).items()}
        out.append({
            "insertId": e["auditID"], "labels": labels,
            "logName": f"projects/{project}/logs/cloudaudit.googleapis.com%2F{'data_access' if read else 'activity'}",
            "operation": {"first": True, "id": e["auditID"], "last": True, "producer": "k8s.io"},
            "protoPayload": payload, "receiveTimestamp": e["requestReceivedTimestamp"],
            "resource": {"labels": {"cluster_name": cluster, "location": location, "project_id": project},
                         "type": "k8s_cluster"},
            "timestamp": e["requestReceivedTimestamp"]})
    return out


def aks_records(events: list[Obj], resource_id: str, *, admin_too: bool = True) -> list[Obj]:
    """AKS diagnostic records of category ``kube-audit`` (and, with ``admin_too``, the ``kube-audit-admin``
    copies of non-read events, as a diagnostic setting exporting both categories writes them)."""
    out = []
    for e in events:
        for category in ("kube-audit", "kube-audit-admin"):
            if category == "kube-audit-admin" and (not admin_too or e["verb"] in ("get", "list", "watch")):
                continue
            out.append({"category": category, "operationName": "Microsoft.ContainerService/managedClusters/"
                                                                "diagnosticLogs/Read",
                        "properties": {"log": _dumps(e), "pod": "kube-apiserver-6d4b9c8f7d-x2kqp", "stream": "stdout"},
                        "resourceId": resource_id.upper(), "time": e["stageTimestamp"]})
    return out


def json_lines(objs: list[Obj]) -> bytes:
    """One compact JSON object per line."""
    return "".join(_dumps(o) + "\n" for o in objs).encode()
