"""``AttackGraph``: the graph analyzer's result — the graph, paths, rankings and the fixes to make first."""

from __future__ import annotations

import itertools
from functools import cached_property
from typing import TYPE_CHECKING

import networkx as nx
import pandas as pd

from kubesec_nb.checks import Evidence
from kubesec_nb.errors import KubesecError
from kubesec_nb.graph import ranking
from kubesec_nb.graph.build import GraphBuild
from kubesec_nb.graph.nodes import CLUSTER_ADMIN, INTERNET, JEWEL_LABEL, JEWEL_PATTERNS, SUBJECT_KINDS, kind_of, matches
from kubesec_nb.graph.paths import AttackPath, Index, PathStep, bulk
from kubesec_nb.identity import AUTHENTICATED, UNAUTHENTICATED, group, parse_subject, pod_node
from kubesec_nb.model import Model

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import NetworkAnalysis
    from kubesec_nb.platform import PlatformAnalysis
    from kubesec_nb.rbac.analysis import RbacAnalysis
    from kubesec_nb.workload.analysis import WorkloadAnalysis

#: Paths pulled per path shown, at most (replicas of a workload give paths of the same shape).
PULL = 4
_SUBJECT_FORMS = ("User:", "Group:", "ServiceAccount:", "system:serviceaccount:")


class AttackGraph:
    """The attack graph of one snapshot and what it answers. Build with :func:`kubesec_nb.graph.analyze`.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> from kubesec_nb import assess
    >>> a = assess(Snapshot())
    >>> a.attack.paths("internet", "cluster-admin")
    []
    >>> {"internet", "cluster-admin", "secrets:*"} <= set(a.graph.nodes)
    True
    """

    def __init__(self, model: Model, rbac: RbacAnalysis, network: NetworkAnalysis, workloads: WorkloadAnalysis,
                 platform: PlatformAnalysis) -> None:
        self.model, self.rbac, self.network, self.workloads, self.platform = model, rbac, network, workloads, platform
        self._remediations: dict[tuple[str, ...], pd.DataFrame] = {}

    # ---- the graph --------------------------------------------------------------------------------
    @cached_property
    def _build(self) -> GraphBuild:
        with bulk():
            build = GraphBuild(self.model, self.rbac, self.network, self.workloads, self.platform)
            build.build()
        return build

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The attack graph (see :mod:`kubesec_nb.graph` for node kinds, edges and their attributes)."""
        return self._build.b.g

    @cached_property
    def index(self) -> Index:
        """The graph as adjacency lists for path searches (built once)."""
        with bulk():
            return Index(self.graph)

    @property
    def missing(self) -> str | None:
        """Why the graph may lack edges (RBAC, NetworkPolicies or pods not readable), else None."""
        parts = [m for m in (self.model.missing("pods"), self.rbac.missing, self.network.missing) if m]
        return "; ".join(dict.fromkeys(parts)) or None

    # ---- ids -------------------------------------------------------------------------------------------
    def _canonical(self, node: str) -> str:
        node = node.strip()
        if node.startswith(_SUBJECT_FORMS):
            return parse_subject(node).node_id
        if node.startswith("pod:") and not node.endswith("*"):
            return self._build.pods.group_of.get(node[4:], node)
        if "/" in node and ":" not in node and node in self.model.pod_by_key:  # a pod written ns/name
            return self._build.pods.group_of.get(node, pod_node(node))
        return node

    def _exists(self, node: str) -> bool:
        """Whether ``node`` names something of the snapshot (or any user or group) though not in the graph."""
        kind = kind_of(node)
        rest = node.split(":", 1)[1] if ":" in node else ""
        if kind in ("user", "group"):
            return bool(rest)
        if kind == "pod":
            return rest in self.model.pod_by_key
        if kind == "serviceaccount":
            return rest in self.model.service_accounts
        if kind == "secret":
            return rest in self.model.by_key("secrets")
        if kind == "namespace-admin":
            return rest in self.model.namespaces
        return False

    def _starts(self, source: str) -> list[tuple[str, tuple[PathStep, ...]]]:
        node = self._canonical(source)
        if node in self.graph:
            return [(node, ())]
        if not self._exists(node):
            raise KubesecError(f"unknown source {source!r}: not a node of the attack graph (use internet, pod:ns/name, "
                               "sa:ns/name, user:name, group:name, or any node id of a.graph)")
        if kind_of(node) not in ("user", "serviceaccount"):
            return []  # present but reaches nothing (a finished pod, a group with no grant)
        subject = parse_subject(node).subject
        out: list[tuple[str, tuple[PathStep, ...]]] = []
        for name in self.rbac.groups_of(subject):
            gid = group(name).node_id
            if gid in self.graph:
                out.append((gid, (PathStep("member-of", node, gid, (Evidence(subject, "group", name),), 0, "confirmed",
                                           "member-of (implicit)"),)))
        return out

    def _targets(self, target: str) -> frozenset[int]:
        node = self._canonical(target)
        ix = self.index
        if (node.endswith("*") and node not in self.graph) or node in JEWEL_PATTERNS:
            return frozenset(ix.id[n] for n in ix.names if matches(node, n))
        if node in self.graph:
            return frozenset({ix.id[node]})
        if self._exists(node):
            return frozenset()
        raise KubesecError(f"unknown target {target!r}: not a node of the attack graph (crown jewels: "
                           f"{', '.join(JEWEL_PATTERNS)}; or any node id of a.graph)")

    # ---- paths ------------------------------------------------------------------------------------------
    def paths(self, source: str = INTERNET, target: str = CLUSTER_ADMIN, k: int = 5) -> list[AttackPath]:
        """The ``k`` cheapest simple paths from ``source`` to ``target``, cheapest first (see :mod:`.paths`).

        ``source``: ``internet``, a pod (``pod:ns/name``), a subject (``sa:ns/name``, ``user:name``,
        ``group:name`` or ``User:alice`` …), or any node id. ``target``: a crown jewel
        (``cluster-admin``, ``node:*``, ``secrets:*``, ``namespace-admin:*``, ``cloud:*``) or any node id.
        An id that names nothing raises :class:`~kubesec_nb.errors.KubesecError`; one that reaches
        nothing gives ``[]``. A subject the graph does not hold starts at its groups. Paths that differ
        only by which replica of a workload they pass through are shown once.
        """
        if k < 1:
            raise KubesecError(f"k must be at least 1, got {k}")
        targets = self._targets(target)
        starts = self._starts(source)
        ix = self.index
        out: list[AttackPath] = []
        seen: set[tuple[str, ...]] = set()
        for node, prefix in starts:
            distinct = 0
            for nodes in itertools.islice(ix.cheapest(ix.id[node], targets), PULL * k):
                p = AttackPath((*prefix, *ix.path(nodes).steps))
                # replicas of one workload on other nodes make the same path: show it once
                shape = tuple(self._workload_of(n) for n in p.nodes) + p.techniques
                if shape not in seen:
                    seen.add(shape)
                    out.append(p)
                    distinct += 1
                    if distinct == k:
                        break
        out.sort(key=lambda p: (p.cost, p.hops, p.nodes))
        return out[:k]

    def _workload_of(self, node: str) -> str:
        group = self._build.pods.groups.get(node)
        return f"{group.namespace}/{group.workload}" if group is not None else node

    def paths_summary(self, paths: list[AttackPath]) -> pd.DataFrame:
        """One row per path: rank, cost, hops, certainty and the path as ``a → [technique] b → …``."""
        rows = [{"rank": i, "cost": p.cost, "hops": p.hops, "certainty": p.certainty,
                 "path": " → ".join([p.source, *(f"[{s.technique}] {s.target}" for s in p.steps)])}
                for i, p in enumerate(paths, 1)]
        return pd.DataFrame(rows, columns=["rank", "cost", "hops", "certainty", "path"])

    # ---- rankings ----------------------------------------------------------------------------------------
    @cached_property
    def reach(self) -> ranking.JewelReach:
        """Cheapest paths from every node to each crown-jewel category."""
        with bulk():
            return ranking.JewelReach(self.index)

    def cheapest(self, node: str, pattern: str) -> AttackPath | None:
        """The cheapest path from graph node ``node`` to crown-jewel category ``pattern`` (from the reach trees)."""
        nodes = self.reach.path(node, pattern)
        return self.index.path([self.index.id[n] for n in nodes]) if len(nodes) > 1 else None

    def cheapest_from(self, source: str, pattern: str) -> dict[str, AttackPath]:
        """The cheapest path from graph node ``source`` to every node matching ``pattern`` it reaches (one
        shortest-path tree)."""
        ix = self.index
        if source not in ix.id:
            return {}
        dist, via = ix.tree([ix.id[source]])
        out: dict[str, AttackPath] = {}
        for v in sorted(dist):
            if v in via and matches(pattern, ix.names[v]):
                nodes = [v]
                while nodes[-1] in via:
                    nodes.append(via[nodes[-1]])
                out[ix.names[v]] = ix.path(nodes[::-1])
        return out

    @cached_property
    def _exposed(self) -> set[str]:
        return set(self.graph.successors(INTERNET))

    @cached_property
    def risky_pods(self) -> pd.DataFrame:
        """Running pods (condensed per workload) ranked by the crown jewels a compromise of them reaches,
        their severity and the hops to the worst; ``path`` is the cheapest path to it."""
        groups = sorted(self._build.pods.groups.values(), key=lambda g: g.id)
        return ranking.risky_pods(self.reach, groups, self._exposed)

    @cached_property
    def risky_subjects(self) -> pd.DataFrame:
        """The RBAC ranking of subjects (``a.rbac.risky_subjects``) with the crown jewels each reaches through
        the whole graph (pods, nodes, cloud), ranked by those jewels, their severity and hop count."""
        subjects = []
        for node, kind in self.graph.nodes(data="kind"):
            if kind in SUBJECT_KINDS and not node.endswith("/*"):
                ident = parse_subject(node)
                subjects.append((ident.subject, ident.kind, node))
        subjects.sort()
        return ranking.risky_subjects(self.reach, self.rbac.risky_subjects, lambda s: parse_subject(s).node_id,
                                      subjects)

    def remediation(self, entries: tuple[str, ...] = (INTERNET,)) -> pd.DataFrame:
        """Fix these first: the changes of a minimum cut between ``entries`` and every crown jewel, ranked
        by how many entry → crown-jewel cheapest paths each cuts (see :mod:`.ranking`)."""
        nodes = tuple(self._canonical(e) for e in entries)
        unknown = [e for e, n in zip(entries, nodes, strict=True) if n not in self.graph]
        if unknown:
            raise KubesecError(f"unknown entry point(s) {', '.join(unknown)}")
        if nodes not in self._remediations:  # the summary, the attack-path section and the diff all ask
            with bulk():
                self._remediations[nodes] = ranking.remediation(self.index, nodes)
        return self._remediations[nodes]

    def reachability(self) -> pd.DataFrame:
        """Entry × crown jewel: the cheapest cost and hops from the internet, the public groups, any exposed
        pod and any pod to each crown-jewel category (empty cells: not reached)."""
        entries: list[tuple[str, list[str]]] = [(INTERNET, [INTERNET])]
        for name in (UNAUTHENTICATED, AUTHENTICATED):
            entries.append((group(name).node_id, [group(name).node_id]))
        pods = sorted(self._build.pods.groups)
        entries.append(("any exposed pod", sorted(self._exposed & set(pods))))
        entries.append(("any pod", pods))
        rows = []
        for label, nodes in entries:
            for pattern in JEWEL_PATTERNS:
                best: tuple[int, int, str] | None = None
                for n in nodes:
                    r = self.reach.reach(n).get(pattern)
                    if r is not None and (best is None or (r[0], r[1], n) < best):
                        best = (r[0], r[1], n)
                rows.append({"entry": label, "jewel": JEWEL_LABEL[pattern], "reached": best is not None,
                             "cost": best[0] if best else pd.NA, "hops": best[1] if best else pd.NA,
                             "from": best[2] if best else ""})
        return pd.DataFrame(rows, columns=["entry", "jewel", "reached", "cost", "hops", "from"])

    # ---- notebook views ----------------------------------------------------------------------------------
    def facts(self) -> pd.DataFrame:
        """Key facts for a notebook header: size, condensation, inputs and what is missing."""
        g, build = self.graph, self._build
        kinds: dict[str, int] = {}
        for _, kind in g.nodes(data="kind"):
            kinds[kind] = kinds.get(kind, 0) + 1
        pods = build.pods
        running = sum(x.size for x in pods.groups.values())
        rows = [("nodes / edges", f"{g.number_of_nodes()} / {g.number_of_edges()}"),
                ("node kinds", ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))),
                ("running pods (graph nodes)", f"{running} ({len(pods.groups)})"),
                ("pods left out (finished, no IP)", str(len(pods.excluded))),
                ("node cloud identities", build.facts.node_identities),
                ("metadata access per node", ", ".join(f"{k} {n}" for k, n in build.facts.metadata_states.items())
                 or "no nodes with a cloud identity"),
                ("API endpoint from the internet", build.facts.api_endpoint),
                ("pod-pair network edges", str(build.facts.pair_edges)),
                ("RBAC techniques not in the table", ", ".join(build.facts.unmapped_rbac) or "none"),
                ("missing input", self.missing or "none")]
        return pd.DataFrame(rows, columns=["fact", "value"])

    def explain(self, source: str = INTERNET, target: str = CLUSTER_ADMIN, k: int = 5,
                paths: list[AttackPath] | None = None) -> str:
        """The paths (found here, or given) as text with their evidence, or a plain sentence when there is none."""
        found = self.paths(source, target, k) if paths is None else paths
        if not found:
            note = f" (the graph may be incomplete: {self.missing})" if self.missing else ""
            return f"No path from {source} to {target}{note}."
        return "\n\n".join(f"#{i} {p.describe()}" for i, p in enumerate(found, 1))

    def remediation_summary(self, table: pd.DataFrame | None = None) -> str:
        """One sentence on the fix-these-first table: what the entries reach and what the changes cut."""
        df = self.remediation() if table is None else table
        reached = int(df.attrs.get("jewels_reached", 0))
        entries = df.attrs.get("entries", INTERNET) or INTERNET
        if not reached:
            note = f" (the graph may be incomplete: {self.missing})" if self.missing else ""
            return f"{entries} reaches no crown jewel{note}: nothing to cut."
        if df.empty:
            return f"{entries} reaches {reached} crown jewel(s); {df.attrs.get('note', 'no change cuts them')}."
        unavoidable = int(df.attrs.get("unavoidable", 0))
        kept = df.attrs.get("mode") == "exposures kept"
        text = (f"{entries} reaches {reached} crown jewel(s) (cluster-admin, all Secrets, nodes, cloud identities, "
                f"namespace admin). ")
        if unavoidable:
            text += (f"{unavoidable} of them (e.g. {df.attrs.get('unavoidable_examples', '')}) are reached through "
                     f"{'the exposed pods' if kept else 'the entries'} and steps no configuration change removes "
                     "(platform components, a node's own identity): only closing those exposures cuts them. ")
        text += (f"These {len(df)} changes together cut every path to the {reached - unavoidable} other(s) "
                 f"(a minimum cut{', internet exposures kept' if kept else ', exposures included'}, total fix cost "
                 f"{df.attrs.get('cut_cost', 0)}); the first ones cut the most cheapest paths.")
        return text

    def pods_table(self, include_platform: bool = False, top: int = 20) -> pd.DataFrame:
        """The riskiest pods for display (platform namespaces left out unless ``include_platform``)."""
        df = self.risky_pods if include_platform else self.risky_pods[self.risky_pods["platform"] == ""]
        cols = ["pod", "workload", "pods", "exposed", "token_mounted", "jewels", "jewel_severity", "jewel_hops",
                "path"]
        return df[cols].head(top).reset_index(drop=True)

    def subjects_table(self, include_platform: bool = False, top: int = 20) -> pd.DataFrame:
        """The riskiest subjects for display (platform-managed ones left out unless ``include_platform``)."""
        df = self.risky_subjects
        if not include_platform and not df.empty:
            df = df[df["platform"] == ""]
        cols = ["subject", "subject_kind", "jewels", "jewel_severity", "jewel_hops", "score", "checks", "path"]
        return df[cols].head(top).reset_index(drop=True)

