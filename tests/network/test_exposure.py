"""Exposure classification: provider annotations and classes, source ranges, Ingress and Gateway paths."""

from __future__ import annotations

from typing import Any

from kubesec_nb.model import Model
from kubesec_nb.network.analysis import NetworkAnalysis
from kubesec_nb.network.exposure import lb_scope
from kubesec_nb.network.profile import PROFILES
from kubesec_nb.snapshot import Snapshot


def svc(ann: dict[str, str] | None = None, cls: str | None = None, ip: str | None = None, **spec: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"metadata": {"annotations": ann or {}}, "spec": {"type": "LoadBalancer", **spec}}
    if cls:
        out["spec"]["loadBalancerClass"] = cls
    if ip:
        out["status"] = {"loadBalancer": {"ingress": [{"ip": ip} if ip[0].isdigit() else {"hostname": ip}]}}
    return out


def test_load_balancer_scope_by_provider_signals() -> None:
    assert lb_scope(svc({"networking.gke.io/load-balancer-type": "Internal"}, ip="34.1.1.1")).scope == "internal"
    assert lb_scope(svc(cls="networking.gke.io/l4-regional-internal")).scope == "internal"
    assert lb_scope(svc({"service.beta.kubernetes.io/azure-load-balancer-internal": "true"})).scope == "internal"
    # AWS Load Balancer Controller is internal by default, public only with the scheme annotation
    assert lb_scope(svc(cls="service.k8s.aws/nlb")).scope == "internal"
    assert lb_scope(svc({"service.beta.kubernetes.io/aws-load-balancer-type": "external",
                         "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"})).scope == "public"
    # the in-tree provider is internet-facing unless told otherwise
    assert lb_scope(svc(ip="a1b2.elb.eu-west-1.amazonaws.com")).scope == "public"
    assert lb_scope(svc(ip="internal-a1b2.elb.eu-west-1.amazonaws.com")).scope == "internal"
    assert lb_scope(svc(ip="10.0.0.5")).scope == "internal"
    assert lb_scope(svc()).scope == "unknown"
    assert lb_scope(svc(cls="example.com/lb")).scope == "unknown"
    assert lb_scope(svc(ip="34.1.1.1", loadBalancerSourceRanges=["203.0.113.0/24"])).restricted
    assert not lb_scope(svc(ip="34.1.1.1", loadBalancerSourceRanges=["0.0.0.0/0"])).restricted


def _objects() -> list[dict[str, Any]]:
    def pod(ns: str, name: str, labels: dict[str, str], port: int = 8080) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": ns, "name": name, "labels": labels},
                "spec": {"nodeName": "n1", "containers": [{"name": "c", "ports": [{"name": "http",
                                                                                 "containerPort": port}]}]},
                "status": {"phase": "Running", "podIP": f"10.0.0.{port % 200}"}}

    def service(ns: str, name: str, sel: dict[str, str], typ: str = "ClusterIP", **kw: Any) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": ns, "name": name},
                "spec": {"type": typ, "selector": sel, "ports": [{"port": 80, "targetPort": "http"}]}, **kw}

    gw = "gateway.networking.k8s.io/v1"
    return [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
         "status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.1"}]}},
        pod("edge", "nginx", {"app.kubernetes.io/name": "ingress-nginx"}, 8081),
        service("edge", "nginx", {"app.kubernetes.io/name": "ingress-nginx"}, "LoadBalancer",
                status={"loadBalancer": {"ingress": [{"ip": "34.9.9.9"}]}}),
        pod("shop", "web", {"app": "web"}, 8082), service("shop", "web", {"app": "web"}),
        pod("shop", "api", {"app": "api"}, 8083), service("shop", "api", {"app": "api"}),
        pod("other", "be", {"app": "be"}, 8084), service("other", "be", {"app": "be"}),
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"namespace": "shop", "name": "web"},
         "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example", "http": {"paths": [
             {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"namespace": "shop", "name": "alb",
         "annotations": {"alb.ingress.kubernetes.io/scheme": "internal"}},
         "spec": {"ingressClassName": "alb", "defaultBackend": {"service": {"name": "api", "port": {"number": 80}}}}},
        {"apiVersion": gw, "kind": "Gateway", "metadata": {"namespace": "shop", "name": "public"},
         "spec": {"gatewayClassName": "gke-l7-global-external-managed",
                  "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                 "allowedRoutes": {"namespaces": {"from": "All"}}}]}},
        {"apiVersion": gw, "kind": "HTTPRoute", "metadata": {"namespace": "shop", "name": "to-other"},
         "spec": {"parentRefs": [{"name": "public"}], "rules": [{"backendRefs": [
             {"name": "be", "namespace": "other", "port": 80}]}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"namespace": "shop", "name": "web"},
         "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "ingress": [
             {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}}}]}]}},
    ]


def test_ingress_and_gateway_paths() -> None:
    objs = _objects()
    net = NetworkAnalysis(Model(Snapshot.from_objects(objs)), PROFILES["calico"])
    ep = net.entry_points.set_index("pod")
    # in-cluster nginx inherits its LoadBalancer's public scope; the last hop is allowed by policy
    assert ep.loc["shop/web", "path"] == "Ingress" and ep.loc["shop/web", "scope"] == "public"
    assert bool(ep.loc["shop/web", "policy_allows"])
    assert ep.loc["shop/api", "scope"] == "internal"  # ALB scheme internal
    # a cross-namespace backendRef needs a ReferenceGrant: without it there is no edge
    assert "other/be" not in ep.index
    grant = {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
             "metadata": {"namespace": "other", "name": "from-shop"},
             "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "shop"}],
                      "to": [{"group": "", "kind": "Service"}]}}
    net = NetworkAnalysis(Model(Snapshot.from_objects([*objs, grant])), PROFILES["calico"])
    row = net.entry_points.set_index("pod").loc["other/be"]
    assert row["path"] == "Gateway" and row["scope"] == "public"
    assert net.graph().has_edge("internet", "pod:other/be")


def test_ingress_blocked_by_policy_on_the_last_hop() -> None:
    objs = _objects()
    objs[-1]["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] = "x"
    net = NetworkAnalysis(Model(Snapshot.from_objects(objs)), PROFILES["calico"])
    row = net.entry_points.set_index("pod").loc["shop/web"]
    assert not row["policy_allows"] and not row["exposed"]
    assert "shop/web" not in set(net.exposure["pod"])
