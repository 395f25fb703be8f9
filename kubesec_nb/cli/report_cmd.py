"""``report``: run the notebooks on a snapshot and write the HTML report and findings files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kubesec_nb.cli._common import EXIT_FINDINGS, parse_options
from kubesec_nb.errors import KubesecError


def cmd_report(args: argparse.Namespace) -> int:
    from kubesec_nb.assessment import all_options
    from kubesec_nb.checks import SEVERITY_RANK
    from kubesec_nb.notebook import resolve
    from kubesec_nb.report import run_report
    from kubesec_nb.snapshot.document import Snapshot

    path = resolve(args.snapshot)
    snap = Snapshot.load(path)  # fail fast, with a clear error, before starting kernels
    options = parse_options(args.option)
    if args.k8s_version:
        options["k8s_version"] = args.k8s_version
    unknown = sorted(set(options) - set(all_options()))
    if unknown:
        raise KubesecError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(all_options())}")
    name = str(snap.metadata.get("cluster") or Path(path).name.split(".")[0])
    out = Path(args.output or f"reports/{name}")
    report = run_report(path, out, notebooks=args.notebook or None, options=options, timeout=args.timeout, cluster=name)
    fails = [f for f in report.findings if f["status"] == "fail"]
    print(f"wrote {report.html} ({len(fails)} failing findings; findings.json, findings.csv, findings.sarif "
          f"in {report.out_dir})", file=sys.stderr)
    if args.fail_on:
        worst = [f for f in fails if SEVERITY_RANK[f["severity"]] <= SEVERITY_RANK[args.fail_on]]
        if worst:
            print(f"{len(worst)} findings at or above {args.fail_on}", file=sys.stderr)
            return EXIT_FINDINGS
    return 0


def register(sub: Any) -> None:
    """Add ``report`` to ``sub``."""
    from kubesec_nb.checks import SEVERITIES

    r = sub.add_parser("report", help="run the notebooks and write an HTML report and findings files")
    r.add_argument("snapshot", help="snapshot file or sample name")
    r.add_argument("-o", "--output", help="output folder (default: reports/<cluster>)")
    r.add_argument("--notebook", action="append", default=[], help="run only these notebooks (repeatable)")
    r.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 when a finding at or above this severity fails")
    r.add_argument("--k8s-version", help="Kubernetes minor version whose semantics apply, e.g. 1.30")
    r.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="assessment option (see kubesec_nb.all_options()); value parsed as YAML")
    r.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds")
    r.set_defaults(func=cmd_report)
