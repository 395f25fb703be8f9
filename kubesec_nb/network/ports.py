"""Ports and protocols of NetworkPolicy rules, and the port atoms they induce.

A port entry matches one protocol (TCP by default) and either every port, one numeric
port, a numeric range ``[port, endPort]`` or a named port resolved per destination pod
(the name and the protocol must both match). A :class:`PortSpace` splits each protocol's
port range at every boundary, so a set of ports is a bitmask over atoms.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kubesec_nb.snapshot.objects import PROTOCOLS as PROTOCOLS
from kubesec_nb.snapshot.objects import protocol_of as protocol_of

MAX_PORT = 65535
#: A named-port map: name → (protocol, container port), per pod.
NamedPorts = Mapping[str, tuple[str, int]]


def resolve_named(named: NamedPorts | None, name: str, protocol: str) -> int | None:
    """The container port a port name stands for on a pod with ``named`` ports; the protocol must match too.

    >>> resolve_named({"dns": ("UDP", 53)}, "dns", "UDP"), resolve_named({"dns": ("UDP", 53)}, "dns", "TCP")
    (53, None)
    """
    found = named.get(name) if named else None
    return found[1] if found is not None and found[0] == protocol else None


@dataclass(frozen=True)
class PortEntry:
    """One ``ports[i]`` entry of a rule.

    >>> e = PortEntry(0, "TCP", 8000, None, 8080)
    >>> e.matches("TCP", 8080, {}, endport=True), e.matches("TCP", 8080, {}, endport=False)
    (True, False)
    >>> PortEntry(0, "TCP", None, "http", None).matches("TCP", 80, {"http": ("TCP", 80)}, endport=True)
    True
    """

    index: int
    protocol: str
    port: int | None
    name: str | None
    end: int | None
    invalid: str = ""

    def range(self, endport: bool) -> tuple[int, int] | None:
        """The numeric range this entry allows (None for named ports)."""
        if self.name is not None:
            return None
        if self.port is None:
            return 1, MAX_PORT
        if endport and self.end is not None and self.end >= self.port:
            return self.port, self.end
        return self.port, self.port

    def resolve(self, named: NamedPorts | None) -> int | None:
        """The number a named entry resolves to on a pod with ``named`` ports (protocol must match)."""
        return None if self.name is None else resolve_named(named, self.name, self.protocol)

    def matches(self, protocol: str, port: int, named: NamedPorts | None, *, endport: bool) -> bool:
        if self.invalid or protocol != self.protocol:
            return False
        if self.name is not None:
            return self.resolve(named) == port
        rng = self.range(endport)
        return rng is not None and rng[0] <= port <= rng[1]

    def __str__(self) -> str:
        if self.name is not None:
            return f"{self.protocol}/{self.name}"
        if self.port is None:
            return f"{self.protocol}/*"
        return f"{self.protocol}/{self.port}" + (f"-{self.end}" if self.end is not None else "")


def parse_port_entry(index: int, raw: Mapping[str, object]) -> PortEntry:
    """A ``NetworkPolicyPort`` with the API defaults applied (protocol TCP).

    >>> str(parse_port_entry(0, {"port": "dns", "protocol": "UDP"}))
    'UDP/dns'
    """
    proto = protocol_of(raw)
    port = raw.get("port")
    end = raw.get("endPort")
    invalid = "" if proto in PROTOCOLS else f"unknown protocol {proto}"
    if port is None:
        return PortEntry(index, proto, None, None, None, invalid)
    if isinstance(port, str) and not port.isdigit():
        if end is not None:
            invalid = invalid or "endPort with a named port"
        return PortEntry(index, proto, None, port, None, invalid)
    num = int(port)  # type: ignore[call-overload]
    end_n = int(end) if end is not None else None  # type: ignore[call-overload]
    if end_n is not None and end_n < num:
        invalid = invalid or "endPort below port"
    return PortEntry(index, proto, num, None, end_n, invalid)


@dataclass(frozen=True)
class PortAtom:
    index: int
    protocol: str
    lo: int
    hi: int


class PortSpace:
    """The port ranges of each protocol split at every boundary any rule or named port uses.

    >>> ps = PortSpace([("TCP", 80, 80)])
    >>> ps.format(ps.mask_of("TCP", 80, 80)), ps.format(ps.all_mask)
    ('TCP/80', 'all')
    """

    def __init__(self, ranges: Iterable[tuple[str, int, int]]) -> None:
        cuts: dict[str, set[int]] = {p: {1} for p in PROTOCOLS}
        for proto, lo, hi in ranges:
            if proto in cuts:
                cuts[proto].add(max(1, lo))
                if hi + 1 <= MAX_PORT:
                    cuts[proto].add(hi + 1)
        self.atoms: list[PortAtom] = []
        self._starts: dict[str, list[int]] = {}
        self._first: dict[str, int] = {}
        for proto in PROTOCOLS:
            starts = sorted(c for c in cuts[proto] if c <= MAX_PORT)
            self._starts[proto] = starts
            self._first[proto] = len(self.atoms)
            for i, lo in enumerate(starts):
                hi = starts[i + 1] - 1 if i + 1 < len(starts) else MAX_PORT
                self.atoms.append(PortAtom(len(self.atoms), proto, lo, hi))
        self.all_mask = (1 << len(self.atoms)) - 1

    def atom_of(self, protocol: str, port: int) -> int:
        return self._first[protocol] + bisect_right(self._starts[protocol], port) - 1

    def mask_of(self, protocol: str, lo: int, hi: int) -> int:
        """Bitmask of the atoms covering ``[lo, hi]`` of ``protocol`` (boundaries must be known)."""
        first, last = self.atom_of(protocol, lo), self.atom_of(protocol, hi)
        return ((1 << (last + 1)) - 1) ^ ((1 << first) - 1)

    def contains(self, mask: int, protocol: str, port: int) -> bool:
        return bool(mask >> self.atom_of(protocol, port) & 1)

    def ranges(self, mask: int) -> list[tuple[str, int, int]]:
        """``(protocol, lo, hi)`` ranges of a mask, adjacent atoms merged."""
        out: list[tuple[str, int, int]] = []
        for a in self.atoms:
            if mask >> a.index & 1:
                if out and out[-1][0] == a.protocol and out[-1][2] + 1 == a.lo:
                    out[-1] = (a.protocol, out[-1][1], a.hi)
                else:
                    out.append((a.protocol, a.lo, a.hi))
        return out

    def format(self, mask: int) -> str:
        """``all``, ``""`` (nothing) or ``TCP/80,TCP/8000-8080,UDP/*``."""
        if mask == self.all_mask:
            return "all"
        parts = []
        for proto, lo, hi in self.ranges(mask):
            if lo == 1 and hi == MAX_PORT:
                parts.append(f"{proto}/*")
            else:
                parts.append(f"{proto}/{lo}" if lo == hi else f"{proto}/{lo}-{hi}")
        return ",".join(parts)
