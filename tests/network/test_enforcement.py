"""Unknown is not absent: a snapshot that cannot show the network plugin assumes upstream enforcement and says so."""

from __future__ import annotations

from typing import Any

import kubesec_nb as ks
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_check
from kubesec_nb.snapshot import Snapshot
from kubesec_nb.snapshot.document import Attachment
from tests import clusters

DENY_ALL = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "shop"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def _pod(name: str, ns: str = "shop", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "app:1"}], **spec},
            "status": {"phase": "Running", "podIP": f"10.0.0.{len(name)}"}}


def test_manifests_only_assumes_upstream_and_labels_it() -> None:
    a = ks.assess(clusters.manifests_only())
    net = a.network
    assert net.profile.name == "upstream" and net.profile.enforced and net.profile.unverified
    facts = dict(net.facts().values.tolist())
    assert facts["policies enforced"].startswith("assumed; enforcement not verified")
    pods = [e.id for e in net.endpoints]
    assert "enforcement not verified" in net.allowed(pods[0], pods[1], 80).reason
    rows = run_check(REGISTRY["NET-NOT-ENFORCED"], a)
    assert [r["status"] for r in rows] == ["not_assessed"] and "enforcement not verified" in rows[0]["message"]
    exposed = run_check(REGISTRY["NET-INTERNET-EXPOSED"], a)
    assert exposed and all("enforcement not verified" in r["message"] for r in exposed)


def test_policies_are_evaluated_when_the_plugin_is_unknown() -> None:
    """Upstream semantics by default: a deny-all policy isolates its namespace although no plugin is seen."""
    shop = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    net = ks.assess(Snapshot.from_objects([shop, _pod("a"), _pod("b"), DENY_ALL])).network
    assert net.profile.unverified and not net.allowed("shop/a", "shop/b", 80)
    assert "assumed enforced" in " ".join(net.low_confidence["reasons"])


def test_absence_seen_in_kube_system_is_not_enforced() -> None:
    """With the node agents visible (kube-proxy) and no enforcing plugin among them, policies have no effect."""
    proxy = _pod("kube-proxy", "kube-system", hostNetwork=True)
    a = ks.assess(Snapshot.from_objects([_pod("a"), _pod("b"), DENY_ALL, proxy]))
    assert a.network.profile.name == "none" and not a.network.profile.unverified
    assert a.network.allowed("shop/a", "shop/b", 80)
    assert [r["status"] for r in run_check(REGISTRY["NET-NOT-ENFORCED"], a)] == ["fail"]
    settled = ks.assess(clusters.manifests_only(), network_enforced=True).network.profile
    assert settled.enforced and not settled.unverified


def test_a_cloud_description_settles_absence() -> None:
    """Manifests do not show the plugin, but a GKE description with network policy off (and the legacy
    datapath) or an AKS one without networkPolicy does."""
    for kind, data in (("gke-cluster", {"networkPolicy": {"enabled": False}}),
                       ("aks-cluster", {"properties": {"networkProfile": {"networkPlugin": "kubenet"}}})):
        snap = clusters.manifests_only()
        snap.attachments.append(Attachment(kind, kind, data))
        prof = ks.assess(snap).network.profile
        assert prof.name == "none" and not prof.unverified, kind
        assert any(kind in e for e in prof.evidence)
