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
    assert "automountServiceAccountToken" in str(p.steps[1].evidence[0])  # the model's TokenMount
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


def test_escape_then_the_node_authorizer(tmp_path: Path) -> None:
    a = scenario("escape", tmp=tmp_path)
    assert _techniques(a, "internet", "cluster-admin") == [
        ("internet", "exposed-service", "pod:web/web"),
        ("pod:web/web", "escape-privileged", "node:n1"),
        ("node:n1", "kubelet-credentials", "user:system:node:n1"),
        ("user:system:node:n1", "node-authorizer", "sa:ops/agent"),
        ("sa:ops/agent", "rbac-grant", "cluster-admin")]
    assert ("node:n1", "node-pod-access", "pod:ops/agent") in edges(a)
    assert not [e for e in edges(a, "token-mounted") if e[0] == "pod:ops/agent"]
    # the Node authorizer limits n1 to its own pods: ops/other runs on n2 (n1 still reaches it over the network)
    assert ("user:system:node:n1", "node-authorizer", "sa:ops/other") not in edges(a)
    assert "net:open" in route(a, "node:n1", "sa:ops/other")  # type: ignore[operator]
    assert route(a, "node:n2", "sa:ops/other") == ["node:n2", "pod:ops/other", "sa:ops/other"]


def test_no_escape_no_node(tmp_path: Path) -> None:
    a = scenario("escape", "unprivileged", tmp=tmp_path)
    assert a.paths("internet", "node:*") == []
    # cluster-admin is still reached, over the network to ops/other's token: never through a node
    assert all(not n.startswith("node:") for p in a.paths("internet", "cluster-admin") for n in p.nodes)


def test_every_escape_technique(tmp_path: Path) -> None:
    a = scenario("techniques", tmp=tmp_path)
    found = {(u, t, v) for u, t, v in edges(a) if u.startswith("pod:t/") and (v.startswith("node:") or
                                                                              t == "host-tokens")}
    assert found == {
        ("pod:t/priv", "escape-privileged", "node:n-priv"),
        ("pod:t/nsenter", "escape-privileged", "node:n-nsenter"),
        ("pod:t/nsenter", "escape-nsenter", "node:n-nsenter"),
        ("pod:t/caps", "escape-capability", "node:n-caps"),
        ("pod:t/rootfs", "escape-host-path", "node:n-rootfs"),
        ("pod:t/socket", "escape-runtime-socket", "node:n-socket"),
        ("pod:t/logs", "escape-var-log", "node:n-logs"),
        ("pod:t/kubelet", "host-tokens", "sa:t/victim"),
    }


def test_exec_reaches_identities_only_through_mounted_tokens(tmp_path: Path) -> None:
    a = scenario("rbac", tmp=tmp_path)
    assert route(a, "user:alice", "cluster-admin") == ["user:alice", "pod:shop/*", "pod:shop/runner",
                                                       "sa:shop/runner", "cluster-admin"]
    assert [s.technique for s in a.paths("User:alice", "cluster-admin")[0].steps] == [
        "pod-exec", "any-pod", "token-mounted", "rbac-grant"]
    assert route(a, "user:alice", "sa:shop/quiet") is None
    assert route(a, "user:alice", "sa:shop/done") is None
    assert "pod:shop/done" not in a.graph


# exec, attach, ephemeral containers and nodes/proxy yield a token only from a running pod that mounts one
# (kubelet: exec runs in the container, which holds only what is mounted)
def test_named_exec_into_a_pod_without_token_gives_no_identity(tmp_path: Path) -> None:
    a = scenario("rbac", tmp=tmp_path)
    assert route(a, "user:bob", "cluster-admin") is None


def test_named_exec_into_a_finished_pod_gives_no_identity(tmp_path: Path) -> None:
    a = scenario("rbac", tmp=tmp_path)
    assert route(a, "user:carol", "cluster-admin") is None


def test_pod_security_decides_privileged_pod_creation(tmp_path: Path) -> None:
    a = scenario("psa", tmp=tmp_path)
    assert route(a, "user:dev1", "node:*") == ["user:dev1", "node:*"]
    step = a.paths("user:dev1", "node:n1")[0].steps[0]
    assert step.technique == "create-privileged-pod"
    assert any(e.object == "Namespace open" and "privileged" in e.value for e in step.evidence)
    assert route(a, "user:dev2", "node:*") is None  # baseline refuses privileged pods
    step = a.paths("user:dev3", "node:*")[0].steps[0]
    assert step.technique == "create-privileged-pod"
    assert any("relabel" in e.field or "relabel" in e.value for e in step.evidence)


GKE_NODE_SA = "cloud:gcp:nodes@media-prod.iam.gserviceaccount.com"


def test_metadata_service_gives_the_node_identity(tmp_path: Path) -> None:
    a = scenario("imds", tmp=tmp_path, provider="gke")
    assert route(a, "internet", "cloud:*") == ["internet", "pod:web/web", GKE_NODE_SA]
    step = a.paths("internet", GKE_NODE_SA)[0].steps[1]
    assert step.technique == "imds" and step.certainty == "confirmed"
    assert ("node:n1", "imds", GKE_NODE_SA) in edges(a)


def test_egress_policy_blocks_the_metadata_service(tmp_path: Path) -> None:
    a = scenario("imds", "egress", tmp=tmp_path, provider="gke")
    assert ("pod:web/web", "imds", GKE_NODE_SA) not in edges(a)
    assert ("node:n1", "imds", GKE_NODE_SA) in edges(a)
    assert a.paths("internet", "cloud:*") == []


def test_gke_metadata_server_blocks_the_metadata_service(tmp_path: Path) -> None:
    a = scenario("imds-wi", tmp=tmp_path, provider="gke")
    assert ("pod:web/web", "imds", GKE_NODE_SA) not in edges(a)
    assert ("node:n1", "imds", GKE_NODE_SA) in edges(a)
    assert a.paths("internet", "cloud:*") == []


def test_cloud_identity_round_trip(tmp_path: Path) -> None:
    a = scenario("cloud", tmp=tmp_path, provider="eks")
    role = "cloud:aws:arn:aws:iam::111122223333:role/api"
    assert _techniques(a, "internet", "cluster-admin")[:4] == [
        ("internet", "exposed-service", "pod:shop/api"),
        ("pod:shop/api", "irsa", role),
        (role, "aws-auth", "user:api-admin"),
        ("user:api-admin", "member-of", "group:system:masters")]
    # the hard-wired group, also bound to cluster-admin by the bootstrap ClusterRoleBinding (equal cost)
    assert ("group:system:masters", "system-masters", "cluster-admin") in edges(a)
    node_role = "cloud:aws:arn:aws:iam::111122223333:role/nodes"
    imds = [p for p in a.paths("internet", node_role)]
    assert imds and imds[0].steps[-1].technique == "imds" and imds[0].certainty == "unknown"
