"""Entry points from outside the cluster, classified public / internal / unknown (reference §6).

Paths: LoadBalancer Services, NodePorts on nodes with an ExternalIP, Service externalIPs,
Ingress (cloud load balancers, or in-cluster controllers that inherit the exposure of
their own Service), Gateway API routes, hostPort and hostNetwork pods. Each row names
the object, the field or annotation that decides the scope, the source ranges and the
backend pod with the port it receives traffic on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kubesec_nb.model import Model, iter_containers, labels_of, object_key, selector_matches
from kubesec_nb.network.addresses import is_public, parse_ip
from kubesec_nb.network.endpoints import exclusion_reason, node_addresses
from kubesec_nb.network.ports import protocol_of
from kubesec_nb.network.services import Backend, Services, service_ports
from kubesec_nb.snapshot.resources import GATEWAY

PUBLIC, INTERNAL, UNKNOWN = "public", "internal", "unknown"
#: Scopes from most to least exposed (sort key).
SCOPE_RANK = {PUBLIC: 0, UNKNOWN: 1, INTERNAL: 2}

_INTERNAL_ANNOTATIONS = {
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
}
_AWS_LBC_CLASSES = ("service.k8s.aws/nlb", "eks.amazonaws.com/nlb")
_GKE_EXTERNAL_GATEWAYS = ("gke-l7-global-external-managed", "gke-l7-global-external-managed-mc",
                          "gke-l7-regional-external-managed", "gke-l7-regional-external-managed-mc",
                          "gke-l7-gxlb", "gke-l7-gxlb-mc", "azure-alb-external")
_GKE_INTERNAL_GATEWAYS = ("gke-l7-rilb", "gke-l7-rilb-mc", "gke-l7-cross-regional-internal-managed-mc")
_ROUTES = ("httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes")
#: In-cluster ingress controllers found by label when their pods carry no --ingress-class flag.
_CONTROLLER_LABELS = {
    "k8s.io/ingress-nginx": ("app.kubernetes.io/name", ("ingress-nginx", "rke2-ingress-nginx")),
    "traefik.io/ingress-controller": ("app.kubernetes.io/name", ("traefik",)),
    "webapprouting.kubernetes.azure.com/nginx": ("app", ("nginx",)),
}


@dataclass(frozen=True)
class Scope:
    scope: str
    reason: str
    address: str = ""
    source_ranges: tuple[str, ...] = ()
    evidence: tuple[str, ...] = field(default=())

    @property
    def restricted(self) -> bool:
        return bool(self.source_ranges) and not any(r.strip() in ("0.0.0.0/0", "::/0", "Internet", "*")
                                                    for r in self.source_ranges)


@dataclass(frozen=True)
class Entry:
    """One way in: the path, the object exposing it and the backend pod/port it reaches."""

    path: str
    via: str
    scope: Scope
    front: str
    pod: str
    protocol: str
    port: int | None
    hop_from: tuple[str, ...] = ()   # in-cluster proxy pods that forward the traffic (last hop)


def _ann(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def _addresses(status: Mapping[str, Any] | None) -> list[str]:
    ing = ((status or {}).get("loadBalancer") or {}).get("ingress") or []
    return [str(i.get("ip") or i.get("hostname")) for i in ing if i.get("ip") or i.get("hostname")]


def _address_scope(addresses: list[str]) -> str | None:
    if not addresses:
        return None
    kinds = set()
    for a in addresses:
        ip = parse_ip(a)
        if ip is not None:
            kinds.add(PUBLIC if is_public(ip) else INTERNAL)
        else:
            kinds.add(INTERNAL if a.startswith("internal-") else PUBLIC)
    return PUBLIC if PUBLIC in kinds else INTERNAL


def source_ranges(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """Client CIDRs a Service or Ingress admits (empty: open)."""
    spec, ann = obj.get("spec") or {}, _ann(obj)
    ranges = list(spec.get("loadBalancerSourceRanges") or [])
    for key in ("service.beta.kubernetes.io/load-balancer-source-ranges",
                "service.beta.kubernetes.io/azure-allowed-ip-ranges",
                "service.beta.kubernetes.io/azure-allowed-service-tags",
                "alb.ingress.kubernetes.io/inbound-cidrs",
                "nginx.ingress.kubernetes.io/whitelist-source-range",
                "nginx.ingress.kubernetes.io/allowlist-source-range"):
        if ann.get(key):
            ranges.extend(r.strip() for r in ann[key].split(",") if r.strip())
    return tuple(ranges)


def lb_scope(svc: Mapping[str, Any], provider: str = "unknown") -> Scope:
    """Whether a LoadBalancer Service is internet-facing, and the field that says so.

    >>> lb_scope({"metadata": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}},
    ...           "spec": {"type": "LoadBalancer"}}).scope
    'internal'
    >>> lb_scope({"metadata": {}, "spec": {"type": "LoadBalancer"},
    ...           "status": {"loadBalancer": {"ingress": [{"ip": "34.1.2.3"}]}}}).scope
    'public'
    """
    spec, ann = svc.get("spec") or {}, _ann(svc)
    ranges = source_ranges(svc)
    addrs = _addresses(svc.get("status"))
    addr = ",".join(addrs)
    cls = str(spec.get("loadBalancerClass") or "")
    for key, value in _INTERNAL_ANNOTATIONS.items():
        if str(ann.get(key, "")).lower() == value:
            return Scope(INTERNAL, f"annotation {key}: {ann[key]}", addr, ranges)
    if cls == "networking.gke.io/l4-regional-internal":
        return Scope(INTERNAL, f"spec.loadBalancerClass = {cls}", addr, ranges)
    lbc_type = str(ann.get("service.beta.kubernetes.io/aws-load-balancer-type", "")).lower()
    if cls in _AWS_LBC_CLASSES or lbc_type in ("external", "nlb-ip"):
        scheme = str(ann.get("service.beta.kubernetes.io/aws-load-balancer-scheme", "internal")).lower()
        why = (f"spec.loadBalancerClass = {cls}" if cls else f"annotation aws-load-balancer-type: {lbc_type}")
        return Scope(PUBLIC if scheme == "internet-facing" else INTERNAL,
                     f"AWS Load Balancer Controller ({why}), scheme {scheme}"
                     + ("" if "service.beta.kubernetes.io/aws-load-balancer-scheme" in ann else " (default)"),
                     addr, ranges)
    if cls and cls not in ("networking.gke.io/l4-regional-external",):
        return Scope(UNKNOWN, f"unknown spec.loadBalancerClass {cls}", addr, ranges)
    by_addr = _address_scope(addrs)
    if by_addr == INTERNAL:
        return Scope(INTERNAL, f"status.loadBalancer address {addr} is private", addr, ranges)
    if by_addr == PUBLIC:
        return Scope(PUBLIC, f"status.loadBalancer address {addr} is public; no internal annotation", addr, ranges)
    return Scope(UNKNOWN, "no status.loadBalancer address (not provisioned); no internal annotation, so the "
                 f"{provider} default (external) would apply", addr, ranges)


class Exposure:
    """Computes the entry points of one model (the policy check on each is the caller's)."""

    def __init__(self, model: Model, services: Services) -> None:
        self.model = model
        self.services = services
        self.nodes_external = {n: node_addresses(o, ("ExternalIP",)) for n, o in model.nodes.items()}
        self._controller_pods: dict[tuple[str, str], list[str]] = {}

    # ---- node-level exposure ------------------------------------------------------------------
    def node_scope(self, node: str | None = None) -> Scope:
        """Scope of node addresses (all nodes, or one)."""
        if not self.model.nodes:
            return Scope(UNKNOWN, "no Node objects in the snapshot: node addresses unknown")
        nodes = [node] if node else sorted(self.model.nodes)
        ext = {n: [a for a in self.nodes_external.get(n, []) if (ip := parse_ip(a)) and is_public(ip)]
               for n in nodes}
        public = {n: a for n, a in ext.items() if a}
        if public:
            shown = ", ".join(f"{n} {','.join(a)}" for n, a in sorted(public.items())[:3])
            return Scope(PUBLIC, f"node status.addresses ExternalIP: {shown}"
                         + (f" (+{len(public) - 3} more)" if len(public) > 3 else "")
                         + "; reachable if the VPC firewall permits", ",".join(sorted(public)))
        return Scope(INTERNAL, "no node has a public ExternalIP")

    # ---- entries -----------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every entry point: Services, Ingresses, Gateway routes, hostPort and hostNetwork pods."""
        return [*self._base[0], *self._ingress_entries(), *self._gateway_entries(), *self._base[1]]

    @cached_property
    def _base(self) -> tuple[list[Entry], list[Entry]]:
        return self._service_entries(), self._pod_entries()

    def _backend_entries(self, path: str, via: str, scope: Scope, backends: Iterable[Backend],
                         front: str = "", hop_from: tuple[str, ...] = ()) -> list[Entry]:
        return [Entry(path, via, scope, front or f"{b.protocol}/{b.service_port}", b.pod, b.protocol,
                      b.target_port, hop_from) for b in backends if b.pod]

    def _service_entries(self) -> list[Entry]:
        out: list[Entry] = []
        for key, svc in sorted(self.services.by_key.items()):
            spec = svc.get("spec") or {}
            typ = spec.get("type") or "ClusterIP"
            backends = self.services.backends(key)
            if typ == "LoadBalancer":
                sc = lb_scope(svc, self.model.provider)
                out += self._backend_entries("LoadBalancer", f"Service {key} (type LoadBalancer)", sc, backends)
            if typ in ("NodePort", "LoadBalancer") and spec.get("allocateLoadBalancerNodePorts") is not False:
                sc = self.node_scope()
                for sp in service_ports(svc):
                    if sp.get("nodePort") or typ == "NodePort":
                        bs = [b for b in backends if b.service_port == sp.get("port")]
                        out += self._backend_entries("NodePort", f"Service {key} nodePort {sp.get('nodePort', '?')}",
                                                     sc, bs, front=f"{sp['protocol']}/{sp.get('nodePort', '?')}")
            ext = [str(i) for i in spec.get("externalIPs") or []]
            if ext:
                pub = [i for i in ext if (ip := parse_ip(i)) and is_public(ip)]
                sc = Scope(PUBLIC if pub else INTERNAL, f"spec.externalIPs {','.join(ext)}", ",".join(ext))
                out += self._backend_entries("ExternalIP", f"Service {key} spec.externalIPs", sc, backends)
        return out

    # ---- Ingress -------------------------------------------------------------------------------
    @cached_property
    def _ingress_classes(self) -> dict[str, Mapping[str, Any]]:
        return {c["metadata"]["name"]: c for c in self.model.items("ingressclasses.networking.k8s.io")}

    def _ingress_class(self, ing: Mapping[str, Any]) -> tuple[str, str]:
        classes = self._ingress_classes
        name = (ing.get("spec") or {}).get("ingressClassName") or _ann(ing).get("kubernetes.io/ingress.class")
        if not name:
            default = [n for n, c in classes.items()
                       if _ann(c).get("ingressclass.kubernetes.io/is-default-class") == "true"]
            name = default[0] if default else ""
        controller = str(((classes.get(name) or {}).get("spec") or {}).get("controller") or "")
        if not controller:
            controller = {"alb": "ingress.k8s.aws/alb", "gce": "k8s.io/ingress-gce",
                          "gce-internal": "k8s.io/ingress-gce", "nginx": "k8s.io/ingress-nginx",
                          "azure-application-gateway": "azure/application-gateway"}.get(name, "")
        if not name and not controller and self.model.provider == "gke":
            controller, name = "k8s.io/ingress-gce", "gce"
        return name, controller

    def controller_pods(self, name: str, controller: str) -> list[str]:
        """Pods of an in-cluster ingress controller for class ``name`` / controller ``controller``."""
        key = (name, controller)
        if key not in self._controller_pods:  # Ingresses of one class share the answer
            self._controller_pods[key] = self._find_controller_pods(name, controller)
        return self._controller_pods[key]

    def _find_controller_pods(self, name: str, controller: str) -> list[str]:
        found = []
        lab = _CONTROLLER_LABELS.get(controller)
        for pod in self.model.pods:
            if exclusion_reason(pod):
                continue
            args = " ".join(str(a) for _, _, c in iter_containers(pod.get("spec") or {})
                            for a in (c.get("args") or []) + (c.get("command") or []))
            labels = labels_of(pod)
            if (name and f"--ingress-class={name}" in args) or (controller and f"--controller-class={controller}"
                                                                  in args) \
                    or (lab and labels.get(lab[0]) in lab[1]):
                found.append(object_key(pod))
        return sorted(found)

    def _pod_scope(self, pods: list[str], entries: list[Entry]) -> tuple[Scope, list[str]]:
        mine = [e for e in entries if e.pod in pods]
        if not mine:
            return Scope(UNKNOWN, "controller exposure not found in the snapshot"), []
        best = min(mine, key=lambda e: SCOPE_RANK[e.scope.scope])
        return best.scope, sorted({e.via for e in mine if e.scope.scope == best.scope.scope})

    def _ingress_entries(self) -> list[Entry]:
        out: list[Entry] = []
        base = self._base[0] + self._base[1]
        for ing in self.model.items("ingresses.networking.k8s.io"):
            key, ann, spec = object_key(ing), _ann(ing), ing.get("spec") or {}
            ns = ing["metadata"]["namespace"]
            name, controller = self._ingress_class(ing)
            ranges = source_ranges(ing)
            addrs = _addresses(ing.get("status"))
            hop: tuple[str, ...] = ()
            if controller == "ingress.k8s.aws/alb":
                scheme = ann.get("alb.ingress.kubernetes.io/scheme", "internal")
                sc = Scope(PUBLIC if scheme == "internet-facing" else INTERNAL,
                           f"ALB scheme {scheme}" + ("" if "alb.ingress.kubernetes.io/scheme" in ann else
                                                     " (default; IngressClassParams not read)"),
                           ",".join(addrs), ranges)
            elif controller == "k8s.io/ingress-gce":
                sc = Scope(INTERNAL if name == "gce-internal" else PUBLIC,
                           f"GCE ingress class {name or 'gce (default)'}", ",".join(addrs), ranges)
            elif controller == "azure/application-gateway":
                private = ann.get("appgw.ingress.kubernetes.io/use-private-ip", "").lower() == "true"
                sc = Scope(INTERNAL if private else PUBLIC,
                           "AGIC " + ("use-private-ip: true" if private else "public frontend"), ",".join(addrs),
                           ranges)
            else:
                pods = self.controller_pods(name, controller)
                inner, via = self._pod_scope(pods, base)
                hop = tuple(pods)
                sc = Scope(inner.scope, f"in-cluster controller {controller or name or 'unknown'} exposed by "
                           f"{'; '.join(via) or inner.reason}", ",".join(addrs) or inner.address,
                           ranges or inner.source_ranges)
            tls = "TLS" if spec.get("tls") else "no TLS"
            backs: list[tuple[str, Mapping[str, Any]]] = []
            if (spec.get("defaultBackend") or {}).get("service"):
                backs.append(("defaultBackend", spec["defaultBackend"]["service"]))
            for rule in spec.get("rules") or []:
                for path in (rule.get("http") or {}).get("paths") or []:
                    if (path.get("backend") or {}).get("service"):
                        host = rule.get("host") or "*"
                        backs.append((f"{host}{path.get('path', '/')}", path["backend"]["service"]))
            for where, svc in backs:
                port = (svc.get("port") or {}).get("number") or (svc.get("port") or {}).get("name")
                skey = f"{ns}/{svc.get('name')}"
                out += self._backend_entries("Ingress", f"Ingress {key} ({name or 'no class'}, {tls}) {where} -> "
                                             f"Service {skey}:{port}", sc, self.services.backends(skey, port),
                                             front=where, hop_from=hop)
        return out

    # ---- Gateway API ---------------------------------------------------------------------------
    def _gateway_scope(self, gw: Mapping[str, Any], base: list[Entry]) -> tuple[Scope, tuple[str, ...]]:
        cls = str((gw.get("spec") or {}).get("gatewayClassName") or "")
        key = object_key(gw)
        addrs = [str(a.get("value")) for a in ((gw.get("status") or {}).get("addresses") or []) if a.get("value")]
        if cls in _GKE_EXTERNAL_GATEWAYS:
            return Scope(PUBLIC, f"GatewayClass {cls} is an external load balancer", ",".join(addrs)), ()
        if cls in _GKE_INTERNAL_GATEWAYS:
            return Scope(INTERNAL, f"GatewayClass {cls} is an internal load balancer", ",".join(addrs)), ()
        name, ns = gw["metadata"]["name"], gw["metadata"]["namespace"]
        svcs = [k for k, s in self.services.by_key.items()
                if (labels_of(s).get("gateway.networking.k8s.io/gateway-name") == name and k.startswith(f"{ns}/"))
                or labels_of(s).get("gateway.envoyproxy.io/owning-gateway-name") == name]
        if svcs:
            pods = tuple(sorted({b.pod for k in svcs for b in self.services.backends(k) if b.pod}))
            inner, via = self._pod_scope(list(pods), base)
            return Scope(inner.scope, f"Gateway {key} (class {cls}) exposed by {'; '.join(via) or inner.reason}",
                         inner.address, inner.source_ranges), pods
        infra = ((gw.get("spec") or {}).get("infrastructure") or {}).get("annotations") or {}
        if infra:
            sc = lb_scope({"metadata": {"annotations": infra}, "spec": {}, "status": {}}, self.model.provider)
            if sc.scope == INTERNAL:
                return Scope(INTERNAL, f"Gateway {key} spec.infrastructure.{sc.reason}"), ()
        by_addr = _address_scope(addrs)
        if by_addr:
            return Scope(by_addr, f"Gateway {key} status.addresses {','.join(addrs)}", ",".join(addrs)), ()
        return Scope(UNKNOWN, f"Gateway {key} class {cls}: exposure unknown (no address, no known class)"), ()

    def _route_attached(self, route: Mapping[str, Any], kind: str, gw: Mapping[str, Any],
                        ref: Mapping[str, Any]) -> bool:
        rns = route["metadata"]["namespace"]
        section = ref.get("sectionName")
        ok = False
        for lst in (gw.get("spec") or {}).get("listeners") or []:
            if section and lst.get("name") != section:
                continue
            nsr = ((lst.get("allowedRoutes") or {}).get("namespaces") or {})
            frm = nsr.get("from") or "Same"
            if frm == "All" or (frm == "Same" and rns == gw["metadata"]["namespace"]) or \
                    (frm == "Selector" and selector_matches(nsr.get("selector"), self.model.namespace_labels(rns))):
                kinds = [k.get("kind") for k in (lst.get("allowedRoutes") or {}).get("kinds") or []]
                if not kinds or kind in kinds:
                    ok = True
        parents = (route.get("status") or {}).get("parents")
        if ok and parents:
            gname = gw["metadata"]["name"]
            ok = any((p.get("parentRef") or {}).get("name") == gname and any(
                c.get("type") == "Accepted" and c.get("status") == "True" for c in p.get("conditions") or [])
                     for p in parents)
        return ok

    def _granted(self, route_kind: str, route_ns: str, backend_ns: str, name: str) -> bool:
        if route_ns == backend_ns:
            return True
        for rg in self.model.items(f"referencegrants.{GATEWAY}"):
            if rg["metadata"]["namespace"] != backend_ns:
                continue
            spec = rg.get("spec") or {}
            frm = any(f.get("group") == GATEWAY and f.get("kind") == route_kind and f.get("namespace") == route_ns
                      for f in spec.get("from") or [])
            to = any((t.get("group") or "") == "" and t.get("kind") == "Service" and t.get("name") in (None, name)
                     for t in spec.get("to") or [])
            if frm and to:
                return True
        return False

    def _gateway_entries(self) -> list[Entry]:
        out: list[Entry] = []
        gateways = self.model.by_key(f"gateways.{GATEWAY}")
        if not gateways:
            return out
        base = self._base[0] + self._base[1]
        scopes = {k: self._gateway_scope(g, base) for k, g in gateways.items()}
        for res in _ROUTES:
            for route in self.model.items(f"{res}.{GATEWAY}"):
                kind = route.get("kind") or res[:-1]
                rns = route["metadata"]["namespace"]
                for ref in (route.get("spec") or {}).get("parentRefs") or []:
                    if (ref.get("kind") or "Gateway") != "Gateway":
                        continue
                    gkey = f"{ref.get('namespace') or rns}/{ref.get('name')}"
                    gw = gateways.get(gkey)
                    if gw is None or not self._route_attached(route, kind, gw, ref):
                        continue
                    sc, pods = scopes[gkey]
                    for rule in (route.get("spec") or {}).get("rules") or []:
                        for br in rule.get("backendRefs") or []:
                            if (br.get("kind") or "Service") != "Service" or (br.get("group") or "") != "":
                                continue
                            bns = br.get("namespace") or rns
                            if not self._granted(kind, rns, bns, str(br.get("name"))):
                                continue
                            skey = f"{bns}/{br.get('name')}"
                            out += self._backend_entries(
                                "Gateway", f"Gateway {gkey} <- {kind} {object_key(route)} -> Service {skey}:"
                                f"{br.get('port')}", sc, self.services.backends(skey, br.get("port")),
                                front=f"{kind} {object_key(route)}", hop_from=pods)
        return out

    # ---- pods ------------------------------------------------------------------------------------
    def _pod_entries(self) -> list[Entry]:
        out: list[Entry] = []
        for pod in self.model.pods:
            if exclusion_reason(pod):
                continue
            key, spec = object_key(pod), pod.get("spec") or {}
            host_net = bool(spec.get("hostNetwork"))
            ports = [(c, p) for _, _, c in iter_containers(spec) for p in c.get("ports") or []]
            if not host_net and not any(p.get("hostPort") for _, p in ports):
                continue  # reachable through the node only with hostNetwork or a hostPort
            node = spec.get("nodeName")
            sc = self.node_scope(node if node in self.model.nodes else None)
            if host_net:
                if ports:
                    for c, p in ports:
                        proto = protocol_of(p)
                        out.append(Entry("hostNetwork", f"Pod {key} spec.hostNetwork (container {c.get('name')})",
                                         sc, f"{proto}/{p.get('containerPort')}", key, proto,
                                         p.get("containerPort")))
                else:
                    out.append(Entry("hostNetwork", f"Pod {key} spec.hostNetwork", sc, "all", key, "any", None))
                continue
            for c, p in ports:
                if p.get("hostPort"):
                    proto = protocol_of(p)
                    out.append(Entry("hostPort", f"Pod {key} container {c.get('name')} hostPort {p['hostPort']}",
                                     sc, f"{proto}/{p['hostPort']}", key, proto, p.get("containerPort")))
        return out
