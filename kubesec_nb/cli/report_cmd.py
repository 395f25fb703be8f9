"""``report``: assess a snapshot, run the notebooks, write the HTML report and the findings files.

The exit code comes from this process's own findings, whichever notebooks ran:

- 3 when a notebook failed on an internal error, or when a check raised (status ``error``: its
  result is unknown, so the run cannot say that nothing fails);
- 2 when a notebook failed on a user mistake (a bad parameter); unknown notebooks, parameters
  and options are refused before anything runs, also with 2;
- 1 when a finding at or above ``--fail-on`` fails;
- 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from kubesec_nb.cli._common import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, parse_options
from kubesec_nb.errors import KubesecError


def severity_line(findings: pd.DataFrame) -> str:
    """One line: failing findings per severity, then checks not assessed and in error.

    >>> severity_line(pd.DataFrame({"check_id": ["A", "B"], "severity": ["high", "low"], "status": ["fail", "error"]}))
    'failing findings: 0 critical, 1 high, 0 medium, 0 low, 0 info; checks not assessed: 0; checks in error: 1'
    """
    from kubesec_nb.checks import SEVERITIES

    fails = findings[findings["status"] == "fail"]
    counts = ", ".join(f"{int((fails['severity'] == s).sum())} {s}" for s in SEVERITIES)
    na = findings.loc[findings["status"] == "not_assessed", "check_id"].nunique()
    err = findings.loc[findings["status"] == "error", "check_id"].nunique()
    return f"failing findings: {counts}; checks not assessed: {na}; checks in error: {err}"


def exit_code(report: Any, fail_on: str | None) -> int:
    """The exit code of a finished run (see the module docstring)."""
    from kubesec_nb.checks import SEVERITY_RANK

    if report.errors or any(not f.user_error for f in report.failures):
        return EXIT_INTERNAL
    if report.failures:
        return EXIT_USAGE
    if fail_on:
        df = report.findings
        worst = df[(df["status"] == "fail") & (df["severity"].map(SEVERITY_RANK) <= SEVERITY_RANK[fail_on])]
        if not worst.empty:
            print(f"kubesec-nb: {len(worst)} failing findings at or above {fail_on}", file=sys.stderr)
            return EXIT_FINDINGS
    return EXIT_OK


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` notebook parameters, as text: the report reads each as its notebook declares it.

    >>> parse_params(["who_verb=get", "include_platform=true"])
    {'who_verb': 'get', 'include_platform': 'true'}
    """
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise KubesecError(f"--param wants NAME=VALUE, got {pair!r}")
        out[key] = value
    return out


def cmd_report(args: argparse.Namespace) -> int:
    from kubesec_nb.assessment import all_options
    from kubesec_nb.notebook import resolve
    from kubesec_nb.report import run_report
    from kubesec_nb.snapshot.document import Snapshot

    path = resolve(args.snapshot)
    options = parse_options(args.option)
    if args.k8s_version:
        options["k8s_version"] = args.k8s_version
    unknown = sorted(set(options) - set(all_options()))
    if unknown:
        raise KubesecError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(all_options())}")
    params: dict[str, Any] = dict(parse_params(args.param))
    if args.baseline:
        params["baseline_snapshot"] = str(resolve(args.baseline).resolve())
    if args.output:
        out = Path(args.output)
    else:
        meta = Snapshot.load(path).metadata
        out = Path("reports") / str(meta.get("cluster") or Path(path).name.split(".")[0])
    report = run_report(path, out, notebooks=args.notebook or None, options=options, params=params,
                        timeout=args.timeout, audit_logs=args.audit_log)
    print(f"wrote {report.html} and findings.json, findings.csv, findings.sarif in {report.out_dir}",
          file=sys.stderr)
    print(severity_line(report.findings), file=sys.stderr)
    for failure in report.failures:
        print(f"kubesec-nb: error: {failure}", file=sys.stderr)
    if report.errors:
        print(f"kubesec-nb: error: {len(report.errors)} check(s) failed internally, their result is unknown: "
              f"{', '.join(report.errors)}", file=sys.stderr)
    return exit_code(report, args.fail_on)


def register(sub: Any) -> None:
    """Add ``report`` to ``sub``."""
    from kubesec_nb.checks import SEVERITIES

    r = sub.add_parser("report", help="assess a snapshot, run the notebooks, write an HTML report and findings files",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("snapshot", help="snapshot file or sample name")
    r.add_argument("-o", "--output", help="output folder (default: reports/<cluster>); replaced as a whole")
    r.add_argument("--notebook", action="append", default=[],
                   help="run only these notebooks (repeatable); the executive summary always opens the report")
    r.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 when a finding at or above this severity fails")
    r.add_argument("--baseline", help="an earlier snapshot (file or sample): the report shows what changed")
    r.add_argument("--audit-log", nargs="+", action="extend", default=[], metavar="FILE",
                   help="API server audit logs read instead of the snapshot's attachment (the snapshot is not changed)")
    r.add_argument("--k8s-version", help="Kubernetes minor version whose semantics apply, e.g. 1.30")
    r.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="assessment option (see kubesec_nb.all_options()); value parsed as YAML")
    r.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="notebook parameter, e.g. who_verb=get (value parsed as YAML)")
    r.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds")
    r.set_defaults(func=cmd_report)
