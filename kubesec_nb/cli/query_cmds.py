"""Analyst queries in kubectl's and rbac-tool's habits, the snapshot diff, and copying the workbook out.

    kubesec-nb can-i    SNAPSHOT --as SUBJECT VERB RESOURCE [-n NS] [--name N] [--json]
    kubesec-nb who-can  SNAPSHOT VERB RESOURCE [-n NS] [--json]
    kubesec-nb reach    SNAPSHOT SRC DST PORT [--protocol TCP] [--json]
    kubesec-nb diff     OLD NEW [--json] [--fail-on SEVERITY]
    kubesec-nb notebooks DIR [--force]

``can-i`` exits 0 when allowed and 1 when denied (as ``kubectl auth can-i``); ``reach`` likewise.
An unknown subject, namespace or endpoint is a user mistake (exit 2).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from kubesec_nb.cli._common import EXIT_FINDINGS, EXIT_OK, parse_options
from kubesec_nb.errors import KubesecError


def _assess(snapshot: str, args: argparse.Namespace) -> Any:
    from kubesec_nb.assessment import assess
    from kubesec_nb.notebook import chosen_options, resolve
    from kubesec_nb.snapshot.document import Snapshot

    options = parse_options(getattr(args, "option", []))
    if getattr(args, "k8s_version", None):
        options["k8s_version"] = args.k8s_version
    return assess(Snapshot.load(resolve(snapshot)), **chosen_options(options))


def _print_table(df: pd.DataFrame) -> None:
    from kubesec_nb.display import table_text

    print(table_text(df, max_rows=len(df) or 1))


def _reasons(decision: Any) -> list[dict[str, Any]]:
    return [{"binding": r.binding, "role": r.role, "rule_index": r.rule_index, "rule": r.rule,
             "via": r.subject, "scope": r.scope} for r in decision.reasons]


def cmd_can_i(args: argparse.Namespace) -> int:
    from kubesec_nb.queries import can_i

    d = can_i(_assess(args.snapshot, args), args.subject, args.verb, args.resource, args.namespace, args.name)
    if args.json:
        print(json.dumps({"allowed": d.allowed, "assessed": d.assessed, "subject": d.subject,
                          "request": str(d.request), "groups": list(d.groups), "reasons": _reasons(d),
                          "why": d.why}, indent=1))
    else:
        print(d)
    return EXIT_OK if d.allowed else EXIT_FINDINGS


def cmd_who_can(args: argparse.Namespace) -> int:
    from kubesec_nb.queries import who_can

    df = who_can(_assess(args.snapshot, args), args.verb, args.resource, args.namespace)
    if args.json:
        print(json.dumps({"request": df.attrs.get("request", ""), "missing": df.attrs.get("missing"),
                          "subjects": df.to_dict(orient="records")}, indent=1))
    else:
        if df.attrs.get("missing"):
            print(f"not assessed: {df.attrs['missing']}", file=sys.stderr)
        _print_table(df)
    return EXIT_OK


def cmd_reach(args: argparse.Namespace) -> int:
    from kubesec_nb.queries import reach

    d = reach(_assess(args.snapshot, args), args.src, args.dst, args.port, args.protocol)
    if args.json:
        print(json.dumps({"allowed": bool(d), "decision": str(d).splitlines()}, indent=1))
    else:
        print(d)
    return EXIT_OK if d else EXIT_FINDINGS


def cmd_diff(args: argparse.Namespace) -> int:
    from kubesec_nb.checks import SEVERITY_RANK
    from kubesec_nb.diff import compare

    changes = compare(_assess(args.old, args), _assess(args.new, args))
    if args.json:
        print(json.dumps(changes.to_dict(), indent=1, default=str))
    else:
        print(repr(changes))
        for name, table in changes.tables.items():
            print(f"\n== {name} ==")
            _print_table(table)
        for name, why in changes.not_compared.items():
            print(f"\n== {name} ==\nnot compared: {why}")
    if args.fail_on:
        new = changes.tables.get("findings", pd.DataFrame(columns=["change", "severity"]))
        worse = new[(new["change"] == "new") & (new["severity"].map(SEVERITY_RANK) <= SEVERITY_RANK[args.fail_on])]
        if not worse.empty:
            print(f"kubesec-nb: {len(worse)} new failing findings at or above {args.fail_on}", file=sys.stderr)
            return EXIT_FINDINGS
    return EXIT_OK


def cmd_notebooks(args: argparse.Namespace) -> int:
    from kubesec_nb.resources import notebooks_dir

    dest = Path(args.dir)
    dest.mkdir(parents=True, exist_ok=True)
    sources = sorted(notebooks_dir().glob("*.ipynb"))
    clash = [p.name for p in sources if (dest / p.name).exists()]
    if clash and not args.force:
        raise KubesecError(f"{dest}: already holds {', '.join(clash)} (use --force to overwrite)")
    for src in sources:
        shutil.copyfile(src, dest / src.name)
    print(f"copied {len(sources)} notebooks to {dest}; open them with: jupyter lab {dest}", file=sys.stderr)
    return EXIT_OK


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--k8s-version", help="Kubernetes minor version whose semantics apply, e.g. 1.30")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="assessment option (see kubesec_nb.all_options()); value parsed as YAML")


def register(sub: Any) -> None:
    """Add ``can-i``, ``who-can``, ``reach``, ``diff`` and ``notebooks`` to ``sub``."""
    from kubesec_nb.checks import SEVERITIES

    p = sub.add_parser("can-i", help="may SUBJECT do VERB on RESOURCE? prints the deciding rules (exit 1: denied)")
    p.add_argument("snapshot", help="snapshot file or sample name")
    p.add_argument("verb")
    p.add_argument("resource", help="resource[.group][/subresource] (pods, deployments.apps, pods/exec) or a /path")
    p.add_argument("--as", dest="subject", required=True,
                   help="User:name, Group:name or ServiceAccount:namespace:name")
    p.add_argument("-n", "--namespace", help="namespace of the request (default: cluster-wide)")
    p.add_argument("--name", help="object name (for resourceNames rules)")
    _common(p)
    p.set_defaults(func=cmd_can_i)

    p = sub.add_parser("who-can", help="every subject allowed to do VERB on RESOURCE, with binding and rule")
    p.add_argument("snapshot", help="snapshot file or sample name")
    p.add_argument("verb")
    p.add_argument("resource", help="resource[.group][/subresource] or a /path")
    p.add_argument("-n", "--namespace", help="namespace of the request (default: cluster-wide)")
    _common(p)
    p.set_defaults(func=cmd_who_can)

    p = sub.add_parser("reach", help="may SRC open a connection to DST on PORT under NetworkPolicy? (exit 1: denied)")
    p.add_argument("snapshot", help="snapshot file or sample name")
    p.add_argument("src", help="ns/pod, svc:ns/name, node:name, internet, an IP or a CIDR")
    p.add_argument("dst", help="same forms as SRC")
    p.add_argument("port", help="a port number, or a named port / Service port name")
    p.add_argument("--protocol", default="TCP", help="TCP (default), UDP or SCTP")
    _common(p)
    p.set_defaults(func=cmd_reach)

    p = sub.add_parser("diff", help="what changed between two snapshots: findings, risky grants, exposure")
    p.add_argument("old", help="earlier snapshot file or sample name")
    p.add_argument("new", help="later snapshot file or sample name")
    p.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 when a new finding at or above this severity fails")
    _common(p)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("notebooks", help="copy the workbook's notebooks into DIR for JupyterLab")
    p.add_argument("dir", help="destination folder")
    p.add_argument("--force", action="store_true", help="overwrite notebooks already there")
    p.set_defaults(func=cmd_notebooks)
