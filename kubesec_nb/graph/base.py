"""The graph under construction: nodes and edges with their technique, cost, evidence and fix.

Edge attributes (every edge has them): ``technique`` (a :data:`~.techniques.TECHNIQUES` id),
``cost`` (the technique's), ``evidence`` (a tuple of :class:`~kubesec_nb.checks.Evidence`),
``certainty`` (``confirmed``: the snapshot shows it; ``unknown``: an input is missing and the
edge is assumed, the evidence says which) and ``fix`` (the :class:`Fix` that removes the edge,
or None for a structural edge). Some also carry ``ports`` (network edges) and ``rbac_technique``
(the name the RBAC analyzer used). The key of an edge is its technique, made unique per
(source, target) with a ``#n`` suffix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from kubesec_nb.checks import Evidence
from kubesec_nb.graph.nodes import kind_of, label, namespace_of
from kubesec_nb.graph.techniques import technique

CONFIRMED, UNKNOWN = "confirmed", "unknown"
#: Extra cost of an edge whose input is unknown (assumed, not shown by the snapshot).
UNKNOWN_PENALTY = 2


@dataclass(frozen=True, order=True)
class Fix:
    """A configuration change that removes an edge.

    ``key`` identifies the change (edges removed by the same change share it); ``kind`` is one
    of ``binding``, ``token-mount``, ``network-policy``, ``exposure``, ``pod-security``,
    ``host-access``, ``metadata``, ``cloud-link``, ``api-endpoint``, ``secret``; ``change`` says
    exactly what to do and ``object`` names the object to change. What the change costs the
    operator is the fix cost of the edge's technique.
    """

    key: str
    kind: str
    change: str
    object: str


class Builder:
    """A MultiDiGraph with typed nodes and edges (see the module docstring)."""

    def __init__(self) -> None:
        self.g: nx.MultiDiGraph = nx.MultiDiGraph()
        self._keys: set[tuple[str, str, str]] = set()

    def node(self, node: str, **attrs: Any) -> str:
        """Add ``node`` (kind, namespace and label derived from its id) and return it."""
        if node not in self.g:
            self.g.add_node(node, kind=kind_of(node), namespace=namespace_of(node), label=label(node), **attrs)
        elif attrs:
            self.g.nodes[node].update(attrs)
        return node

    def edge(self, src: str, dst: str, tech: str, evidence: Iterable[Evidence], *, fix: Fix | None = None,
             certainty: str = CONFIRMED, **attrs: Any) -> None:
        """Add one edge; its cost is the technique's (plus :data:`UNKNOWN_PENALTY` when unknown)."""
        if src == dst:
            return
        g = self.g
        if src not in g:
            self.node(src)
        if dst not in g:
            self.node(dst)
        t = technique(tech)
        key, n = tech, 1
        while (src, dst, key) in self._keys:
            n += 1
            key = f"{tech}#{n}"
        self._keys.add((src, dst, key))
        cost = t.cost + (UNKNOWN_PENALTY if certainty == UNKNOWN else 0)
        g.add_edge(src, dst, key=key, technique=tech, cost=cost, evidence=tuple(evidence), certainty=certainty,
                   fix=fix if t.fix_cost is not None else None, **attrs)
