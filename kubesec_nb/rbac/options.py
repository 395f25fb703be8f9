"""The RBAC analyzer's options: every implementation-defined or platform-dependent behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesec_nb.errors import OptionError
from kubesec_nb.rbac.objects import aggregation_mode

#: Option name → description (merged into ``kubesec_nb.all_options()``).
OPTIONS: dict[str, str] = {
    "idp_groups": "mapping of username → list of groups the identity provider puts that user in "
                  "(OIDC, Entra ID, Google groups); RBAC cannot see them otherwise. Default: none",
    "anonymous_auth": "whether the API server accepts anonymous requests (as system:anonymous in group "
                      "system:unauthenticated). Default: True (the upstream default)",
    "gke_authenticated_public": "whether group system:authenticated admits any Google account (GKE). "
                                "'auto' (default): True when the provider is GKE",
    "exec_via_get": "whether 'get' on pods/exec, pods/attach and pods/portforward is enough to run them "
                    "(WebSocket upgrade). 'auto' (default): True before Kubernetes 1.35",
    "csr_signer_mints_masters": "whether the kubernetes.io/kube-apiserver-client signer issues certificates "
                                "for group system:masters, i.e. the CertificateSubjectRestriction admission plugin "
                                "(on by default upstream) is disabled. Default: False; other users and groups "
                                "are reachable by CSR signing either way",
    "eks_auth_mode": "EKS authentication mode: CONFIG_MAP, API or API_AND_CONFIG_MAP (aws-auth honoured unless "
                     "API; access entries honoured unless CONFIG_MAP). 'auto' (default): the eks-cluster "
                     "attachment's accessConfig, else API_AND_CONFIG_MAP",
    "rbac_aggregation": "ClusterRole aggregation: 'auto' (default: compute when stored rules are empty or the "
                        "snapshot comes from manifests), 'recompute' (always), 'stored' (never)",
    "rbac_namespace_admin": "what namespace-admin equivalence means: 'admin-role' (default: everything the "
                            "built-in admin role's core permissions allow, or '*' on '*'), 'wildcard' "
                            "(only '*' verbs on '*' resources of '*' groups)",
    "rbac_secret_get_reads": "whether 'get' secrets (without list/watch) counts as reading secrets whose "
                             "names are known. Default: True",
}

_AUTH_MODES = ("CONFIG_MAP", "API", "API_AND_CONFIG_MAP")


def _tri(name: str, value: Any) -> bool | None:
    if value in ("auto", None):
        return None
    if isinstance(value, bool):
        return value
    raise OptionError(f"{name} must be True, False or 'auto', got {value!r}")


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"{name} must be True or False, got {value!r}")
    return value


@dataclass(frozen=True)
class Options:
    """Parsed, validated options. ``None`` in a tri-state field means "decide from the snapshot"."""

    idp_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    anonymous_auth: bool = True
    gke_authenticated_public: bool | None = None
    exec_via_get: bool | None = None
    csr_signer_mints_masters: bool = False
    eks_auth_mode: str = "auto"
    rbac_aggregation: str = "auto"
    rbac_namespace_admin: str = "admin-role"
    rbac_secret_get_reads: bool = True

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> Options:
        """Validate options; errors name the option and what it accepts.

        >>> Options.parse({"exec_via_get": "auto", "idp_groups": {"alice": ["oncall"]}}).idp_groups
        {'alice': ('oncall',)}
        """
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise OptionError(f"unknown RBAC option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}")
        o = dict(options)
        idp = o.get("idp_groups") or {}
        if not isinstance(idp, Mapping) or not all(
                isinstance(k, str) and isinstance(v, list | tuple) and all(isinstance(g, str) for g in v)
                for k, v in idp.items()):
            raise OptionError("idp_groups must map usernames to lists of group names")
        mode = o.get("eks_auth_mode", "auto")
        if mode != "auto" and mode not in _AUTH_MODES:
            raise OptionError(f"eks_auth_mode must be 'auto' or one of {', '.join(_AUTH_MODES)}, got {mode!r}")
        agg = aggregation_mode(o.get("rbac_aggregation", "auto"))
        nsadmin = o.get("rbac_namespace_admin", "admin-role")
        if nsadmin not in ("admin-role", "wildcard"):
            raise OptionError(f"rbac_namespace_admin must be 'admin-role' or 'wildcard', got {nsadmin!r}")
        return cls(
            idp_groups={str(k): tuple(v) for k, v in sorted(idp.items())},
            anonymous_auth=_bool("anonymous_auth", o.get("anonymous_auth", True)),
            gke_authenticated_public=_tri("gke_authenticated_public", o.get("gke_authenticated_public", "auto")),
            exec_via_get=_tri("exec_via_get", o.get("exec_via_get", "auto")),
            csr_signer_mints_masters=_bool("csr_signer_mints_masters", o.get("csr_signer_mints_masters", False)),
            eks_auth_mode=str(mode), rbac_aggregation=agg, rbac_namespace_admin=str(nsadmin),
            rbac_secret_get_reads=_bool("rbac_secret_get_reads", o.get("rbac_secret_get_reads", True)),
        )
