"""Every cluster nobody here wrote passes the boundary unchanged: saved, loaded and validated again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesec_nb.snapshot import Snapshot
from tests.clusters import ANY_CLUSTER, third_party


@pytest.mark.parametrize("make", ANY_CLUSTER.values(), ids=ANY_CLUSTER.keys())
def test_round_trip_through_the_boundary(make: Callable[[], Snapshot], tmp_path: Path) -> None:
    snap = make()
    again = Snapshot.load(snap.save(tmp_path / "s.json.gz"))
    assert again.counts() == snap.counts() and again.gaps == snap.gaps
    assert not [g for g in again.gaps if g.reason == "invalid"]


def test_third_party_round_trip(tmp_path: Path) -> None:
    snap = third_party()
    if snap is None:
        pytest.skip("set KUBESEC_NB_THIRD_PARTY to a folder of third-party install YAML")
    again = Snapshot.load(snap.save(tmp_path / "s.json.gz"))
    assert again.counts() == snap.counts() and again.counts()["pods"] > 0
