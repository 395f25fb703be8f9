"""Network edges of the attack graph, on NetworkPolicy equivalence classes, without pod × pod edges.

The class-level engine (:mod:`kubesec_nb.network.reach`) answers "what may class ``s`` open
to class ``d``" as the meet of ``s``'s egress row and ``d``'s ingress row, each shared by a
*group* of classes selected by the same policies. The graph reuses those groups as hubs, so
its size grows with classes and policy groups, not with their product:

* a pod whose egress no policy isolates → ``net:open``; a pod whose egress is isolated →
  ``net:out:<ns>:<policies>`` (its egress group);
* ``net:open`` → ``net:unisolated`` → every pod no policy isolates for ingress (both sides
  open: all ports);
* ``net:in:<ns>:<policies>`` → every pod of that ingress group; its incoming edges are the
  sources its rules admit, with the ports: ``net:open`` when they admit every open-egress pod
  alike, else ``net:from:<ns>`` (the open-egress pods of a namespace) per namespace admitted
  alike, else the source pods themselves;
* ``net:out:...`` → the pods without ingress isolation its rules admit: through
  ``net:listen:<ports>`` hubs when it admits them all alike, else directly; towards isolated
  pods it meets their ingress group (``net:out:... → net:in:...`` when both rows are uniform,
  else pod edges);
* a hostNetwork pod and the pods on its node reach each other whatever the policies.

The target of a network step is a *listening* pod: one that declares a ``containerPort`` among
the allowed ports, or declares none (it may listen anywhere). Ingress hubs whose pods declare
different ports are split (``net:in:...@TCP/8080``) so that this holds on every path.

Every path through these hubs is a connection the engine allows, with the ports on the edge
that decides them; hub edges cost nothing, the edge into the destination pod costs the
``network`` technique. This is the only module that reads the engine's tables.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from kubesec_nb.checks import Evidence
from kubesec_nb.graph.base import CONFIRMED, UNKNOWN, Builder, Fix
from kubesec_nb.graph.nodes import NET_OPEN, NET_UNISOLATED
from kubesec_nb.graph.pods import PodGroup, PodIndex
from kubesec_nb.model import iter_containers
from kubesec_nb.network.addresses import parse_ip
from kubesec_nb.network.analysis import NetworkAnalysis
from kubesec_nb.network.ports import protocol_of
from kubesec_nb.network.reach import ALL, EMPTY, Reachability

IMDS_ADDRESS = "169.254.169.254"
_RULE = re.compile(r"^(\S+) (ingress|egress)\[(\d+)\]$")


class NetworkLayer:
    """Adds the network edges of one :class:`NetworkAnalysis` to a :class:`Builder`."""

    def __init__(self, net: NetworkAnalysis, pods: PodIndex) -> None:
        self.net = net
        self.pods = pods
        self.r: Reachability = net.reach
        n = self.r.n_classes
        self.class_of_group: dict[str, int] = {}
        self.groups_of_class: list[list[PodGroup]] = [[] for _ in range(n)]
        self.rep: list[str] = [""] * n
        for i, e in enumerate(net.endpoints):
            c = int(self.r.class_of[i])
            gid = pods.group_of.get(e.id)
            if gid is None:
                continue
            if not self.rep[c]:
                self.rep[c] = e.id
            if gid not in self.class_of_group:
                self.class_of_group[gid] = c
                self.groups_of_class[c].append(pods.groups[gid])
        enforced = self.r.profile.enforced
        self.eiso = (self.r.egress_group_of != 0) if enforced else np.zeros(n, dtype=np.bool_)
        self.iiso = (self.r.ingress_group_of != 0) if enforced else np.zeros(n, dtype=np.bool_)
        names = sorted({c.namespace for c in self.r.classes})
        self.ns_names = names
        index = {name: i for i, name in enumerate(names)}
        self.ns_of = np.asarray([index[c.namespace] for c in self.r.classes], dtype=np.int32)
        self.certainty = UNKNOWN if net.missing else CONFIRMED
        self.note: tuple[Evidence, ...] = ()
        if net.missing:
            self.note = (Evidence("NetworkPolicies", "not assessed", f"{net.missing}: traffic assumed allowed"),)
        elif not enforced:
            self.note = (Evidence("NetworkPolicy", "enforcement",
                                  f"no enforcing plugin (profile {self.r.profile.name}): all traffic allowed"),)
        #: Pod-pair edges made where neither side's rows were uniform (0 in ordinary clusters).
        self.pair_edges = 0
        self._listening: dict[str, tuple[tuple[str, int], ...] | None] = {}
        self._listeners: dict[tuple[tuple[str, int], ...] | None, str] | None = None
        self._hubs_in: dict[int, dict[tuple[tuple[str, int], ...] | None, str]] = {}
        self._ingress_note: dict[str, str] = {}

    # ---- evidence ------------------------------------------------------------------------------
    def _ports(self, mid: int) -> str:
        return self.r.ports.format(self.r.masks[mid])

    def _explain(self, s: int, d: int, mid: int) -> tuple[Evidence, ...]:
        out: list[Evidence] = []
        for text in self.r.explain(s, d):
            m = _RULE.match(text)
            if m:
                out.append(Evidence(f"NetworkPolicy {m.group(1)}", f"spec.{m.group(2)}[{m.group(3)}]",
                                    f"admits {self._ports(mid)}"))
            elif text.endswith("not isolated"):
                side, pod = ("egress", self.rep[s]) if text.startswith("egress") else ("ingress", self.rep[d])
                out.append(Evidence(f"Pod {pod}", side, "not isolated by any NetworkPolicy"))
            else:
                out.append(Evidence("NetworkPolicy", "isolation", text))
        return (*out, *self.note)

    def _policies(self, direction: str, group: int) -> list[str]:
        groups = self.r.ingress_groups if direction == "ingress" else self.r.egress_groups
        return [self.r.policies[p].key for p in groups[group][0]]

    # ---- hubs -----------------------------------------------------------------------------------
    def _hub_names(self, direction: str) -> list[str]:
        groups = self.r.ingress_groups if direction == "ingress" else self.r.egress_groups
        prefix = "net:in:" if direction == "ingress" else "net:out:"
        out, seen = [""], set()
        for g in range(1, len(groups)):
            pols = [self.r.policies[p] for p in groups[g][0]]
            name = f"{prefix}{pols[0].namespace}:{','.join(p.name for p in pols)}"
            base, n = name, 1
            while name in seen:  # same policies, different named ports
                n += 1
                name = f"{base}#{n}"
            seen.add(name)
            out.append(name)
        return out

    # ---- listening ports ---------------------------------------------------------------------------
    def _listen(self, g: PodGroup) -> tuple[tuple[str, int], ...] | None:
        """The ports a pod declares (``containerPort``); None when it declares none (it may listen anywhere)."""
        found = self._listening.get(g.id, ())
        if found == ():
            pod = self.net.model.pod_by_key[g.example]
            spec = pod.get("spec") or {}
            ports = sorted({(protocol_of(p), int(p["containerPort"])) for _, _, c in iter_containers(spec)
                            for p in c.get("ports") or ()
                            if isinstance(p, dict) and isinstance(p.get("containerPort"), int)})
            found = self._listening[g.id] = tuple(ports) or None
        return found

    def listens_nowhere_declared(self, group_id: str) -> bool:
        """True when the pod declares no ``containerPort`` (it may listen anywhere, or nowhere)."""
        return self._listen(self.pods.groups[group_id]) is None

    def _listens(self, listen: tuple[tuple[str, int], ...] | None, mid: int) -> bool:
        if mid == EMPTY:
            return False
        if listen is None or mid == ALL:
            return True
        mask = self.r.masks[mid]
        return any(self.r.ports.contains(mask, proto, port) for proto, port in listen)

    def _listen_hub(self, b: Builder, base: str, groups: list[PodGroup],
                    fixed: bool) -> dict[tuple[tuple[str, int], ...] | None, str]:
        """Hubs ``base`` (one per set of declared ports when its pods differ) → its pods; by port set."""
        by: dict[tuple[tuple[str, int], ...] | None, list[PodGroup]] = defaultdict(list)
        for g in groups:
            by[self._listen(g)].append(g)
        out: dict[tuple[tuple[str, int], ...] | None, str] = {}
        for listen, members in sorted(by.items(), key=lambda kv: _ports_text(kv[0])):
            hub = base if len(by) == 1 else f"{base}@{_ports_text(listen)}"
            out[listen] = hub
            if hub in b.g:
                continue
            for g in members:
                ev = (Evidence(f"Pod {g.example}", "ingress", self._ingress_note.get(g.id, "")),
                      Evidence(f"Pod {g.example}", "containerPorts", _ports_text(listen)))
                self._into(b, hub, g, "as admitted", ev, fixed=fixed)
        return out

    def _allow_to(self, b: Builder, src: str, hubs: dict[tuple[tuple[str, int], ...] | None, str], s: int, d: int,
                  mid: int) -> None:
        for listen, hub in hubs.items():
            if self._listens(listen, mid):
                self._allow(b, src, hub, s, d, mid)

    # ---- edges ------------------------------------------------------------------------------------
    def add(self, b: Builder) -> None:
        """Add every network edge (see the module docstring)."""
        r = self.r
        n = r.n_classes
        if n == 0:
            return
        in_hub, out_hub = self._hub_names("ingress"), self._hub_names("egress")
        eg = r.egress_group_of
        for c in range(n):
            for g in self.groups_of_class[c]:
                if not self.eiso[c]:
                    b.edge(g.id, NET_OPEN, "net-egress",
                           (Evidence(f"Pod {g.example}", "egress", "not isolated by any NetworkPolicy"), *self.note),
                           certainty=self.certainty, fix=_egress_fix(g))
                else:
                    b.edge(g.id, out_hub[eg[c]], "net-egress",
                           (Evidence(f"Pod {g.example}", "egress isolated by",
                                     ", ".join(self._policies("egress", int(eg[c])))),), certainty=self.certainty)
        open_dst = np.nonzero(~self.iiso)[0]
        open_src = np.nonzero(~self.eiso)[0]
        if len(open_dst) and len(open_src):
            b.edge(NET_OPEN, NET_UNISOLATED, "net-allow",
                   (Evidence("NetworkPolicy", "isolation", "neither side isolated: all ports"), *self.note),
                   certainty=self.certainty, ports="all")
            for d in open_dst:
                for g in self.groups_of_class[d]:
                    self._into(b, NET_UNISOLATED, g, "all", (Evidence(f"Pod {g.example}", "ingress",
                                                                       "not isolated by any NetworkPolicy"),))
        self._ingress_groups(b, in_hub, open_src)
        self._egress_groups(b, in_hub, out_hub)
        self._own_node(b)

    def _into(self, b: Builder, src: str, g: PodGroup, ports: str, evidence: Iterable[Evidence],
              fixed: bool = True) -> None:
        fix = _ingress_fix(g) if fixed else None
        b.edge(src, g.id, "network", (*evidence, *self.note, *self.pods.members_note(g)), certainty=self.certainty,
               fix=fix, ports=ports)

    def _allow(self, b: Builder, src: str, dst: str, s: int, d: int, mid: int) -> None:
        ev = self._explain(s, d, mid)
        rules = sorted({e.object[len("NetworkPolicy "):] + " " + e.field[5:] for e in ev
                        if e.object.startswith("NetworkPolicy ") and e.field.startswith("spec.")})
        fix = Fix(f"rule:{'|'.join(rules)}", "network-policy",
                  f"narrow {', '.join(rules)} to the clients that need it", rules[0].split(" ")[0]) if rules else None
        b.edge(src, dst, "net-allow", ev, certainty=self.certainty, fix=fix, ports=self._ports(mid))

    def _from_ns(self, b: Builder, ns: int) -> str:
        hub = f"net:from:{self.ns_names[ns]}"
        if hub not in b.g:
            for c in np.nonzero((self.ns_of == ns) & ~self.eiso)[0]:
                for g in self.groups_of_class[c]:
                    b.edge(g.id, hub, "net-egress", (Evidence(f"Pod {g.example}", "egress",
                                                              "not isolated by any NetworkPolicy"),),
                           certainty=self.certainty, fix=_egress_fix(g))
        return hub

    def _open_listeners(self, b: Builder) -> dict[tuple[tuple[str, int], ...] | None, str]:
        """``net:listen:<ports>`` hubs → the pods without ingress isolation that declare those ports."""
        if self._listeners is None:
            groups = [g for d in np.nonzero(~self.iiso)[0] for g in self.groups_of_class[d]]
            for g in groups:
                self._ingress_note[g.id] = "not isolated by any NetworkPolicy"
            by: dict[tuple[tuple[str, int], ...] | None, list[PodGroup]] = defaultdict(list)
            for g in groups:
                by[self._listen(g)].append(g)
            self._listeners = {}
            for listen, members in sorted(by.items(), key=lambda kv: _ports_text(kv[0])):
                hub = self._listeners[listen] = f"net:listen:{_ports_text(listen)}"
                for g in members:
                    self._into(b, hub, g, "as admitted", (Evidence(f"Pod {g.example}", "ingress",
                                                                   "not isolated by any NetworkPolicy"),
                                                          Evidence(f"Pod {g.example}", "containerPorts",
                                                                   _ports_text(listen))))
        return self._listeners

    def _ingress_groups(self, b: Builder, in_hub: list[str], open_src: np.ndarray) -> None:
        r = self.r
        ig = r.ingress_group_of
        n = r.n_classes
        src_ns = self.ns_of[open_src]
        for grp in range(1, len(in_hub)):
            members = np.nonzero((ig == grp) & self.iiso)[0]
            if not len(members):
                continue
            d0 = int(members[0])
            pols = ", ".join(self._policies("ingress", grp))
            groups = [g for d in members for g in self.groups_of_class[d]]
            for g in groups:
                self._ingress_note[g.id] = f"isolated by {pols}"
            hubs = self._hubs_in[grp] = self._listen_hub(b, in_hub[grp], groups, fixed=False)
            if not len(open_src):
                continue
            vals = r.ingress_table[grp, :n][open_src]
            nz = vals != EMPTY
            if not nz.any():
                continue
            if nz.all() and (vals == vals[0]).all():
                self._allow_to(b, NET_OPEN, hubs, int(open_src[0]), d0, int(vals[0]))
                continue
            for ns in np.unique(src_ns[nz]):
                sel = src_ns == ns
                v, srcs = vals[sel], open_src[sel]
                if (v != EMPTY).all() and (v == v[0]).all():
                    self._allow_to(b, self._from_ns(b, int(ns)), hubs, int(srcs[0]), d0, int(v[0]))
                    continue
                for s, mid in zip(srcs[v != EMPTY], v[v != EMPTY], strict=True):
                    for g in self.groups_of_class[s]:
                        self._allow_to(b, g.id, hubs, int(s), d0, int(mid))

    def _direct(self, b: Builder, src: str, s0: int, dsts: Iterable[int], mids: Iterable[int], fixed: bool) -> None:
        for d, mid in zip(dsts, mids, strict=True):
            for g in self.groups_of_class[d]:
                if self._listens(self._listen(g), int(mid)):
                    self._into(b, src, g, self._ports(int(mid)), self._explain(s0, int(d), int(mid)), fixed=fixed)

    def _egress_groups(self, b: Builder, in_hub: list[str], out_hub: list[str]) -> None:
        r = self.r
        n = r.n_classes
        eg, ig = r.egress_group_of, r.ingress_group_of
        open_dst = np.nonzero(~self.iiso)[0]
        iso_dst = np.nonzero(self.iiso)[0]
        for grp in range(1, len(out_hub)):
            sources = np.nonzero((eg == grp) & self.eiso)[0]
            if not len(sources):
                continue
            s0 = int(sources[0])
            hub = out_hub[grp]
            row = r.egress_table[grp, :n]
            # destinations without ingress isolation
            vals = row[open_dst]
            nz = vals != EMPTY
            if nz.any():
                if nz.all() and (vals == vals[0]).all():
                    self._allow_to(b, hub, self._open_listeners(b), s0, int(open_dst[0]), int(vals[0]))
                else:
                    self._direct(b, hub, s0, open_dst[nz], vals[nz], fixed=True)
            # destinations with ingress isolation: meet the ingress group
            reach_iso = iso_dst[row[iso_dst] != EMPTY]
            for igrp in np.unique(ig[reach_iso]):
                dsts = reach_iso[ig[reach_iso] == igrp]
                a = row[dsts]
                bvals = r.ingress_table[int(igrp), :n][sources]
                a_uniform = (a == a[0]).all()
                b_uniform = (bvals == bvals[0]).all()
                hubs = self._hubs_in.get(int(igrp), {})
                if a_uniform and b_uniform:
                    self._allow_to(b, hub, hubs, s0, int(dsts[0]), r.meet(int(a[0]), int(bvals[0])))
                elif a_uniform:
                    for s, bv in zip(sources, bvals, strict=True):
                        for g in self.groups_of_class[s]:
                            self._allow_to(b, g.id, hubs, int(s), int(dsts[0]), r.meet(int(a[0]), int(bv)))
                elif b_uniform:
                    self._direct(b, hub, s0, dsts, [r.meet(int(av), int(bvals[0])) for av in a], fixed=False)
                else:
                    self._pairs(b, sources, dsts)

    def _pairs(self, b: Builder, sources: Iterable[int], dsts: Iterable[int]) -> None:
        r = self.r
        for s in sources:
            for d in dsts:
                mid = r.class_id(int(s), int(d))
                for gs in self.groups_of_class[s]:
                    for gd in self.groups_of_class[d]:
                        if not self._listens(self._listen(gd), mid):
                            continue
                        self.pair_edges += 1
                        b.edge(gs.id, gd.id, "network", (*self._explain(int(s), int(d), mid),
                                                         *self.pods.members_note(gd)),
                               certainty=self.certainty, ports=self._ports(mid))

    def _own_node(self, b: Builder) -> None:
        by_node: dict[str, list[str]] = defaultdict(list)
        host: dict[str, list[str]] = defaultdict(list)
        for e in self.net.endpoints:
            gid = self.pods.group_of.get(e.id)
            if gid is None or not e.node:
                continue
            (host if e.host_network else by_node)[e.node].append(gid)
        for node, hs in sorted(host.items()):
            others = sorted(set(by_node.get(node, [])) | set(hs))
            for h in sorted(set(hs)):
                for o in others:
                    ev = (Evidence(f"Node {node}", "hostNetwork", f"{h[4:]} shares the node's network: NetworkPolicy "
                                                                  "never blocks traffic within the node"),)
                    b.edge(h, o, "net-node-local", ev)
                    if o not in hs:
                        b.edge(o, h, "net-node-local", ev)

    # ---- metadata service -------------------------------------------------------------------------
    def imds_allowed(self, group_id: str) -> tuple[bool, tuple[Evidence, ...]]:
        """Whether the pod's egress policy lets it open TCP 80 to 169.254.169.254, with the evidence."""
        c = self.class_of_group.get(group_id)
        if c is None:
            return False, ()
        r = self.r
        ip = parse_ip(IMDS_ADDRESS)
        assert ip is not None
        atom = r.space.atom_of(ip)
        mid = r.to_atom(c, atom)
        ok = r.ports.contains(r.masks[mid], "TCP", 80)
        if not self.eiso[c]:
            return ok, (Evidence(f"Pod {self.rep[c]}", "egress", "not isolated: reaches 169.254.169.254:80"),)
        pols = ", ".join(self._policies("egress", int(r.egress_group_of[c])))
        verdict = "admit" if ok else "do not admit"
        return ok, (Evidence(f"Pod {self.rep[c]}", "egress isolated by", f"{pols} ({verdict} 169.254.169.254:80)"),)


def _ports_text(listen: tuple[tuple[str, int], ...] | None) -> str:
    """``TCP/80,TCP/443`` or ``undeclared``.

    >>> _ports_text((("TCP", 80), ("UDP", 53))), _ports_text(None)
    ('TCP/80,UDP/53', 'undeclared')
    """
    return "undeclared" if listen is None else ",".join(f"{p}/{n}" for p, n in listen)


def _egress_fix(g: PodGroup) -> Fix:
    return Fix(f"egress:{g.namespace}/{g.workload}", "network-policy",
               f"add an egress NetworkPolicy selecting {g.workload} in {g.namespace} that allows only the "
               "destinations it needs", f"{g.workload} in {g.namespace}")


def _ingress_fix(g: PodGroup) -> Fix:
    return Fix(f"ingress:{g.namespace}", "network-policy",
               f"namespace {g.namespace} has pods no NetworkPolicy isolates for ingress: add a default-deny ingress "
               "NetworkPolicy (podSelector: {}) there and allow each workload only the clients it needs",
               f"Namespace {g.namespace}")
