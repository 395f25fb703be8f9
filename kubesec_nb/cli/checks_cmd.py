"""``checks``: list every registered check (the catalog)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def cmd_checks(args: argparse.Namespace) -> int:
    from kubesec_nb.coverage import catalog

    table = catalog()
    if args.provider:
        table = table[table["providers"].isin(["all"]) | table["providers"].str.contains(args.provider)]
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=1, ensure_ascii=False))
        return 0
    for row in table.to_dict(orient="records"):
        r = {str(k): str(v) for k, v in row.items()}
        cis = f"  [{r['cis']}]" if r["cis"] else ""
        print(f"{r['check_id']:<32} {r['severity']:<9} {r['providers']:<13} {r['category']:<36} {r['title']}{cis}")
    return 0


def register(sub: Any) -> None:
    """Add ``checks`` to ``sub``."""
    c = sub.add_parser("checks", help="list every check: severity, providers, topic, title, CIS ids")
    c.add_argument("--provider", choices=["aks", "eks", "gke", "other"], help="only checks that apply to it")
    c.add_argument("--json", action="store_true", help="the whole catalog as JSON (remediation, references)")
    c.set_defaults(func=cmd_checks)
