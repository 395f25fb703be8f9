"""``NetworkAnalysis``: what ``a.network`` gives — decisions, matrices, exposure, the graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields, replace
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from kubesec_nb.errors import OptionError
from kubesec_nb.identity import host_name, pod_node
from kubesec_nb.model import Model, selector_matches
from kubesec_nb.network.addresses import AddressSpace, format_range, parse_cidr, parse_ip
from kubesec_nb.network.endpoints import Endpoint, external_endpoint, node_endpoint, pod_endpoints
from kubesec_nb.network.exposure import PUBLIC, SCOPE_RANK, UNKNOWN, Entry, Exposure
from kubesec_nb.network.extra import ExtraPolicy, affected_namespaces, extra_policies
from kubesec_nb.network.policy import EGRESS, INGRESS, NETPOL, Policy, ipblocks, parse_policy
from kubesec_nb.network.ports import resolve_named
from kubesec_nb.network.profile import NetworkProfile
from kubesec_nb.network.reach import EMPTY, Reachability
from kubesec_nb.network.semantics import Decision, Evaluator, aggregate
from kubesec_nb.network.services import Services

#: Above this many pods ``matrix(level="pod")`` refuses (the table would have n² cells).
POD_MATRIX_LIMIT = 3000


@dataclass(frozen=True)
class EntryPoint:
    """One way in from outside the cluster to one backend pod, and whether NetworkPolicy admits it.

    ``scope`` is ``public``, ``internal`` or ``unknown`` (with ``scope_reason``); ``target`` the pod's
    ``protocol/port`` (``all`` for hostNetwork); ``policy`` the decision's explanation; ``exposed``:
    public or unknown scope, and admitted by policy.
    """

    namespace: str
    pod: str
    workload: str
    path: str
    via: str
    scope: str
    scope_reason: str
    address: str
    front: str
    target: str
    source_ranges: str
    restricted: bool
    policy_allows: bool
    policy: str
    exposed: bool


ENTRY_COLUMNS = [f.name for f in fields(EntryPoint)]


class NetworkAnalysis:
    """NetworkPolicy reachability and internet exposure of one snapshot under one profile.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> from kubesec_nb.network.profile import PROFILES
    >>> snap = Snapshot.from_objects([
    ...   {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"}, "spec": {}},
    ...   {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "namespace": "x"}, "spec": {}},
    ...   {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny",
    ...    "namespace": "x"}, "spec": {"podSelector": {}}}])
    >>> net = NetworkAnalysis(Model(snap), PROFILES["upstream"])
    >>> bool(net.allowed("x/a", "x/b", 80))
    False
    >>> net.allowed("x/a", "x/b", 80).ingress.isolating
    ('x/deny',)
    """

    def __init__(self, model: Model, profile: NetworkProfile) -> None:
        self.model = model
        self.profile = profile
        #: Why the analysis cannot be trusted at all (NetworkPolicies or pods not readable), else None.
        self.missing = model.missing(NETPOL, "pods")
        self.policy_objects = model.items(NETPOL)
        self.policies: list[Policy] = sorted((parse_policy(o) for o in self.policy_objects), key=lambda p: p.key)
        self.endpoints, self.excluded = pod_endpoints(model)
        self.by_id = {e.id: e for e in self.endpoints}
        self.evaluator = Evaluator(self.policies, profile)
        self.services = Services(model)
        self.space = AddressSpace(ipblocks(self.policies))

    # ---- building blocks -------------------------------------------------------------------------
    @cached_property
    def reach(self) -> Reachability:
        """The class-level engine (built on first use)."""
        return Reachability(self.endpoints, self.policies, self.profile, self.space)

    @cached_property
    def _by_ip(self) -> dict[tuple[int, int], Endpoint]:
        out: dict[tuple[int, int], Endpoint] = {}
        for node_name in sorted(self.model.nodes):
            node = node_endpoint(self.model, node_name)
            if node is not None:
                for ip in node.ips:
                    out.setdefault(ip, node)
        for e in self.endpoints:
            if not e.host_network:
                for ip in e.ips:
                    out[ip] = e
        return out

    def _resolve(self, text: str, port: int | str, protocol: str, role: str) -> list[tuple[Endpoint, int | str, str]]:
        """``(endpoint, port at that endpoint, note)`` for a src/dst argument of :meth:`allowed`."""
        text = text.strip()
        if text.startswith("svc:"):
            key = text[4:]
            if key not in self.services.by_key:
                raise OptionError(f"no Service {key} in the snapshot")
            backs = [b for b in self.services.backends(key, None if role == "src" else port)
                     if b.pod and b.protocol == protocol]
            out: list[tuple[Endpoint, int | str, str]] = []
            for b in backs:
                ep = self.by_id.get(b.pod)
                if ep is not None:
                    out.append((ep, port if role == "src" else b.target_port,
                                f"Service {key} {b.protocol}/{b.service_port} -> {b.pod}:{b.target_port}"))
            return out if role == "dst" else list({e.id: (e, p, n) for e, p, n in out}.values())
        host = host_name(text)
        if host is not None:
            node = node_endpoint(self.model, host)
            if node is None:
                raise OptionError(f"no Node {host} in the snapshot")
            return [(node, port, "")]
        if text == "internet":
            return [(external_endpoint(str(self.space.atoms[a]), self.space.atoms[a].representative), port, "")
                    for a in self.space.public_atoms()]
        ip = parse_ip(text)
        if ip is not None:
            return [(self._by_ip.get(ip) or external_endpoint(text, ip), port, "")]
        if "/" in text and (cidr := parse_cidr(text)) is not None:
            version, lo, hi = cidr
            out = []
            for a in self.space.atoms_in(version, lo, hi):
                atom = self.space.atoms[a]
                first, last = max(atom.lo, lo), min(atom.hi, hi)
                out.append((external_endpoint(format_range(version, first, last), (version, first)), port, ""))
            return out
        if text in self.by_id:
            return [(self.by_id[text], port, "")]
        if text in self.excluded:
            raise OptionError(f"pod {text} takes no part in traffic: {self.excluded[text]}")
        raise OptionError(f"unknown endpoint {text!r}: use ns/name (pod), svc:ns/name, node:name, "
                          "internet, an IP address or a CIDR")

    # ---- the public API -----------------------------------------------------------------------------
    def allowed(self, src: str, dst: str, port: int | str, protocol: str = "TCP") -> Decision:
        """May ``src`` open a ``protocol/port`` connection to ``dst``? A :class:`Decision`, truthy if so.

        ``src``/``dst``: a pod ``ns/name``, ``svc:ns/name`` (its endpoint pods; ``port`` is then
        the Service port, mapped to each pod's target port), ``node:name``, ``internet``, an IP
        address or a CIDR. For Services, CIDRs and ``internet`` the decision is "allowed for at
        least one" of the backends or address ranges; ``parts`` holds each, ``partial`` says
        whether some were denied. A named ``port`` is resolved on the destination pod.
        """
        protocol = protocol.upper()
        srcs = self._resolve(src, port, protocol, "src")
        dsts = self._resolve(dst, port, protocol, "dst")
        parts: list[Decision] = []
        for s_ep, _, s_note in srcs:
            for d_ep, d_port, d_note in dsts:
                num = d_port
                if isinstance(num, str) and not num.isdigit():
                    resolved = resolve_named(d_ep.named_ports, num, protocol) if d_ep.is_pod else None
                    if resolved is None:
                        parts.append(Decision(False, s_ep.id, d_ep.id, num, protocol,
                                              f"{d_ep.id} has no {protocol} port named {num}",
                                              profile=self.profile.name))
                        continue
                    num = resolved
                d = self.evaluator.decide(s_ep, d_ep, int(num), protocol)
                note = "; ".join(n for n in (s_note, d_note) if n)
                if note:
                    d = replace(d, reason=f"{d.reason} ({note})")
                parts.append(d)
        if src == "internet" or dst == "internet":
            parts = _merge_ranges(parts, "src" if src == "internet" else "dst")
        if self.missing:
            parts = [replace(d, reason=f"{d.reason} (uncertain: {self.missing})") for d in parts]
        if self.profile.unverified:
            parts = [replace(d, reason=f"{d.reason} ({self.profile.enforcement})") for d in parts]
        if len(parts) == 1 and len(srcs) == 1 and len(dsts) == 1 and not (srcs[0][2] or dsts[0][2]):
            return parts[0]
        what = "backend pods / address ranges"
        if dst.startswith("svc:") or src.startswith("svc:"):
            what = "Service backends"
        elif src == "internet" or dst == "internet":
            what = "public address ranges"
        return aggregate(parts, src, dst, port, protocol, self.profile.name, what)

    @cached_property
    def pods(self) -> pd.DataFrame:
        """One row per pod: isolation per direction and the policies that isolate it."""
        rows = []
        for e in self.endpoints:
            ing = self.evaluator.isolating(e, INGRESS)
            eg = self.evaluator.isolating(e, EGRESS)
            pod = self.model.pod_by_key[e.id]
            rows.append({"pod": e.id, "namespace": e.namespace, "workload": self.model.owner_label(pod),
                         "node": e.node, "host_network": e.host_network,
                         "ingress_isolated": bool(ing), "egress_isolated": bool(eg),
                         "ingress_policies": ", ".join(sorted(p.key for p in ing)),
                         "egress_policies": ", ".join(sorted(p.key for p in eg)), "excluded": ""})
        for key, why in self.excluded.items():
            pod = self.model.pod_by_key[key]
            rows.append({"pod": key, "namespace": key.split("/")[0], "workload": self.model.owner_label(pod),
                         "node": (pod.get("spec") or {}).get("nodeName") or "", "host_network": False,
                         "ingress_isolated": False, "egress_isolated": False, "ingress_policies": "",
                         "egress_policies": "", "excluded": why})
        cols = ["pod", "namespace", "workload", "node", "host_network", "ingress_isolated", "egress_isolated",
                "ingress_policies", "egress_policies", "excluded"]
        return pd.DataFrame(rows, columns=cols).sort_values("pod").reset_index(drop=True)

    @cached_property
    def policy_table(self) -> pd.DataFrame:
        """One row per NetworkPolicy: types (and whether defaulted), pods selected, rule counts."""
        rows = []
        for p in self.policies:
            sel = [e for e in self.selects(p) if self.evaluator.selectable(e)]
            rows.append({"policy": p.key, "namespace": p.namespace, "types": ",".join(p.types),
                         "types_defaulted": p.types_defaulted, "pods_selected": len(sel),
                         "ingress_rules": len(p.ingress), "egress_rules": len(p.egress)})
        cols = ["policy", "namespace", "types", "types_defaulted", "pods_selected", "ingress_rules", "egress_rules"]
        return pd.DataFrame(rows, columns=cols)

    @cached_property
    def _endpoints_in(self) -> dict[str, list[Endpoint]]:
        out: dict[str, list[Endpoint]] = defaultdict(list)
        for e in self.endpoints:
            out[e.namespace].append(e)
        return dict(out)

    def selects(self, policy: Policy) -> list[Endpoint]:
        """Every pod endpoint a policy's podSelector matches (hostNetwork pods included)."""
        return [e for e in self._endpoints_in.get(policy.namespace, ())
                if selector_matches(policy.pod_selector, e.labels)]

    # ---- matrices -----------------------------------------------------------------------------------
    def _own_node_pairs(self) -> Iterable[tuple[Endpoint, Endpoint]]:
        by_node: dict[str, list[Endpoint]] = defaultdict(list)
        for e in self.endpoints:
            if e.node:
                by_node[e.node].append(e)
        for eps in by_node.values():
            hosts = [e for e in eps if e.host_network]
            for h in hosts:
                for o in eps:
                    if o.id != h.id:
                        yield h, o
                        if not o.host_network:
                            yield o, h

    def matrix(self, level: str = "namespace", include_external: bool = True) -> pd.DataFrame:
        """Reachability as a table.

        ``level="namespace"``: share (0–1) of ordered pod pairs (source namespace row,
        destination namespace column) with at least one allowed port; with
        ``include_external`` an ``internet`` row (pods some public address may reach, by
        NetworkPolicy alone: see :attr:`exposure` for the paths in) and column (pods that
        may reach some public address). ``level="pod"``: the allowed ports per pod pair
        (``all``, ``TCP/80,UDP/53``, ``""`` for none).
        """
        if level == "pod":
            return self._pod_matrix()
        if level != "namespace":
            raise OptionError(f"matrix level must be 'namespace' or 'pod', got {level!r}")
        r = self.reach
        names = list(r.namespaces)
        n_ns, n = len(names), r.n_classes
        if n == 0:
            return pd.DataFrame()
        ns_of = r._ns_of_class
        sizes = r._sizes.astype(np.float64)
        weight = np.zeros((n, n_ns))
        weight[np.arange(n), ns_of] = sizes
        counts = np.zeros((n_ns, n_ns))
        for start, ids in r.rows():
            ok = (ids != EMPTY).astype(np.float64)
            per = ok @ weight
            counts += weight[start:start + len(ids)].T @ per
            diag = ids[np.arange(len(ids)), np.arange(start, start + len(ids))] != EMPTY
            for c in np.nonzero(diag)[0]:
                counts[ns_of[start + c], ns_of[start + c]] -= sizes[start + c]
        cls = {e.id: int(r.class_of[i]) for i, e in enumerate(self.endpoints)}
        ns_i = {name: i for i, name in enumerate(names)}
        for a, b in self._own_node_pairs():
            if r.class_id(cls[a.id], cls[b.id]) == EMPTY and self.profile.enforced:
                counts[ns_i[a.namespace], ns_i[b.namespace]] += 1
        pods_per_ns = weight.sum(axis=0)
        denom = np.outer(pods_per_ns, pods_per_ns) - np.diag(pods_per_ns)
        share = np.divide(counts, denom, out=np.zeros_like(counts), where=denom > 0)
        df = pd.DataFrame(share, index=names, columns=names)
        if include_external:
            out_pub = np.asarray([r.internet_out(c) != EMPTY for c in range(n)], dtype=np.float64) * sizes
            in_pub = np.asarray([r.internet_in(c) != EMPTY for c in range(n)], dtype=np.float64) * sizes
            df["internet"] = (out_pub @ (weight > 0)) / np.maximum(pods_per_ns, 1)
            row = (in_pub @ (weight > 0)) / np.maximum(pods_per_ns, 1)
            df.loc["internet"] = [*row.tolist(), np.nan]
        df.index.name, df.columns.name = "source", "destination"
        return df

    def _pod_matrix(self) -> pd.DataFrame:
        if len(self.endpoints) > POD_MATRIX_LIMIT:
            raise OptionError(f"{len(self.endpoints)} pods: a pod-level matrix would have "
                              f"{len(self.endpoints) ** 2} cells; use level='namespace' or graph()")
        r = self.reach
        cells = r.matrix()[np.ix_(r.class_of, r.class_of)].tolist()  # pod x pod mask ids
        fmt = {mid: r.ports.format(r.masks[mid]) for mid in {m for row in cells for m in row}}
        names = [e.id for e in self.endpoints]
        data = [[fmt[mid] for mid in row] for row in cells]
        df = pd.DataFrame(data, index=names, columns=names)
        for i in range(len(names)):
            df.iat[i, i] = "all"
        for a, b in self._own_node_pairs():
            df.loc[a.id, b.id] = "all"
        df.index.name, df.columns.name = "source", "destination"
        return df

    # ---- exposure -----------------------------------------------------------------------------------
    def _entry_decision(self, entry: Entry) -> tuple[bool, str]:
        if entry.path == "hostNetwork" or entry.port is None:
            return True, "hostNetwork pod: NetworkPolicy does not apply (node endpoint)"
        sources = entry.hop_from or ("internet",)
        decisions = [self.allowed(s, entry.pod, entry.port, entry.protocol) for s in sources
                     if s == "internet" or s in self.by_id]
        if not decisions:
            return True, "no source to check"
        ok = [d for d in decisions if d.allowed]
        best = ok[0] if ok else decisions[0]
        lines = best.why
        return bool(ok), " | ".join(line.strip() for line in lines[:3])

    @cached_property
    def entry_records(self) -> list[EntryPoint]:
        """Every way in from outside the cluster (internal load balancers included), one per backend, sorted
        by scope (public first), namespace, pod, path, via and target."""
        found: dict[EntryPoint, None] = {}
        for e in Exposure(self.model, self.services).entries():
            if e.pod not in self.by_id:
                continue
            ok, why = self._entry_decision(e)
            pod = self.model.pod_by_key[e.pod]
            found[EntryPoint(
                namespace=e.pod.split("/")[0], pod=e.pod, workload=self.model.owner_label(pod), path=e.path,
                via=e.via, scope=e.scope.scope, scope_reason=e.scope.reason, address=e.scope.address, front=e.front,
                target=f"{e.protocol}/{e.port}" if e.port is not None else "all",
                source_ranges=",".join(e.scope.source_ranges), restricted=e.scope.restricted, policy_allows=ok,
                policy=why, exposed=e.scope.scope in (PUBLIC, UNKNOWN) and ok)] = None
        return sorted(found, key=lambda r: (SCOPE_RANK[r.scope], r.namespace, r.pod, r.path, r.via, r.target))

    @property
    def exposed_records(self) -> list[EntryPoint]:
        """The entry points of :attr:`exposure`."""
        return [r for r in self.entry_records if r.exposed]

    @cached_property
    def entry_points(self) -> pd.DataFrame:
        """:attr:`entry_records` as a table."""
        return pd.DataFrame([astuple(r) for r in self.entry_records], columns=ENTRY_COLUMNS)

    @property
    def exposure(self) -> pd.DataFrame:
        """Internet-exposed pods: entry points whose scope is public (or unknown) and whose policy admits them."""
        ep = self.entry_points
        return ep[ep["exposed"].astype(bool)].reset_index(drop=True)

    @property
    def internal_entry_points(self) -> pd.DataFrame:
        """Entry points kept off the internet (internal load balancers, private node addresses), with the reason."""
        ep = self.entry_points
        return ep[ep["scope"] == "internal"].reset_index(drop=True)

    # ---- graph --------------------------------------------------------------------------------------
    def graph(self) -> nx.DiGraph:
        """Pod-level reachability graph for the attack graph.

        Nodes ``pod:ns/name`` and ``internet``. An edge ``pod:a → pod:b`` exists when some
        port is allowed; ``ports`` is the allowed set (``all`` or ``TCP/80,UDP/53``),
        ``port_ranges`` the same as ``(protocol, first, last)`` tuples and ``evidence`` the
        rules that allow it on each side. ``internet → pod`` edges are the exposure paths
        that policy admits; ``pod → internet`` edges are egress to public addresses.
        """
        return self._graph

    @cached_property
    def _graph(self) -> nx.DiGraph:
        r = self.reach
        g = nx.DiGraph()
        g.add_node("internet", kind="internet")
        members: dict[int, list[Endpoint]] = defaultdict(list)
        for i, e in enumerate(self.endpoints):
            members[int(r.class_of[i])].append(e)
            g.add_node(pod_node(e.id), kind="pod", namespace=e.namespace, host_network=e.host_network)
        ev_cache: dict[tuple[int, int], tuple[str, ...]] = {}

        unverified = (self.profile.enforcement,) if self.profile.unverified else ()

        def evidence(s: int, d: int) -> tuple[str, ...]:
            if not self.profile.enforced:
                return ("NetworkPolicy not enforced",)
            key = (s, d)
            if key not in ev_cache:
                ev_cache[key] = (*r.explain(s, d), *unverified)
            return ev_cache[key]

        for start, ids in r.rows():
            for bi, d in zip(*np.nonzero(ids != EMPTY), strict=True):
                s = start + int(bi)
                mid = int(ids[bi, d])
                attrs = {"ports": r.ports.format(r.masks[mid]), "port_ranges": tuple(r.ports.ranges(r.masks[mid])),
                         "evidence": evidence(s, int(d))}
                for a in members[s]:
                    for b in members[int(d)]:
                        if a.id != b.id:
                            g.add_edge(pod_node(a.id), pod_node(b.id), **attrs)
        for a, b in self._own_node_pairs():
            g.add_edge(pod_node(a.id), pod_node(b.id), ports="all", port_ranges=(),
                       evidence=(f"own node {a.node}: always allowed",))
        for c in range(r.n_classes):
            mid = r.internet_out(c)
            if mid != EMPTY:
                ev = ("egress to public addresses: " + ("not isolated" if r.egress_group_of[c] == 0 else
                                                          "allowed by egress rules"),)
                for a in members[c]:
                    g.add_edge(pod_node(a.id), "internet", ports=r.ports.format(r.masks[mid]),
                               port_ranges=tuple(r.ports.ranges(r.masks[mid])), evidence=ev)
        by_pod: dict[str, list[EntryPoint]] = defaultdict(list)
        for ep in self.exposed_records:
            by_pod[ep.pod].append(ep)
        for pod, eps in sorted(by_pod.items()):
            g.add_edge("internet", pod_node(pod), ports=",".join(sorted({e.target for e in eps})), port_ranges=(),
                       evidence=tuple(sorted(f"{e.path}: {e.via}" for e in eps)))
        return g

    def facts(self) -> pd.DataFrame:
        """Key facts for a notebook header: profile, plugin evidence, counts."""
        rows = [("profile", self.profile.name), ("plugin", self.profile.plugin or "none detected"),
                ("policies enforced", str(self.profile.enforced) if not self.profile.unverified else
                 f"assumed; {self.profile.enforcement}"),
                ("detected from", "; ".join(self.profile.evidence) or "-"),
                ("ipBlock matches pod IPs", str(self.profile.ipblock_matches_pods)),
                ("endPort honoured", str(self.profile.endport)),
                ("pods (excluded: no IP or finished)", f"{len(self.endpoints)} ({len(self.excluded)})"),
                ("NetworkPolicies", str(len(self.policies))),
                ("equivalence classes", str(self.reach.n_classes)),
                ("policies not modelled", str(len(self.extras)))]
        return pd.DataFrame(rows, columns=["fact", "value"])

    @cached_property
    def namespace_table(self) -> pd.DataFrame:
        """Per namespace: pods, how many are isolated per direction, and the policies there."""
        pods = self.pods[self.pods["excluded"] == ""]
        # one pass over the pods, not one filter per namespace (500 namespaces x 10k pods took seconds)
        grouped = pods.groupby("namespace").agg(pods=("namespace", "size"), ingress=("ingress_isolated", "sum"),
                                                egress=("egress_isolated", "sum"))
        counts = {ns: (int(n), int(i), int(e)) for ns, n, i, e in grouped.itertuples()}
        rows = []
        for ns in sorted(self.model.namespaces):
            n, ingress, egress = counts.get(ns, (0, 0, 0))
            pols = self.evaluator.by_ns.get(ns, [])
            rows.append({"namespace": ns, "system": self.model.is_system_namespace(ns), "pods": n,
                         "ingress_isolated": ingress, "egress_isolated": egress,
                         "policies": len(pols), "policy_names": ", ".join(p.name for p in pols)})
        return pd.DataFrame(rows, columns=["namespace", "system", "pods", "ingress_isolated", "egress_isolated",
                                           "policies", "policy_names"])

    def unprotected_pods(self, direction: str = INGRESS) -> pd.DataFrame:
        """Pods no policy isolates for ``direction`` (``ingress`` or ``egress``), hostNetwork pods included."""
        col = f"{direction}_isolated"
        p = self.pods
        return p[(p["excluded"] == "") & ~p[col].astype(bool)].reset_index(drop=True)

    # ---- confidence ---------------------------------------------------------------------------------
    @cached_property
    def extras(self) -> list[ExtraPolicy]:
        """Policies of kinds not modelled (ANP/BANP, Cilium, Calico)."""
        return extra_policies(self.model)

    @cached_property
    def not_modelled(self) -> pd.DataFrame:
        """Policy objects present but not modelled, with the namespaces they may affect."""
        rows = [{"kind": e.kind, "policy": e.name, "namespace": e.namespace,
                 "affected_namespaces": ", ".join(e.affected), "why": e.reason} for e in self.extras]
        return pd.DataFrame(rows, columns=["kind", "policy", "namespace", "affected_namespaces", "why"])

    @cached_property
    def confidence(self) -> pd.DataFrame:
        """Per namespace: ``high``, or ``low`` with the reasons (policies not modelled, assumptions, gaps)."""
        aff = affected_namespaces(self.extras)
        gap = self.model.snapshot.gap(NETPOL)
        rows = []
        for ns in sorted(self.model.namespaces):
            reasons = [f"not modelled: {x}" for x in aff.get(ns, [])]
            if self.missing:
                reasons.append(self.missing)
            if gap is not None and gap.namespace == ns:
                reasons.append(gap.describe())
            if not self.profile.enforced and ns in self.evaluator.by_ns:
                reasons.append("policies present but not enforced (no plugin detected)")
            elif self.profile.unverified and ns in self.evaluator.by_ns:
                reasons.append(f"policies assumed enforced: {self.profile.enforcement}")
            rows.append({"namespace": ns, "confidence": "low" if reasons else "high", "reasons": "; ".join(reasons)})
        return pd.DataFrame(rows, columns=["namespace", "confidence", "reasons"])

    @property
    def low_confidence(self) -> pd.DataFrame:
        """Namespaces whose results are less certain, with the reasons (empty: every namespace is fully modelled)."""
        c = self.confidence
        return c[c["confidence"] != "high"].reset_index(drop=True)

    def assumptions(self) -> dict[str, Any]:
        """The profile in force and why it was chosen."""
        out = self.profile.assumptions()
        out["evidence"] = "; ".join(self.profile.evidence)
        return out


def _merge_ranges(parts: list[Decision], role: str) -> list[Decision]:
    """Fold per-range decisions with the same verdict and reasons into one part per pod."""
    groups: dict[tuple[Any, ...], list[Decision]] = {}
    for d in parts:
        pod = d.dst if role == "src" else d.src
        sides = tuple((s.isolating, s.allowing, s.allowed) if s else None for s in (d.egress, d.ingress))
        groups.setdefault((pod, d.allowed, d.reason, sides), []).append(d)
    out = []
    for group in groups.values():
        d = group[0]
        label = d.src if role == "src" else d.dst
        if len(group) > 1:
            label = f"public addresses ({len(group)} ranges, e.g. {label.split(',')[0]})"
        out.append(replace(d, src=label) if role == "src" else replace(d, dst=label))
    return out
