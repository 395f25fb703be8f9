"""Network endpoints: pods with an IP (or representative pods from manifests), nodes, externals.

A pod without an IP that has a status (Pending, Succeeded, Failed) is excluded: its IP
may be reused by another pod. A pod with no status at all is a representative pod
expanded from a manifest and is kept as the intended endpoint. hostNetwork pods use
their node's addresses and are node endpoints (see the ``hostnetwork_selectable`` option).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesec_nb.identity import host_node
from kubesec_nb.model import Model, labels_of, object_key
from kubesec_nb.network.addresses import Address, parse_ip
from kubesec_nb.snapshot.objects import named_ports as named_ports


@dataclass(frozen=True)
class Endpoint:
    """Something that sends or receives traffic.

    ``kind`` is ``pod`` (``id`` ``ns/name``), ``node`` (``id`` ``node:name``, a node's own
    address) or ``external`` (``id`` an address, a CIDR or ``internet``).
    ``named_ports`` maps a container port name to ``(protocol, number)``.
    """

    id: str
    kind: str
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)
    ns_labels: Mapping[str, str] = field(default_factory=dict, compare=False)
    ips: tuple[Address, ...] = ()
    named_ports: Mapping[str, tuple[str, int]] = field(default_factory=dict, compare=False)
    host_network: bool = False
    node: str = ""

    @property
    def is_pod(self) -> bool:
        return self.kind == "pod"


def node_addresses(node: Mapping[str, Any], kinds: tuple[str, ...] = ("InternalIP", "ExternalIP")) -> list[str]:
    """Addresses of a node of the given types, in status order."""
    return [str(a.get("address")) for a in (node.get("status") or {}).get("addresses") or []
            if a.get("type") in kinds and a.get("address")]


def exclusion_reason(pod: Mapping[str, Any]) -> str | None:
    """Why a pod takes no part in traffic, or None.

    >>> exclusion_reason({"status": {"phase": "Succeeded"}}), exclusion_reason({})
    ('phase Succeeded', None)
    """
    status = pod.get("status")
    if not status:
        return None
    phase = status.get("phase")
    if phase in ("Succeeded", "Failed"):
        return f"phase {phase}"
    if not status.get("podIP") and not status.get("podIPs"):
        return f"no IP (phase {phase or 'unknown'})"
    return None


def pod_ips(pod: Mapping[str, Any], model: Model) -> tuple[Address, ...]:
    status = pod.get("status") or {}
    raw = [str(p.get("ip")) for p in status.get("podIPs") or [] if p.get("ip")] or \
        ([str(status["podIP"])] if status.get("podIP") else [])
    spec = pod.get("spec") or {}
    if not raw and spec.get("hostNetwork") and spec.get("nodeName") in model.nodes:
        raw = node_addresses(model.nodes[spec["nodeName"]], ("InternalIP",))
    return tuple(a for a in (parse_ip(r) for r in raw) if a is not None)


def pod_endpoints(model: Model) -> tuple[list[Endpoint], dict[str, str]]:
    """Endpoints for every pod that takes part in traffic, and the excluded pods with the reason."""
    eps: list[Endpoint] = []
    excluded: dict[str, str] = {}
    ns_labels: dict[str, dict[str, str]] = {}
    for pod in model.pods:
        key = object_key(pod)
        why = exclusion_reason(pod)
        if why:
            excluded[key] = why
            continue
        ns = pod["metadata"]["namespace"]
        if ns not in ns_labels:
            ns_labels[ns] = model.namespace_labels(ns)
        spec = pod.get("spec") or {}
        eps.append(Endpoint(key, "pod", ns, labels_of(pod), ns_labels[ns],
                            pod_ips(pod, model), named_ports(spec), bool(spec.get("hostNetwork")),
                            str(spec.get("nodeName") or "")))
    return eps, excluded


def external_endpoint(text: str, addr: Address) -> Endpoint:
    """An external endpoint at ``addr`` named ``text``."""
    return Endpoint(text, "external", ips=(addr,))


def node_endpoint(model: Model, name: str) -> Endpoint | None:
    """The endpoint of node ``name`` (its addresses), None when the snapshot has no such node."""
    node = model.nodes.get(name)
    if node is None:
        return None
    ips = tuple(a for a in (parse_ip(x) for x in node_addresses(node)) if a is not None)
    return Endpoint(host_node(name), "node", ips=ips, node=name)
