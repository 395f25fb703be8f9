"""``least-privilege``: the roles a subject needs, from what the audit log shows it did."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kubesec_nb.cli._common import parse_options


def cmd_least_privilege(args: argparse.Namespace) -> int:
    from kubesec_nb.assessment import assess
    from kubesec_nb.notebook import resolve
    from kubesec_nb.snapshot.document import Snapshot

    snap = Snapshot.load(resolve(args.snapshot))
    if args.audit_log:
        from kubesec_nb.cli.snapshot_cmds import attach_audit_log

        snap.attachments = [a for a in snap.attachments if a.kind != "audit-log"]
        attach_audit_log(snap, args.audit_log)
    audit = assess(snap, **parse_options(args.option)).audit
    text = audit.least_privilege(args.subject)
    sys.stdout.write(text)
    missed = audit.round_trip(args.subject, text)
    n = len(audit.requests_of(args.subject))
    if missed:
        print(f"round trip FAILED: {len(missed)} of {n} logged requests are not allowed: "
              + "; ".join(str(u.request()) for u in missed[:5]), file=sys.stderr)
        return 3
    print(f"round trip: without the bindings naming {args.subject}, the cluster plus these roles allows all {n} "
          "logged request shapes", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add ``least-privilege`` to ``sub``."""
    p = sub.add_parser("least-privilege", help="least-privilege Roles/ClusterRoles and bindings from the audit log")
    p.add_argument("snapshot", help="snapshot file or sample name (with an audit-log attachment, or --audit-log)")
    p.add_argument("subject", help="User:name, Group:name or ServiceAccount:namespace:name")
    p.add_argument("--audit-log", nargs="+", action="extend", default=[], metavar="FILE",
                   help="read these audit logs instead of the snapshot's attachment (the snapshot is not changed)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="assessment option, e.g. audit_window=2026-11-01..2026-11-30 (value parsed as YAML)")
    p.set_defaults(func=cmd_least_privilege)
