"""Network reachability benchmark: full pod-level reachability at 10,000 and 50,000 pods.

Targets (issue 4): 10,000 pods / 1,000 policies / 500 namespaces in < 20 s and < 2 GB;
50,000 pods in < 2 minutes. That shape (one policy per 10 pods, one namespace per 20) is the
synthetic generator's default, so the snapshots are the cached ones other benchmarks use.
network-config-analyzer (NCA, capped at 10,000 pods) runs on the inputs it can handle, in
the same run, and the ratio is printed.

Each size runs in a fresh subprocess that loads the snapshot from disk, so its peak RSS
is the analysis's own. "Full pod-level reachability" = every ordered pod pair decided:
the class engine's class × class port sets expanded to a pod × pod bit matrix (rows
shared by the pods of a class) and the number of allowed pod pairs counted.

    python benchmarks/bench_network.py [--sizes 10000,50000] [--nca-sizes 1000,10000] [--nca-timeout 1800]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, peak_rss_mb, synthetic_path

NCA = ROOT / ".venv-nca" / "bin" / "nca"


def measure(path: str) -> dict[str, float | int]:
    """Run in a child process: load, analyze, expand to pod level; timings and peak RSS."""
    import numpy as np

    from kubesec_nb.model import Model
    from kubesec_nb.network import analyze
    from kubesec_nb.snapshot import Snapshot

    snap = Snapshot.load(path)
    t0 = time.perf_counter()
    net = analyze(Model(snap), "eks-vpc-cni")
    r = net.reach
    t1 = time.perf_counter()
    n_pods = len(net.endpoints)
    class_of = r.class_of
    sizes = r._sizes
    pod_rows: list[np.ndarray] = []        # one packed pod-level row per source class
    allowed_pairs = 0
    for start, ids in r.rows():
        ok = ids != 0
        allowed_pairs += int(sizes[start:start + len(ids)] @ (ok.astype(np.int64) @ sizes))
        pod_rows.extend(np.packbits(ok[:, class_of], axis=1))
    t2 = time.perf_counter()
    ns_matrix = net.matrix()
    t3 = time.perf_counter()
    return {"pods": n_pods, "policies": len(net.policies), "namespaces": len(r.namespaces),
            "classes": r.n_classes, "egress_groups": len(r.egress_groups), "ingress_groups": len(r.ingress_groups),
            "port_atoms": len(r.ports.atoms), "address_atoms": len(r.space.atoms),
            "classes_s": t1 - t0, "pod_level_s": t2 - t1, "total_s": t2 - t0, "namespace_matrix_s": t3 - t2,
            "allowed_pod_pairs": allowed_pairs, "pod_matrix_bytes": int(sum(x.nbytes for x in pod_rows)),
            "namespaces_in_matrix": int(ns_matrix.shape[0]),
            "peak_rss_mb": peak_rss_mb()}


def run_nca(pods: int, timeout: float) -> float | None:
    """Seconds NCA takes for its connectivity map of the same snapshot (None on timeout)."""
    from kubesec_nb.snapshot import Snapshot
    from tests.network import nca

    snap = Snapshot.load(synthetic_path(pods))
    objs = [*snap.items("namespaces"), *snap.items("pods"), *snap.items("networkpolicies.networking.k8s.io")]
    for o in objs:
        o.setdefault("kind", {"v1": "Pod"}.get(o.get("apiVersion", ""), o.get("kind")))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        try:
            nca.run(Path(tmp), objs, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,50000")
    ap.add_argument("--nca-sizes", default="1000,10000")
    ap.add_argument("--nca-timeout", type=float, default=1800.0)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    nca_sizes = [int(s) for s in args.nca_sizes.split(",") if s] if NCA.exists() else []
    ours: dict[int, dict[str, float | int]] = {}
    for pods in sorted(set(sizes) | set(nca_sizes)):
        path = synthetic_path(pods)
        proc = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                              check=True, cwd=ROOT)
        ours[pods] = json.loads(proc.stdout.strip().splitlines()[-1])
        m = ours[pods]
        print(f"kubesec-nb {pods:>6} pods, {m['policies']} policies, {m['namespaces']} namespaces: "
              f"{m['classes']} classes, {m['egress_groups']}+{m['ingress_groups']} groups; classes "
              f"{m['classes_s']:.2f} s + pod level {m['pod_level_s']:.2f} s = {m['total_s']:.2f} s; "
              f"peak RSS {m['peak_rss_mb']:.0f} MB; {m['allowed_pod_pairs']} allowed pod pairs")
    ok = True
    if 10000 in ours:
        m = ours[10000]
        good = m["total_s"] < 20 and m["peak_rss_mb"] < 2048
        ok &= good
        print(f"target 10,000 pods < 20 s and < 2 GB: {'met' if good else 'MISSED'}")
    if 50000 in ours:
        good = ours[50000]["total_s"] < 120
        ok &= good
        print(f"target 50,000 pods < 120 s: {'met' if good else 'MISSED'}")
    if not nca_sizes:
        print("network-config-analyzer: not run (.venv-nca missing; make nca-venv)")
    for pods in nca_sizes:
        secs = run_nca(pods, args.nca_timeout)
        mine = float(ours[pods]["total_s"])
        if secs is None:
            print(f"NCA {pods:>6} pods: > {args.nca_timeout:.0f} s (timeout); ratio > {args.nca_timeout / mine:.0f}x")
        else:
            print(f"NCA {pods:>6} pods: {secs:.2f} s (incl. ~0.3 s start-up); kubesec-nb {mine:.2f} s; "
                  f"ratio {secs / mine:.0f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
