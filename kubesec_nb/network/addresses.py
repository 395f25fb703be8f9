"""IP addresses, ipBlocks (``cidr`` minus ``except``) and the address atoms policies induce.

Addresses are ``(version, integer)`` pairs. An :class:`AddressSpace` splits IPv4 and IPv6
at every cidr/except boundary of every ipBlock (and at the private-range boundaries), so
each atom is wholly inside or outside every ipBlock and wholly public or private.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

Address = tuple[int, int]  # (4|6, integer value)

#: Ranges that are not the internet: RFC 1918, CGNAT, loopback, link-local, "this network", ULA.
PRIVATE_RANGES = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                  "172.16.0.0/12", "192.168.0.0/16", "::/128", "::1/128", "fc00::/7", "fe80::/10")
_TOP = {4: 1 << 32, 6: 1 << 128}


def parse_ip(text: str) -> Address | None:
    """``(version, int)`` for an IP address, None when ``text`` is not one.

    >>> parse_ip("10.0.0.1"), parse_ip("nope")
    ((4, 167772161), None)
    """
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return ip.version, int(ip)


def parse_cidr(text: str) -> tuple[int, int, int] | None:
    """``(version, first, last)`` of a CIDR (host bits ignored, as the API server accepts them).

    >>> parse_cidr("10.0.0.0/31")
    (4, 167772160, 167772161)
    """
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), int(net.broadcast_address)


def format_range(version: int, lo: int, hi: int) -> str:
    """The smallest list of CIDRs covering ``[lo, hi]``, comma separated.

    >>> format_range(4, 167772160, 167772163)
    '10.0.0.0/30'
    """
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    nets = ipaddress.summarize_address_range(cls(lo), cls(hi))
    return ",".join(str(n) for n in nets)


@dataclass(frozen=True)
class IPBlock:
    """An ipBlock: ``cidr`` minus each ``except`` (only within this block).

    >>> b = IPBlock.parse("10.0.0.0/8", ["10.1.0.0/16"])
    >>> b.contains(parse_ip("10.2.0.1")), b.contains(parse_ip("10.1.0.1")), b.contains(parse_ip("fd00::1"))
    (True, False, False)
    """

    cidr: str
    excepts: tuple[str, ...]
    version: int
    lo: int
    hi: int
    holes: tuple[tuple[int, int], ...]
    invalid: str = ""

    @classmethod
    def parse(cls, cidr: str, excepts: Iterable[str] = ()) -> IPBlock:
        rng = parse_cidr(str(cidr))
        if rng is None:
            return cls(str(cidr), tuple(excepts), 4, 1, 0, (), invalid=f"cidr {cidr!r} is not a CIDR")
        holes: list[tuple[int, int]] = []
        for e in excepts:
            er = parse_cidr(str(e))
            if er is None or er[0] != rng[0]:
                return cls(str(cidr), tuple(excepts), rng[0], rng[1], rng[2], (),
                           invalid=f"except {e!r} is not a CIDR of the same family")
            holes.append((er[1], er[2]))
        return cls(str(cidr), tuple(str(e) for e in excepts), rng[0], rng[1], rng[2], tuple(sorted(holes)))

    def contains(self, addr: Address | None) -> bool:
        if addr is None or self.invalid or addr[0] != self.version or not self.lo <= addr[1] <= self.hi:
            return False
        return not any(lo <= addr[1] <= hi for lo, hi in self.holes)

    def boundaries(self) -> Iterable[tuple[int, int]]:
        """Interval starts (and ends + 1) this block introduces, as ``(version, value)``."""
        if self.invalid:
            return
        yield self.version, self.lo
        yield self.version, self.hi + 1
        for lo, hi in self.holes:
            yield self.version, lo
            yield self.version, hi + 1

    def __str__(self) -> str:
        return self.cidr + (f" except {','.join(self.excepts)}" if self.excepts else "")


_PRIVATE = tuple(IPBlock.parse(c) for c in PRIVATE_RANGES)


def is_public(addr: Address) -> bool:
    """True for addresses outside :data:`PRIVATE_RANGES`.

    >>> is_public(parse_ip("8.8.8.8")), is_public(parse_ip("10.1.2.3"))
    (True, False)
    """
    return not any(b.contains(addr) for b in _PRIVATE)


@dataclass(frozen=True)
class Atom:
    """A maximal address range no ipBlock boundary splits."""

    index: int
    version: int
    lo: int
    hi: int
    public: bool

    @property
    def representative(self) -> Address:
        return self.version, self.lo

    def __str__(self) -> str:
        return format_range(self.version, self.lo, self.hi)


class AddressSpace:
    """IPv4 and IPv6 split into :class:`Atom` s at the boundaries of ``blocks``.

    >>> space = AddressSpace([IPBlock.parse("192.0.2.0/24", ["192.0.2.128/25"])])
    >>> str(space.atoms[space.atom_of(parse_ip("192.0.2.1"))])
    '192.0.2.0/25'
    """

    def __init__(self, blocks: Iterable[IPBlock]) -> None:
        cuts: dict[int, set[int]] = {4: {0}, 6: {0}}
        for b in (*_PRIVATE, *blocks):
            for version, value in b.boundaries():
                if value < _TOP[version]:
                    cuts[version].add(value)
        self.atoms: list[Atom] = []
        self._starts: dict[int, list[int]] = {}
        self._first: dict[int, int] = {}
        for version in (4, 6):
            starts = sorted(cuts[version])
            self._starts[version] = starts
            self._first[version] = len(self.atoms)
            for i, lo in enumerate(starts):
                hi = (starts[i + 1] if i + 1 < len(starts) else _TOP[version]) - 1
                self.atoms.append(Atom(len(self.atoms), version, lo, hi, is_public((version, lo))))

    def atom_of(self, addr: Address) -> int:
        """Index of the atom holding ``addr``."""
        version, value = addr
        return self._first[version] + bisect_right(self._starts[version], value) - 1

    def atoms_in(self, version: int, lo: int, hi: int) -> list[int]:
        """Atoms overlapping ``[lo, hi]``."""
        first = self.atom_of((version, lo))
        last = self.atom_of((version, hi))
        return list(range(first, last + 1))

    def public_atoms(self) -> list[int]:
        return [a.index for a in self.atoms if a.public]
