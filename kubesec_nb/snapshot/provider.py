"""Guess the managed-Kubernetes provider (GKE, EKS, AKS) from what a snapshot holds.

Signals, strongest first: an attached cloud description; the server ``gitVersion``
suffix (``-eks-``, ``-gke.``); node ``providerID`` prefixes (``gce://``, ``aws://``,
``azure://``) and node-pool labels; provider system workloads and annotations.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # document.py imports the modules that fill a Snapshot, not the reverse
    from kubesec_nb.snapshot.document import Snapshot

_ATTACHMENT = {"gke-cluster": "gke", "eks-cluster": "eks", "eks-access-entries": "eks", "aks-cluster": "aks",
               "aks-diagnostic-settings": "aks"}
_NODE_LABELS = {"cloud.google.com/gke-nodepool": "gke", "eks.amazonaws.com/nodegroup": "eks",
                "eks.amazonaws.com/compute-type": "eks", "kubernetes.azure.com/cluster": "aks",
                "kubernetes.azure.com/agentpool": "aks"}
_WORKLOADS = {"anetd": "gke", "gke-metadata-server": "gke", "fluentbit-gke": "gke", "netd": "gke",
              "aws-node": "eks", "eks-pod-identity-agent": "eks", "ebs-csi-node": "eks",
              "azure-ip-masq-agent": "aks", "cloud-node-manager": "aks", "csi-azuredisk-node": "aks",
              "ama-logs": "aks", "omsagent": "aks"}
#: Service-account annotations that bind a Kubernetes identity to a cloud identity.
IRSA = "eks.amazonaws.com/role-arn"
GKE_WI = "iam.gke.io/gcp-service-account"
AKS_WI = "azure.workload.identity/client-id"
_SA_ANNOTATIONS = {GKE_WI: "gke", IRSA: "eks", AKS_WI: "aks"}


def guess_provider(snap: Snapshot) -> str:
    """``gke``, ``eks``, ``aks`` or ``unknown``.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> guess_provider(Snapshot(metadata={"serverVersion": {"gitVersion": "v1.30.4-eks-a737599"}}))
    'eks'
    >>> guess_provider(Snapshot())
    'unknown'
    """
    for att in snap.attachments:
        if att.kind in _ATTACHMENT:
            return _ATTACHMENT[att.kind]
    git = str((snap.metadata.get("serverVersion") or {}).get("gitVersion", ""))
    if "-eks-" in git:
        return "eks"
    if "-gke." in git:
        return "gke"
    votes: Counter[str] = Counter()
    for node in snap.items("nodes"):
        pid = str((node.get("spec") or {}).get("providerID", ""))
        for prefix, name in (("gce://", "gke"), ("aws://", "eks"), ("azure://", "aks")):
            if pid.startswith(prefix):
                votes[name] += 2
        for label in (node.get("metadata") or {}).get("labels") or {}:
            if label in _NODE_LABELS:
                votes[_NODE_LABELS[label]] += 1
    for res in ("daemonsets.apps", "deployments.apps"):
        for o in snap.items(res):
            if o["metadata"].get("namespace") == "kube-system":
                for prefix, name in _WORKLOADS.items():
                    if o["metadata"]["name"].startswith(prefix):
                        votes[name] += 1
    for sa in snap.items("serviceaccounts"):
        for ann in (sa["metadata"].get("annotations") or {}):
            if ann in _SA_ANNOTATIONS:
                votes[_SA_ANNOTATIONS[ann]] += 1
    if any(c["metadata"].get("namespace") == "kube-system" and c["metadata"]["name"] == "aws-auth"
           for c in snap.items("configmaps")):
        votes["eks"] += 2
    if not votes:
        return "unknown"
    best = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    return best[0][0]
