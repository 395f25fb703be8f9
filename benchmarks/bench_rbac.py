"""RBAC speed: effective permissions and who-can on a large synthetic cluster.

    python benchmarks/bench_rbac.py [--pods 2000] [--roles 2000] [--bindings 5000] [--service-accounts 10000]

Targets (issue 3): effective permissions for 5,000 bindings, 2,000 roles and 10,000 service
accounts in under 10 s and 1 GB; ``who_can`` under 100 ms per query after the first. Also
prints the time of the risky-permission catalog, escalation steps and risky subjects (no
target). Peak memory is the process's peak RSS (``resource.getrusage``) and the Python heap
peak of each stage (``tracemalloc``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "samples"))

from generate import synthetic  # noqa: E402

from kubesec_nb.model import Model  # noqa: E402
from kubesec_nb.rbac import analyze  # noqa: E402

QUERIES = [("get", "secrets", None), ("create", "pods", "team-0001"), ("create", "pods/exec", "team-0002"),
           ("list", "secrets", "team-0003"), ("*", "*", None), ("patch", "deployments", "team-0004"),
           ("get", "/metrics", None), ("impersonate", "groups", None), ("delete", "configmaps", "team-0005"),
           ("watch", "pods", "team-0006")]


def rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn: Callable[[], Any]) -> Any:
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = f"{len(out):>9,} rows" if hasattr(out, "__len__") else ""
    print(f"{label:<40} {dt:8.2f} s  heap peak {peak / 2**20:8.1f} MB  {size}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=2000)
    ap.add_argument("--roles", type=int, default=2000)
    ap.add_argument("--bindings", type=int, default=5000)
    ap.add_argument("--service-accounts", type=int, default=10000)
    ap.add_argument("--namespaces", type=int, default=100)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    snap = synthetic(args.pods, namespaces=args.namespaces, roles=args.roles, bindings=args.bindings,
                     service_accounts=args.service_accounts, seed=0)
    n = snap.counts()
    rbac = "rbac.authorization.k8s.io"
    bindings = n.get(f"rolebindings.{rbac}", 0) + n.get(f"clusterrolebindings.{rbac}", 0)
    roles = n.get(f"roles.{rbac}", 0) + n.get(f"clusterroles.{rbac}", 0)
    print(f"synthetic cluster: {bindings:,} bindings, {roles:,} roles, {n.get('serviceaccounts', 0):,} service "
          f"accounts, {n.get('pods', 0):,} pods (built in {time.perf_counter() - t0:.1f} s)")
    base = rss_mb()
    t_start = time.perf_counter()
    rb = analyze(Model(snap))
    perms = timed("effective permissions (a.rbac.permissions)", lambda: rb.permissions)
    total = time.perf_counter() - t_start
    print(f"{'  total incl. indexes':<40} {total:8.2f} s  peak RSS {rss_mb():8.1f} MB (was {base:.1f} MB before)")
    timed("who_can: first query (builds index)", lambda: rb.who_can(*QUERIES[0]))
    times = []
    for verb, res, ns in QUERIES:
        t = time.perf_counter()
        rb.who_can(verb, res, ns)
        times.append(time.perf_counter() - t)
    print(f"{'who_can: per query after the first':<40} {1000 * max(times):8.1f} ms max, "
          f"{1000 * sum(times) / len(times):.1f} ms mean over {len(times)} queries")
    t = time.perf_counter()
    for verb, res, ns in QUERIES:
        rb.can("ServiceAccount:team-0001:sa-1", verb, res, ns)
    print(f"{'can: per query':<40} {1000 * (time.perf_counter() - t) / len(QUERIES):8.2f} ms mean")
    timed("risky-permission catalog (a.rbac.risky)", lambda: rb.risky)
    timed("escalation steps (a.rbac.steps)", lambda: rb.steps)
    timed("escalation paths (a.rbac.escalations)", lambda: rb.escalations)
    timed("risky subjects", lambda: rb.risky_subjects)
    table = perms.memory_usage(deep=True).sum() / 2**20
    print(f"{'peak RSS overall':<40} {rss_mb():8.1f} MB; permissions table {table:.1f} MB")
    ok = total < 10 and rss_mb() < 1024 and max(times) < 0.1
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
