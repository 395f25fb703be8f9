"""Benchmark: the platform analysis and every check of the platform issue over a synthetic cluster.

    python benchmarks/bench_platform.py [--pods 10000] [--target 10]

The cluster is ``data/samples/generate.py``'s ``synthetic(pods)`` (an EKS-flavoured cluster) with an
``aws eks describe-cluster`` document attached, so that the EKS description checks run too.
Generation is not timed. The network analysis (which ``PLAT-DASHBOARD-EXPOSED`` and the TLS check
read) is built first and timed apart: it belongs to the network benchmark. Then provider detection,
node cloud identities, agent coverage and every ``PLAT-*`` check plus the resource, RBAC-hygiene and
externalIPs checks are timed. Prints the figures; exits non-zero when the checks miss the target.
"""

from __future__ import annotations

import argparse
import sys

from _common import peak_rss_mb, timed  # also puts the repository and data/samples on sys.path
from generate import synthetic

from kubesec_nb.assessment import assess
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_checks
from kubesec_nb.platform import addons
from kubesec_nb.snapshot.document import Attachment

TARGET_S = 10.0
PREFIXES = ("PLAT-", "WL-NO-", "WL-NS-", "WL-DEFAULT-NAMESPACE", "WL-HOST-ALIASES", "WL-HOST-USERS",
            "RBAC-WILDCARD-ROLE", "RBAC-UNUSED-ROLE", "NET-SERVICE-EXTERNAL-IPS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--target", type=float, default=TARGET_S)
    args = parser.parse_args(argv)
    snap = synthetic(args.pods)
    snap.attachments.append(Attachment("eks-cluster", "describe.json", {"cluster": {
        "name": snap.metadata.get("cluster", "synthetic"), "arn": "arn:aws:eks:eu-west-1:1:cluster/synthetic",
        "version": "1.30", "resourcesVpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
        "logging": {"clusterLogging": [{"types": ["api"], "enabled": True}]}}}))
    a = assess(snap)
    _, t_network = timed(lambda: a.network.entry_points)
    _, t_platform = timed(lambda: (a.platform.provider, a.platform.node_access,
                                    addons.agents(a.model, addons.RUNTIME_AGENTS), a.platform.policies))
    checks = [c for c in REGISTRY.values() if c.id.startswith(PREFIXES)]
    table, t_checks = timed(lambda: run_checks(a, checks))
    total = t_platform + t_checks
    print(f"platform: {args.pods} pods, {len(a.model.nodes)} nodes, {len(checks)} checks, {len(table)} rows")
    print(f"  network analysis (not counted, see bench_network): {t_network:.2f} s")
    print(f"  provider, node identities, agents, policies: {t_platform:.2f} s")
    print(f"  checks: {t_checks:.2f} s")
    print(f"  total: {total:.2f} s (target < {args.target:.0f} s), peak RSS {peak_rss_mb():.0f} MB")
    return 0 if total < args.target else 1


if __name__ == "__main__":
    sys.exit(main())
