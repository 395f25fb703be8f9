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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "samples"))

from generate import synthetic  # noqa: E402

from kubesec_nb.assessment import assess  # noqa: E402
from kubesec_nb.checks import REGISTRY  # noqa: E402
from kubesec_nb.findings import run_checks  # noqa: E402
from kubesec_nb.snapshot.document import Snapshot  # noqa: E402

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


def timed(label: str, fn: Callable[[], Any], out: dict[str, float]) -> Any:
    t0 = time.perf_counter()
    result = fn()
    out[label] = time.perf_counter() - t0
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--target", type=float, default=TARGET_S, help="seconds allowed for the timed stages")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    snap = synthetic(args.pods)
    planted = plant(snap)
    setup = time.perf_counter() - t0
    pods = len(snap.items("pods"))

    times: dict[str, float] = {}
    a = timed("model", lambda: assess(snap), times)
    wa = timed("analyzer", lambda: a.workloads, times)
    timed("pod_security", lambda: wa.pod_security, times)
    timed("namespaces + dry run", lambda: wa.namespaces, times)
    timed("host escapes", lambda: wa.escapes, times)
    timed("secrets tables", lambda: (wa.secret_refs, wa.credentials, wa.tokens, wa.legacy_tokens,
                                     wa.secret_stores), times)
    timed("images + signatures", lambda: (wa.images, wa.vulnerabilities, wa.signatures), times)
    checks = [c for c in REGISTRY.values() if c.analyzer == "workloads"]
    findings = timed("checks", lambda: run_checks(a, checks), times)
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
