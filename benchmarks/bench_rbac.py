"""Benchmark: RBAC effective permissions and who-can on a large synthetic cluster.

    python benchmarks/bench_rbac.py [--bindings 5000] [--roles 2000] [--service-accounts 10000] [--pods 2000]

Targets (issue 3): effective permissions (``a.rbac.permissions``, from the model to the
table, every index included) for 5,000 bindings, 2,000 roles and 10,000 service accounts in
under 10 s and 1 GB; ``who_can`` under 100 ms per query after the first. The cluster is
``data/samples/generate.py``'s ``synthetic(...)`` plus the bootstrap policy (bindings of
``system:authenticated``, ``system:masters`` and the controllers), so that implicit-group
expansion is exercised. Also printed, without a target: ``can``, the risky-permission
catalog, escalation steps and paths, risky subjects and all RBAC checks. Exits non-zero when
a target is missed. Generation is not timed.
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import peak_rss_mb, timed

from kubesec_nb.assessment import assess
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_checks
from kubesec_nb.snapshot.defaults import add_bootstrap_rbac

QUERIES = [("get", "secrets", None, None), ("create", "pods", "team-0001", None),
           ("create", "pods/exec", "team-0002", "web-0"), ("list", "secrets", "team-0003", None),
           ("*", "*", None, None), ("patch", "deployments", "team-0004", None), ("get", "/metrics", None, None),
           ("impersonate", "groups", None, "system:masters"), ("delete", "configmaps", "team-0005", None),
           ("watch", "pods", "team-0006", None), ("bind", "clusterroles", "team-0007", "admin"),
           ("get", "nodes/proxy", None, "node-00001")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bindings", type=int, default=5000)
    ap.add_argument("--roles", type=int, default=2000)
    ap.add_argument("--service-accounts", type=int, default=10000)
    ap.add_argument("--pods", type=int, default=2000)
    ap.add_argument("--namespaces", type=int, default=100)
    args = ap.parse_args(argv)
    from generate import synthetic  # type: ignore[import-not-found]

    snap = synthetic(args.pods, namespaces=args.namespaces, roles=args.roles, bindings=args.bindings,
                     service_accounts=args.service_accounts, seed=0)
    add_bootstrap_rbac(snap)
    snap.normalize()
    n = snap.counts()
    rbac = "rbac.authorization.k8s.io"
    print(f"cluster: {n.get(f'rolebindings.{rbac}', 0) + n.get(f'clusterrolebindings.{rbac}', 0):,} bindings, "
          f"{n.get(f'roles.{rbac}', 0) + n.get(f'clusterroles.{rbac}', 0):,} roles, "
          f"{n.get('serviceaccounts', 0):,} service accounts, {n.get('pods', 0):,} pods, "
          f"{n.get('namespaces', 0):,} namespaces")
    before = peak_rss_mb()
    a = assess(snap)
    perms, t_perm = timed(lambda: a.rbac.permissions)
    rss = peak_rss_mb()
    print(f"{'effective permissions':<36} {t_perm:7.2f} s  {len(perms):>9,} rows  peak RSS {rss:.0f} MB "
          f"(process before: {before:.0f} MB; table {perms.memory_usage(deep=True).sum() / 2**20:.1f} MB)")
    rb = a.rbac
    _, t_first = timed(lambda: rb.who_can(*QUERIES[0]))
    times = []
    rows = 0
    for q in QUERIES:
        df, t = timed(lambda q=q: rb.who_can(*q))  # type: ignore[misc]
        times.append(t)
        rows += len(df)
    print(f"{'who_can, first query (index)':<36} {t_first * 1000:7.1f} ms")
    print(f"{'who_can, per query after the first':<36} {max(times) * 1000:7.1f} ms max, "
          f"{sum(times) / len(times) * 1000:.1f} ms mean ({len(times)} queries, {rows:,} rows)")
    start = time.perf_counter()
    for q in QUERIES:
        rb.can("ServiceAccount:team-0001:sa-1", *q)
    print(f"{'can, per query':<36} {(time.perf_counter() - start) / len(QUERIES) * 1000:7.2f} ms mean")
    for label, attr in (("risky-permission catalog", "risky"), ("escalation steps", "steps"),
                        ("escalation paths", "escalations"), ("risky subjects", "risky_subjects")):
        out, t = timed(lambda attr=attr: getattr(rb, attr))  # type: ignore[misc]
        print(f"{label:<36} {t:7.2f} s  {len(out):>9,} rows")
    checks = [c for c in REGISTRY.values() if c.analyzer == "rbac"]
    found, t = timed(lambda: run_checks(a, checks))
    print(f"{'all RBAC checks (findings)':<36} {t:7.2f} s  {len(found):>9,} rows")
    print(f"{'peak RSS overall':<36} {peak_rss_mb():7.0f} MB")
    ok = t_perm < 10 and rss < 1024 and max(times) < 0.1
    print("targets met" if ok else "TARGETS NOT MET (effective permissions < 10 s and < 1 GB; who_can < 100 ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
