"""Bulk reachability on equivalence classes.

Targets are the pod classes (:mod:`.classes`) followed by the address atoms
(:class:`~.addresses.AddressSpace`). Every rule becomes a boolean vector over targets
(which peers it names) and a port bitmask (:class:`~.ports.PortSpace`; named ports are
resolved per destination class). Classes that the same policies select share a *group*;
for each group and each target the allowed port set is the union of the masks of the
rules naming that target, stored as an id into a table of distinct masks. The egress of
``s`` to ``d`` and the ingress of ``d`` from ``s`` are then one lookup each, and the
class-to-class result is their intersection, computed row block by row block, so the
cost grows with classes, groups and rules rather than with pods squared.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kubesec_nb.model import selector_matches
from kubesec_nb.network.addresses import AddressSpace
from kubesec_nb.network.classes import build_classes
from kubesec_nb.network.endpoints import Endpoint
from kubesec_nb.network.policy import EGRESS, INGRESS, Peer, Policy, Rule, ipblocks
from kubesec_nb.network.ports import PortSpace, resolve_named
from kubesec_nb.network.profile import NetworkProfile

IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]
EMPTY, ALL = 0, 1


@dataclass
class _Compiled:
    rule: Rule
    vector: BoolArray           # over targets
    const: int                  # mask of numeric entries (all_mask when ports is None)
    named: tuple[tuple[str, str], ...]  # (name, protocol) entries resolved per destination


class Reachability:
    """Class-level reachability for a set of endpoints and policies under a profile.

    >>> from kubesec_nb.network.policy import parse_policy
    >>> from kubesec_nb.network.profile import PROFILES
    >>> ns = {"kubernetes.io/metadata.name": "x"}
    >>> eps = [Endpoint("x/a", "pod", "x", {"pod": "a"}, ns), Endpoint("x/b", "pod", "x", {"pod": "b"}, ns)]
    >>> pol = parse_policy({"metadata": {"namespace": "x", "name": "p"}, "spec": {
    ...     "podSelector": {"matchLabels": {"pod": "b"}},
    ...     "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "a"}}}], "ports": [{"port": 80}]}]}})
    >>> r = Reachability(eps, [pol], PROFILES["upstream"])
    >>> r.ports.format(r.class_mask(0, 1)), r.ports.format(r.class_mask(1, 0))
    ('TCP/80', 'all')
    """

    def __init__(self, endpoints: list[Endpoint], policies: Iterable[Policy], profile: NetworkProfile,
                 space: AddressSpace | None = None) -> None:
        self.endpoints = endpoints
        self.profile = profile
        self.policies = sorted(policies, key=lambda p: p.key)
        rules = [r for p in self.policies for r in (*p.ingress, *p.egress)]
        #: The address atoms of the policies' ipBlocks (pass the one already built for the same policies).
        self.space = space if space is not None else AddressSpace(ipblocks(self.policies))
        used_names = {e.name for r in rules for e in (r.ports or ()) if e.name is not None}
        self.classes, class_of = build_classes(endpoints, self.space, profile, used_names)
        self.class_of = np.asarray(class_of, dtype=np.int32)
        self.n_classes = len(self.classes)
        self.n_targets = self.n_classes + len(self.space.atoms)
        port_ranges: list[tuple[str, int, int]] = []
        for r in rules:
            for e in r.ports or ():
                rng = e.range(profile.endport)
                if rng is not None and not e.invalid:
                    port_ranges.append((e.protocol, *rng))
        for c in self.classes:
            port_ranges.extend((proto, num, num) for proto, num in c.named_ports.values())
        self.ports = PortSpace(port_ranges)
        self.masks: list[int] = [0, self.ports.all_mask]
        self._mask_id: dict[int, int] = {0: EMPTY, self.ports.all_mask: ALL}
        self._meet: dict[tuple[int, int], int] = {}
        self._sizes = np.asarray([c.size for c in self.classes], dtype=np.int64)
        self._prepare_selection()
        self._compiled: dict[tuple[str, int, str], _Compiled] = {}
        self.egress_groups, self.egress_group_of, self.egress_table = self._side(EGRESS)
        self.ingress_groups, self.ingress_group_of, self.ingress_table = self._side(INGRESS)

    # ---- masks ------------------------------------------------------------------------------
    def mask_id(self, mask: int) -> int:
        found = self._mask_id.get(mask)
        if found is None:
            found = self._mask_id[mask] = len(self.masks)
            self.masks.append(mask)
        return found

    # ---- selectors ------------------------------------------------------------------------------
    def _prepare_selection(self) -> None:
        self.namespaces = sorted({c.namespace for c in self.classes})
        ns_index = {n: i for i, n in enumerate(self.namespaces)}
        self._ns_of_class = np.asarray([ns_index[c.namespace] for c in self.classes], dtype=np.int32)
        self._ns_labels = {c.namespace: c.ns_labels for c in self.classes}
        self._selectable = np.asarray([not c.host_network or self.profile.hostnetwork_selectable
                                       for c in self.classes], dtype=np.bool_)
        self._classes_in: dict[str, list[int]] = defaultdict(list)
        for c in self.classes:
            self._classes_in[c.namespace].append(c.index)
        self._ns_sel_cache: dict[str, BoolArray] = {}
        self._pod_sel_cache: dict[tuple[str, int], bool] = {}

    def _ns_mask(self, sel: Mapping[str, Any]) -> BoolArray:
        key = json.dumps(sel, sort_keys=True)
        found = self._ns_sel_cache.get(key)
        if found is None:
            found = np.asarray([selector_matches(sel, self._ns_labels[n]) for n in self.namespaces],
                               dtype=np.bool_) if self.namespaces else np.zeros(0, dtype=np.bool_)
            self._ns_sel_cache[key] = found
        return found

    def _pods_matching(self, sel: Mapping[str, Any] | None, candidates: Iterable[int]) -> list[int]:
        if sel is None or not sel:
            return list(candidates)
        key = json.dumps(sel, sort_keys=True)
        out = []
        for c in candidates:
            hit = self._pod_sel_cache.get((key, c))
            if hit is None:
                hit = self._pod_sel_cache[(key, c)] = selector_matches(sel, self.classes[c].labels)
            if hit:
                out.append(c)
        return out

    def selected_classes(self, policy: Policy) -> list[int]:
        """Classes a policy selects (hostNetwork classes only if the profile makes them selectable)."""
        cands = [c for c in self._classes_in.get(policy.namespace, ()) if self._selectable[c]]
        return self._pods_matching(policy.pod_selector, cands)

    def _peer_vector(self, peer: Peer, policy_ns: str) -> BoolArray:
        vec = np.zeros(self.n_targets, dtype=np.bool_)
        if peer.invalid:
            return vec
        if peer.ipblock is not None:
            b = peer.ipblock
            atoms = [a for a in self.space.atoms_in(b.version, b.lo, b.hi)
                     if b.contains(self.space.atoms[a].representative)]
            atom_set = set(atoms)
            vec[[self.n_classes + a for a in atoms]] = True
            for c in self.classes:
                if c.atoms & atom_set:
                    vec[c.index] = True
            return vec
        if peer.namespace_selector is None:
            cands: Iterable[int] = self._classes_in.get(policy_ns, ())
        else:
            ns_ok = self._ns_mask(peer.namespace_selector)
            cands = np.nonzero(ns_ok[self._ns_of_class])[0].tolist() if self.n_classes else []
        cands = [c for c in cands if self._selectable[c]]
        vec[self._pods_matching(peer.pod_selector, cands)] = True
        return vec

    def _compile(self, policy: Policy, rule: Rule) -> _Compiled:
        key = (policy.key, rule.index, rule.direction)
        found = self._compiled.get(key)
        if found is not None:
            return found
        if rule.peers is None:
            vec = np.ones(self.n_targets, dtype=np.bool_)
        else:
            vec = np.zeros(self.n_targets, dtype=np.bool_)
            for pe in rule.peers:
                vec |= self._peer_vector(pe, policy.namespace)
        if rule.ports is None:
            const, named = self.ports.all_mask, tuple[tuple[str, str], ...]()
        else:
            const = 0
            named_l = []
            for e in rule.ports:
                if e.invalid:
                    continue
                if e.name is not None:
                    named_l.append((e.name, e.protocol))
                    continue
                rng = e.range(self.profile.endport)
                if rng is not None:
                    const |= self.ports.mask_of(e.protocol, *rng)
            named = tuple(named_l)
        found = self._compiled[key] = _Compiled(rule, vec, const, named)
        return found

    def _named_mask(self, named: tuple[tuple[str, str], ...], ports: Mapping[str, tuple[str, int]]) -> int:
        mask = 0
        for name, proto in named:
            num = resolve_named(ports, name, proto)
            if num is not None:
                mask |= self.ports.mask_of(proto, num, num)
        return mask

    # ---- per-direction groups ----------------------------------------------------------------------
    def _selection(self, direction: str) -> list[tuple[int, ...]]:
        sel: list[list[int]] = [[] for _ in self.classes]
        for i, pol in enumerate(self.policies):
            if pol.affects(direction):
                for c in self.selected_classes(pol):
                    sel[c].append(i)
        return [tuple(s) for s in sel]

    def _side(self, direction: str) -> tuple[list[tuple[tuple[int, ...], tuple[Any, ...]]], IntArray, IntArray]:
        """Groups of classes with equal selection, each class's group, and the group × target table."""
        selection = self._selection(direction)
        groups: dict[tuple[tuple[int, ...], tuple[Any, ...]], int] = {((), ()): 0}
        group_of = np.zeros(self.n_classes, dtype=np.int32)
        for c, pols in enumerate(selection):
            if not pols:
                continue
            # ingress rules resolve named ports on the selected pod: it is part of the group
            named = tuple(sorted(self.classes[c].named_ports.items())) if direction == INGRESS else ()
            group_of[c] = groups.setdefault((pols, named), len(groups))
        keys = sorted(groups, key=groups.__getitem__)
        table = np.empty((len(keys), self.n_targets), dtype=np.int32)
        table[0, :] = ALL
        named_id = self._named_ids()
        for g, (pols, named) in enumerate(keys):
            if g == 0:
                continue
            comp = [self._compile(self.policies[p], r) for p in pols for r in self.policies[p].rules(direction)]
            table[g, :] = self._group_row(comp, dict(named), named_id, direction)
        return keys, group_of, table

    def _named_ids(self) -> IntArray:
        ids: dict[tuple[Any, ...], int] = {(): 0}
        out = np.zeros(self.n_targets, dtype=np.int32)
        for c in self.classes:
            out[c.index] = ids.setdefault(tuple(sorted(c.named_ports.items())), len(ids))
        return out

    def _group_row(self, comp: list[_Compiled], own_named: Mapping[str, tuple[str, int]], named_id: IntArray,
                   direction: str) -> IntArray:
        if not comp:
            return np.zeros(self.n_targets, dtype=np.int32)
        stack = np.vstack([c.vector for c in comp])
        packed = np.packbits(stack, axis=0, bitorder="little").T
        per_target = direction == EGRESS and any(c.named for c in comp)
        if per_target:
            packed = np.hstack([packed, named_id.view(np.uint8).reshape(-1, 4)])
        packed = np.ascontiguousarray(packed)
        rows = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        uniq, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        ids = np.empty(len(uniq), dtype=np.int32)
        for u, t in enumerate(first):
            ports = (self.classes[t].named_ports if t < self.n_classes else {}) if per_target else own_named
            mask = 0
            for c in comp:
                if c.vector[t]:
                    mask |= c.const | (self._named_mask(c.named, ports) if c.named else 0)
            ids[u] = self.mask_id(mask)
        return ids[inverse.ravel()]

    # ---- answers -------------------------------------------------------------------------------------
    def meet(self, a: int, b: int) -> int:
        """Id of the intersection of mask ids ``a`` and ``b``."""
        if a == ALL:
            return b
        if b == ALL or a == EMPTY:
            return a
        if b == EMPTY:
            return b
        key = (a, b)
        found = self._meet.get(key)
        if found is None:
            found = self._meet[key] = self.mask_id(self.masks[a] & self.masks[b])
        return found

    def class_id(self, s: int, d: int) -> int:
        """Mask id of what class ``s`` may open to class ``d`` (policy only; no loopback/own node)."""
        if not self.profile.enforced:
            return ALL
        return self.meet(int(self.egress_table[self.egress_group_of[s], d]),
                         int(self.ingress_table[self.ingress_group_of[d], s]))

    def class_mask(self, s: int, d: int) -> int:
        return self.masks[self.class_id(s, d)]

    def to_atom(self, s: int, atom: int) -> int:
        """Mask id of what class ``s`` may open to external address atom ``atom``."""
        if not self.profile.enforced:
            return ALL
        return int(self.egress_table[self.egress_group_of[s], self.n_classes + atom])

    def from_atom(self, atom: int, d: int) -> int:
        """Mask id of what external atom ``atom`` may open to class ``d``."""
        if not self.profile.enforced:
            return ALL
        return int(self.ingress_table[self.ingress_group_of[d], self.n_classes + atom])

    def union_ids(self, ids: Iterable[int]) -> int:
        mask = 0
        for i in set(ids):
            mask |= self.masks[i]
        return self.mask_id(mask)

    def internet_out(self, s: int) -> int:
        """Mask id of what class ``s`` may open to some public address."""
        return self.union_ids(self.to_atom(s, a) for a in self.space.public_atoms())

    def internet_in(self, d: int) -> int:
        """Mask id of what some public address may open to class ``d``."""
        return self.union_ids(self.from_atom(a, d) for a in self.space.public_atoms())

    def rows(self, block: int = 2048) -> Iterator[tuple[int, IntArray]]:
        """``(first_class, ids)`` blocks of the class × class mask-id matrix, row block by row block."""
        n = self.n_classes
        if not self.profile.enforced:
            for start in range(0, n, block):
                yield start, np.full((min(block, n - start), n), ALL, dtype=np.int32)
            return
        ing_cls = self.ingress_table[:, :n]
        k = np.int64(len(self.masks) + 1)
        for start in range(0, n, block):
            stop = min(n, start + block)
            e = self.egress_table[self.egress_group_of[start:stop]][:, :n]
            i = ing_cls[:, start:stop][self.ingress_group_of].T
            trivial_e = e == ALL
            out = np.where(trivial_e, i, np.where(i == ALL, e, EMPTY)).astype(np.int32)
            hard = ~trivial_e & (i != ALL) & (e != EMPTY) & (i != EMPTY)
            if hard.any():
                codes = e[hard].astype(np.int64) * k + i[hard]
                uniq, inv = np.unique(codes, return_inverse=True)
                vals = np.asarray([self.meet(int(c // k), int(c % k)) for c in uniq], dtype=np.int32)
                out[hard] = vals[inv.ravel()]
            yield start, out

    def matrix(self) -> IntArray:
        """The dense class × class mask-id matrix (use :meth:`rows` for very large inputs)."""
        out = np.empty((self.n_classes, self.n_classes), dtype=np.int32)
        for start, ids in self.rows():
            out[start:start + len(ids)] = ids
        return out

    # ---- explanation ---------------------------------------------------------------------------------
    def explain(self, s: int, d: int) -> tuple[str, ...]:
        """The rules that allow class ``s`` → target ``d`` on each side (``d`` ≥ classes: an atom)."""
        out: list[str] = []
        if s >= 0:
            out.extend(self._explain_side(EGRESS, s, d))
        if d < self.n_classes:
            out.extend(self._explain_side(INGRESS, d, s))
        return tuple(out)

    def _explain_side(self, direction: str, c: int, other: int) -> list[str]:
        groups, group_of = (self.egress_groups, self.egress_group_of) if direction == EGRESS else \
            (self.ingress_groups, self.ingress_group_of)
        pols, _ = groups[int(group_of[c])]
        if not pols:
            return [f"{direction} of class {c}: not isolated"]
        hits = []
        for p in pols:
            pol = self.policies[p]
            for r in pol.rules(direction):
                comp = self._compile(pol, r)
                if other >= 0 and comp.vector[other]:
                    hits.append(r.ref)
        return hits or [f"{direction}: isolated by {', '.join(self.policies[p].key for p in pols)}; no rule"]
