"""``paths``: the cheapest attack paths between two nodes of the attack graph, with their evidence."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kubesec_nb.cli._common import parse_options


def path_json(rank: int, path: Any) -> dict[str, Any]:
    """One path as JSON: rank, cost, hops, certainty and each step with its evidence."""
    return {"rank": rank, "source": path.source, "target": path.target, "cost": path.cost, "hops": path.hops,
            "certainty": path.certainty,
            "steps": [{"technique": s.technique, "source": s.source, "target": s.target, "cost": s.cost,
                       "certainty": s.certainty, "ports": s.ports,
                       "evidence": [{"object": e.object, "field": e.field, "value": e.value} for e in s.evidence]}
                      for s in path.steps]}


def cmd_paths(args: argparse.Namespace) -> int:
    from kubesec_nb.assessment import assess
    from kubesec_nb.notebook import resolve
    from kubesec_nb.snapshot.document import Snapshot

    options = parse_options(args.option)
    if args.k8s_version:
        options["k8s_version"] = args.k8s_version
    a = assess(Snapshot.load(resolve(args.snapshot)), **options)
    found = a.paths(args.source, args.target, args.k)
    if args.json:
        doc = {"source": args.source, "target": args.target, "k": args.k, "missing": a.attack.missing,
               "paths": [path_json(i, p) for i, p in enumerate(found, 1)]}
        print(json.dumps(doc, indent=1, sort_keys=True))
        return 0
    if not found:
        note = f" (the graph may be incomplete: {a.attack.missing})" if a.attack.missing else ""
        print(f"No path from {args.source} to {args.target}{note}.")
        return 0
    print("\n\n".join(f"#{i} {p.describe()}" for i, p in enumerate(found, 1)))
    return 0


def register(sub: Any) -> None:
    """Add ``paths`` to ``sub``."""
    p = sub.add_parser("paths", help="the cheapest attack paths from a source to a target, with evidence",
                       description="Sources: internet, pod:ns/name, sa:ns/name, user:name, group:name or any node of "
                                   "the attack graph. Targets: cluster-admin, node:*, secrets:*, namespace-admin:*, "
                                   "cloud:* or any node id.")
    p.add_argument("snapshot", help="snapshot file or sample name")
    p.add_argument("--from", dest="source", default="internet", help="source node (default: internet)")
    p.add_argument("--to", dest="target", default="cluster-admin", help="target node or crown jewel "
                                                                         "(default: cluster-admin)")
    p.add_argument("-k", type=int, default=5, help="how many paths, cheapest first (default: 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--k8s-version", help="Kubernetes minor version whose semantics apply, e.g. 1.30")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="assessment option (see kubesec_nb.all_options()); value parsed as YAML")
    p.set_defaults(func=cmd_paths)
