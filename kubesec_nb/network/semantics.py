"""The NetworkPolicy decision for one connection, with the policies and rules that decide it.

This is the reference evaluator: it follows reference §1 literally, one connection at a
time, and explains itself. The class-based engine (:mod:`.reach`) computes the same
answers in bulk and is tested against this module.

A connection ``src → dst`` on ``(protocol, port)`` is allowed iff the egress side of
``src`` allows it and the ingress side of ``dst`` allows it. A side that no policy
isolates allows everything; an isolated side allows what at least one rule of at least
one isolating policy allows. External peers have no side of their own. Loopback and
traffic between a pod and its own node are always allowed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubesec_nb.model import selector_matches
from kubesec_nb.network.endpoints import Endpoint
from kubesec_nb.network.policy import EGRESS, INGRESS, Peer, Policy, Rule
from kubesec_nb.network.profile import NetworkProfile


@dataclass(frozen=True)
class Side:
    """One side's verdict: the egress of the source or the ingress of the destination.

    ``applies`` is False when policies cannot act on this side (an external peer, or a
    hostNetwork pod that selectors do not select). ``isolating`` lists the policies that
    select the pod for this direction; ``allowing`` the rules (``ns/name ingress[0]``
    plus the matching peer and port) that allow the connection.
    """

    direction: str
    endpoint: str
    applies: bool
    isolated: bool
    allowed: bool
    isolating: tuple[str, ...] = ()
    allowing: tuple[str, ...] = ()
    note: str = ""

    def __str__(self) -> str:
        who = f"{self.direction} of {self.endpoint}"
        if not self.applies:
            return f"{who}: not policed ({self.note})"
        if not self.isolated:
            return f"{who}: not isolated (no policy selects it for {self.direction}): allowed"
        verdict = "allowed by " + "; ".join(self.allowing) if self.allowed else "denied (no rule allows it)"
        return f"{who}: isolated by {', '.join(self.isolating)}: {verdict}"


@dataclass(frozen=True)
class Decision:
    """Whether ``src`` may open a connection to ``dst`` on ``protocol/port``; truthy when allowed.

    ``reason`` is a one-line summary, ``egress``/``ingress`` the two sides, ``parts`` the
    per-backend (Service) or per-range (CIDR) decisions an aggregate decision is made of.
    """

    allowed: bool
    src: str
    dst: str
    port: int | str
    protocol: str
    reason: str
    egress: Side | None = None
    ingress: Side | None = None
    profile: str = ""
    parts: tuple[Decision, ...] = field(default=())
    partial: bool = False

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def why(self) -> list[str]:
        """The explanation as lines: the summary, then each side, then the parts."""
        lines = [f"{'ALLOWED' if self.allowed else 'DENIED'} {self.src} -> {self.dst} "
                 f"{self.protocol}/{self.port}: {self.reason}"]
        for side in (self.egress, self.ingress):
            if side is not None:
                lines.append(f"  {side}")
        for part in self.parts:
            lines.extend("  " + line for line in part.why)
        return lines

    @property
    def policies(self) -> tuple[str, ...]:
        """Every policy named by either side (isolating or allowing), sorted."""
        out: set[str] = set()
        for side in (self.egress, self.ingress):
            if side is not None:
                out.update(side.isolating)
                out.update(r.split(" ")[0] for r in side.allowing)
        for part in self.parts:
            out.update(part.policies)
        return tuple(sorted(out))

    def __str__(self) -> str:
        return "\n".join(self.why)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython display without addresses
        p.text(str(self))


class Evaluator:
    """Decide single connections under a profile.

    >>> from kubesec_nb.network.policy import parse_policy
    >>> deny = parse_policy({"metadata": {"namespace": "x", "name": "deny"}, "spec": {"podSelector": {}}})
    >>> ev = Evaluator([deny], NetworkProfile("t"))
    >>> a = Endpoint("x/a", "pod", "x", {"pod": "a"}, {"kubernetes.io/metadata.name": "x"})
    >>> b = Endpoint("y/b", "pod", "y", {"pod": "b"}, {"kubernetes.io/metadata.name": "y"})
    >>> bool(ev.decide(b, a, 80, "TCP")), bool(ev.decide(a, b, 80, "TCP"))
    (False, True)
    """

    def __init__(self, policies: Iterable[Policy], profile: NetworkProfile) -> None:
        self.profile = profile
        by_ns: dict[str, list[Policy]] = defaultdict(list)
        for p in policies:
            by_ns[p.namespace].append(p)
        #: Policies by namespace, in the given order (namespaces without policies are absent).
        self.by_ns: dict[str, list[Policy]] = dict(by_ns)

    # ---- selection ------------------------------------------------------------------------
    def selectable(self, ep: Endpoint) -> bool:
        """Whether label selectors can select ``ep`` (pods; hostNetwork pods only if the profile says so)."""
        return ep.is_pod and (not ep.host_network or self.profile.hostnetwork_selectable)

    def isolating(self, ep: Endpoint, direction: str) -> list[Policy]:
        """Policies of ``ep``'s namespace that select it and have ``direction`` in policyTypes."""
        if not self.selectable(ep):
            return []
        return [p for p in self.by_ns.get(ep.namespace, ()) if p.affects(direction)
                and selector_matches(p.pod_selector, ep.labels)]

    def peer_matches(self, peer: Peer, policy_ns: str, ep: Endpoint) -> bool:
        """Whether ``peer`` (of a policy in ``policy_ns``) matches endpoint ``ep``."""
        if peer.invalid:
            return False
        if peer.ipblock is not None:
            if ep.is_pod or ep.kind == "node":
                node_like = ep.host_network or ep.kind == "node"
                allowed = self.profile.ipblock_matches_nodes if node_like else self.profile.ipblock_matches_pods
                if not allowed:
                    return False
            return any(peer.ipblock.contains(ip) for ip in ep.ips)
        if not self.selectable(ep):
            return False
        if peer.namespace_selector is None:
            ns_ok = ep.namespace == policy_ns
        else:
            ns_ok = selector_matches(peer.namespace_selector, ep.ns_labels)
        return ns_ok and (peer.pod_selector is None or selector_matches(peer.pod_selector, ep.labels))

    def _rule_allows(self, rule: Rule, policy_ns: str, peer_ep: Endpoint, dst: Endpoint,
                     protocol: str, port: int) -> str | None:
        """The ``from[i]``/``ports[j]`` text of the match, or None when the rule does not allow it."""
        if rule.peers is None:
            peer_txt = f"{rule.peer_field}: all"
        else:
            hit = next((p for p in rule.peers if self.peer_matches(p, policy_ns, peer_ep)), None)
            if hit is None:
                return None
            peer_txt = f"{rule.peer_field}[{hit.index}] {hit.describe()}"
        if rule.ports is None:
            return f"{peer_txt}; ports: all"
        # named ports resolve on the destination pod; an external destination has none
        named = dst.named_ports if dst.is_pod else None
        entry = next((e for e in rule.ports if e.matches(protocol, port, named, endport=self.profile.endport)),
                     None)
        if entry is None:
            return None
        return f"{peer_txt}; ports[{entry.index}] {entry}"

    def side(self, ep: Endpoint, other: Endpoint, direction: str, protocol: str, port: int) -> Side:
        """The verdict of ``ep``'s ``direction`` side for traffic with ``other``."""
        if not ep.is_pod:
            return Side(direction, ep.id, False, False, True,
                        note="node endpoint" if ep.kind == "node" else "external peer")
        if not self.selectable(ep):
            return Side(direction, ep.id, False, False, True, note="hostNetwork pod: node endpoint")
        pols = self.isolating(ep, direction)
        if not pols:
            return Side(direction, ep.id, True, False, True)
        dst = other if direction == EGRESS else ep
        allowing = []
        for pol in pols:
            for rule in pol.rules(direction):
                txt = self._rule_allows(rule, pol.namespace, other, dst, protocol, port)
                if txt is not None:
                    allowing.append(f"{rule.ref} {txt}")
        return Side(direction, ep.id, True, True, bool(allowing), tuple(sorted(p.key for p in pols)),
                    tuple(allowing))

    def decide(self, src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> Decision:
        """The decision for ``src`` opening ``protocol/port`` to ``dst``."""
        protocol = protocol.upper()
        base: dict[str, Any] = {"src": src.id, "dst": dst.id, "port": port, "protocol": protocol,
                                "profile": self.profile.name}
        if src.is_pod and dst.is_pod and src.id == dst.id:
            return Decision(True, reason="loopback: a pod cannot block traffic to itself", **base)
        if not self.profile.enforced:
            return Decision(True, reason="NetworkPolicy not enforced (no enforcing plugin): all traffic allowed",
                            **base)
        if own_node(src, dst):
            return Decision(True, reason=f"traffic between a pod and its own node {src.node or dst.node} is "
                            "always allowed", **base)
        eg = self.side(src, dst, EGRESS, protocol, port)
        ing = self.side(dst, src, INGRESS, protocol, port)
        allowed = eg.allowed and ing.allowed
        if allowed:
            reason = "both sides allow it"
        elif not eg.allowed and not ing.allowed:
            reason = "denied by the egress of the source and the ingress of the destination"
        elif not eg.allowed:
            reason = "denied on the client side: egress of the source"
        else:
            reason = "denied by the ingress of the destination"
        return Decision(allowed, reason=reason, egress=eg, ingress=ing, **base)


def own_node(a: Endpoint, b: Endpoint) -> bool:
    """True when one side is a node endpoint (a node, a hostNetwork pod) on the node the other pod runs on."""
    if not a.node or a.node != b.node or a.kind == "external" or b.kind == "external":
        return False
    return a.host_network or b.host_network or a.kind == "node" or b.kind == "node"


def aggregate(parts: list[Decision], src: str, dst: str, port: int | str, protocol: str, profile: str,
              what: str) -> Decision:
    """An any-of decision over ``parts`` (Service backends, address ranges)."""
    allowed = [p for p in parts if p.allowed]
    if not parts:
        return Decision(False, src, dst, port, protocol, f"no {what}", profile=profile)
    partial = bool(allowed) and len(allowed) < len(parts)
    reason = (f"allowed for {len(allowed)} of {len(parts)} {what}" if allowed
              else f"denied for all {len(parts)} {what}")
    return Decision(bool(allowed), src, dst, port, protocol, reason, profile=profile, parts=tuple(parts),
                    partial=partial)
