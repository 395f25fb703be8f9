"""The files kubesec-nb ships: the workbook's notebooks and the sample snapshots.

The repository keeps them in ``notebooks/`` and ``data/samples/``; setup.py maps those folders
into the package as ``kubesec_nb._notebooks`` and ``kubesec_nb._samples``, so the same
``importlib.resources`` lookup works from a source checkout, an editable install and a wheel.
``KUBESEC_NB_SAMPLES`` points the sample lookup at another folder.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

SAMPLE_SUFFIX = ".json.gz"


def _folder(package: str) -> Path:
    # Installed packages (wheel or editable) are plain folders: a zipped install is not supported,
    # because papermill and the kernel need real files.
    return Path(str(files(package)))


def notebooks_dir() -> Path:
    """The folder of the bundled notebooks.

    >>> (notebooks_dir() / "00_overview.ipynb").is_file()
    True
    """
    return _folder("kubesec_nb._notebooks")


def notebook_names() -> list[str]:
    """Names (file stems) of the bundled notebooks, sorted.

    >>> notebook_names()[0]
    '00_overview'
    """
    return sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))


def samples_dir() -> Path:
    """The folder of the bundled sample snapshots (``KUBESEC_NB_SAMPLES`` overrides it)."""
    override = os.environ.get("KUBESEC_NB_SAMPLES")
    return Path(override) if override else _folder("kubesec_nb._samples")


def samples() -> list[str]:
    """Names of the bundled sample snapshots.

    >>> "eks-shop" in samples()
    True
    """
    return sorted(p.name[: -len(SAMPLE_SUFFIX)] for p in samples_dir().glob(f"*{SAMPLE_SUFFIX}"))


def sample_path(name: str) -> Path | None:
    """The file of sample ``name``, or None when there is no such sample."""
    path = samples_dir() / f"{name}{SAMPLE_SUFFIX}"
    return path if path.is_file() else None
