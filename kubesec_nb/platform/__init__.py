"""Platform posture: provider detection, cloud cluster descriptions, node cloud identities,
and the add-ons the hardening guide asks about (``a.platform``).

``analyze(model, network=...)`` returns a :class:`PlatformAnalysis`. It builds on the
network analysis (``NEEDS``) for internet exposure.

>>> from kubesec_nb.snapshot import Snapshot
>>> pa = analyze(Model(Snapshot()))
>>> pa.provider.name, pa.node_access
('unknown', {})

Modules (imports go downward):

==============  =====================================================================
``describe``    attached cloud descriptions read in any casing, evidence, missing-input messages
``provider``    provider, confidence, evidence and modes (Autopilot, Auto Mode, Fargate, Automatic)
``identity``    node cloud identities and metadata-service reachability (``node_cloud_access``)
``scheduling``  which nodes a DaemonSet runs on (selectors, affinity, taints)
``mesh``        service mesh membership and Istio PeerAuthentication modes
``addons``      runtime and log agents with their node coverage, Velero, admission policy engines
``data``        dated tables: support windows, removed API versions, vulnerable and end-of-life components
``analysis``    ``PlatformAnalysis`` (what ``a.platform`` is)
``cloud_checks``  PLAT-* checks over the cloud cluster descriptions
``checks``      PLAT-* checks from in-cluster evidence
==============  =====================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesec_nb.model import Model
from kubesec_nb.platform import checks as _checks  # noqa: F401  (registers the in-cluster PLAT-* checks)
from kubesec_nb.platform import cloud_checks as _cloud_checks  # noqa: F401  (registers the cloud PLAT-* checks)
from kubesec_nb.platform.analysis import PlatformAnalysis
from kubesec_nb.platform.describe import Description, cluster_description, missing_description
from kubesec_nb.platform.identity import BLOCKED, OPEN, UNKNOWN, NodeCloudAccess, gcp_default_sa, node_cloud_access
from kubesec_nb.platform.provider import ProviderInfo, detect_provider

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import NetworkAnalysis

#: Analyzers this one builds on (passed to :func:`analyze` as keyword arguments).
NEEDS = ("network",)
#: Options of the platform analyzer.
OPTIONS: dict[str, str] = {
    "istio_root_namespace": "Istio's root namespace (meshConfig.rootNamespace), where a PeerAuthentication without "
                            "a selector is mesh-wide; default 'istio-system'",
}


def analyze(model: Model, network: NetworkAnalysis | None = None, istio_root_namespace: str = "istio-system",
            **options: Any) -> PlatformAnalysis:
    """The platform analysis of a model (``network`` supplies internet exposure)."""
    return PlatformAnalysis(model, network=network, istio_root_namespace=istio_root_namespace)


__all__ = ["BLOCKED", "NEEDS", "OPEN", "OPTIONS", "UNKNOWN", "Description", "NodeCloudAccess", "PlatformAnalysis",
           "ProviderInfo", "analyze", "cluster_description", "detect_provider", "gcp_default_sa",
           "missing_description", "node_cloud_access"]
