"""What the graph needs from the cloud side: each node's cloud identity and metadata access, and
whether the API server is reachable from the internet.

:func:`node_access` asks :func:`kubesec_nb.platform.node_cloud_access` when the platform
analyzer provides it, else reads the snapshot minimally (:func:`fallback_node_access`):

* EKS: the IAM role ``aws-auth`` maps to ``system:node:{{EC2PrivateDNSName}}`` (or an EC2 access
  entry), when there is exactly one; the IMDSv2 hop limit lives in the launch template, which
  the snapshot does not hold, so metadata access is ``unknown``;
* GKE: the node pool's ``config.serviceAccount``; ``workloadMetadataConfig.mode: GKE_METADATA``
  (the GKE metadata server) hides the node's credentials from pods: ``blocked``, else ``open``;
* AKS: ``identityProfile.kubeletidentity.clientId``; pods reach IMDS unless something blocks it:
  ``open``.

A node whose identity the snapshot does not name still gets an edge, to
``cloud:<provider>:unknown-node-identity``, with certainty ``unknown``: an unknown is not an absent.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, labels_of

OPEN, BLOCKED, UNKNOWN_STATE = "open", "blocked", "unknown"
PROVIDER_PREFIX = {"eks": "aws", "gke": "gcp", "aks": "azure"}


@dataclass(frozen=True)
class NodeAccess:
    """A node's cloud identity (graph node id, None when unknown) and whether pods reach its metadata."""

    node: str
    identity: str | None
    metadata: str
    evidence: tuple[Evidence, ...] = ()


def unknown_identity(provider: str) -> str:
    """The node id standing for a node identity the snapshot does not name.

    >>> unknown_identity("eks")
    'cloud:aws:unknown-node-identity'
    """
    return f"cloud:{PROVIDER_PREFIX.get(provider, provider)}:unknown-node-identity"


def node_access(model: Model) -> tuple[dict[str, NodeAccess], str]:
    """Node name → :class:`NodeAccess`, and where it came from (``platform`` or ``snapshot``)."""
    try:
        provider_api = importlib.import_module("kubesec_nb.platform").node_cloud_access
    except (ImportError, AttributeError):
        return fallback_node_access(model), "snapshot"
    out: dict[str, NodeAccess] = {}
    for name, acc in provider_api(model).items():
        out[name] = NodeAccess(name, acc.identity, acc.metadata, tuple(acc.evidence))
    return out, "platform"


def _attachment(model: Model, kind: str) -> Mapping[str, Any]:
    att = model.snapshot.attachment(kind)
    return att.data if att is not None and isinstance(att.data, Mapping) else {}


def fallback_node_access(model: Model) -> dict[str, NodeAccess]:
    """Node identities and metadata access from the snapshot alone (see the module docstring).

    >>> from kubesec_nb.snapshot import Snapshot
    >>> fallback_node_access(Model(Snapshot()))
    {}
    """
    provider = model.provider
    if provider not in PROVIDER_PREFIX or not model.nodes:
        return {}
    if provider == "eks":
        return _eks(model)
    if provider == "gke":
        return _gke(model)
    return _aks(model)


def _eks(model: Model) -> dict[str, NodeAccess]:
    import yaml

    roles: list[tuple[str, Evidence]] = []
    cm = model.configmap("kube-system", "aws-auth")
    if cm is not None:
        try:
            entries = yaml.safe_load((cm.get("data") or {}).get("mapRoles") or "[]") or []
        except yaml.YAMLError:
            entries = []
        for i, e in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(e, Mapping) and str(e.get("username", "")).startswith("system:node:"):
                line = Evidence("ConfigMap kube-system/aws-auth", f"data.mapRoles[{i}]",
                              f"rolearn={e.get('rolearn')} username={e.get('username')}")
                roles.append((str(e.get("rolearn")), line))
    for att in model.snapshot.attachments:
        if att.kind != "eks-access-entries":
            continue
        for d in att.data if isinstance(att.data, list) else [att.data]:
            entry = (d or {}).get("accessEntry") if isinstance(d, Mapping) else None
            if isinstance(entry, Mapping) and str(entry.get("type", "")).startswith("EC2"):
                roles.append((str(entry.get("principalArn")), Evidence(
                    f"EKS access entry {entry.get('principalArn')}", "type", str(entry.get("type")))))
    arns = sorted({a for a, _ in roles})
    identity = f"cloud:aws:{arns[0]}" if len(arns) == 1 else None
    ev = [e for _, e in roles] or [Evidence("aws-auth / access entries", "node role", "not in the snapshot")]
    if len(arns) > 1:
        ev.append(Evidence("node IAM roles", "candidates", f"{', '.join(arns)}: which node uses which is unknown"))
    ev.append(Evidence("EC2 launch template", "metadataOptions.httpPutResponseHopLimit",
                       "not in the snapshot: whether pods reach IMDS is unknown"))
    return {n: NodeAccess(n, identity, UNKNOWN_STATE, tuple(ev)) for n in sorted(model.nodes)}


def _gke(model: Model) -> dict[str, NodeAccess]:
    cluster = _attachment(model, "gke-cluster")
    pools = {str(p.get("name")): (i, p) for i, p in enumerate(cluster.get("nodePools") or [])
             if isinstance(p, Mapping)}
    project = str(cluster.get("selfLink", "")).split("/projects/")[-1].split("/")[0] if cluster.get("selfLink") else ""
    out: dict[str, NodeAccess] = {}
    for name, node in sorted(model.nodes.items()):
        pool_name = labels_of(node).get("cloud.google.com/gke-nodepool", "")
        found = pools.get(pool_name)
        if found is None:
            out[name] = NodeAccess(name, None, UNKNOWN_STATE, (Evidence(f"Node {name}", "node pool",
                                                                        f"{pool_name or 'unknown'}: not described"),))
            continue
        i, pool = found
        cfg = pool.get("config") or {}
        sa = str(cfg.get("serviceAccount") or "default")
        identity = f"cloud:gcp:{sa}" if sa != "default" else f"cloud:gcp:default-compute@{project or 'project'}"
        mode = str((cfg.get("workloadMetadataConfig") or {}).get("mode") or "")
        state = BLOCKED if mode == "GKE_METADATA" else OPEN
        out[name] = NodeAccess(name, identity, state, (
            Evidence("gke-cluster", f"nodePools[{i}].config.serviceAccount", sa),
            Evidence("gke-cluster", f"nodePools[{i}].config.workloadMetadataConfig.mode",
                     mode or "unset (GCE_METADATA)")))
    return out


def _aks(model: Model) -> dict[str, NodeAccess]:
    cluster = _attachment(model, "aks-cluster")
    kubelet = ((cluster.get("identityProfile") or {}).get("kubeletidentity") or {})
    client = kubelet.get("clientId")
    identity = f"cloud:azure:{client}" if client else None
    ev = (Evidence("aks-cluster", "identityProfile.kubeletidentity.clientId", str(client or "not in the snapshot")),
          Evidence("aks-cluster", "IMDS", "AKS pods reach 169.254.169.254 unless a policy blocks it"))
    return {n: NodeAccess(n, identity, OPEN, ev) for n in sorted(model.nodes)}


def api_endpoint(model: Model) -> tuple[str, tuple[Evidence, ...]]:
    """Whether the API server is reachable from the whole internet: ``public``, ``restricted``
    (authorized networks / source CIDRs), ``private``, or ``unknown`` (no cloud description).

    >>> from kubesec_nb.snapshot import Snapshot
    >>> api_endpoint(Model(Snapshot()))[0]
    'unknown'
    """
    eks = _attachment(model, "eks-cluster").get("cluster") or {}
    if eks:
        vpc = eks.get("resourcesVpcConfig") or {}
        cidrs = [str(c) for c in vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]]
        if vpc.get("endpointPublicAccess") is False:
            return "private", (Evidence("eks-cluster", "resourcesVpcConfig.endpointPublicAccess", "false"),)
        ev = (Evidence("eks-cluster", "resourcesVpcConfig.publicAccessCidrs", ",".join(cidrs)),)
        return ("public" if "0.0.0.0/0" in cidrs else "restricted"), ev
    gke = _attachment(model, "gke-cluster")
    if gke:
        if (gke.get("privateClusterConfig") or {}).get("enablePrivateEndpoint"):
            return "private", (Evidence("gke-cluster", "privateClusterConfig.enablePrivateEndpoint", "true"),)
        if (gke.get("masterAuthorizedNetworksConfig") or {}).get("enabled"):
            return "restricted", (Evidence("gke-cluster", "masterAuthorizedNetworksConfig.enabled", "true"),)
        return "public", (Evidence("gke-cluster", "masterAuthorizedNetworksConfig.enabled", "false"),)
    aks = _attachment(model, "aks-cluster")
    if aks:
        prof = aks.get("apiServerAccessProfile") or {}
        if prof.get("enablePrivateCluster"):
            return "private", (Evidence("aks-cluster", "apiServerAccessProfile.enablePrivateCluster", "true"),)
        if prof.get("authorizedIpRanges"):
            return "restricted", (Evidence("aks-cluster", "apiServerAccessProfile.authorizedIpRanges",
                                           ",".join(map(str, prof["authorizedIpRanges"]))),)
        return "public", (Evidence("aks-cluster", "apiServerAccessProfile.authorizedIpRanges", "empty"),)
    return "unknown", (Evidence("cloud cluster description", "API endpoint", "not attached: reachability from the "
                                                                               "internet unknown"),)
