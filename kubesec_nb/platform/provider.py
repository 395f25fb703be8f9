"""Which managed Kubernetes this is, how sure we are, and which mode it runs in.

Builds on :func:`kubesec_nb.snapshot.provider.provider_signals` (the same signals the
loaders use to guess the provider) and adds a confidence, the evidence, and the modes that
change what is possible and which checks apply:

- GKE Autopilot: ``autopilot.enabled`` in the description; in-cluster, Autopilot node names
  start with ``gk3-`` (a naming convention, so only a hint). Google manages the nodes: node
  service accounts, Shielded nodes, auto-upgrade and the GKE metadata server are fixed;
- EKS Auto Mode: ``computeConfig.enabled`` in the description; nodes labelled
  ``eks.amazonaws.com/compute-type: auto`` (AWS docs, "Control if a workload is deployed on
  EKS Auto Mode nodes");
- EKS Fargate: nodes labelled ``eks.amazonaws.com/compute-type: fargate``; DaemonSets do not
  run there and pods cannot reach the EC2 instance metadata service;
- AKS Automatic: ``sku.name: Automatic`` in the description (ARM ``ManagedClusterSKUName``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, labels_of
from kubesec_nb.platform.describe import cluster_description
from kubesec_nb.snapshot.provider import Signal, provider_signals

#: Signal kinds that identify the provider with high confidence on their own.
_STRONG = ("attachment", "server-version", "node-provider-id")
COMPUTE_TYPE = "eks.amazonaws.com/compute-type"
MODES = ("gke-autopilot", "eks-auto-mode", "eks-fargate", "aks-automatic")


@dataclass(frozen=True)
class ProviderInfo:
    """The provider (``gke``, ``eks``, ``aks``, ``unknown``), a confidence (``high``, ``medium``,
    ``low``, ``none``), the signals behind it, the modes detected (:data:`MODES`) with theirs, and
    providers that other strong signals point at."""

    name: str
    confidence: str
    evidence: tuple[Evidence, ...]
    modes: tuple[str, ...] = ()
    mode_evidence: tuple[Evidence, ...] = ()
    conflicts: tuple[str, ...] = ()

    def has(self, mode: str) -> bool:
        return mode in self.modes


def _ev(s: Signal) -> Evidence:
    return Evidence(s.object, s.field, s.value)


def _confidence(mine: list[Signal], others: list[Signal], from_metadata: bool) -> str:
    if any(s.kind in _STRONG for s in others):
        return "low"
    if any(s.kind in _STRONG for s in mine):
        return "high"
    if any(s.kind == "node-label" for s in mine) or from_metadata:
        return "medium"
    return "low" if mine else "none"


def detect_provider(model: Model) -> ProviderInfo:
    """The provider of ``model``'s cluster with its confidence, evidence and modes.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> info = detect_provider(Model(Snapshot(metadata={"serverVersion": {"gitVersion": "v1.30.4-eks-a737599"}})))
    >>> info.name, info.confidence, str(info.evidence[0])
    ('eks', 'high', 'snapshot metadata: serverVersion.gitVersion = v1.30.4-eks-a737599')
    >>> detect_provider(Model(Snapshot())).confidence
    'none'
    """
    name = model.provider
    signals = provider_signals(model.snapshot)
    mine = [s for s in signals if s.provider == name]
    others = [s for s in signals if s.provider != name]
    stated = model.snapshot.metadata.get("provider")
    from_metadata = stated == name and name != "unknown" and not mine
    evidence = [_ev(s) for s in _summarise(mine)]
    if from_metadata:
        evidence.insert(0, Evidence("snapshot metadata", "provider", str(stated)))
    conflicts = tuple(sorted({s.provider for s in others if s.kind in _STRONG}))
    evidence += [_ev(s) for s in _summarise([s for s in others if s.kind in _STRONG])]
    modes, mode_ev = _modes(model, name)
    return ProviderInfo(name, "none" if name == "unknown" else _confidence(mine, others, from_metadata),
                        tuple(evidence), modes, mode_ev, conflicts)


def _summarise(signals: list[Signal], per_kind: int = 3) -> list[Signal]:
    """The strongest signals first, at most ``per_kind`` of each kind (a 5,000-node cluster
    does not need 5,000 providerIDs as evidence)."""
    out: list[Signal] = []
    for kind in ("attachment", "server-version", "node-provider-id", "node-label", "system-workload",
                 "configmap", "sa-annotation"):
        out.extend([s for s in signals if s.kind == kind][:per_kind])
    return out


def _modes(model: Model, provider: str) -> tuple[tuple[str, ...], tuple[Evidence, ...]]:
    found: dict[str, list[Evidence]] = {}
    desc = cluster_description(model.snapshot, provider) if provider != "unknown" else None

    def flag(mode: str, path: str, want: object) -> None:
        if desc is not None and desc.get(path) == want:
            found.setdefault(mode, []).append(desc.evidence(path))

    if provider == "gke":
        flag("gke-autopilot", "autopilot.enabled", True)
        gk3 = sorted(n for n in model.nodes if n.startswith("gk3-"))
        if gk3:
            found.setdefault("gke-autopilot", []).append(
                Evidence(f"Node {gk3[0]}", "metadata.name", f"gk3- prefix (Autopilot node naming; {len(gk3)} node(s))"))
    elif provider == "eks":
        flag("eks-auto-mode", "computeConfig.enabled", True)
        for mode, value in (("eks-auto-mode", "auto"), ("eks-fargate", "fargate")):
            nodes = sorted(n for n, o in model.nodes.items() if labels_of(o).get(COMPUTE_TYPE) == value)
            if nodes:
                found.setdefault(mode, []).append(Evidence(f"Node {nodes[0]}", f"metadata.labels[{COMPUTE_TYPE}]",
                                                           f"{value} ({len(nodes)} node(s))"))
    elif provider == "aks":
        flag("aks-automatic", "sku.name", "Automatic")
    modes = tuple(m for m in MODES if m in found)
    return modes, tuple(e for m in modes for e in found[m])
