"""Whether a long read (collection, audit-log ingest) shows a progress bar."""

from __future__ import annotations

import sys


def progress_enabled(progress: bool | None) -> bool:
    """An explicit choice, else a bar only on a terminal and never inside a notebook kernel (papermill).

    >>> progress_enabled(False), progress_enabled(True)
    (False, True)
    """
    if progress is not None:
        return progress
    if "ipykernel" in sys.modules:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
