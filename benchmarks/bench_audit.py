"""Summarising a large Kubernetes audit log into a snapshot attachment.

    python benchmarks/bench_audit.py [MB ...]        (default: 1024)
    python benchmarks/bench_audit.py --gzip 1024     (the same log gzipped)

Target (issue 12): a 1 GB audit log (about 2 million events) summarised in under 60 s and under 500 MB
peak. The log is generated here (benchmarks/out/, not committed): JSON lines of audit.k8s.io/v1 Events as
the API server writes them, a realistic mix of controllers, service accounts and people (watches and lists,
lease updates, pod and workload writes, secret reads, denied requests, exec sessions), 10% at Request level
with bodies. Each size runs in a fresh process, so peak memory is that run's own.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from _common import OUT, peak_rss_mb, timed


def generate(path: Path, megabytes: int, seed: int = 0) -> int:
    """Write about ``megabytes`` MB of audit events to ``path``; returns the number of events.

    A cluster of 100 namespaces (3 service accounts, 30 pods, 10 ConfigMaps and Secrets each), 100 nodes,
    8 controllers and 30 people, over one day: kubelets renew their leases and read their pods' Secrets,
    controllers watch everything and update status, applications read their own ConfigMaps and Secrets and
    renew leader-election leases, people run kubectl (2% denied), and a few exec sessions.
    """
    rng = random.Random(seed)
    namespaces = [f"team-{i:03d}" for i in range(100)]
    nodes = [f"node-{i:03d}" for i in range(100)]
    controllers = [f"system:serviceaccount:kube-system:{c}" for c in (
        "replicaset-controller", "deployment-controller", "endpointslice-controller", "job-controller",
        "namespace-controller", "daemon-set-controller", "node-controller", "generic-garbage-collector")]
    people = [f"user{i}@example.com" for i in range(30)]
    pod_body = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x", "labels": {"app": "web"}},
                "spec": {"serviceAccountName": "sa-0", "containers": [
                    {"name": "main", "image": "registry.example.com/app:1.2.3",
                     "env": [{"name": "MODE", "value": "prod"}]}]}}
    sa_groups = {ns: ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
                 for ns in [*namespaces, "kube-system"]}

    def pick() -> tuple[str, list[str], str, str, str, str, str, str, str]:
        """(username, groups, agent, ip, verb, group, resource, ns, name[/sub])"""
        r = rng.random()
        if r < 0.30:  # kubelets
            node = rng.choice(nodes)
            user, groups, agent = f"system:node:{node}", ["system:nodes", "system:authenticated"], "kubelet/v1.30.4"
            ip = f"10.1.0.{nodes.index(node) + 10}"
            k = rng.random()
            if k < 0.5:
                return user, groups, agent, ip, "update", "coordination.k8s.io", "leases", "kube-node-lease", node
            ns = rng.choice(namespaces)
            if k < 0.8:
                return user, groups, agent, ip, "get", "", rng.choice(["secrets", "configmaps"]), ns, \
                    f"cfg-{rng.randrange(10)}"
            return user, groups, agent, ip, "patch", "", "pods", ns, f"app-{rng.randrange(30)}/status"
        if r < 0.55:  # controllers
            user = rng.choice(controllers)
            groups, agent, ip = sa_groups["kube-system"], "kube-controller-manager/v1.30.4", "10.1.255.1"
            ns = rng.choice(namespaces)
            k = rng.random()
            if k < 0.3:
                return user, groups, agent, ip, rng.choice(["list", "watch"]), "", rng.choice(
                    ["pods", "configmaps", "secrets", "services"]), "", ""
            if k < 0.7:
                return user, groups, agent, ip, "update", rng.choice(["apps", ""]), rng.choice(
                    ["replicasets/status", "pods/status"]), ns, f"app-{rng.randrange(30)}"
            if k < 0.85:
                event_name = f"app-{rng.randrange(30)}.{rng.getrandbits(40):x}"
                return user, groups, agent, ip, "create", "", "events", ns, event_name
            pod_name = f"app-{rng.randrange(30)}-{rng.getrandbits(20):x}"
            return user, groups, agent, ip, "create", "", "pods", ns, pod_name
        if r < 0.97:  # applications
            ns = rng.choice(namespaces)
            sa = f"sa-{rng.randrange(3)}"
            user, groups = f"system:serviceaccount:{ns}:{sa}", sa_groups[ns]
            agent, ip = "app/1.0 (linux/amd64) client-go/v0.30.2", f"10.2.{namespaces.index(ns)}.{rng.randrange(1, 31)}"
            k = rng.random()
            if k < 0.4:
                return user, groups, agent, ip, "update", "coordination.k8s.io", "leases", ns, f"{sa}-leader"
            if k < 0.7:
                return user, groups, agent, ip, "get", "", "configmaps", ns, f"cfg-{rng.randrange(3)}"
            if k < 0.85:
                return user, groups, agent, ip, "get", "", "secrets", ns, f"{sa}-creds"
            return user, groups, agent, ip, rng.choice(["list", "watch"]), "", "pods", ns, ""
        user = rng.choice(people)  # people
        groups, agent = ["developers", "system:authenticated"], "kubectl/v1.30.2 (linux/amd64) kubernetes/3d5f1b4"
        ip = f"192.0.2.{people.index(user) + 1}"
        ns = rng.choice(namespaces)
        k = rng.random()
        if k < 0.05:
            return user, groups, agent, ip, "create", "", "pods", ns, f"app-{rng.randrange(30)}/exec"
        if k < 0.4:
            return user, groups, agent, ip, "get", "", "pods", ns, f"app-{rng.randrange(30)}"
        if k < 0.8:
            return user, groups, agent, ip, "list", rng.choice(["", "apps"]), rng.choice(
                ["pods", "deployments", "services"]), ns, ""
        return user, groups, agent, ip, "get", "", "pods", ns, f"app-{rng.randrange(30)}/log"

    n = 0
    written = 0
    target = megabytes * 1_000_000
    with path.open("w", encoding="utf-8") as fh:
        while written < target:
            user, groups, agent, ip, verb, group, resource, ns, name = pick()
            resource, _, sub_r = resource.partition("/")
            name, _, sub_n = name.partition("/")
            sub = sub_r or sub_n
            denied = user.startswith("user") and rng.random() < 0.02
            code = 403 if denied else (101 if sub == "exec" else 201 if verb == "create" else 200)
            sec = n * 86400 // 2_000_000
            ts = f"2026-11-19T{sec // 3600 % 24:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.{n % 1000000:06d}Z"
            base = f"/apis/{group}/v1" if group else "/api/v1"
            uri = base + (f"/namespaces/{ns}" if ns else "") + f"/{resource}" + (f"/{name}" if name else "") + \
                (f"/{sub}" if sub else "") + ("?watch=true" if verb == "watch" else "")
            ref = {"resource": resource, "namespace": ns, "name": name, "apiGroup": group, "apiVersion": "v1",
                   "subresource": sub}
            ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
                  "auditID": f"{n:08x}-{rng.getrandbits(16):04x}-4{n % 4096:03x}-a{n % 4093:03x}-{n:012x}",
                  "stage": "ResponseComplete", "requestURI": uri, "verb": verb,
                  "user": {"username": user, "groups": groups}, "sourceIPs": [ip], "userAgent": agent,
                  "objectRef": {k: v for k, v in ref.items() if v}, "responseStatus": {"metadata": {}, "code": code},
                  "requestReceivedTimestamp": ts, "stageTimestamp": ts,
                  "annotations": {"authorization.k8s.io/decision": "forbid" if denied else "allow",
                                  "authorization.k8s.io/reason": "" if denied else "RBAC: allowed"}}
            if verb == "create" and resource == "pods" and not sub and rng.random() < 0.2:
                ev["level"] = "Request"
                ev["requestObject"] = pod_body
            line = json.dumps(ev, separators=(",", ":")) + "\n"
            fh.write(line)
            written += len(line)
            n += 1
    return n


def log_path(megabytes: int, compress: bool) -> Path:
    """The generated log of ``megabytes`` MB (gzipped when ``compress``), generated once."""
    OUT.mkdir(parents=True, exist_ok=True)
    plain = OUT / f"audit-{megabytes}mb.log"
    if not plain.exists():
        generate(plain, megabytes)
    if not compress:
        return plain
    gz = plain.with_suffix(".log.gz")
    if not gz.exists():
        with plain.open("rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
            while chunk := src.read(1 << 24):
                dst.write(chunk)
    return gz


def measure(path: Path) -> dict[str, float]:
    from kubesec_nb.snapshot.auditlog import summarize

    cpu = time.process_time()
    summary, seconds = timed(lambda: summarize([path], progress=False))
    cpu = time.process_time() - cpu
    peak = peak_rss_mb()  # before the size measurement below, which serialises the summary
    c = summary["counts"]
    return {"file_mb": path.stat().st_size / 1e6, "events": c["events"], "requests": c["requests"],
            "usage_rows": len(summary["usage"]["rows"]), "summary_mb": len(json.dumps(summary)) / 1e6,
            "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child":
        print(json.dumps(measure(Path(argv[1]))))
        return 0
    compress = "--gzip" in argv
    sizes = [int(a) for a in argv if a.isdigit()] or [1024]
    print(f"{'file MB':>8} {'events':>9} {'usage rows':>10} {'summary MB':>10} {'seconds':>8} {'cpu s':>6} "
          f"{'events/s':>9} {'peak MB':>8}")
    for mb in sizes:
        path = log_path(mb, compress)  # generated outside the measured process
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout)
        print(f"{r['file_mb']:>8.0f} {r['events']:>9} {r['usage_rows']:>10} {r['summary_mb']:>10.1f} "
              f"{r['seconds']:>8.1f} {r['cpu_seconds']:>6.1f} {r['events'] / r['seconds']:>9.0f} "
              f"{r['peak_rss_mb']:>8.0f}"
              + (" (gzip)" if compress else ""))
    print("target: a 1 GB audit log (about 2 million events) in < 60 s and < 500 MB peak")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
