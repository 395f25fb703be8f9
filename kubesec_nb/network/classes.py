"""Equivalence classes of endpoints: pods no NetworkPolicy can tell apart.

Two pods are in one class when they share the namespace (hence its labels), their labels,
the numbers behind the named ports policies mention, hostNetwork, and (when ipBlocks may
match them) the address atom of each of their IPs. Every selector, peer and port rule
then treats the whole class alike, so reachability is computed on classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kubesec_nb.network.addresses import AddressSpace
from kubesec_nb.network.endpoints import Endpoint
from kubesec_nb.network.profile import NetworkProfile


@dataclass
class PodClass:
    """A set of endpoints (indexes into the endpoint list) with one representative."""

    index: int
    namespace: str
    labels: Mapping[str, str]
    ns_labels: Mapping[str, str]
    named_ports: Mapping[str, tuple[str, int]]
    host_network: bool
    atoms: frozenset[int]
    members: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)


def build_classes(endpoints: list[Endpoint], space: AddressSpace, profile: NetworkProfile,
                  used_port_names: Iterable[str]) -> tuple[list[PodClass], list[int]]:
    """Group pod endpoints into classes; returns the classes and each endpoint's class index.

    >>> from kubesec_nb.network.profile import PROFILES
    >>> eps = [Endpoint(f"x/{n}", "pod", "x", {"app": "web"}) for n in ("a", "b")]
    >>> classes, of = build_classes(eps, AddressSpace([]), PROFILES["upstream"], [])
    >>> len(classes), of
    (1, [0, 0])
    """
    names = frozenset(used_port_names)
    by_key: dict[tuple[object, ...], PodClass] = {}
    class_of: list[int] = []
    for i, ep in enumerate(endpoints):
        named = {n: v for n, v in ep.named_ports.items() if n in names}
        ip_matters = profile.ipblock_matches_nodes if ep.host_network else profile.ipblock_matches_pods
        atoms = frozenset(space.atom_of(ip) for ip in ep.ips) if ip_matters else frozenset()
        key = (ep.namespace, tuple(sorted(ep.labels.items())), tuple(sorted(named.items())), ep.host_network,
               tuple(sorted(atoms)))
        cls = by_key.get(key)
        if cls is None:
            cls = PodClass(len(by_key), ep.namespace, ep.labels, ep.ns_labels, named, ep.host_network, atoms)
            by_key[key] = cls
        cls.members.append(i)
        class_of.append(cls.index)
    return list(by_key.values()), class_of
