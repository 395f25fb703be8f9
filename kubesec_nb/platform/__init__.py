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
``analysis``    ``PlatformAnalysis`` (what ``a.platform`` is)
==============  =====================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesec_nb.model import Model
from kubesec_nb.platform.analysis import PlatformAnalysis
from kubesec_nb.platform.describe import Description, cluster_description, missing_description
from kubesec_nb.platform.identity import BLOCKED, OPEN, UNKNOWN, NodeCloudAccess, gcp_default_sa, node_cloud_access
from kubesec_nb.platform.provider import ProviderInfo, detect_provider

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import NetworkAnalysis

#: Analyzers this one builds on (passed to :func:`analyze` as keyword arguments).
NEEDS = ("network",)
#: Options of the platform analyzer.
OPTIONS: dict[str, str] = {}


def analyze(model: Model, network: NetworkAnalysis | None = None, **options: Any) -> PlatformAnalysis:
    """The platform analysis of a model (``network`` supplies internet exposure)."""
    return PlatformAnalysis(model, network=network)


__all__ = ["BLOCKED", "NEEDS", "OPEN", "OPTIONS", "UNKNOWN", "Description", "NodeCloudAccess", "PlatformAnalysis",
           "ProviderInfo", "analyze", "cluster_description", "detect_provider", "gcp_default_sa",
           "missing_description", "node_cloud_access"]
