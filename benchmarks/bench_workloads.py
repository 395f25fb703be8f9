"""Benchmark: Pod Security plus every workload check over a synthetic cluster.

    python benchmarks/bench_workloads.py [--pods 50000] [--target 30]

The cluster is ``data/samples/generate.py``'s ``synthetic(pods)``; a seeded 5 % of its pods
get the inputs the synthetic generator does not plant (hostPath mounts, runtime sockets,
capabilities, Secret references, credential markers, unpinned images, status image ids), so
that every code path runs. Generation and snapshot validation are not timed; the model, the
Pod Security evaluation, the dry run, the host escapes, the secrets and image tables and all
``PSS-``/``WL-``/``SEC-``/``IMG-`` checks are. Exits non-zero when the total misses the target.
"""

from __future__ import annotations

import argparse
import random
import sys

from _common import timed  # also puts the repository and data/samples on sys.path
from generate import synthetic

from kubesec_nb.assessment import assess
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_checks
from kubesec_nb.snapshot.document import Snapshot

TARGET_S = 30.0


def plant(snap: Snapshot, share: float = 0.05, seed: int = 0) -> int:
    """Give a seeded share of the pods the workload inputs the synthetic generator lacks."""
    rng = random.Random(seed)
    changed = 0
    for p in snap.items("pods"):
        spec = p["spec"]
        c = spec["containers"][0]
        p.setdefault("status", {})["containerStatuses"] = [
            {"name": c["name"], "imageID": f"registry.example.com/app@sha256:{rng.getrandbits(256):064x}"}]
        if rng.random() >= share:
            continue
        changed += 1
        kind = rng.randrange(5)
        if kind == 0:
            spec["volumes"] = [*spec.get("volumes", []), {"name": "host", "hostPath": {"path": rng.choice(
                ["/", "/var/log", "/var/run/docker.sock", "/var/lib/kubelet", "/data"])}}]
            c["volumeMounts"] = [*c.get("volumeMounts", []), {"name": "host", "mountPath": "/host"}]
        elif kind == 1:
            c.setdefault("securityContext", {})["capabilities"] = {"add": [rng.choice(["SYS_ADMIN", "NET_ADMIN",
                                                                                         "SYS_PTRACE", "NET_RAW"])]}
            spec["hostPID"] = rng.random() < 0.3
        elif kind == 2:
            c["env"] = [*c.get("env", []), {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
                "name": "db", "key": "password"}}}, {"name": "API_KEY", "value": "<redacted:key-name>"}]
        elif kind == 3:
            c["image"] = rng.choice(["nginx", "redis:latest", "ghcr.io/x/y:1"])
        else:
            spec["automountServiceAccountToken"] = False
            spec.setdefault("securityContext", {})["seccompProfile"] = {"type": "RuntimeDefault"}
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--target", type=float, default=TARGET_S, help="seconds allowed for the timed stages")
    args = ap.parse_args(argv)

    snap, setup = timed(lambda: synthetic(args.pods))
    planted, t_plant = timed(lambda: plant(snap))
    setup += t_plant
    pods = len(snap.items("pods"))

    times: dict[str, float] = {}
    a, times["model"] = timed(lambda: assess(snap))
    wa, times["analyzer"] = timed(lambda: a.workloads)
    _, times["pod_security"] = timed(lambda: wa.pod_security)
    _, times["namespaces + dry run"] = timed(lambda: wa.namespaces)
    _, times["host escapes"] = timed(lambda: wa.escapes)
    _, times["secrets tables"] = timed(lambda: (wa.secret_refs, wa.credentials, wa.tokens, wa.legacy_tokens,
                                                wa.secret_stores))
    _, times["images + signatures"] = timed(lambda: (wa.images, wa.vulnerabilities, wa.signatures))
    checks = [c for c in REGISTRY.values() if c.analyzer == "workloads"]
    findings, times["checks"] = timed(lambda: run_checks(a, checks))
    total = sum(times.values())

    print(f"bench_workloads: {pods} pods ({planted} with planted workload inputs), "
          f"{len(checks)} checks, policy v{wa.version[0]}.{wa.version[1]}; setup {setup:.1f}s (not timed)")
    for label, secs in times.items():
        print(f"  {label:<24} {secs:7.2f} s")
    fails = int((findings["status"] == "fail").sum())
    print(f"  {'total':<24} {total:7.2f} s   target < {args.target:.0f} s   "
          f"({fails} failing findings, {pods / total:,.0f} pods/s)")
    return 0 if total < args.target else 1


if __name__ == "__main__":
    sys.exit(main())
