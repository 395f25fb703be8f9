"""Replay of upstream pod-security-admission's own test data against our Pod Security engine.

The data (``testdata/{baseline,restricted}/v1.N/{pass,fail}/*.yaml``, 4,537 pods, one Pod per
file; see SOURCE.md beside it) is read in place, never copied: from ``$KUBESEC_PSA_TESTDATA``,
``<repo>/../shared/data/pod-security-admission/testdata`` or
``/work/shared/data/pod-security-admission/testdata``. The test is skipped with a reason when
it is absent.

The bar is upstream's own: every ``pass/`` pod allowed and every ``fail/`` pod rejected at
its level and version (100 % agreement). Each fail file is named after the check it breaks;
we also require that check among the ones we report, with one documented exception that is
upstream behaviour, not a disagreement: at ``restricted``, a baseline check that a restricted
check overrides at that version (``hostPathVolumes`` → ``restrictedVolumes``,
``capabilities_baseline`` → ``capabilities_restricted`` from v1.22,
``seccompProfile_baseline`` → ``seccompProfile_restricted`` from v1.19, ``procMount`` →
``procMount_restricted`` from v1.35) is not evaluated; the overriding check reports it.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import yaml

from kubesec_nb.workload import pss

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [Path(p) for p in (os.environ.get("KUBESEC_PSA_TESTDATA", ""),) if p] + [
    REPO.parent / "shared" / "data" / "pod-security-admission" / "testdata",
    Path("/work/shared/data/pod-security-admission/testdata"),
]
TESTDATA = next((p for p in CANDIDATES if p.is_dir()), None)
pytestmark = pytest.mark.skipif(TESTDATA is None, reason="upstream pod-security-admission testdata not found "
                                "(set KUBESEC_PSA_TESTDATA)")

EXPECTED_FILES = 4537
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _dirs() -> list[tuple[str, str]]:
    if TESTDATA is None:
        return []
    return sorted({(p.parent.name, p.name) for p in TESTDATA.glob("*/v1.*")},
                  key=lambda d: (d[0], int(d[1].split(".")[1])))


def _accepted_ids(prefix: str, level: str, version: pss.Version) -> set[str]:
    """Check ids that may report a fail file named ``<prefix>N.yaml`` (see the module docstring)."""
    ids = {c for c in pss.CHECKS if c.lower() == prefix}
    if level == "restricted":
        for cid, step in pss.checks_at("restricted", version):
            if ids & set(step.overrides):
                ids.add(cid)
    return ids


def replay(level: str, version_dir: str) -> tuple[int, list[str]]:
    """``(files, disagreements)`` for one ``<level>/<version>`` folder."""
    assert TESTDATA is not None
    version = (1, int(version_dir.split(".")[1]))
    wrong: list[str] = []
    n = 0
    for kind in ("pass", "fail"):
        for f in sorted((TESTDATA / level / version_dir / kind).glob("*.yaml")):
            n += 1
            pod = yaml.load(f.read_text(), Loader=_LOADER)
            found = pss.run(pod, version, level=level)
            where = f"{level}/{version_dir}/{kind}/{f.name}"
            if kind == "pass" and found:
                wrong.append(f"{where}: rejected by {sorted(found)}")
            elif kind == "fail" and not found:
                wrong.append(f"{where}: allowed")
            elif kind == "fail":
                prefix = f.stem.rstrip("0123456789")
                if prefix != "base" and not _accepted_ids(prefix, level, version) & found.keys():
                    wrong.append(f"{where}: rejected by {sorted(found)}, not by {prefix}")
    return n, wrong


@pytest.mark.parametrize(("level", "version_dir"), _dirs(), ids=lambda v: v)
def test_replay(level: str, version_dir: str) -> None:
    n, wrong = replay(level, version_dir)
    assert n > 0
    assert not wrong, "\n".join(wrong)


def test_replay_covers_every_file_and_check() -> None:
    assert TESTDATA is not None
    files = list(TESTDATA.glob("*/v1.*/*/*.yaml"))
    assert len(files) == EXPECTED_FILES
    prefixes = Counter(f.stem.rstrip("0123456789") for f in files if f.parent.name == "fail")
    # every upstream check has failing fixtures, and every fixture prefix is a check we implement
    assert {c.lower() for c in pss.CHECKS} == set(prefixes)
    # the newest step of our checks is the newest folder of the data
    newest = max(int(p.name.split(".")[1]) for p in TESTDATA.glob("baseline/v1.*"))
    assert (1, newest) == pss.MAX_VERSION
