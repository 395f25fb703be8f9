"""``checks``: list every registered check."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_checks(args: argparse.Namespace) -> int:
    from kubesec_nb.assessment import load_checks
    from kubesec_nb.checks import REGISTRY

    load_checks()
    for chk in sorted(REGISTRY.values(), key=lambda c: c.id):
        print(f"{chk.id:<32} {chk.severity:<9} {chk.category:<36} {chk.title}")
    return 0


def register(sub: Any) -> None:
    """Add ``checks`` to ``sub``."""
    c = sub.add_parser("checks", help="list every check")
    c.set_defaults(func=cmd_checks)
