"""``PlatformAnalysis``: what ``a.platform`` is."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from kubesec_nb.model import Model, object_key
from kubesec_nb.platform import addons
from kubesec_nb.platform.addons import Policy, admission_policies
from kubesec_nb.platform.describe import KINDS, Description, cluster_description, descriptions
from kubesec_nb.platform.identity import NodeCloudAccess, node_cloud_access
from kubesec_nb.platform.mesh import PEER_AUTHENTICATIONS, ROOT_NAMESPACE, membership, peer_mode
from kubesec_nb.platform.provider import ProviderInfo, detect_provider

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import NetworkAnalysis


class PlatformAnalysis:
    """The platform around the workloads: provider and mode, the attached cloud descriptions,
    node cloud identities, and the add-ons the hardening guide asks about.

    ``network`` (the network analysis) supplies internet exposure; it is None when the
    platform analysis is built alone.
    """

    def __init__(self, model: Model, network: NetworkAnalysis | None = None,
                 istio_root_namespace: str = ROOT_NAMESPACE) -> None:
        self.model = model
        self.network = network
        #: Istio's root namespace (meshConfig.rootNamespace): where mesh-wide PeerAuthentications live.
        self.istio_root_namespace = istio_root_namespace or ROOT_NAMESPACE

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

    @cached_property
    def policies(self) -> list[Policy]:
        """Admission policies (Kyverno, Gatekeeper, ValidatingAdmissionPolicy, Azure Policy) and their action."""
        azure = None
        desc = self.description
        if desc is not None and desc.provider == "aks" and desc.get("addonProfiles.azurepolicy.enabled") is True:
            azure = desc.evidence("addonProfiles.azurepolicy.enabled")
        return admission_policies(self.model, azure)

    @property
    def node_identities(self) -> pd.DataFrame:
        """:attr:`node_access` as a table: node, identity, metadata, evidence."""
        rows = [{"node": a.node, "identity": a.identity or "", "metadata": a.metadata,
                 "evidence": "; ".join(str(e) for e in a.evidence)} for a in self.node_access.values()]
        return pd.DataFrame(rows, columns=["node", "identity", "metadata", "evidence"])

    def inputs(self) -> pd.DataFrame:
        """The cloud documents this provider's checks read: attached or not, and the command that produces each."""
        provider = self.model.provider
        rows = []
        for kind, (who, command) in KINDS.items():
            if provider in ("eks", "gke", "aks") and who != provider:
                continue
            found = sorted(a.source for a in self.model.snapshot.attachments if a.kind == kind)
            rows.append({"document": kind, "attached": ", ".join(found) or "no",
                         "command": "" if found else command})
        return pd.DataFrame(rows, columns=["document", "attached", "command"])

    def agents(self) -> pd.DataFrame:
        """Runtime detection and log shipping DaemonSets with the nodes they cover and miss (and why)."""
        rows = []
        for purpose, table in (("runtime detection", addons.RUNTIME_AGENTS), ("log shipping", addons.LOG_AGENTS)):
            for ag in addons.agents(self.model, table):
                rows.append({"purpose": purpose, "agent": ag.kind, "daemonset": ag.daemonset, "matched": ag.why,
                             "nodes covered": len(ag.covered), "nodes missed": len(ag.missed),
                             "why missed": "; ".join(f"{n}: {r}" for n, r in ag.missed[:5])})
        return pd.DataFrame(rows, columns=["purpose", "agent", "daemonset", "matched", "nodes covered",
                                           "nodes missed", "why missed"])

    def policy_table(self) -> pd.DataFrame:
        """Admission policies and what they do on a violation."""
        rows = [{"engine": p.engine, "policy": p.name, "action": p.action, "evidence": str(p.evidence)}
                for p in self.policies]
        return pd.DataFrame(rows, columns=["engine", "policy", "action", "evidence"])

    def mesh(self) -> pd.DataFrame:
        """Pods in a service mesh and, for Istio, the mTLS mode their proxy accepts (with port overrides)."""
        policies = self.model.items(PEER_AUTHENTICATIONS)
        rows = []
        for pod in self.model.pods:
            m = membership(self.model, pod)
            if m.mesh == "none":
                continue
            mode = peer_mode(pod, policies, self.istio_root_namespace) if m.mesh.startswith("istio") else None
            rows.append({"pod": object_key(pod), "workload": self.model.owner_label(pod), "mesh": m.mesh,
                         "mtls": mode.mode if mode else "on (Linkerd default)",
                         "ports": ", ".join(f"{p}={v}" for p, v in mode.ports) if mode else "",
                         "decided by": "; ".join(str(e) for e in mode.evidence) if mode else str(m.evidence)})
        return pd.DataFrame(rows, columns=["pod", "workload", "mesh", "mtls", "ports", "decided by"])

    def facts(self) -> pd.DataFrame:
        """Provider, confidence, modes and attached descriptions as a two-column table."""
        p = self.provider
        rows = [("provider", p.name), ("confidence", p.confidence), ("modes", ", ".join(p.modes) or "none"),
                ("evidence", "; ".join(str(e) for e in p.evidence[:4]) or "none"),
                ("conflicting signals", ", ".join(p.conflicts) or "none"),
                ("attached", ", ".join(sorted({f"{a.kind} ({a.source})" for a in self.model.snapshot.attachments}))
                 or "none")]
        return pd.DataFrame(rows, columns=["fact", "value"])
