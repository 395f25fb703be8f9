"""Shared benchmark helpers: cached synthetic snapshots and peak-memory reading.

Benchmarks print their figures; they are never run as tests and assert nothing about time.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "samples"))

T = TypeVar("T")


def synthetic_path(pods: int, **kw: Any) -> Path:
    """A synthetic snapshot of ``pods`` pods, generated once and cached in benchmarks/out/."""
    from generate import synthetic  # type: ignore[import-not-found]

    suffix = "".join(f"-{k}{v}" for k, v in sorted(kw.items()))
    path = OUT / f"synthetic-{pods}{suffix}.json.gz"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        synthetic(pods, **kw).save(path)
    return path


def one_core() -> None:
    """Pin this process to a single CPU, where the OS allows it."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``(result, seconds)``."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start
