"""The upstream e2e layout: namespaces x, y, z × pods a, b, c, and truth tables over it.

Mirrors ``test/e2e/network/netpol/model.go``: pods labelled ``pod=<name>``, namespaces
labelled ``ns=<name>`` (plus the control plane's ``kubernetes.io/metadata.name``), one
container per (port, protocol) named ``cont-<port>-<proto>`` serving the named port
``serve-<port>-<proto>``, and a Service ``s-<ns>-<pod>`` per pod. ``Truth`` plays the
role of ``Reachability``: default allowed, then ``expect``/``expect_all_ingress``/... ;
loopback is ignored as upstream does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubesec_nb.model import Model
from kubesec_nb.network.analysis import NetworkAnalysis
from kubesec_nb.network.profile import PROFILES, NetworkProfile
from kubesec_nb.snapshot import Snapshot

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP", "SCTP")
ALL_PODS = tuple(f"{n}/{p}" for n in NAMESPACES for p in PODS)


def pod_ip(ns: str, pod: str) -> str:
    return f"10.{NAMESPACES.index(ns) + 1}.0.{PODS.index(pod) + 1}"


def objects(policies: Iterable[dict[str, Any]] = (), extra: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                                   "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.10"}]}}]
    for ns in NAMESPACES:
        objs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": ns, "labels": {"ns": ns, "kubernetes.io/metadata.name": ns}}})
        for pod in PODS:
            containers = [{"name": f"cont-{port}-{proto.lower()}", "image": "agnhost",
                           "ports": [{"name": f"serve-{port}-{proto.lower()}", "containerPort": port,
                                      "protocol": proto}]}
                          for port in PORTS for proto in PROTOCOLS]
            objs.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": pod, "namespace": ns, "labels": {"pod": pod}},
                         "spec": {"nodeName": "n1", "containers": containers},
                         "status": {"phase": "Running", "podIP": pod_ip(ns, pod)}})
            objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s-{ns}-{pod}", "namespace": ns},
                         "spec": {"selector": {"pod": pod},
                                  "clusterIP": f"172.20.{NAMESPACES.index(ns)}.{PODS.index(pod)}",
                                  "ports": [{"name": f"service-port-{port}-{proto.lower()}", "port": port,
                                             "protocol": proto, "targetPort": f"serve-{port}-{proto.lower()}"}
                                            for port in PORTS for proto in PROTOCOLS]}})
    for i, pol in enumerate(policies):
        pol = dict(pol)
        pol.setdefault("apiVersion", "networking.k8s.io/v1")
        pol.setdefault("kind", "NetworkPolicy")
        meta = dict(pol.get("metadata") or {})
        meta.setdefault("name", f"policy-{i}")
        meta.setdefault("namespace", "x")
        pol["metadata"] = meta
        objs.append(pol)
    objs.extend(extra)
    return objs


def analysis(policies: Iterable[dict[str, Any]] = (), profile: str | NetworkProfile = "upstream",
             extra: Iterable[dict[str, Any]] = ()) -> NetworkAnalysis:
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    return NetworkAnalysis(Model(Snapshot.from_objects(objects(policies, extra))), prof)


class Truth:
    """Expected reachability: every (from, to) pair, default ``True``."""

    def __init__(self, default: bool = True) -> None:
        self.cells = {(f, t): default for f in ALL_PODS for t in ALL_PODS}

    def expect(self, frm: str, to: str, ok: bool) -> Truth:
        self.cells[(frm, to)] = ok
        return self

    def expect_peer(self, frm_ns: str = "", frm_pod: str = "", to_ns: str = "", to_pod: str = "",
                    ok: bool = True) -> Truth:
        for (f, t) in self.cells:
            fn, fp = f.split("/")
            tn, tp = t.split("/")
            if (not frm_ns or fn == frm_ns) and (not frm_pod or fp == frm_pod) and \
                    (not to_ns or tn == to_ns) and (not to_pod or tp == to_pod):
                self.cells[(f, t)] = ok
        return self

    def expect_all_ingress(self, pod: str, ok: bool) -> Truth:
        for f in ALL_PODS:
            self.cells[(f, pod)] = ok
        return self

    def expect_all_egress(self, pod: str, ok: bool) -> Truth:
        for t in ALL_PODS:
            self.cells[(pod, t)] = ok
        return self


def observed(net: NetworkAnalysis, port: int | str, protocol: str) -> dict[tuple[str, str], bool]:
    """Each pair's decision by the reference evaluator; asserts the class engine agrees."""
    out = {(f, t): bool(net.allowed(f, t, port, protocol)) for f in ALL_PODS for t in ALL_PODS}
    if isinstance(port, int):
        r = net.reach
        idx = {e.id: int(r.class_of[i]) for i, e in enumerate(net.endpoints)}
        for (f, t), ok in out.items():
            if f == t:
                continue
            bulk = r.ports.contains(r.class_mask(idx[f], idx[t]), protocol, port)
            assert bulk == ok, f"class engine disagrees on {f} -> {t} {protocol}/{port}: {bulk} vs {ok}"
    return out


def mismatches(net: NetworkAnalysis, truth: Truth, port: int | str, protocol: str = "TCP") -> list[str]:
    got = observed(net, port, protocol)
    return [f"{f} -> {t}: expected {'allowed' if truth.cells[(f, t)] else 'denied'}"
            for (f, t), ok in sorted(got.items()) if f != t and ok != truth.cells[(f, t)]]
