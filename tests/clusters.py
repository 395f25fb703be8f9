"""Clusters nobody here wrote, for tests that every feature must survive.

- :func:`empty`: a snapshot with nothing collected;
- :func:`gaps_403`: the default sample as a user without RBAC and NetworkPolicy read access sees it
  (objects removed, 403 gaps recorded);
- :func:`manifests_only`: a Helm-rendered manifest folder imported offline (no nodes, no kube-system);
- :func:`synthetic`: the benchmark generator's cluster (1,000 pods by default; 10,000 in manual runs);
- :func:`third_party`: real install YAML of public projects, when a folder of it is given in
  ``$KUBESEC_NB_THIRD_PARTY`` (not committed: fetched copies stay outside the repository).

``ANY_CLUSTER`` names the first four for ``pytest.mark.parametrize``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

from kubesec_nb.snapshot import Gap, Snapshot
from kubesec_nb.snapshot.resources import group_resource

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
#: Resources a read-only user without RBAC and NetworkPolicy access cannot list.
FORBIDDEN = ("clusterrolebindings.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
             "rolebindings.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io",
             "networkpolicies.networking.k8s.io")


def empty() -> Snapshot:
    """Nothing collected at all."""
    return Snapshot()


def gaps_403(sample: str = "eks-shop") -> Snapshot:
    """``sample`` with RBAC and NetworkPolicies forbidden: objects removed, one 403 gap each."""
    snap = Snapshot.load(SAMPLES / f"{sample}.json.gz")
    for key in list(snap.objects):
        if group_resource(key) in FORBIDDEN:
            del snap.objects[key]
    snap.gaps = [g for g in snap.gaps if g.resource not in FORBIDDEN]
    for res in FORBIDDEN:
        snap.add_gap(Gap(res, "list", "forbidden", status=403, message=f'{res} is forbidden: User "analyst" '
                         f'cannot list resource "{res.split(".")[0]}" at the cluster scope'))
    snap.normalize()
    return snap


def manifests_only() -> Snapshot:
    """A Helm-rendered app imported from manifests: no nodes, no kube-system, no live pods."""
    return Snapshot.from_manifests([ROOT / "tests" / "fixtures" / "manifests" / "helm-shop"])


@cache
def _synthetic(pods: int) -> Snapshot:
    sys.path.insert(0, str(SAMPLES))
    from generate import synthetic as gen  # type: ignore[import-not-found]

    return gen(pods)  # type: ignore[no-any-return]


def synthetic(pods: int = 1000) -> Snapshot:
    """The benchmark generator's cluster of ``pods`` pods (cached per process; do not mutate it)."""
    return _synthetic(pods)


def third_party() -> Snapshot | None:
    """Public projects' install YAML from ``$KUBESEC_NB_THIRD_PARTY``, or None when it is not set."""
    folder = os.environ.get("KUBESEC_NB_THIRD_PARTY")
    return Snapshot.from_manifests([folder]) if folder and Path(folder).is_dir() else None


ANY_CLUSTER: dict[str, Callable[[], Snapshot]] = {
    "empty": empty, "gaps-403": gaps_403, "manifests-only": manifests_only, "synthetic-1000": synthetic,
}
