"""Conformance table: NetworkPolicy semantics (reference §1) on the upstream x/y/z × a/b/c layout.

Every expectation below is written from the API semantics and the upstream e2e cases
(``test/e2e/network/netpol/network_policy.go``), not from this implementation's output.
Each probe also checks that the class-based engine agrees with the reference evaluator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.network.e2e import Truth, analysis, mismatches, pod_ip

Sel = dict[str, Any]


def pol(name: str, ns: str = "x", selector: Sel | None = None, ingress: list[Any] | None = None,
        egress: list[Any] | None = None, types: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector if selector is not None else {}}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    if types is not None:
        spec["policyTypes"] = types
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


def pods(**labels: str) -> Sel:
    return {"matchLabels": labels}


def expr(key: str, op: str, *values: str) -> Sel:
    e: dict[str, Any] = {"key": key, "operator": op}
    if values:
        e["values"] = list(values)
    return {"matchExpressions": [e]}


@dataclass
class Case:
    name: str
    policies: list[dict[str, Any]]
    probes: list[tuple[int | str, str, Callable[[], Truth]]]
    profile: str = "upstream"
    extra: list[dict[str, Any]] = field(default_factory=list)


def only_from(to: str, *sources: str) -> Truth:
    t = Truth().expect_all_ingress(to, False)
    for s in sources:
        t.expect(s, to, True)
    return t


CASES = [
    Case("default-deny-ingress", [pol("deny-ingress", types=["Ingress"])],
         [(80, "TCP", lambda: Truth().expect_peer(to_ns="x", ok=False))]),
    Case("default-deny-egress (client side)", [pol("deny-egress", types=["Egress"])],
         [(80, "TCP", lambda: Truth().expect_peer(frm_ns="x", ok=False)),
          (53, "UDP", lambda: Truth().expect_peer(frm_ns="x", ok=False))]),
    Case("deny-all both directions",
         [pol("deny-all", types=["Ingress", "Egress"])],
         [(81, "TCP", lambda: Truth().expect_peer(frm_ns="x", ok=False).expect_peer(to_ns="x", ok=False))]),
    Case("allow from same namespace (podSelector {} alone)",
         [pol("x-a-from-x", selector=pods(pod="a"), ingress=[{"from": [{"podSelector": {}}]}])],
         [(80, "TCP", lambda: only_from("x/a", "x/b", "x/c"))]),
    Case("allow from namespace by label",
         [pol("x-a-from-y", selector=pods(pod="a"), ingress=[{"from": [{"namespaceSelector": pods(ns="y")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "y/a", "y/b", "y/c"))]),
    Case("default namespace label kubernetes.io/metadata.name",
         [pol("x-a-from-y", selector=pods(pod="a"),
              ingress=[{"from": [{"namespaceSelector": pods(**{"kubernetes.io/metadata.name": "y"})}]}])],
         [(80, "TCP", lambda: only_from("x/a", "y/a", "y/b", "y/c"))]),
    Case("namespaceSelector NotIn (matches namespaces without the value)",
         [pol("x-a-not-y", selector=pods(pod="a"),
              ingress=[{"from": [{"namespaceSelector": expr("ns", "NotIn", "y")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "x/b", "x/c", "z/a", "z/b", "z/c"))]),
    Case("podSelector DoesNotExist on a missing key selects every pod",
         [pol("x-a-no-tier", selector=pods(pod="a"),
              ingress=[{"from": [{"podSelector": expr("tier", "DoesNotExist")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "x/b", "x/c"))]),
    Case("podSelector In",
         [pol("x-a-from-b", selector=pods(pod="a"), ingress=[{"from": [{"podSelector": expr("pod", "In", "b")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "x/b"))]),
    Case("namespaceSelector AND podSelector in one peer",
         [pol("and", selector=pods(pod="a"), ingress=[{"from": [
             {"namespaceSelector": pods(ns="y"), "podSelector": pods(pod="b")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "y/b"))]),
    Case("namespaceSelector OR podSelector as two peers",
         [pol("or", selector=pods(pod="a"), ingress=[{"from": [
             {"namespaceSelector": pods(ns="y")}, {"podSelector": pods(pod="b")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "y/a", "y/b", "y/c", "x/b"))]),
    Case("namespaceSelector {} selects every namespace",
         [pol("all-ns", selector=pods(pod="a"),
              ingress=[{"from": [{"namespaceSelector": {}, "podSelector": pods(pod="b")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "x/b", "y/b", "z/b"))]),
    Case("ingress [{}] allows everything",
         [pol("deny", types=["Ingress"]), pol("allow-all", ingress=[{}])],
         [(80, "TCP", lambda: Truth())]),
    Case("policies are additive",
         [pol("from-b", selector=pods(pod="a"), ingress=[{"from": [{"podSelector": pods(pod="b")}]}]),
          pol("from-c", selector=pods(pod="a"), ingress=[{"from": [{"podSelector": pods(pod="c")}]}])],
         [(80, "TCP", lambda: only_from("x/a", "x/b", "x/c"))]),
    Case("single port allowed, other port denied",
         [pol("port-81", selector=pods(pod="a"), ingress=[{"ports": [{"port": 81, "protocol": "TCP"}]}])],
         [(81, "TCP", lambda: Truth()), (80, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("named port serve-81-tcp",
         [pol("named", selector=pods(pod="a"), ingress=[{"ports": [{"port": "serve-81-tcp"}]}])],
         [(81, "TCP", lambda: Truth()), (80, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("named port with the wrong protocol matches nothing",
         [pol("named-udp", selector=pods(pod="a"), ingress=[{"ports": [{"port": "serve-80-tcp", "protocol": "UDP"}]}])],
         [(80, "UDP", lambda: Truth().expect_all_ingress("x/a", False)),
          (80, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("egress on a named port resolves on the destination pod",
         [pol("egress-named", selector=pods(pod="a"), types=["Egress"], egress=[{"ports": [{"port": "serve-80-udp",
                                                                                          "protocol": "UDP"}]}])],
         [(80, "UDP", lambda: Truth()), (81, "UDP", lambda: Truth().expect_all_egress("x/a", False))]),
    Case("endPort range",
         [pol("range", selector=pods(pod="a"), ingress=[{"ports": [{"port": 79, "endPort": 80}]}])],
         [(80, "TCP", lambda: Truth()), (81, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("endPort ignored by a plugin without support (azure-npm profile: only port)",
         [pol("range", selector=pods(pod="a"), ingress=[{"ports": [{"port": 79, "endPort": 81}]}])],
         [(80, "TCP", lambda: Truth().expect_all_ingress("x/a", False)),
          (79, "TCP", lambda: Truth())], profile="azure-npm"),
    Case("SCTP-only allow does not allow TCP",
         [pol("sctp", selector=pods(pod="a"), ingress=[{"ports": [{"port": 80, "protocol": "SCTP"}]}])],
         [(80, "SCTP", lambda: Truth()), (80, "TCP", lambda: Truth().expect_all_ingress("x/a", False)),
          (80, "UDP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("UDP port allow",
         [pol("udp", selector=pods(pod="a"), ingress=[{"ports": [{"port": 81, "protocol": "UDP"}]}])],
         [(81, "UDP", lambda: Truth()), (81, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("protocol without port matches every port of that protocol",
         [pol("udp-any", selector=pods(pod="a"), ingress=[{"ports": [{"protocol": "UDP"}]}])],
         [(81, "UDP", lambda: Truth()), (81, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("from and ports are ANDed within a rule",
         [pol("and-ports", selector=pods(pod="a"), ingress=[{"from": [{"podSelector": pods(pod="b")}],
                                                             "ports": [{"port": 80}]}])],
         [(80, "TCP", lambda: only_from("x/a", "x/b")), (81, "TCP", lambda: only_from("x/a"))]),
    Case("egress denied on the client even when the server allows",
         [pol("client-deny", selector=pods(pod="a"), types=["Egress"]),
          pol("server-allow", ns="y", selector=pods(pod="b"),
              ingress=[{"from": [{"namespaceSelector": pods(ns="x")}]}])],
         [(80, "TCP", lambda: Truth().expect_all_egress("x/a", False)
           .expect_all_ingress("y/b", False).expect_peer(frm_ns="x", to_ns="y", to_pod="b", ok=True)
           .expect("x/a", "y/b", False))]),
    Case("policyTypes defaulting: egress rules make it an egress policy",
         [pol("defaulted", selector=pods(pod="a"), egress=[{"to": [{"podSelector": pods(pod="b")}]}])],
         [(80, "TCP", lambda: Truth().expect_all_ingress("x/a", False).expect_all_egress("x/a", False)
           .expect("x/a", "x/b", True))]),
    Case("policyTypes defaulting: egress [] is not an egress policy",
         [pol("empty-egress", selector=pods(pod="a"), egress=[])],
         [(80, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("egress to a pod IP in a CIDR (ipBlock matches pods)",
         [pol("cidr", selector=pods(pod="a"), types=["Egress"],
              egress=[{"to": [{"ipBlock": {"cidr": f"{pod_ip('y', 'b')}/32"}}]}])],
         [(80, "TCP", lambda: Truth().expect_all_egress("x/a", False).expect("x/a", "y/b", True))]),
    Case("ipBlock except excludes the address",
         [pol("except", selector=pods(pod="a"), types=["Egress"],
              egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"{pod_ip('y', 'b')}/32"]}}]}])],
         [(80, "TCP", lambda: Truth().expect("x/a", "y/b", False))]),
    Case("an excepted address allowed by another rule is allowed",
         [pol("except", selector=pods(pod="a"), types=["Egress"],
              egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"{pod_ip('y', 'b')}/32"]}}]}]),
          pol("allow-it", selector=pods(pod="a"), types=["Egress"],
              egress=[{"to": [{"ipBlock": {"cidr": f"{pod_ip('y', 'b')}/32"}}]}])],
         [(80, "TCP", lambda: Truth())]),
    Case("ipBlock-external profile: CIDRs never match pods",
         [pol("cidr", selector=pods(pod="a"), types=["Egress"],
              egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}])],
         [(80, "TCP", lambda: Truth().expect_all_egress("x/a", False))], profile="ipblock-external"),
    Case("a peer with no field is invalid and matches nothing",
         [pol("empty-peer", selector=pods(pod="a"), ingress=[{"from": [{}]}])],
         [(80, "TCP", lambda: Truth().expect_all_ingress("x/a", False))]),
    Case("a policy never selects pods of another namespace",
         [pol("y-deny", ns="y", selector=pods(pod="a"), types=["Ingress"])],
         [(80, "TCP", lambda: Truth().expect_all_ingress("y/a", False))]),
    Case("no enforcing plugin: everything allowed",
         [pol("deny-all", types=["Ingress", "Egress"])],
         [(80, "TCP", lambda: Truth())], profile="none"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance(case: Case) -> None:
    net = analysis(case.policies, case.profile, case.extra)
    for port, proto, truth in case.probes:
        assert mismatches(net, truth(), port, proto) == [], f"{proto}/{port}"
