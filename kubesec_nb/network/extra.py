"""Policy kinds beyond NetworkPolicy: AdminNetworkPolicy, BaselineAdminNetworkPolicy,
CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy and Calico NetworkPolicy /
GlobalNetworkPolicy.

They can deny what a NetworkPolicy allows (ANP Deny, Cilium ``ingressDeny``, Calico
ordered ``Deny``) or allow what it denies (ANP Allow), so reachability computed from
NetworkPolicies alone is not certain where they apply. This module finds them and the
namespaces they affect; the analysis reports them as "present, not modelled" and lowers
its confidence for those namespaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubesec_nb.model import Model, object_key, selector_matches
from kubesec_nb.snapshot.resources import SPEC_BY_GR

#: resource → kind shown (whether it is cluster-scoped comes from the resource table)
EXTRA_KINDS: dict[str, str] = {
    "adminnetworkpolicies.policy.networking.k8s.io": "AdminNetworkPolicy",
    "baselineadminnetworkpolicies.policy.networking.k8s.io": "BaselineAdminNetworkPolicy",
    "ciliumnetworkpolicies.cilium.io": "CiliumNetworkPolicy",
    "ciliumclusterwidenetworkpolicies.cilium.io": "CiliumClusterwideNetworkPolicy",
    "networkpolicies.crd.projectcalico.org": "Calico NetworkPolicy",
    "globalnetworkpolicies.crd.projectcalico.org": "Calico GlobalNetworkPolicy",
}
_ANP_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy")
_REASONS = {"AdminNetworkPolicy": "cluster-scoped Allow/Deny/Pass rules evaluated before NetworkPolicy",
            "BaselineAdminNetworkPolicy": "default rules applied where no NetworkPolicy isolates"}


@dataclass(frozen=True)
class ExtraPolicy:
    """A policy object of a kind this analysis does not model, and the namespaces it may affect."""

    kind: str
    resource: str
    name: str
    namespace: str
    affected: tuple[str, ...]
    reason: str


def _anp_namespaces(model: Model, subject: dict[str, object]) -> tuple[str, ...] | None:
    sel = subject.get("namespaces")
    pods = subject.get("pods")
    if sel is None and isinstance(pods, dict):
        sel = pods.get("namespaceSelector")
    if not isinstance(sel, dict):
        return None
    return tuple(n for n in sorted(model.namespaces) if selector_matches(sel, model.namespace_labels(n)))


def extra_policies(model: Model) -> list[ExtraPolicy]:
    """Every ANP/BANP/Cilium/Calico policy object in the snapshot.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> snap = Snapshot.from_objects([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
    ...     {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
    ...      "metadata": {"name": "p", "namespace": "a"}, "spec": {}}])
    >>> [(e.kind, e.affected) for e in extra_policies(Model(snap))]
    [('CiliumNetworkPolicy', ('a',))]
    """
    everything = tuple(sorted(model.namespaces))
    out: list[ExtraPolicy] = []
    for res, kind in EXTRA_KINDS.items():
        namespaced = SPEC_BY_GR[res].namespaced
        reason = _REASONS.get(kind, "plugin policy with deny and ordering semantics beyond NetworkPolicy")
        for obj in model.items(res):
            ns = str(obj["metadata"].get("namespace") or "")
            affected: tuple[str, ...] | None = (ns,) if namespaced else None
            if kind in _ANP_KINDS:
                affected = _anp_namespaces(model, (obj.get("spec") or {}).get("subject") or {})
            if affected is None:
                affected = everything
            out.append(ExtraPolicy(kind, res, object_key(obj), ns, affected, reason))
    return sorted(out, key=lambda e: (e.kind, e.name))


def affected_namespaces(extras: Iterable[ExtraPolicy]) -> dict[str, list[str]]:
    """Namespace → the not-modelled policies that may affect it."""
    out: dict[str, list[str]] = {}
    for e in extras:
        for ns in e.affected:
            out.setdefault(ns, []).append(f"{e.kind} {e.name}")
    return out
