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

import gzip
import hashlib
import io
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


# ---- the sample clusters' audit log: a day of routine work and one incident ------------------------------------
ATTACKER_IP = "198.51.100.23"
SCANNER_IP = "203.0.113.50"
#: A credential-looking value inside response bodies of the sample log; the summary must never hold it.
SAMPLE_SECRET = "sk_live_SAMPLEauditBODYvalue0001"
KUBECTL = "kubectl/v1.30.2 (linux/amd64) kubernetes/3d5f1b4"
CURL = "curl/8.5.0"
RBAC_GROUP = "rbac.authorization.k8s.io"


def _pods(snap: Any, ns: str, sa: str) -> list[Obj]:
    return sorted((p for p in snap.items("pods") if p["metadata"]["namespace"] == ns
                   and (p["spec"].get("serviceAccountName") or "default") == sa),
                  key=lambda p: p["metadata"]["name"])


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> str:
    return f"2026-11-{19 + day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{(hour * 7919 + minute * 31 + second) % 1000000:06d}Z"


def story(snap: Any) -> list[Obj]:
    """The sample cluster's audit events (native form), sorted by time.

    Routine: kubelet leases, the controller manager, Prometheus scraping, Jenkins deploying, Velero's nightly
    backup, a TokenRequest by the backup job, on-call work by alice (exec, a Secret read), a support bot
    impersonating her, developers in ``dev``, load-balancer health checks. Incident, 23:05-23:20 on the 19th:
    the Jenkins service-account token used from outside the cluster (curl, then kubectl) to list every Secret,
    bind a contractor to cluster-admin, start a privileged host-mounting pod in kube-system and exec into the
    payments processor; a developer probing Secrets (a burst of 403s); an internet scanner reading ``/metrics``.
    """
    provider = snap.metadata.get("provider", "")
    nodes = sorted(n["metadata"]["name"] for n in snap.items("nodes"))
    node_ip = {n["metadata"]["name"]: next(a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP")
               for n in snap.items("nodes")}
    evs: list[Obj] = []

    def sa_call(sa_ns: str, sa: str, ts: str, verb: str, resource: str = "", pod: Obj | None = None,
                **kw: Any) -> None:
        pod = pod or (_pods(snap, sa_ns, sa) or [None])[0]
        extra = {"authentication.kubernetes.io/pod-name": [pod["metadata"]["name"]],
                 "authentication.kubernetes.io/pod-uid": [pod["metadata"]["uid"]],
                 "authentication.kubernetes.io/node-name": [pod["spec"]["nodeName"]]} if pod else None
        ips = kw.pop("ips", (pod["status"]["podIP"],) if pod else ("10.0.0.1",))
        evs.append(event(ts, f"system:serviceaccount:{sa_ns}:{sa}", verb, resource, extra=extra, ips=ips,
                         seq=len(evs), **kw))

    def user_call(username: str, groups: tuple[str, ...], ts: str, verb: str, resource: str = "", **kw: Any) -> None:
        extra = kw.pop("extra", None)
        if provider == "eks" and username == "alice":
            extra = {"arn": [f"arn:aws:iam::111122223333:user/{username}"], "accessKeyId": ["AKIAIOSFODNN7EXAMPLE"],
                     "sessionName": [""]}
        evs.append(event(ts, username, verb, resource, groups=groups, extra=extra, seq=len(evs), **kw))

    # ---- routine ---------------------------------------------------------------------------------------------
    for h in range(33):
        day, hour = divmod(h, 24)
        for m in (0, 30):
            for node in nodes:
                evs.append(event(_at(day, hour, m, nodes.index(node)), f"system:node:{node}", "update", "leases",
                                 group="coordination.k8s.io", ns="kube-node-lease", name=node,
                                 groups=("system:nodes", "system:authenticated"), ips=(node_ip[node],),
                                 agent="kubelet/v1.30.4 (linux/amd64) kubernetes/0c8a36b", seq=len(evs)))
        evs.append(event(_at(day, hour, 1), "system:kube-controller-manager", "list", "pods",
                         ips=("172.16.0.10",), agent="kube-controller-manager/v1.30.4", seq=len(evs)))
        for q in range(4):  # Prometheus scrapes every 15 minutes
            ts = _at(day, hour, q * 15 + 2)
            sa_call("monitoring", "prometheus", ts, "list", "nodes", agent="Prometheus/2.54.1")
            for node in nodes:
                sa_call("monitoring", "prometheus", ts, "get", "nodes", name=node, sub="metrics",
                        agent="Prometheus/2.54.1")
            sa_call("monitoring", "prometheus", ts, "get", path="/metrics", agent="Prometheus/2.54.1")
        for lb in ("10.0.16.250", "10.0.17.250"):  # load-balancer health checks
            evs.append(event(_at(day, hour, 5), "system:anonymous", "get", path="/readyz", ips=(lb,),
                             agent="ELB-HealthChecker/2.0", seq=len(evs)))
    # Jenkins deploys during the working day, from its agent pod
    for hour in (9, 11, 14, 16):
        for ns, dep in (("storefront", "web"), ("checkout", "api")):
            ts = _at(0, hour, 10)
            sa_call("ci", "jenkins", ts, "get", "deployments", group="apps", ns=ns, name=dep, agent=KUBECTL)
            sa_call("ci", "jenkins", ts, "patch", "deployments", group="apps", ns=ns, name=dep, agent=KUBECTL)
            sa_call("ci", "jenkins", ts, "list", "pods", ns=ns, agent=KUBECTL)
        sa_call("ci", "jenkins", _at(0, hour, 12), "patch", "services", ns="storefront", name="web", agent=KUBECTL)
    # Velero's nightly backup reads everything (Secrets included)
    for res, group in (("secrets", ""), ("configmaps", ""), ("deployments", "apps"), ("persistentvolumeclaims", "")):
        sa_call("velero", "velero", _at(1, 1, 0), "list", res, group=group, agent="velero-server/v1.14.1")
    sa_call("velero", "velero", _at(1, 1, 2), "create", "backups", group="velero.io", ns="velero",
            name="daily-20261120010000", code=201, agent="velero-server/v1.14.1")
    # the backup job mints a token for db-admin (its Role allows exactly that)
    sa_call("data", "backup", _at(1, 2, 0), "create", "serviceaccounts", ns="data", name="db-admin", sub="token",
            code=201, agent="backup/3.1 client-go/v0.30.2")
    # on-call: alice reads pods and logs, opens a shell in the web pod, reads the database Secret
    alice = ("oncall", "system:authenticated")
    web = _pods(snap, "storefront", "web")[0]["metadata"]["name"]
    alice_ip = {"eks": ("81.2.69.160",), "gke": ("81.2.69.161",), "aks": ("81.2.69.162",)}.get(provider, ("81.2.69.160",))
    for minute in range(0, 50, 5):
        user_call("alice", alice, _at(0, 14, minute), "list", "pods", ns="storefront", ips=alice_ip)
    user_call("alice", alice, _at(0, 14, 8), "get", "pods", ns="storefront", name=web, sub="log", ips=alice_ip)
    user_call("alice", alice, _at(0, 14, 10), "create", "pods", ns="storefront", name=web, sub="exec", code=101,
              ips=alice_ip, query="command=sh&container=web&stdin=true&stdout=true&tty=true",
              stage="ResponseStarted")
    # the session's last stage, when it ends: the same request (audit ID), a later stage timestamp
    evs.append({**evs[-1], "stage": "ResponseComplete", "stageTimestamp": _at(0, 14, 18)})
    user_call("alice", alice, _at(0, 14, 20), "get", "secrets", ns="storefront", name="web-db", ips=alice_ip,
              response={"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "web-db"},
                        "data": {"DB_PASSWORD": "c2stbGl2ZS1zYW1wbGU=", "API_KEY": SAMPLE_SECRET}})
    # a support bot impersonates alice to list her pods
    evs.append(event(_at(0, 15, 0), "support-bot", "list", "pods", ns="storefront", ips=("10.0.16.40",),
                     agent="support-bot/0.9", impersonate={"username": "alice", "groups": list(alice)},
                     seq=len(evs)))
    # developers work in dev
    for minute in (0, 20, 40):
        user_call("bob", ("developers", "system:authenticated"), _at(0, 10, minute), "list", "pods", ns="dev",
                  ips=("81.2.69.170",))
    user_call("bob", ("developers", "system:authenticated"), _at(0, 10, 45), "create", "pods", ns="dev",
              name="scratch", code=201, ips=("81.2.69.170",),
              request={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "scratch", "namespace": "dev"},
                       "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {
                           "allowPrivilegeEscalation": False}}]}})
    if provider == "aks":  # the local admin account (local accounts are on)
        user_call("masterclient", ("system:masters", "system:authenticated"), _at(0, 23, 40), "list", "secrets",
                  ips=("81.2.69.190",))
        user_call("masterclient", ("system:masters", "system:authenticated"), _at(0, 23, 41), "get", "nodes",
                  ips=("81.2.69.190",))
    if provider == "eks":
        user_call("devops-admin", ("system:masters", "system:authenticated"), _at(0, 12, 0), "get", "nodes",
                  ips=("81.2.69.180",), extra={"arn": ["arn:aws:sts::111122223333:assumed-role/DevOpsAdmin/ops"]})

    # ---- incident --------------------------------------------------------------------------------------------
    jenkins = dict(ips=(ATTACKER_IP,))
    sa_call("ci", "jenkins", _at(0, 23, 5), "get", path="/api", agent=CURL, **jenkins)
    sa_call("ci", "jenkins", _at(0, 23, 5, 20), "list", "secrets", agent=CURL, **jenkins)
    sa_call("ci", "jenkins", _at(0, 23, 6), "get", "secrets", ns="storefront", name="web-db", agent=CURL, **jenkins)
    sa_call("ci", "jenkins", _at(0, 23, 8), "create", "clusterrolebindings", group=RBAC_GROUP, name="support-access",
            code=201, agent=KUBECTL, **jenkins,
            request={"kind": "ClusterRoleBinding", "apiVersion": f"{RBAC_GROUP}/v1",
                     "metadata": {"name": "support-access"},
                     "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "cluster-admin"},
                     "subjects": [{"apiGroup": RBAC_GROUP, "kind": "User", "name": "contractor@external.example"}]})
    sa_call("ci", "jenkins", _at(0, 23, 10), "create", "pods", ns="kube-system", name="node-debugger", code=201,
            agent=KUBECTL, **jenkins,
            request={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "node-debugger", "namespace": "kube-system"},
                     "spec": {"hostPID": True, "hostNetwork": True, "nodeName": nodes[0], "containers": [{
                         "name": "shell", "image": "alpine:3.20", "command": ["nsenter", "-t", "1", "-m", "sh"],
                         "env": [{"name": "EXFIL_KEY", "value": SAMPLE_SECRET}],
                         "securityContext": {"privileged": True}, "volumeMounts": [{"name": "host", "mountPath": "/host"}]}],
                         "volumes": [{"name": "host", "hostPath": {"path": "/"}}]}})
    processor = (_pods(snap, "payments", "processor") or _pods(snap, "payments", "default"))
    if processor:
        sa_call("ci", "jenkins", _at(0, 23, 14), "create", "pods", ns="payments",
                name=processor[0]["metadata"]["name"], sub="exec", code=101, agent=KUBECTL, **jenkins,
                query=f"command=cat&command=%2Fvar%2Frun%2Fsecrets%2F{SAMPLE_SECRET}&container=processor&stdout=true")
    sa_call("ci", "jenkins", _at(0, 23, 20), "delete", "pods", ns="kube-system", name="node-debugger", agent=KUBECTL,
            **jenkins)
    for i in range(30):  # a developer probes for Secrets: 30 denials within one minute
        user_call("bob", ("developers", "system:authenticated"), _at(0, 22, 30, i * 2), "list", "secrets",
                  ns=("payments", "checkout", "ci", "data", "kube-system")[i % 5], code=403, ips=("81.2.69.170",))
    evs.append(event(_at(0, 3, 12), "system:anonymous", "get", path="/metrics", ips=(SCANNER_IP,),
                     agent="python-requests/2.32.3", code=200 if provider == "eks" else 403, seq=len(evs)))
    evs.append(event(_at(0, 3, 13), "system:anonymous", "list", "secrets", ns="kube-system", ips=(SCANNER_IP,),
                     agent="python-requests/2.32.3", code=403, seq=len(evs)))
    return sorted(evs, key=lambda e: (e["requestReceivedTimestamp"], e["auditID"]))


def gzipped(data: bytes) -> bytes:
    """``data`` gzipped deterministically (no name, no time)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def sample_log(snap: Any) -> tuple[str, bytes]:
    """``(file name, gzipped content)`` of a sample cluster's audit log in its provider's export shape: EKS
    ``filter-log-events`` output (with two ``authenticator`` stream events and one message CloudWatch truncated),
    GKE Cloud Storage sink JSON lines, AKS storage-account ``PT1H.json`` records (``kube-audit`` and
    ``kube-audit-admin``, one record cut short)."""
    name = snap.metadata["cluster"]
    provider = snap.metadata["provider"]
    evs = story(snap)
    if provider == "eks":
        auth = [{"logStreamName": "authenticator-0a1b2c3d4e5f60718293a4b5c6d7e8f9", "timestamp": _ms(e), "message":
                 f'time="{e}" level=info msg="access granted" arn="arn:aws:iam::111122223333:user/alice" '
                 'client="127.0.0.1:48932" groups="[oncall]" method=POST path=/authenticate uid="aws-iam-authenticator:'
                 '111122223333:AIDAEXAMPLE" username=alice', "ingestionTime": _ms(e) + 900,
                 "eventId": f"{38000000000000000000000000000000000000000000000000000000 + i:056d}"}
                for i, e in enumerate(("2026-11-19T14:00:01Z", "2026-11-19T14:30:02Z"))]
        cut = cloudwatch_events(evs[:1])[0]
        cut.update(message=cut["message"][:120], eventId="39" + cut["eventId"][2:])  # CloudWatch cut it short
        return f"{name}-cloudwatch.json.gz", gzipped(cloudwatch_filter_log_events(evs, [*auth, cut]))
    if provider == "gke":
        entries = gke_entries(evs, "media-prod", "europe-west1", name)
        return f"{name}-cloud-logging.json.gz", gzipped(json_lines(entries))
    rid = (f"/subscriptions/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/resourceGroups/bank-rg/providers/"
           f"Microsoft.ContainerService/managedClusters/{name}")
    lines = json_lines(aks_records(evs, rid))
    return f"{name}-kube-audit.json.gz", gzipped(lines + lines.splitlines()[3][:200] + b"\n")
