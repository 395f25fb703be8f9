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
    for row in table.itertuples(index=False):
        cis = f"  [{row.cis}]" if row.cis else ""
        print(f"{row.check_id:<32} {row.severity:<9} {row.providers:<13} {row.category:<36} {row.title}{cis}")
    return 0


def register(sub: Any) -> None:
    """Add ``checks`` to ``sub``."""
    c = sub.add_parser("checks", help="list every check: severity, providers, topic, title, CIS ids")
    c.add_argument("--provider", choices=["aks", "eks", "gke", "other"], help="only checks that apply to it")
    c.add_argument("--json", action="store_true", help="the whole catalog as JSON (remediation, references)")
    c.set_defaults(func=cmd_checks)
