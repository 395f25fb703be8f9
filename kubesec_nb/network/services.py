"""Services resolved to the pods behind them and the port each pod receives on.

Traffic to a Service (ClusterIP, NodePort, LoadBalancer) is judged as traffic to the
endpoint pod on its target port (reference §1 rule 21). EndpointSlices are the truth
when the snapshot has them (ready endpoints, selector-less Services with manual
endpoints); otherwise the Service selector and ``targetPort`` are resolved per pod, a
named ``targetPort`` against the pod's container ports of the same protocol.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kubesec_nb.model import Model, labels_of, map_selector_matches, object_key
from kubesec_nb.network.endpoints import exclusion_reason, named_ports
from kubesec_nb.network.ports import protocol_of, resolve_named

SLICES = "endpointslices.discovery.k8s.io"


@dataclass(frozen=True)
class Backend:
    """One (Service port, backend) pair: a pod (``ns/name``) or a manual address."""

    service: str
    service_port: int
    port_name: str
    protocol: str
    target_port: int
    pod: str = ""
    address: str = ""
    source: str = ""

    @property
    def target(self) -> str:
        return self.pod or self.address


def service_ports(svc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``spec.ports`` of a Service with protocol defaulted to TCP."""
    out = []
    for p in (svc.get("spec") or {}).get("ports") or []:
        q = dict(p)
        q["protocol"] = protocol_of(q)
        out.append(q)
    return out


class Services:
    """Service lookups for one model.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> snap = Snapshot.from_objects([
    ...   {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "a"},
    ...    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}},
    ...   {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w1", "namespace": "a", "labels": {"app": "web"}},
    ...    "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]}}])
    >>> [(b.pod, b.target_port) for b in Services(Model(snap)).backends("a/web")]
    [('a/w1', 8080)]
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.by_key = model.by_key("services")
        self.use_slices = model.missing(SLICES) is None

    @cached_property
    def _slices(self) -> dict[str, list[Mapping[str, Any]]]:
        out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for sl in self.model.items(SLICES):
            name = labels_of(sl).get("kubernetes.io/service-name")
            if name:
                out[f"{sl['metadata']['namespace']}/{name}"].append(sl)
        return dict(out)

    def backends(self, key: str, port: int | str | None = None) -> list[Backend]:
        """Backends of Service ``ns/name``, for one Service port (number or name) or all of them."""
        svc = self.by_key.get(key)
        if svc is None:
            return []
        ports = [p for p in service_ports(svc)
                 if port is None or p.get("port") == port or (p.get("name") or "") == port]
        slices = self._slices.get(key)
        if self.use_slices and (slices is not None or not (svc.get("spec") or {}).get("selector")):
            return self._from_slices(key, ports, slices or [])
        return self._from_selector(key, svc, ports)

    def _from_slices(self, key: str, ports: list[dict[str, Any]], slices: list[Mapping[str, Any]]) -> list[Backend]:
        out: list[Backend] = []
        for sp in ports:
            name = sp.get("name") or ""
            for sl in slices:
                match = next((p for p in sl.get("ports") or [] if (p.get("name") or "") == name
                              and protocol_of(p) == sp["protocol"]), None)
                if match is None or match.get("port") is None:
                    continue
                for ep in sl.get("endpoints") or []:
                    if (ep.get("conditions") or {}).get("ready") is False:
                        continue
                    ref = ep.get("targetRef") or {}
                    src = f"EndpointSlice {object_key(sl)}"
                    if ref.get("kind") == "Pod":
                        out.append(Backend(key, int(sp["port"]), name, sp["protocol"], int(match["port"]),
                                           pod=f"{ref.get('namespace') or key.split('/')[0]}/{ref.get('name')}",
                                           source=src))
                    else:
                        out.extend(Backend(key, int(sp["port"]), name, sp["protocol"], int(match["port"]),
                                           address=str(a), source=src) for a in ep.get("addresses") or [])
        return sorted(set(out), key=lambda b: (b.service_port, b.target, b.target_port))

    def _from_selector(self, key: str, svc: Mapping[str, Any], ports: list[dict[str, Any]]) -> list[Backend]:
        ns = key.split("/")[0]
        selector = (svc.get("spec") or {}).get("selector") or {}
        pods = [p for p in self.model.pods_in(ns)
                if map_selector_matches(selector, labels_of(p)) and not exclusion_reason(p)]
        out: list[Backend] = []
        for sp in ports:
            target = sp.get("targetPort", sp.get("port"))
            for pod in pods:
                num: int | None
                if isinstance(target, str) and not target.isdigit():
                    num = resolve_named(named_ports(pod.get("spec") or {}), target, sp["protocol"])
                else:
                    num = int(str(target))
                if num is not None:
                    out.append(Backend(key, int(sp["port"]), sp.get("name") or "", sp["protocol"], num,
                                       pod=object_key(pod), source=f"Service {key} spec.selector"))
        return sorted(out, key=lambda b: (b.service_port, b.target, b.target_port))

    def cluster_ips(self) -> dict[str, str]:
        """ClusterIPs, external IPs and load-balancer IPs of every Service: address → ``Service ns/name``."""
        out: dict[str, str] = {}
        for key, svc in sorted(self.by_key.items()):
            spec = svc.get("spec") or {}
            ips = [spec.get("clusterIP"), *(spec.get("clusterIPs") or []), *(spec.get("externalIPs") or [])]
            ips += [i.get("ip") for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []]
            for ip in ips:
                if ip and ip != "None":
                    out.setdefault(str(ip), f"Service {key}")
        return out
