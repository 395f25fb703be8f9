"""Hand-derived attack paths and non-paths on small scenario clusters (``scenarios/*.yaml``).

Each scenario file states the expected path in its header; each variant breaks one link of it.
"""

from __future__ import annotations

from pathlib import Path

from tests.graph.conftest import edges, route, scenario


def test_exposed_pod_token_cluster_admin(tmp_path: Path) -> None:
    a = scenario("exposed", tmp=tmp_path)
    p = a.paths("internet", "cluster-admin")[0]
    assert [(s.source, s.technique, s.target) for s in p.steps] == [
        ("internet", "exposed-service", "pod:shop/web"),
        ("pod:shop/web", "token-mounted", "sa:shop/web"),
        ("sa:shop/web", "rbac-grant", "cluster-admin")]
    assert "Service shop/web (type LoadBalancer)" in str(p.steps[0].evidence[0])
    assert "spec.volumes[0].projected.sources[0].serviceAccountToken" in str(p.steps[1].evidence[0])
    assert "ClusterRoleBinding/web-admin" in str(p.steps[2].evidence[0])
    assert p.cost == 3 + 1 + 0 and p.certainty == "confirmed"


def test_networkpolicy_breaks_the_path(tmp_path: Path) -> None:
    a = scenario("exposed", "netpol", tmp=tmp_path)
    assert not [e for e in edges(a, "exposed-service")]
    assert a.paths("internet", "cluster-admin") == []
    # the pod itself still reaches cluster-admin: only the way in is closed
    assert route(a, "pod:shop/web", "cluster-admin") == ["pod:shop/web", "sa:shop/web", "cluster-admin"]


def test_automount_off_breaks_the_path(tmp_path: Path) -> None:
    a = scenario("exposed", "no-token", tmp=tmp_path)
    assert ("internet", "exposed-service", "pod:shop/web") in edges(a)
    assert not edges(a, "token-mounted")
    assert a.paths("internet", "cluster-admin") == []


def test_missing_grant_breaks_the_path(tmp_path: Path) -> None:
    a = scenario("exposed", "no-grant", tmp=tmp_path)
    assert ("pod:shop/web", "token-mounted", "sa:shop/web") in edges(a)
    assert a.paths("internet", "cluster-admin") == []


def test_finished_pod_breaks_the_path(tmp_path: Path) -> None:
    a = scenario("exposed", "finished", tmp=tmp_path)
    assert "pod:shop/web" not in a.graph
    assert a.paths("internet", "cluster-admin") == []
    assert a.paths("pod:shop/web", "cluster-admin") == []  # present in the snapshot, reaches nothing


def _techniques(a: object, source: str, target: str) -> list[tuple[str, str, str]]:
    found = a.paths(source, target, k=1)  # type: ignore[attr-defined]
    return [(s.source, s.technique, s.target) for s in found[0].steps] if found else []


def test_lateral_movement_over_an_open_network(tmp_path: Path) -> None:
    a = scenario("lateral", tmp=tmp_path)
    assert _techniques(a, "internet", "secrets:*") == [
        ("internet", "exposed-service", "pod:front/ui"),
        ("pod:front/ui", "net-egress", "net:open"),
        ("net:open", "net-allow", "net:unisolated"),
        ("net:unisolated", "network", "pod:back/api"),
        ("pod:back/api", "token-mounted", "sa:back/api"),
        ("sa:back/api", "rbac-grant", "secrets:*")]
    net = a.paths("internet", "secrets:*")[0].steps[3]
    assert net.ports == "all" and "not isolated" in str(net.evidence[0])


def test_ingress_policy_breaks_lateral_movement(tmp_path: Path) -> None:
    a = scenario("lateral", "deny", tmp=tmp_path)
    assert a.paths("internet", "secrets:*") == []
    assert route(a, "pod:front/ui", "pod:back/api") is None
    assert route(a, "pod:back/api", "secrets:*") == ["pod:back/api", "sa:back/api", "secrets:*"]


def test_ingress_policy_admitting_the_source_names_the_rule_and_ports(tmp_path: Path) -> None:
    a = scenario("lateral", "allow", tmp=tmp_path)
    steps = a.paths("internet", "secrets:*")[0].steps
    assert [(s.source, s.target) for s in steps[1:4]] == [
        ("pod:front/ui", "net:from:front"), ("net:from:front", "net:in:back:allow-front"),
        ("net:in:back:allow-front", "pod:back/api")]
    assert steps[2].ports == "TCP/8080"
    assert any(e.object == "NetworkPolicy back/allow-front" and e.field == "spec.ingress[0]" for e in steps[2].evidence)


def test_egress_policy_breaks_lateral_movement(tmp_path: Path) -> None:
    a = scenario("lateral", "egress", tmp=tmp_path)
    assert ("pod:front/ui", "net-egress", "net:out:front:dns-only") in edges(a)
    assert route(a, "pod:front/ui", "pod:back/api") is None
    assert a.paths("internet", "secrets:*") == []
