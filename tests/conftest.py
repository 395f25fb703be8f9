"""Shared test helpers: fixture paths and canary secret values that must never leak."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "data" / "samples"

#: Secret values planted in tests/fixtures; none may appear in any output.
CANARIES = (
    "CANARY-cm-9f2b7c1e", "CANARY-lastapplied-41d8", "CANARY-secret-7a3e55", "CANARY-arg-c0ffee42",
    "CANARY-env-5b1d9e", "ghp_CANARYabcdefghijklmnopqrstuvwxyz0123", "CANARY-kubectl-env-1f2e",
    "CANARY-kubectl-secret", "c2hvcA==",
    # tests/boundary/test_canaries.py: one per leak shape of issue 8
    "CANARY-ann-3e7a61", "CANARY-mysql-9d04c2", "CANARY-probe-51b7e0", "CANARY-shape-a83f19", "CANARY-live-6c2d48",
)


def _forms(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode().rstrip("=")]


def leaked(data: bytes | str) -> list[str]:
    """Canary values (or their base64 forms) found in ``data``."""
    if isinstance(data, bytes):
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        data = data.decode("utf-8", errors="replace")
    return sorted({c for c in CANARIES for form in _forms(c) if form in data})


def leaked_in_tree(folder: Path) -> dict[str, list[str]]:
    """Canaries found in any file under ``folder``."""
    found = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            hits = leaked(f.read_bytes())
            if hits:
                found[str(f)] = hits
    return found


@pytest.fixture
def helm_shop() -> Path:
    return FIXTURES / "manifests" / "helm-shop"


@pytest.fixture
def kubectl_dump() -> Path:
    return FIXTURES / "kubectl"
