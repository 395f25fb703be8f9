"""RBAC: an exact authorizer, effective permissions, who-can, risky permissions, escalation, cloud identities.

>>> from kubesec_nb.snapshot import Snapshot
>>> from kubesec_nb.model import Model
>>> rb = analyze(Model(Snapshot()))
>>> bool(rb.can("Group:system:masters", "delete", "nodes"))
True

Modules (imports go downward):

==================  ===================================================================
``apiresources``    built-in resources: default group of a bare name, cluster scope
``rules``           PolicyRule, Request and the upstream match functions
``subjects``        binding subjects, platform-managed names (identities: :mod:`kubesec_nb.identity`)
``aggregation``     ClusterRole aggregation (the controller's computation)
``objects``         roles and bindings of a snapshot, role references resolved
``authorizer``      bindings per caller, the allow/deny Decision with its reasons
``options``         every implementation-defined behaviour as a named option
``capabilities``    probe requests a set of rules allows, with resourceNames
``catalog``         the risky-permission catalog, as data
``cloud``           IRSA, GKE/AKS Workload Identity, aws-auth, EKS access entries
``principals``      every known caller, its groups and capabilities
``escalation``      escalation steps (attack-graph edges) and shortest paths
``permissions``     the effective-permissions table and who-can
``records``         typed results checks read: RiskyGrant, EscalationPath
``ranking``         risky subjects ranked by what they hold and reach
``analysis``        ``RbacAnalysis`` (what ``a.rbac`` is)
``checks``          the registered checks
==================  ===================================================================
"""

from __future__ import annotations

from typing import Any

from kubesec_nb.model import Model
from kubesec_nb.rbac import checks as _checks  # noqa: F401  (registers the checks)
from kubesec_nb.rbac import hygiene as _hygiene  # noqa: F401  (registers RBAC-WILDCARD-ROLE, RBAC-UNUSED-ROLE)
from kubesec_nb.rbac.analysis import RbacAnalysis
from kubesec_nb.rbac.authorizer import Decision, Reason
from kubesec_nb.rbac.catalog import CATALOG, CatalogRule, Need
from kubesec_nb.rbac.escalation import CLUSTER_ADMIN, SECRETS_ALL, Step, namespace_admin
from kubesec_nb.rbac.options import OPTIONS, Options
from kubesec_nb.rbac.records import EscalationPath, RiskyGrant
from kubesec_nb.rbac.rules import Request, Rule
from kubesec_nb.rbac.subjects import Identity, parse_subject


def analyze(model: Model, **options: Any) -> RbacAnalysis:
    """Analyze the RBAC of a model; ``options`` are those of :data:`OPTIONS`."""
    return RbacAnalysis(model, Options.parse(options))


__all__ = ["CATALOG", "CLUSTER_ADMIN", "OPTIONS", "SECRETS_ALL", "CatalogRule", "Decision", "EscalationPath",
           "Identity", "Need", "Options", "RbacAnalysis", "Reason", "Request", "RiskyGrant", "Rule", "Step", "analyze",
           "namespace_admin", "parse_subject"]
