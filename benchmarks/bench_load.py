"""Loading a snapshot and building the model indexes.

    python benchmarks/bench_load.py [PODS ...]     (default: 1000 10000 50000)

Target (foundation issue): a 10k-pod snapshot loads and is indexed in under 5 s on one
core and under 1 GB. Each size runs in a fresh process pinned to one core, so peak
memory is that size's own.
"""

from __future__ import annotations

import json
import subprocess
import sys

from _common import one_core, peak_rss_mb, synthetic_path, timed


def measure(pods: int) -> dict[str, float]:
    from kubesec_nb.model import Model
    from kubesec_nb.snapshot import Snapshot

    path = synthetic_path(pods)
    one_core()
    snap, t_load = timed(lambda: Snapshot.load(path))

    def index() -> int:
        m = Model(snap)
        owners = sum(1 for p in m.pods if m.owner(p))
        _ = (m.namespaces, m.nodes, m.service_accounts, m.pod_by_key, m.pods_in("team-0000"), m.pods_on("node-00000"))
        return owners

    owners, t_index = timed(index)
    return {"pods": pods, "objects": sum(snap.counts().values()), "file_mb": path.stat().st_size / 2**20,
            "load_s": t_load, "index_s": t_index, "total_s": t_load + t_index, "peak_rss_mb": peak_rss_mb(),
            "owned_pods": owners}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child":
        print(json.dumps(measure(int(argv[1]))))
        return 0
    sizes = [int(a) for a in argv] or [1000, 10000, 50000]
    print(f"{'pods':>7} {'objects':>8} {'file MB':>8} {'load s':>7} {'index s':>8} {'total s':>8} {'peak MB':>8}")
    for n in sizes:
        synthetic_path(n)  # generate outside the measured process
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        print(f"{r['pods']:>7} {r['objects']:>8} {r['file_mb']:>8.1f} {r['load_s']:>7.2f} {r['index_s']:>8.2f} "
              f"{r['total_s']:>8.2f} {r['peak_rss_mb']:>8.0f}")
    print("target: 10,000 pods loaded and indexed in < 5 s on one core and < 1 GB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
