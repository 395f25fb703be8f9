"""What the graph needs from the cloud side beyond ``a.platform.node_access``: the id standing for a node
identity the snapshot does not name, and whether the API server is reachable from the internet.

Node identities and metadata-service reachability come from the platform analyzer
(:func:`kubesec_nb.platform.node_cloud_access`: ``open``, ``blocked`` or ``unknown`` for pods
without hostNetwork). The graph shows an unknown as such, never drops it and never assumes it
open without saying so: a node whose identity is unknown gets an edge to
``cloud:<provider>:unknown-node-identity``; a pod on a node whose metadata access is
``unknown`` gets its edge with certainty ``unknown`` (and a higher cost); ``blocked`` gives no
pod edge. Root on the node always reaches the metadata service (the IMDSv2 hop limit and the
GKE metadata server stop only pods). On a cluster whose provider is unknown there is no
cloud model, so no node → cloud edge: the graph's facts say so.
"""

from __future__ import annotations

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model
from kubesec_nb.platform import cluster_description

PROVIDER_PREFIX = {"eks": "aws", "gke": "gcp", "aks": "azure"}

#: Where the API server's reachability from the internet is decided, per provider: (path, meaning).
_ENDPOINT = {
    "eks": (("resourcesVpcConfig.endpointPublicAccess", "private if false"),
            ("resourcesVpcConfig.publicAccessCidrs", "restricted unless 0.0.0.0/0")),
    "gke": (("privateClusterConfig.enablePrivateEndpoint", "private if true"),
            ("masterAuthorizedNetworksConfig.enabled", "restricted if true")),
    "aks": (("apiServerAccessProfile.enablePrivateCluster", "private if true"),
            ("apiServerAccessProfile.authorizedIpRanges", "restricted if not empty")),
}


def unknown_identity(provider: str) -> str:
    """The node id standing for a node identity the snapshot does not name.

    >>> unknown_identity("eks")
    'cloud:aws:unknown-node-identity'
    """
    return f"cloud:{PROVIDER_PREFIX.get(provider, provider)}:unknown-node-identity"


def api_endpoint(model: Model) -> tuple[str, tuple[Evidence, ...]]:
    """Whether the API server is reachable from the whole internet: ``public``, ``restricted``
    (authorized networks / source CIDRs), ``private``, or ``unknown`` (no cloud description).

    >>> from kubesec_nb.snapshot import Snapshot
    >>> api_endpoint(Model(Snapshot()))[0]
    'unknown'
    """
    d = cluster_description(model.snapshot, model.provider)
    if d is None or model.provider not in _ENDPOINT:
        return "unknown", (Evidence("cloud cluster description", "API endpoint",
                                    "not attached: reachability from the internet unknown"),)
    (private_path, _), (limit_path, _) = _ENDPOINT[model.provider]
    private = d.get(private_path)
    limits = d.get(limit_path)
    if model.provider == "eks":
        if private is False:
            return "private", (d.evidence(private_path, private),)
        cidrs = [str(c) for c in limits or ["0.0.0.0/0"]]
        return ("public" if "0.0.0.0/0" in cidrs else "restricted"), (d.evidence(limit_path, ",".join(cidrs)),)
    if private is True:
        return "private", (d.evidence(private_path, private),)
    if limits:
        return "restricted", (d.evidence(limit_path, limits),)
    return "public", (d.evidence(limit_path, limits if limits is not None else "unset"),)
