"""The attack graph: RBAC, network, host and cloud in one networkx MultiDiGraph, paths with evidence,
rankings, and the fixes that cut the most paths (``a.graph``, ``a.paths``, ``a.risky_pods``,
``a.risky_subjects``, ``a.remediation``).

>>> from kubesec_nb import assess
>>> from kubesec_nb.snapshot import Snapshot
>>> a = assess(Snapshot())
>>> a.graph.number_of_nodes() >= 5, a.paths("internet", "cluster-admin")
(True, [])

Modules (imports go downward):

==============  ===================================================================================
``techniques``  the technique table: cost, fix cost, KubeHound / IceKube names, MITRE ATT&CK ids;
                the one mapping from RBAC step names
``nodes``       node ids and kinds, crown jewels, target patterns
``base``        the builder: typed nodes, edges with technique, cost, evidence, certainty and fix
``pods``        running pods condensed into graph nodes; whether a token is mounted
``network``     network edges on NetworkPolicy equivalence classes, with hubs (no pod × pod edges)
``cloud``       unknown node identities, API endpoint exposure (node identities: ``a.platform``)
``build``       assembling every edge from the analyzers' results
``paths``       k cheapest simple paths (Yen + A*), shortest-path trees
``ranking``     crown jewels reached, risky pods and subjects, remediation by minimum cut
``analysis``    ``AttackGraph`` (what ``a.attack`` is; ``a.graph`` is its graph)
``checks``      the ``PATH-*`` checks
==============  ===================================================================================

The node kinds are listed in :mod:`.nodes`, the edges in :mod:`.build` and :mod:`.network`,
the techniques and their costs in :mod:`.techniques`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesec_nb.graph import checks as _checks  # noqa: F401  (registers the PATH-* checks)
from kubesec_nb.graph.analysis import AttackGraph
from kubesec_nb.graph.paths import AttackPath, PathStep
from kubesec_nb.graph.techniques import RBAC_TECHNIQUES, TECHNIQUES, Technique, techniques_frame
from kubesec_nb.model import Model

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import NetworkAnalysis
    from kubesec_nb.platform import PlatformAnalysis
    from kubesec_nb.rbac.analysis import RbacAnalysis
    from kubesec_nb.workload.analysis import WorkloadAnalysis

#: The analyzers the graph builds on (see :mod:`kubesec_nb.assessment`).
NEEDS = ("rbac", "network", "workloads", "platform")
OPTIONS: dict[str, str] = {}


def analyze(model: Model, *, rbac: RbacAnalysis, network: NetworkAnalysis, workloads: WorkloadAnalysis,
            platform: PlatformAnalysis, **options: Any) -> AttackGraph:
    """The attack graph of a model from its RBAC, network, workload and platform analyses (built lazily)."""
    return AttackGraph(model, rbac, network, workloads, platform)


__all__ = ["NEEDS", "OPTIONS", "RBAC_TECHNIQUES", "TECHNIQUES", "AttackGraph", "AttackPath", "PathStep", "Technique",
           "analyze", "techniques_frame"]
