"""Incident-response views over the audit-log summary: each a sorted DataFrame whose rows carry their audit IDs.

Exact times come from the individual records the summary keeps (exec, pod and RBAC writes, anonymous requests);
secret access, sources and denied-request bursts come from its aggregates (first and last time and audit ID).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kubesec_nb.audit.usage import outcome, resource_ref, subject_of
from kubesec_nb.model import Model, pod_specs
from kubesec_nb.snapshot.defaults import REPRESENTATIVE

Records = list[dict[str, Any]]
EXEC_COLUMNS = ["time", "subject", "action", "namespace", "pod", "command", "outcome", "code", "source_ip",
                "user_agent", "audit_id", "request"]
POD_COLUMNS = ["time", "subject", "verb", "resource", "namespace", "name", "privileged", "host_namespaces",
               "host_paths", "capabilities", "service_account", "psa_violations", "outcome", "code", "source_ip",
               "audit_id", "request"]
RBAC_COLUMNS = ["time", "subject", "verb", "kind", "namespace", "name", "outcome", "code", "role_ref", "subjects",
                "rules", "source_ip", "audit_id", "request"]
ANON_COLUMNS = ["time", "subject", "verb", "resource", "namespace", "name", "outcome", "code", "source_ip",
                "user_agent", "audit_id", "request"]
SECRET_COLUMNS = ["subject", "verb", "resource", "namespace", "name", "count", "first", "last", "outcome", "owner",
                  "first_id", "last_id"]
BURST_COLUMNS = ["subject", "minute", "denied", "example", "first_id", "last_id"]
SOURCE_COLUMNS = ["subject", "kind", "value", "count", "share", "first", "last", "first_id", "why"]
OUTSIDE_COLUMNS = ["subject", "source_ip", "count", "first", "last", "first_id", "user_agents"]
#: User agents of ad-hoc HTTP tools rather than Kubernetes clients.
TOOL_AGENTS = ("curl/", "wget/", "python-requests/", "python-urllib", "postmanruntime/", "httpie/", "insomnia/",
               "go-http-client/")
#: Non-resource paths the default public-info-viewer role lets anyone read (health checks, version).
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
ACTIONS = {"exec": "exec", "attach": "attach", "portforward": "port-forward",
           "ephemeralcontainers": "ephemeral container", "proxy": "kubelet"}


def in_window(records: Iterable[dict[str, Any]], window: tuple[str, str]) -> Records:
    start, end = window
    return [r for r in records if (not start or r["ts"] >= start) and (not end or r["ts"] <= end)]


def records(summaries: Sequence[Mapping[str, Any]], kind: str, window: tuple[str, str]) -> Records:
    """The individual records of ``kind`` (``exec``, ``pods``, ``rbac``, ``anonymous``) inside ``window``."""
    out = [r for s in summaries for r in s.get("records", {}).get(kind, [])]
    return sorted(in_window(out, window), key=lambda r: (r["ts"], r["id"]))


def _base(r: Mapping[str, Any]) -> dict[str, Any]:
    return {"time": r["ts"], "subject": subject_of(r["user"]), "outcome": outcome(r["code"], r["decision"]),
            "code": r["code"], "source_ip": (r["ips"] or [""])[-1], "audit_id": r["id"], "request": r["uri"]}


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns).reset_index(drop=True)


def exec_sessions(recs: Records) -> pd.DataFrame:
    """Exec, attach, port-forward, ephemeral containers and kubelet exec (``nodes/proxy``), one row per request."""
    rows = []
    for r in recs:
        action = ACTIONS.get(r["subresource"], r["subresource"])
        if r["subresource"] == "proxy":
            path = r["uri"].split("/proxy/", 1)[-1].split("?", 1)[0]
            action = f"kubelet {path.split('/', 1)[0]}"
        rows.append({**_base(r), "action": action, "namespace": r["namespace"], "pod": r["name"],
                     "command": r.get("command", ""), "user_agent": r["agent"]})
    return _frame(rows, EXEC_COLUMNS)


def privileged_pods(recs: Records) -> pd.DataFrame:
    """Pod and workload writes whose body asks for privileged containers, host namespaces, hostPath volumes or
    added capabilities, or that Pod Security flagged (``audit-violations``)."""
    rows = []
    for r in recs:
        f = r.get("flags") or {}
        if not (set(f) - {"serviceAccountName"}) and not r.get("psa"):
            continue
        rows.append({**_base(r), "verb": r["verb"], "resource": resource_ref(r["group"], r["resource"], "", ""),
                     "namespace": r["namespace"], "name": r["name"],
                     "privileged": ", ".join(f.get("privileged", [])),
                     "host_namespaces": ", ".join(k for k in ("hostPID", "hostIPC", "hostNetwork") if f.get(k)),
                     "host_paths": ", ".join(f.get("hostPath", [])),
                     "capabilities": ", ".join(f.get("capabilities", [])),
                     "service_account": f.get("serviceAccountName", ""), "psa_violations": r.get("psa", "")})
    return _frame(rows, POD_COLUMNS)


def rbac_writes(recs: Records) -> pd.DataFrame:
    """Writes of Roles, ClusterRoles and their bindings, with what was written when the log kept the body."""
    rows = []
    for r in recs:
        obj = r.get("object") or {}
        ref = obj.get("roleRef") or {}
        subjects = ", ".join(
            f"{s.get('kind')}:{s.get('namespace') + ':' if s.get('namespace') else ''}{s.get('name')}"
            for s in obj.get("subjects") or [])
        rows.append({**_base(r), "verb": r["verb"], "kind": r["resource"], "namespace": r["namespace"],
                     "name": r["name"], "role_ref": f"{ref.get('kind')}/{ref.get('name')}" if ref else "",
                     "subjects": subjects, "rules": len(obj["rules"]) if "rules" in obj else None})
    return _frame(rows, RBAC_COLUMNS)


def anonymous_requests(recs: Records) -> pd.DataFrame:
    """Requests by ``system:anonymous``, members of ``system:unauthenticated``, or refused authentication (401)."""
    rows = []
    for r in recs:
        path = r["uri"].split("?", 1)[0]
        rows.append({**_base(r), "subject": subject_of(r["user"]) if r["user"] else "(unauthenticated)",
                     "verb": r["verb"],
                     "resource": resource_ref(r["group"], r["resource"], r["subresource"], path),
                     "namespace": r["namespace"], "name": r["name"], "user_agent": r["agent"]})
    return _frame(rows, ANON_COLUMNS)


def is_public_path(resource: str) -> bool:
    """Health and version paths every caller may read by default (``system:public-info-viewer``).

    >>> is_public_path("/healthz/etcd"), is_public_path("/api/v1/secrets")
    (True, False)
    """
    return any(resource == p or resource.startswith(p + "/") for p in PUBLIC_PATHS)


def pod_secret_names(model: Model, service_account: str) -> frozenset[str]:
    """Secrets the pods running as ``ns/name`` use (volumes, projected volumes, env, envFrom, image pulls)."""
    names: set[str] = set()
    for pod in model.pods_using(service_account):
        for spec in pod_specs(pod):
            for v in spec.get("volumes") or []:
                if isinstance(v.get("secret"), dict):
                    names.add(str(v["secret"].get("secretName", "")))
                for src in (v.get("projected") or {}).get("sources") or []:
                    if isinstance(src.get("secret"), dict):
                        names.add(str(src["secret"].get("name", "")))
            for ref in spec.get("imagePullSecrets") or []:
                names.add(str(ref.get("name", "")))
            for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
                for e in c.get("env") or []:
                    key = ((e.get("valueFrom") or {}).get("secretKeyRef") or {})
                    names.add(str(key.get("name", "")))
                for e in c.get("envFrom") or []:
                    names.add(str((e.get("secretRef") or {}).get("name", "")))
    names.discard("")
    return frozenset(names)


def secret_access(usage: pd.DataFrame, model: Model) -> pd.DataFrame:
    """Reads of Secrets (get, list, watch) and service-account tokens minted (``serviceaccounts/token``), per
    subject and object; ``owner`` marks a service account reading a Secret its own pods use."""
    if usage.empty:  # no audit log: the table has no columns to filter on
        return _frame([], SECRET_COLUMNS)
    sec = usage[((usage["resource"] == "secrets") & (usage["subresource"] == "") & usage["verb"].isin(
        ["get", "list", "watch"]) & (usage["group"] == "")) |
        ((usage["resource"] == "serviceaccounts") & (usage["subresource"] == "token") & (usage["verb"] == "create"))]
    if sec.empty:
        return _frame([], SECRET_COLUMNS)
    g = sec.groupby(["subject", "verb", "resource_ref", "namespace", "name", "outcome"], sort=True)
    df = g.agg(count=("count", "sum"), first=("first", "min"), last=("last", "max")).reset_index()
    firsts = sec.sort_values("first").groupby(["subject", "verb", "resource_ref", "namespace", "name", "outcome"])
    lasts = sec.sort_values("last").groupby(["subject", "verb", "resource_ref", "namespace", "name", "outcome"])
    df["first_id"] = firsts["first_id"].first().values
    df["last_id"] = lasts["last_id"].last().values
    df = df.rename(columns={"resource_ref": "resource"})
    owned: dict[str, frozenset[str]] = {}

    def owner(subject: str, resource: str, ns: str, name: str) -> bool:
        if not subject.startswith("ServiceAccount:") or resource != "secrets" or not name:
            return False
        _, sa_ns, sa = subject.split(":", 2)
        if sa_ns != ns:
            return False
        key = f"{sa_ns}/{sa}"
        if key not in owned:
            owned[key] = pod_secret_names(model, key)
        return name in owned[key]

    df["owner"] = [owner(s, r, n, x) for s, r, n, x in zip(df["subject"], df["resource"], df["namespace"], df["name"],
                                                           strict=True)]
    return df[SECRET_COLUMNS].sort_values(["subject", "namespace", "name", "verb"], kind="stable").reset_index(
        drop=True)


def forbidden_bursts(summaries: Sequence[Mapping[str, Any]], threshold: int, window: tuple[str, str]) -> pd.DataFrame:
    """Calendar minutes in which one subject got at least ``threshold`` denied requests."""
    start, end = window
    rows = []
    for s in summaries:
        for user, minutes in s.get("denied", {}).items():
            for minute, count, first_id, last_id, example in minutes:
                if count < threshold or (start and minute < start[:16]) or (end and minute > end[:16]):
                    continue
                rows.append({"subject": subject_of(user), "minute": minute, "denied": count, "example": example,
                             "first_id": first_id, "last_id": last_id})
    df = _frame(rows, BURST_COLUMNS)
    return df.sort_values(["subject", "minute"], kind="stable").reset_index(drop=True) if rows else df


def _sources(summaries: Sequence[Mapping[str, Any]], window: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """Per sender: requests and source IP / user agent rows ``[count, first, last, first_id]`` in ``window``."""
    start, end = window
    out: dict[str, dict[str, Any]] = {}
    for s in summaries:
        for user, u in s.get("users", {}).items():
            cur = out.setdefault(user, {"ips": {}, "agents": {}})
            for fld in ("ips", "agents"):
                for value, (count, first, last, first_id) in u.get(fld, {}).items():
                    if (start and last < start) or (end and first > end):
                        continue
                    c = cur[fld].get(value)
                    cur[fld][value] = [count, first, last, first_id] if c is None else [
                        c[0] + count, min(c[1], first), max(c[2], last), c[3] if c[1] <= first else first_id]
    return out


def unusual_sources(summaries: Sequence[Mapping[str, Any]], share: float, window: tuple[str, str],
                    min_requests: int = 20) -> pd.DataFrame:
    """Source IPs and user agents that are rare for their subject, and user agents of ad-hoc HTTP tools."""
    rows = []
    for user, u in sorted(_sources(summaries, window).items()):
        subject = subject_of(user)
        for fld, kind in (("ips", "source IP"), ("agents", "user agent")):
            table = u[fld]
            total = sum(v[0] for v in table.values())
            for value, (count, first, last, first_id) in sorted(table.items()):
                why = []
                if kind == "user agent" and value.lower().startswith(TOOL_AGENTS):
                    why.append("an ad-hoc HTTP tool, not a Kubernetes client")
                if total >= min_requests and value not in ("", "*") and count / total <= share and len(table) > 1:
                    why.append(f"{count} of {total} requests ({count / total:.1%}); the subject's usual "
                               f"{kind}s carry the rest")
                if why:
                    rows.append({"subject": subject, "kind": kind, "value": value, "count": count,
                                 "share": round(count / total, 4) if total else 0.0, "first": first, "last": last,
                                 "first_id": first_id, "why": "; ".join(why)})
    return _frame(rows, SOURCE_COLUMNS)


@dataclass(frozen=True)
class ClusterAddresses:
    """Addresses inside the cluster: single hosts (pods, nodes) and networks (pod CIDRs, configured CIDRs)."""

    hosts: frozenset[ipaddress.IPv4Address | ipaddress.IPv6Address] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def __len__(self) -> int:
        return len(self.hosts) + len(self.networks)

    def __contains__(self, addr: object) -> bool:
        return addr in self.hosts or any(addr in n for n in self.networks)

    def __str__(self) -> str:
        return f"{len(self.hosts)} pod and node addresses, {len(self.networks)} networks"


def cluster_networks(model: Model, extra: Iterable[str]) -> ClusterAddresses:
    """Addresses inside the cluster: pod IPs (of running pods, not the representative pods made from
    manifests), node addresses, node pod CIDRs, and ``extra`` CIDRs."""
    hosts: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    nets: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = set()

    def host(text: Any) -> None:
        try:
            hosts.add(ipaddress.ip_address(text))
        except ValueError:
            return

    def net(text: Any) -> None:
        try:
            nets.add(ipaddress.ip_network(text, strict=False))
        except ValueError:
            return

    for pod in model.pods:
        if REPRESENTATIVE in ((pod.get("metadata") or {}).get("annotations") or {}):
            continue  # made up from a manifest: its address says nothing about the cluster
        status = pod.get("status") or {}
        for ip in [status.get("podIP"), *((x or {}).get("ip") for x in status.get("podIPs") or [])]:
            if isinstance(ip, str) and ip:
                host(ip)
    for node in model.nodes.values():
        spec, status = node.get("spec") or {}, node.get("status") or {}
        for cidr in [spec.get("podCIDR"), *(spec.get("podCIDRs") or [])]:
            if isinstance(cidr, str) and cidr:
                net(cidr)
        for a in status.get("addresses") or []:
            if (a or {}).get("type") in ("InternalIP", "ExternalIP") and isinstance(a.get("address"), str):
                host(a["address"])
    for cidr in extra:
        net(cidr)
    return ClusterAddresses(frozenset(hosts), tuple(sorted(nets, key=lambda n: (n.version, n))))


def outside_tokens(summaries: Sequence[Mapping[str, Any]], inside: ClusterAddresses,
                   window: tuple[str, str]) -> pd.DataFrame:
    """Service-account tokens used from addresses outside the cluster (per account and source IP)."""
    rows = []
    for user, u in sorted(_sources(summaries, window).items()):
        subject = subject_of(user)
        if not subject.startswith("ServiceAccount:"):
            continue
        agents = ", ".join(sorted(a for a in u["agents"] if a and a != "*")[:3])
        for ip, (count, first, last, first_id) in sorted(u["ips"].items()):
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                continue
            if addr.is_loopback or addr in inside:
                continue
            rows.append({"subject": subject, "source_ip": ip, "count": count, "first": first, "last": last,
                         "first_id": first_id, "user_agents": agents})
    return _frame(rows, OUTSIDE_COLUMNS)
