"""NetworkPolicy objects parsed into rules and peers, with the API server's defaulting.

Semantics (reference §1): ``policyTypes`` defaults to ``[Ingress]`` plus ``Egress`` iff
``spec.egress`` has at least one rule; a missing or empty ``from``/``to`` matches every
peer, external addresses included; missing or empty ``ports`` matches every port and
protocol; a peer with both selectors is an AND, two peers are an OR; a peer with no
field at all is rejected by API validation and matches nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.network.addresses import IPBlock
from kubesec_nb.network.ports import PortEntry, parse_port_entry

INGRESS, EGRESS = "ingress", "egress"
#: The resource the snapshot keeps NetworkPolicies under.
NETPOL = "networkpolicies.networking.k8s.io"


@dataclass(frozen=True)
class Peer:
    """One entry of ``from``/``to``. ``None`` selectors are absent fields (not ``{}``)."""

    index: int
    pod_selector: Mapping[str, Any] | None
    namespace_selector: Mapping[str, Any] | None
    ipblock: IPBlock | None
    invalid: str = ""

    def describe(self) -> str:
        """Human form, e.g. ``namespaceSelector {} AND podSelector app=web``.

        >>> Peer(0, {"matchLabels": {"app": "web"}}, None, None).describe()
        'podSelector app=web (same namespace)'
        """
        if self.invalid:
            return f"invalid peer ({self.invalid})"
        if self.ipblock is not None:
            return f"ipBlock {self.ipblock}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaceSelector {describe_selector(self.namespace_selector)}")
        if self.pod_selector is not None:
            parts.append(f"podSelector {describe_selector(self.pod_selector)}")
        text = " AND ".join(parts)
        return text + (" (same namespace)" if self.namespace_selector is None else "")


def describe_selector(sel: Mapping[str, Any] | None) -> str:
    """``{}`` for the empty selector, else ``k=v,k2 in (a,b),!k3``.

    >>> describe_selector({"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["db"]}]})
    't notin (db)'
    """
    if sel is None:
        return "null"
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op, key, vals = e.get("operator"), e.get("key"), ",".join(e.get("values") or [])
        parts.append({"In": f"{key} in ({vals})", "NotIn": f"{key} notin ({vals})", "Exists": f"{key}",
                      "DoesNotExist": f"!{key}"}.get(str(op), f"{key} {op} ({vals})"))
    return ",".join(parts) if parts else "{}"


@dataclass(frozen=True)
class Rule:
    """``spec.ingress[i]`` or ``spec.egress[i]``. ``peers``/``ports`` None means "all"."""

    policy: str
    direction: str
    index: int
    peers: tuple[Peer, ...] | None
    ports: tuple[PortEntry, ...] | None

    @property
    def ref(self) -> str:
        return f"{self.policy} {self.direction}[{self.index}]"

    @property
    def peer_field(self) -> str:
        return "from" if self.direction == INGRESS else "to"


@dataclass(frozen=True)
class Policy:
    """A NetworkPolicy after defaulting. ``key`` is ``ns/name``."""

    namespace: str
    name: str
    pod_selector: Mapping[str, Any]
    types: tuple[str, ...]
    types_defaulted: bool
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def affects(self, direction: str) -> bool:
        return direction in self.types

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress


def ipblocks(policies: Iterable[Policy]) -> Iterator[IPBlock]:
    """Every ipBlock peer of every rule of ``policies``: the boundaries of the address atoms.

    >>> [str(b) for b in ipblocks([parse_policy({"metadata": {"namespace": "a", "name": "p"}, "spec": {
    ...     "podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}})])]
    ['10.0.0.0/8']
    """
    for p in policies:
        for r in (*p.ingress, *p.egress):
            for pe in r.peers or ():
                if pe.ipblock is not None:
                    yield pe.ipblock


def _peer(index: int, raw: Any) -> Peer:
    if not isinstance(raw, Mapping):
        return Peer(index, None, None, None, invalid="not a mapping")
    ipb, pod, ns = raw.get("ipBlock"), raw.get("podSelector"), raw.get("namespaceSelector")
    if ipb is not None:
        if pod is not None or ns is not None:
            return Peer(index, None, None, None, invalid="ipBlock combined with a selector")
        block = IPBlock.parse(str(ipb.get("cidr", "")), [str(e) for e in ipb.get("except") or []])
        return Peer(index, None, None, block, invalid=block.invalid)
    if pod is None and ns is None:
        return Peer(index, None, None, None, invalid="no podSelector, namespaceSelector or ipBlock")
    return Peer(index, pod, ns, None)


def _rule(policy: str, direction: str, index: int, raw: Any) -> Rule:
    raw = raw if isinstance(raw, Mapping) else {}
    peers_raw = raw.get("from" if direction == INGRESS else "to")
    ports_raw = raw.get("ports")
    peers = tuple(_peer(i, p) for i, p in enumerate(peers_raw)) if peers_raw else None
    ports = tuple(parse_port_entry(i, p if isinstance(p, Mapping) else {}) for i, p in enumerate(ports_raw)) \
        if ports_raw else None
    return Rule(policy, direction, index, peers, ports)


def parse_policy(obj: Mapping[str, Any]) -> Policy:
    """A :class:`Policy` from a ``networking.k8s.io/v1`` NetworkPolicy object.

    >>> p = parse_policy({"metadata": {"namespace": "a", "name": "p"},
    ...                   "spec": {"podSelector": {}, "egress": []}})
    >>> p.types, p.types_defaulted
    (('ingress',), True)
    """
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    key = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    raw_types = [str(t).lower() for t in spec.get("policyTypes") or []]
    defaulted = not raw_types
    if defaulted:
        raw_types = [INGRESS] + ([EGRESS] if spec.get("egress") else [])
    types = tuple(t for t in (INGRESS, EGRESS) if t in raw_types)
    ingress = tuple(_rule(key, INGRESS, i, r) for i, r in enumerate(spec.get("ingress") or []))
    egress = tuple(_rule(key, EGRESS, i, r) for i, r in enumerate(spec.get("egress") or []))
    selector = spec.get("podSelector")
    return Policy(str(meta.get("namespace", "")), str(meta.get("name", "")),
                  selector if isinstance(selector, Mapping) else {}, types, defaulted, ingress, egress)
