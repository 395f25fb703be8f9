"""Guess the managed-Kubernetes provider (GKE, EKS, AKS) from what a snapshot holds.

Signals, strongest first: an attached cloud description; the server ``gitVersion``
suffix (``-eks-``, ``-gke.``); node ``providerID`` prefixes (``gce://``, ``aws://``,
``azure://``) and node-pool labels; provider system workloads and annotations.
:func:`provider_signals` lists every signal found (what, where, which provider, its
weight); :func:`guess_provider` decides from them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from kubesec_nb.snapshot.document import Snapshot

_ATTACHMENT = {"gke-cluster": "gke", "eks-cluster": "eks", "eks-access-entries": "eks", "aks-cluster": "aks",
               "aks-diagnostic-settings": "aks", "eks-nodegroups": "eks", "ec2-instances": "eks",
               "eks-addons": "eks"}
_NODE_LABELS = {"cloud.google.com/gke-nodepool": "gke", "eks.amazonaws.com/nodegroup": "eks",
                "eks.amazonaws.com/compute-type": "eks", "kubernetes.azure.com/cluster": "aks",
                "kubernetes.azure.com/agentpool": "aks"}
_WORKLOADS = {"anetd": "gke", "gke-metadata-server": "gke", "fluentbit-gke": "gke", "netd": "gke",
              "aws-node": "eks", "eks-pod-identity-agent": "eks", "ebs-csi-node": "eks",
              "azure-ip-masq-agent": "aks", "cloud-node-manager": "aks", "csi-azuredisk-node": "aks",
              "ama-logs": "aks", "omsagent": "aks"}
_PROVIDER_IDS = (("gce://", "gke"), ("aws://", "eks"), ("azure://", "aks"))
#: Service-account annotations that bind a Kubernetes identity to a cloud identity.
IRSA = "eks.amazonaws.com/role-arn"
GKE_WI = "iam.gke.io/gcp-service-account"
AKS_WI = "azure.workload.identity/client-id"
_SA_ANNOTATIONS = {GKE_WI: "gke", IRSA: "eks", AKS_WI: "aks"}

#: Signal kinds, strongest first. ``attachment`` and ``server-version`` decide alone.
KINDS = ("attachment", "server-version", "node-provider-id", "node-label", "system-workload",
         "sa-annotation", "configmap")


@dataclass(frozen=True)
class Signal:
    """One fact pointing at a provider: its kind (see :data:`KINDS`), the object, field and value, a weight."""

    provider: str
    kind: str
    object: str
    field: str
    value: str
    weight: int


def provider_signals(snap: Snapshot) -> list[Signal]:
    """Every provider signal in ``snap``; node signals are counted once per node.

    >>> [(s.provider, s.kind) for s in provider_signals(
    ...     Snapshot(metadata={"serverVersion": {"gitVersion": "v1.29.8-gke.1031000"}}))]
    [('gke', 'server-version')]
    """
    out: list[Signal] = []
    for att in snap.attachments:
        if att.kind in _ATTACHMENT:
            out.append(Signal(_ATTACHMENT[att.kind], "attachment", f"attachment {att.source}", "kind", att.kind, 100))
    git = str((snap.metadata.get("serverVersion") or {}).get("gitVersion", ""))
    for marker, name in (("-eks-", "eks"), ("-gke.", "gke")):
        if marker in git:
            out.append(Signal(name, "server-version", "snapshot metadata", "serverVersion.gitVersion", git, 50))
    for node in snap.items("nodes"):
        label = f"Node {node['metadata']['name']}"
        pid = str((node.get("spec") or {}).get("providerID", ""))
        for prefix, name in _PROVIDER_IDS:
            if pid.startswith(prefix):
                out.append(Signal(name, "node-provider-id", label, "spec.providerID", pid, 2))
        for key, value in sorted(((node.get("metadata") or {}).get("labels") or {}).items()):
            if key in _NODE_LABELS:
                out.append(Signal(_NODE_LABELS[key], "node-label", label, f"metadata.labels[{key}]", str(value), 1))
    for res, kind in (("daemonsets.apps", "DaemonSet"), ("deployments.apps", "Deployment")):
        for o in snap.items(res):
            if o["metadata"].get("namespace") == "kube-system":
                for prefix, name in _WORKLOADS.items():
                    if o["metadata"]["name"].startswith(prefix):
                        out.append(Signal(name, "system-workload", f"{kind} kube-system/{o['metadata']['name']}",
                                          "metadata.name", o["metadata"]["name"], 1))
    for sa in snap.items("serviceaccounts"):
        for ann, value in sorted((sa["metadata"].get("annotations") or {}).items()):
            if ann in _SA_ANNOTATIONS:
                out.append(Signal(_SA_ANNOTATIONS[ann], "sa-annotation",
                                  f"ServiceAccount {sa['metadata'].get('namespace')}/{sa['metadata']['name']}",
                                  f"metadata.annotations[{ann}]", str(value), 1))
    if any(c["metadata"].get("namespace") == "kube-system" and c["metadata"]["name"] == "aws-auth"
           for c in snap.items("configmaps")):
        out.append(Signal("eks", "configmap", "ConfigMap kube-system/aws-auth", "metadata.name", "aws-auth", 2))
    return out


def guess_provider(snap: Snapshot) -> str:
    """``gke``, ``eks``, ``aks`` or ``unknown``.

    An attachment decides, then the server version suffix, then the weighted vote of the
    other signals (ties broken by name).

    >>> guess_provider(Snapshot(metadata={"serverVersion": {"gitVersion": "v1.30.4-eks-a737599"}}))
    'eks'
    >>> guess_provider(Snapshot())
    'unknown'
    """
    signals = provider_signals(snap)
    for kind in ("attachment", "server-version"):
        first = next((s for s in signals if s.kind == kind), None)
        if first is not None:
            return first.provider
    votes: Counter[str] = Counter()
    for s in signals:
        votes[s.provider] += s.weight
    if not votes:
        return "unknown"
    return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
