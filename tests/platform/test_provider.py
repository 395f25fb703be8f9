"""Provider detection: the provider, a confidence, the evidence and the modes that change what applies."""

from __future__ import annotations

from typing import Any

import pytest

from kubesec_nb.model import Model
from kubesec_nb.platform import detect_provider
from kubesec_nb.snapshot import Attachment, Snapshot
from kubesec_nb.snapshot.provider import guess_provider
from tests.clusters import ANY_CLUSTER
from tests.conftest import SAMPLES
from tests.platform import descriptions as d


def node(name: str, labels: dict[str, str] | None = None, pid: str = "") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"providerID": pid}}


def ds(name: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": "kube-system"},
            "spec": {"template": {"spec": {"containers": []}}}}


@pytest.mark.parametrize(("objs", "meta", "expected"), [
    ([node("n", pid="aws:///eu-west-1a/i-1")], {}, ("eks", "high")),
    ([node("n", {"cloud.google.com/gke-nodepool": "p"})], {}, ("gke", "medium")),
    ([ds("ama-logs")], {}, ("aks", "low")),
    ([], {"provider": "aks"}, ("aks", "medium")),  # the collector's kubeconfig-endpoint guess
    ([], {"serverVersion": {"gitVersion": "v1.29.8-gke.1031000"}}, ("gke", "high")),
    ([], {}, ("unknown", "none")),
    # a GKE version string but AWS nodes: conflicting strong signals
    ([node("n", pid="aws:///a/i-1")], {"serverVersion": {"gitVersion": "v1.29.8-gke.1"}}, ("gke", "low")),
])
def test_confidence(objs: list[dict[str, Any]], meta: dict[str, Any], expected: tuple[str, str]) -> None:
    info = detect_provider(Model(Snapshot.from_objects(objs, metadata=meta)))
    assert (info.name, info.confidence) == expected
    assert bool(info.evidence) == (expected[0] != "unknown")


def test_attachment_wins_and_conflicts_are_named() -> None:
    snap = Snapshot.from_objects([node("n", pid="gce://p/z/n")])
    snap.attachments.append(Attachment("aks-cluster", "a.json", d.aks()))
    assert guess_provider(snap) == "aks"
    info = detect_provider(Model(snap))
    assert (info.name, info.confidence, info.conflicts) == ("aks", "low", ("gke",))


def test_modes() -> None:
    aks = d.aks()
    aks["sku"] = {"name": "Automatic", "tier": "Standard"}
    snap = Snapshot()
    snap.attachments.append(Attachment("aks-cluster", "a.json", d.aks_arm(aks)))
    info = detect_provider(Model(snap))
    assert info.modes == ("aks-automatic",) and info.mode_evidence[0].field == "sku.name"


def test_samples_and_any_cluster() -> None:
    for name, provider in (("eks-shop", "eks"), ("gke-media", "gke"), ("aks-bank", "aks")):
        info = detect_provider(Model(Snapshot.load(SAMPLES / f"{name}.json.gz")))
        assert (info.name, info.confidence, info.modes) == (provider, "high", ())
    for make in ANY_CLUSTER.values():
        assert detect_provider(Model(make())).confidence in ("high", "medium", "low", "none")
