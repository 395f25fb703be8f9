"""allowed() on Services, externals, nodes; explanations; matrices; graph; class engine vs reference."""

from __future__ import annotations

import random

import pytest

from kubesec_nb.errors import OptionError
from kubesec_nb.network.profile import PROFILES
from tests.network.e2e import ALL_PODS, Truth, analysis, mismatches, objects, pod_ip
from tests.network.test_conformance import pods, pol


def test_harness_detects_wrong_expectations() -> None:
    net = analysis([pol("deny", types=["Ingress"])])
    assert mismatches(net, Truth(), 80)


def test_decision_names_isolating_and_allowing_rules() -> None:
    net = analysis([pol("deny", types=["Ingress"]),
                    pol("from-b", selector=pods(pod="a"), ingress=[{"from": [{"podSelector": pods(pod="b")}],
                                                                    "ports": [{"port": 80}]}])])
    d = net.allowed("x/b", "x/a", 80)
    assert d and d.ingress is not None and d.egress is not None
    assert d.ingress.isolating == ("x/deny", "x/from-b")
    assert d.ingress.allowing == ("x/from-b ingress[0] from[0] podSelector pod=b (same namespace); ports[0] TCP/80",)
    assert not d.egress.isolated
    denied = net.allowed("y/b", "x/a", 80)
    assert not denied and "ingress of the destination" in denied.reason
    assert "x/deny" in denied.policies


def test_service_resolves_named_target_port_per_pod() -> None:
    net = analysis([pol("only-81", selector=pods(pod="a"), ingress=[{"ports": [{"port": 81}]}])])
    assert not net.allowed("y/b", "svc:x/s-x-a", 80)
    d = net.allowed("y/b", "svc:x/s-x-a", 81)
    assert d and d.parts[0].dst == "x/a" and d.parts[0].port == 81
    assert net.allowed("y/b", "svc:x/s-x-a", "service-port-81-tcp")


def test_external_peers_internet_cidr_and_ip() -> None:
    net = analysis([pol("egress", selector=pods(pod="a"), types=["Egress"],
                        egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["8.8.8.0/24"]}}]}]),
                    pol("ingress", selector=pods(pod="b"), types=["Ingress"],
                        ingress=[{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}])])
    assert not net.allowed("x/a", "8.8.8.8", 53, "UDP")
    assert net.allowed("x/a", "1.1.1.1", 53, "UDP")
    assert net.allowed("x/a", "internet", 443)
    part = net.allowed("x/a", "8.8.0.0/16", 443)
    assert part and part.partial
    assert net.allowed("203.0.113.9", "x/b", 80)
    assert not net.allowed("198.51.100.1", "x/b", 80)
    assert net.allowed("internet", "x/b", 80).partial
    assert net.allowed(pod_ip("y", "c"), "x/a", 80)  # an IP of a pod is that pod


def test_host_network_and_own_node() -> None:
    host = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "agent", "namespace": "x", "labels": {"pod": "h"}},
            "spec": {"nodeName": "n1", "hostNetwork": True, "containers": [{"name": "c"}]},
            "status": {"phase": "Running", "podIP": "192.168.0.10"}}
    other = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n2"},
             "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.11"}]}}
    net = analysis([pol("deny-all", types=["Ingress", "Egress"])], extra=[host, other])
    # the policy selects the hostNetwork pod but has no effect on it
    assert net.allowed("x/agent", "y/a", 80) and net.allowed("y/a", "x/agent", 80)
    # own node: the hostNetwork agent on n1 reaches isolated pods on n1
    assert "own node" in net.allowed("x/agent", "x/a", 80).reason
    assert net.allowed("node:n1", "x/b", 80)
    assert not net.allowed("node:n2", "x/b", 80)


def test_pods_without_ip_are_excluded() -> None:
    pending = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"},
               "spec": {"containers": []}, "status": {"phase": "Pending"}}
    net = analysis([], extra=[pending])
    assert net.excluded == {"x/p": "no IP (phase Pending)"}
    with pytest.raises(OptionError, match="no part in traffic"):
        net.allowed("x/p", "x/a", 80)


def test_namespace_matrix_and_pod_matrix() -> None:
    net = analysis([pol("deny", types=["Ingress"])])
    m = net.matrix()
    assert m.loc["y", "x"] == 0.0 and m.loc["y", "z"] == 1.0 and m.loc["x", "y"] == 1.0
    assert m.loc["internet", "x"] == 0.0 and m.loc["internet", "y"] == 1.0 and m.loc["x", "internet"] == 1.0
    pm = net.matrix(level="pod")
    assert pm.loc["y/a", "x/a"] == "" and pm.loc["x/a", "y/a"] == "all" and pm.loc["x/a", "x/a"] == "all"


def test_graph_edges_carry_ports_and_evidence() -> None:
    net = analysis([pol("deny", types=["Ingress"]),
                    pol("web", selector=pods(pod="a"), ingress=[{"from": [{"namespaceSelector": pods(ns="y")}],
                                                                 "ports": [{"port": 80}]}])])
    g = net.graph()
    assert g.has_edge("pod:y/b", "pod:x/a") and not g.has_edge("pod:z/b", "pod:x/a")
    e = g.edges["pod:y/b", "pod:x/a"]
    assert e["ports"] == "TCP/80" and e["port_ranges"] == (("TCP", 80, 80),)
    assert any("x/web ingress[0]" in x for x in e["evidence"])
    assert g.has_edge("pod:x/a", "internet")


def _random_policy(rng: random.Random, i: int) -> dict[str, object]:
    def sel() -> dict[str, object]:
        return rng.choice([{}, pods(pod=rng.choice("abc")),
                           {"matchExpressions": [{"key": "pod", "operator": rng.choice(["In", "NotIn"]),
                                                  "values": [rng.choice("abc")]}]}])

    def peer() -> dict[str, object]:
        kind = rng.randrange(4)
        if kind == 0:
            return {"podSelector": sel()}
        if kind == 1:
            return {"namespaceSelector": pods(ns=rng.choice("xyz"))}
        if kind == 2:
            return {"namespaceSelector": rng.choice([{}, pods(ns=rng.choice("xyz"))]), "podSelector": sel()}
        return {"ipBlock": {"cidr": rng.choice(["10.0.0.0/8", "10.1.0.0/16", "10.2.0.2/32", "0.0.0.0/0"]),
                            "except": rng.choice([[], ["10.1.0.1/32"], ["10.2.0.0/24"]])}}

    def rule(direction: str) -> dict[str, object]:
        r: dict[str, object] = {}
        if rng.random() < 0.8:
            r["from" if direction == "ingress" else "to"] = [peer() for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.7:
            r["ports"] = [rng.choice([{"port": 80}, {"port": 81, "protocol": "UDP"}, {"port": "serve-81-tcp"},
                                      {"port": 79, "endPort": 81}, {"protocol": "SCTP"}])]
        return r

    types = rng.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
    return pol(f"r{i}", ns=rng.choice("xyz"), selector=sel(), types=types,
               ingress=[rule("ingress") for _ in range(rng.randint(0, 2))],
               egress=[rule("egress") for _ in range(rng.randint(0, 2))])


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("profile", ["upstream", "ipblock-external", "azure-npm"])
def test_class_engine_matches_reference_evaluator(seed: int, profile: str) -> None:
    rng = random.Random(seed)
    net = analysis([_random_policy(rng, i) for i in range(rng.randint(1, 6))], profile)
    r = net.reach
    idx = {e.id: int(r.class_of[i]) for i, e in enumerate(net.endpoints)}
    for port, proto in ((80, "TCP"), (81, "TCP"), (81, "UDP"), (79, "TCP"), (5000, "SCTP")):
        for f in ALL_PODS:
            for t in ALL_PODS:
                if f != t:
                    ref = bool(net.evaluator.decide(net.by_id[f], net.by_id[t], port, proto))
                    assert r.ports.contains(r.class_mask(idx[f], idx[t]), proto, port) == ref, (f, t, port, proto)
        for ext in ("10.9.9.9", "8.8.8.8", "10.1.0.1"):
            ep = net._resolve(ext, port, proto, "dst")[0][0]
            if ep.kind != "external":
                continue
            atom = r.space.atom_of(ep.ips[0])
            for f in ALL_PODS:
                ref = bool(net.evaluator.decide(net.by_id[f], ep, port, proto))
                assert r.ports.contains(r.masks[r.to_atom(idx[f], atom)], proto, port) == ref
                ref_in = bool(net.evaluator.decide(ep, net.by_id[f], port, proto))
                assert r.ports.contains(r.masks[r.from_atom(atom, idx[f])], proto, port) == ref_in


def test_unknown_endpoint_and_level() -> None:
    net = analysis([])
    with pytest.raises(OptionError):
        net.allowed("nope", "x/a", 80)
    with pytest.raises(OptionError):
        net.matrix(level="cluster")
    assert len(objects()) > 9 and PROFILES["upstream"].enforced
