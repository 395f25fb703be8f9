"""``assess(snapshot) -> Assessment``: every analyzer over one snapshot, computed lazily.

Analyzers are packages listed in :data:`ANALYZERS`. Each exposes ``OPTIONS`` (option
name → one-line description) and ``analyze(model, **options)``, returning the object
that ``a.<name>`` gives (``a.rbac``, ``a.network``, ``a.workloads``; the ``graph`` analyzer's
result is ``a.attack``, and ``a.graph`` is its networkx graph). An analyzer that
builds on others names them in ``NEEDS`` (a tuple of analyzer names, listed earlier in
the layering) and receives their results as keyword arguments:
``analyze(model, rbac=..., network=..., **options)``. Importing the package registers
its checks. An analyzer is only computed when something asks for it.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from kubesec_nb import findings as _findings
from kubesec_nb.errors import OptionError
from kubesec_nb.model import Model
from kubesec_nb.snapshot.document import Snapshot

if TYPE_CHECKING:  # analyzers are imported lazily, on first use
    import networkx as nx

    from kubesec_nb.audit.analysis import AuditAnalysis
    from kubesec_nb.graph.analysis import AttackGraph
    from kubesec_nb.graph.paths import AttackPath
    from kubesec_nb.network.analysis import NetworkAnalysis
    from kubesec_nb.platform.analysis import PlatformAnalysis
    from kubesec_nb.rbac.analysis import RbacAnalysis
    from kubesec_nb.workload.analysis import WorkloadAnalysis

#: Analyzer name → module. The module's ``analyze(model, **options)`` builds ``a.<name>``.
ANALYZERS: dict[str, str] = {
    "audit": "kubesec_nb.audit",
    "graph": "kubesec_nb.graph",
    "network": "kubesec_nb.network",
    "platform": "kubesec_nb.platform",
    "rbac": "kubesec_nb.rbac",
    "workloads": "kubesec_nb.workload",
}

#: Options every assessment understands, beyond the analyzers' own.
BASE_OPTIONS: dict[str, str] = {
    "k8s_version": "Kubernetes minor version whose semantics apply ('1.30', 'latest'); "
                   "default: the snapshot's server version, else the latest known",
    "platform_findings": "what failing findings on platform-managed objects (Kubernetes system namespaces and "
                         "roles, GKE, EKS, AKS defaults and add-ons, which the cluster operator cannot change) do: "
                         "'info' (default: kept, labelled, at severity info), 'keep' (their own severity) or "
                         "'hide' (dropped)",
}
PLATFORM_FINDINGS = ("info", "keep", "hide")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many long-lived objects, then freeze them.

    An assessment allocates millions of objects that live as long as it does; every full
    collection walks all of them again (about a third of ``a.findings`` at 10,000 pods).
    Reference counting still frees everything that is not in a cycle; the objects alive at
    the end move to the permanent generation (:func:`gc.freeze`), so later collections skip them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()


def _module(name: str) -> ModuleType:
    return importlib.import_module(ANALYZERS[name])


def all_options() -> dict[str, str]:
    """Every option :func:`assess` accepts, with its description."""
    out = dict(BASE_OPTIONS)
    for name in sorted(ANALYZERS):
        out.update(getattr(_module(name), "OPTIONS", {}))
    return dict(sorted(out.items()))


def load_checks() -> None:
    """Import every analyzer so that all checks are in the registry."""
    for name in sorted(ANALYZERS):
        _module(name)


class Assessment:
    """The results of assessing one snapshot. Build with :func:`assess`."""

    def __init__(self, snapshot: Snapshot, options: Mapping[str, Any]) -> None:
        known = all_options()
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise OptionError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(known)}")
        if options.get("platform_findings", "info") not in PLATFORM_FINDINGS:
            raise OptionError(f"platform_findings must be one of {', '.join(PLATFORM_FINDINGS)}, "
                              f"got {options['platform_findings']!r}")
        self.snapshot = snapshot
        self.options = dict(options)
        self.model = Model(snapshot, k8s_version=self.options.get("k8s_version"))
        self._analyzers: dict[str, Any] = {"model": self.model}

    def analyzer(self, name: str) -> Any:
        """The result of analyzer ``name`` (computed on first use)."""
        if name not in self._analyzers:
            if name not in ANALYZERS:
                raise OptionError(f"unknown analyzer {name!r}; known: {', '.join(sorted(ANALYZERS))}")
            mod = _module(name)
            own = {k: v for k, v in self.options.items() if k in getattr(mod, "OPTIONS", {})}
            deps = {d: self.analyzer(d) for d in getattr(mod, "NEEDS", ())}
            self._analyzers[name] = mod.analyze(self.model, **deps, **own)
        return self._analyzers[name]

    @property
    def audit(self) -> AuditAnalysis:
        """The audit log: used versus granted, least-privilege roles, incident views (:mod:`kubesec_nb.audit`)."""
        return cast("AuditAnalysis", self.analyzer("audit"))

    @property
    def network(self) -> NetworkAnalysis:
        """NetworkPolicy reachability, exposure and the reachability graph (:mod:`kubesec_nb.network`)."""
        return cast("NetworkAnalysis", self.analyzer("network"))

    @property
    def rbac(self) -> RbacAnalysis:
        """The authorizer, effective permissions, who-can, escalation and cloud identities (:mod:`kubesec_nb.rbac`)."""
        return cast("RbacAnalysis", self.analyzer("rbac"))

    @property
    def platform(self) -> PlatformAnalysis:
        """Provider and mode, cloud descriptions, node cloud identities and add-ons (:mod:`kubesec_nb.platform`)."""
        return cast("PlatformAnalysis", self.analyzer("platform"))

    @property
    def workloads(self) -> WorkloadAnalysis:
        """Pod Security, host escapes, secrets handling and images (:mod:`kubesec_nb.workload`)."""
        return cast("WorkloadAnalysis", self.analyzer("workloads"))

    @cached_property
    def findings(self) -> pd.DataFrame:
        """Every check's results (see :mod:`kubesec_nb.findings`)."""
        load_checks()
        with gc_paused():
            return _findings.run_checks(self)

    @cached_property
    def checks(self) -> pd.DataFrame:
        """One row per check with its overall status and the number of failing objects."""
        return _findings.checks_table(self.findings)

    @property
    def attack(self) -> AttackGraph:
        """The attack-graph analyzer (:mod:`kubesec_nb.graph`): paths, rankings, remediation, facts."""
        return cast("AttackGraph", self.analyzer("graph"))

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The attack graph: one networkx MultiDiGraph of RBAC, network, host and cloud (:mod:`kubesec_nb.graph`)."""
        return self.attack.graph

    def paths(self, source: str = "internet", target: str = "cluster-admin", k: int = 5) -> list[AttackPath]:
        """The ``k`` cheapest attack paths from ``source`` to ``target`` (see :meth:`AttackGraph.paths`)."""
        return self.attack.paths(source, target, k)

    @property
    def risky_subjects(self) -> pd.DataFrame:
        """Subjects ranked by the crown jewels they reach through the attack graph, then by what they hold
        (``a.rbac.risky_subjects`` plus the jewel columns)."""
        return self.attack.risky_subjects

    @property
    def risky_pods(self) -> pd.DataFrame:
        """Running pods ranked by the crown jewels a compromise of them reaches."""
        return self.attack.risky_pods

    @property
    def remediation(self) -> pd.DataFrame:
        """Fix these first: the changes that cut the most internet → crown-jewel paths (a minimum cut)."""
        return self.attack.remediation()

    @property
    def gaps(self) -> pd.DataFrame:
        """What the snapshot could not collect, and why."""
        from kubesec_nb.inventory import gaps_frame

        return gaps_frame(self.snapshot)

    @property
    def inventory(self) -> pd.DataFrame:
        """Object counts per resource."""
        from kubesec_nb.inventory import inventory_frame

        return inventory_frame(self.snapshot)


def assess(snapshot: Snapshot, **options: Any) -> Assessment:
    """Assess a snapshot. Options are listed by :func:`all_options`.

    >>> a = assess(Snapshot())
    >>> a.model.version_source
    'default'
    """
    return Assessment(snapshot, options)
