"""``PlatformAnalysis``: what ``a.platform`` is."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from kubesec_nb.model import Model
from kubesec_nb.platform.describe import Description, cluster_description, descriptions
from kubesec_nb.platform.identity import NodeCloudAccess, node_cloud_access
from kubesec_nb.platform.provider import ProviderInfo, detect_provider

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import NetworkAnalysis


class PlatformAnalysis:
    """The platform around the workloads: provider and mode, the attached cloud descriptions,
    node cloud identities, and the add-ons the hardening guide asks about.

    ``network`` (the network analysis) supplies internet exposure; it is None when the
    platform analysis is built alone.
    """

    def __init__(self, model: Model, network: NetworkAnalysis | None = None) -> None:
        self.model = model
        self.network = network

    @cached_property
    def provider(self) -> ProviderInfo:
        """The provider with its confidence, evidence and modes (Autopilot, Auto Mode, Fargate, Automatic)."""
        return detect_provider(self.model)

    @cached_property
    def description(self) -> Description | None:
        """The attached cluster description of the detected provider, if any."""
        return cluster_description(self.model.snapshot, self.model.provider)

    def attached(self, kind: str) -> list[Description]:
        """Every attachment of ``kind`` (``eks-access-entries``, ``aks-diagnostic-settings``, ...)."""
        return descriptions(self.model.snapshot, kind)

    @cached_property
    def node_access(self) -> dict[str, NodeCloudAccess]:
        """Per node: its cloud identity and whether pods can reach its credentials."""
        return node_cloud_access(self.model)

    @property
    def node_identities(self) -> pd.DataFrame:
        """:attr:`node_access` as a table: node, identity, metadata, evidence."""
        rows = [{"node": a.node, "identity": a.identity or "", "metadata": a.metadata,
                 "evidence": "; ".join(str(e) for e in a.evidence)} for a in self.node_access.values()]
        return pd.DataFrame(rows, columns=["node", "identity", "metadata", "evidence"])

    def facts(self) -> pd.DataFrame:
        """Provider, confidence, modes and attached descriptions as a two-column table."""
        p = self.provider
        rows = [("provider", p.name), ("confidence", p.confidence), ("modes", ", ".join(p.modes) or "none"),
                ("evidence", "; ".join(str(e) for e in p.evidence[:4]) or "none"),
                ("conflicting signals", ", ".join(p.conflicts) or "none"),
                ("attached", ", ".join(sorted({f"{a.kind} ({a.source})" for a in self.model.snapshot.attachments}))
                 or "none")]
        return pd.DataFrame(rows, columns=["fact", "value"])
