"""The report end to end: ``kubesec-nb report`` wall time and peak memory (the whole process tree: the CLI
and its kernel), and ``a.findings`` at 10,000 pods.

    python benchmarks/bench_report.py [--pods 10000] [--runs 1]

Targets (issue 9): the 10,000-pod synthetic cluster under 40 s and 2 GB peak, the default sample
under 15 s. Peak memory is the largest sum of the resident sizes of the CLI and every process it
started, sampled every 50 ms (``psutil``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
from _common import OUT, ROOT, synthetic_path, timed

KUBESEC_NB = Path(sys.executable).parent / "kubesec-nb"


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_report(snapshot: str, out: Path) -> tuple[float, float, float, int]:
    """``(wall seconds, CPU seconds, peak MB of the process tree, exit code)`` of one ``kubesec-nb report`` run.

    CPU seconds (the CLI and its kernel) say what the run costs when the machine is shared."""
    shutil.rmtree(out, ignore_errors=True)
    cpu0 = cpu_children()
    start = time.perf_counter()
    proc = subprocess.Popen([str(KUBESEC_NB), "report", snapshot, "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    ps = psutil.Process(proc.pid)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, tree_rss(ps))
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    code = proc.wait()
    seconds = time.perf_counter() - start
    stop.set()
    t.join()
    return seconds, cpu_children() - cpu0, peak / 2**20, code


def findings_at(pods: int) -> None:
    import kubesec_nb as ks

    snap, load_s = timed(lambda: ks.Snapshot.load(synthetic_path(pods)))
    a = ks.assess(snap)
    _, analyzers_s = timed(lambda: (a.rbac.risky, a.rbac.escalations, a.network.reach, a.workloads.escapes))
    df, findings_s = timed(lambda: a.findings)
    print(f"a.findings at {pods:,} pods: {findings_s:.1f} s for {len(df):,} rows "
          f"(after load {load_s:.1f} s and the analyzers' tables {analyzers_s:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    big = str(synthetic_path(args.pods))
    findings_at(args.pods)
    for label, snap in (("default sample (eks-shop)", "eks-shop"), (f"synthetic {args.pods:,} pods", big)):
        for i in range(args.runs):
            seconds, cpu, peak, code = run_report(snap, OUT / f"report-{Path(snap).name.split('.')[0]}")
            print(f"kubesec-nb report, {label}: {seconds:.1f} s wall ({cpu:.1f} s CPU), {peak:,.0f} MB peak "
                  f"(process tree), load average {os.getloadavg()[0]:.1f}, "
                  f"exit {code}" + (f" [run {i + 1}]" if args.runs > 1 else ""))


if __name__ == "__main__":
    main()
