"""Differential test against network-config-analyzer 2.1.0 (NCA) under the ipblock-external profile.

Seeded random policies on the x/y/z × a/b/c layout; every ordered pod pair and pod ↔
external address is compared on a grid of (protocol, port) probes. Known, documented
disagreements (each with the side that is right) are tested separately below, so the
random comparison must agree exactly:

1. ``egress: []`` (present but empty) with no ``policyTypes``: NCA makes the policy an
   egress policy (deny-all egress); the API server defaults policyTypes to ``[Ingress]``
   only, because ``len(spec.egress) == 0`` (``SetDefaults_NetworkPolicySpec``). We are right.
2. A peer with no field (``from: [{}]``): NCA rejects the input; the API server rejects
   the object too. We keep it (offline manifests) as a peer that matches nothing and
   report it (NET-BROAD-ALLOW). Both refuse to treat it as "allow"; no verdict differs.
3. Loopback: NCA omits pod → itself; we always allow it (rule 18). Ignored in the diff.
4. ``ingress`` rules in a policy whose explicit ``policyTypes`` lacks ``Ingress`` (same for
   egress): NCA rejects the input ("NetworkPolicy with ingress field but no Ingress in its
   policyTypes"); the API server accepts such an object and the rules have no effect. We
   ignore them, as the API does. The random generator therefore drops those keys.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.network import nca
from tests.network.e2e import ALL_PODS, analysis, objects
from tests.network.test_api import _random_policy
from tests.network.test_conformance import pods, pol

pytestmark = pytest.mark.skipif(not nca.available(), reason="network-config-analyzer venv missing: run "
                                "'make nca-venv' (creates .venv-nca with network-config-analyzer==2.1.0)")

PROBES = [("TCP", 80), ("TCP", 81), ("TCP", 79), ("TCP", 5000), ("UDP", 80), ("UDP", 81), ("SCTP", 80),
          ("SCTP", 81)]
EXTERNAL = ["8.8.8.8", "10.9.9.9", "10.1.0.200", "192.168.1.1", "203.0.113.7"]


def _range_has(text: str, ip: str) -> bool:
    from kubesec_nb.network.addresses import parse_ip

    lo, _, hi = text.partition("-")
    a, b, x = parse_ip(lo), parse_ip(hi or lo), parse_ip(ip)
    return a is not None and b is not None and x is not None and a[0] == x[0] and a[1] <= x[1] <= b[1]


def _nca_external(got: dict[tuple[str, str], nca.Conn], pod: str, ip: str, outbound: bool) -> nca.Conn:
    conn: nca.Conn = set()
    for (s, d), c in got.items():
        rng, other = (d, s) if outbound else (s, d)
        if other == pod and "/" not in rng and _range_has(rng, ip):
            conn |= c
    return conn


def diff(policies: list[dict[str, Any]], tmp: Path) -> list[str]:
    got = nca.parse(nca.run(tmp, objects(policies)))
    net = analysis(policies, "ipblock-external")
    # (source, destination, NCA's connections) for every pod pair and pod <-> external address
    pairs: list[tuple[str, str, nca.Conn | None]] = []
    for s in ALL_PODS:
        pairs += [(s, d, got.get((s, d))) for d in ALL_PODS if d != s]
        for ip in EXTERNAL:
            pairs += [(s, ip, _nca_external(got, s, ip, True)), (ip, s, _nca_external(got, s, ip, False))]
    out = []
    for proto, port in PROBES:
        for src, dst, conn in pairs:
            ours, theirs = bool(net.allowed(src, dst, port, proto)), nca.allows(conn, proto, port)
            if ours != theirs:
                out.append(f"{src} -> {dst} {proto}/{port}: ours {ours}, NCA {theirs}")
    return out


@pytest.mark.parametrize("seed", range(10))
def test_random_policies_agree_with_nca(seed: int, tmp_path: Path) -> None:
    rng = random.Random(1000 + seed)
    policies = [_nca_acceptable(_random_policy(rng, i)) for i in range(rng.randint(2, 8))]
    assert diff(policies, tmp_path) == []


def _nca_acceptable(policy: dict[str, Any]) -> dict[str, Any]:
    """Drop the rules of directions not in policyTypes (disagreement 4: NCA refuses them)."""
    spec = policy["spec"]
    for direction in ("ingress", "egress"):
        if direction.capitalize() not in spec["policyTypes"]:
            spec.pop(direction, None)
    return policy


def test_documented_disagreement_empty_egress_without_policy_types(tmp_path: Path) -> None:
    policy = {"metadata": {"name": "empty-egress", "namespace": "y"},
              "spec": {"podSelector": pods(pod="a"), "egress": []}}
    found = diff([policy], tmp_path)
    # NCA denies all egress of y/a; the API server would not make this an egress policy.
    assert found and all(line.startswith("y/a -> ") and "ours True, NCA False" in line for line in found)
    assert not analysis([policy], "ipblock-external").pods.set_index("pod").loc["y/a", "egress_isolated"]


def test_explicit_policy_types_agree(tmp_path: Path) -> None:
    assert diff([pol("deny", ns="y", selector=pods(pod="a"), types=["Ingress", "Egress"], egress=[])], tmp_path) == []
