"""NetworkPolicy reachability, Services and internet exposure (``a.network``).

``analyze(model, network_profile="auto", **options)`` returns a
:class:`~kubesec_nb.network.analysis.NetworkAnalysis`: ``allowed(src, dst, port)``,
``matrix(level)``, ``exposure``, ``graph()``. Semantics follow the Kubernetes
NetworkPolicy API (reference §1); the implementation-defined parts are the options of
a :class:`~kubesec_nb.network.profile.NetworkProfile`.
"""

from __future__ import annotations

from typing import Any

from kubesec_nb.model import Model
from kubesec_nb.network import checks as _checks  # noqa: F401  (registers the NET-* checks)
from kubesec_nb.network import external_ips as _external_ips  # noqa: F401  (registers NET-SERVICE-EXTERNAL-IPS)
from kubesec_nb.network.analysis import NetworkAnalysis
from kubesec_nb.network.profile import PROFILE_OPTIONS, PROFILES, NetworkProfile, detect_plugin, resolve_profile
from kubesec_nb.network.semantics import Decision, Side

OPTIONS: dict[str, str] = {
    "network_profile": "network plugin profile: 'auto' (detect; default), a NetworkProfile, or one of "
                       + ", ".join(sorted(PROFILES)),
    "network_enforced": "override: an enforcing NetworkPolicy plugin is present (true/false); default: detected, "
                        "and assumed (upstream semantics, labelled 'enforcement not verified') when the snapshot "
                        "cannot show the plugin",
    "network_ipblock_matches_pods": "override: ipBlock rules match pod IPs (true/false)",
    "network_ipblock_matches_nodes": "override: ipBlock rules match node IPs and hostNetwork pods (true/false)",
    "network_endport": "override: endPort ranges are honoured (true/false)",
    "network_hostnetwork_selectable": "override: label selectors select hostNetwork pods (true/false)",
}
assert set(OPTIONS) == {"network_profile", *PROFILE_OPTIONS}


def analyze(model: Model, network_profile: str | NetworkProfile | None = "auto", **options: Any) -> NetworkAnalysis:
    """Analyze a model's network: see :class:`NetworkAnalysis`.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> analyze(Model(Snapshot())).profile.enforcement
    'enforcement not verified: neither DaemonSets nor pods could be read'
    """
    return NetworkAnalysis(model, resolve_profile(model, network_profile, **options))


__all__ = ["OPTIONS", "PROFILES", "Decision", "NetworkAnalysis", "NetworkProfile", "Side", "analyze",
           "detect_plugin", "resolve_profile"]
