"""Rewrite the README's coverage section from the check registry.

    python tools/coverage_table.py            # rewrite README.md between the coverage markers
    python tools/coverage_table.py --check    # exit 1 when README.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubesec_nb.coverage import rewrite_readme  # noqa: E402


def main(argv: list[str]) -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    fresh = rewrite_readme(text)
    if "--check" in argv:
        if fresh != text:
            print("README.md coverage table is stale (run make coverage)", file=sys.stderr)
            return 1
        return 0
    readme.write_text(fresh, encoding="utf-8")
    print("rewrote the coverage table in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
