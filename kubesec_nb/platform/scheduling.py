"""Which nodes a DaemonSet runs on: node selectors, required node affinity and taints.

Follows the DaemonSet controller (kubernetes pkg/controller/daemon: ``NodeShouldRunDaemonPod``):
a node gets a daemon pod when the pod template's ``nodeName`` (if any) is that node, the node
matches ``nodeSelector`` and the required node affinity, and the pod tolerates every
``NoSchedule`` and ``NoExecute`` taint of the node (``PreferNoSchedule`` does not keep it off).
The controller adds tolerations to every daemon pod (``AddOrUpdateDaemonPodTolerations``):
``node.kubernetes.io/not-ready`` and ``unreachable`` (NoExecute), ``disk-pressure``,
``memory-pressure``, ``pid-pressure`` and ``unschedulable`` (NoSchedule), and
``network-unavailable`` (NoSchedule) for hostNetwork pods. Toleration matching is
``ToleratesTaint`` (k8s.io/api core/v1 toleration.go): an empty effect matches every effect,
an empty key with ``Exists`` matches every taint, ``Equal`` (or no operator) compares values.
Node selector terms are ORed; a term ANDs its expressions and fields; a null or empty term,
and an empty list of terms, match nothing (core/v1 NodeSelector API documentation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubesec_nb.model import labels_of, pod_specs

_AUTO_TOLERATIONS: tuple[dict[str, str], ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
_HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                            "effect": "NoSchedule"}


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``ToleratesTaint``.

    >>> tolerates({"operator": "Exists"}, {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"})
    True
    >>> tolerates({"key": "dedicated", "value": "cpu"}, {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"})
    False
    """
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    return bool(op == "Equal" and (toleration.get("value") or "") == (taint.get("value") or ""))


def _expr_matches(expr: Mapping[str, Any], values: Mapping[str, str]) -> bool:
    key, op, want = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
    present = key in values
    have = values.get(str(key), "")
    if op == "In":
        return present and have in want
    if op == "NotIn":
        return not present or have not in want
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and len(want) == 1:
        try:
            a, b = int(have), int(want[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def term_matches(term: Mapping[str, Any] | None, labels: Mapping[str, str], name: str) -> bool:
    """A ``NodeSelectorTerm``: expressions on labels and fields (``metadata.name``) ANDed; empty matches nothing."""
    if not term:
        return False
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    return all(_expr_matches(e, labels) for e in exprs) and all(
        _expr_matches(f, {"metadata.name": name}) for f in fields)


def why_not_scheduled(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """Why a DaemonSet pod with ``pod_spec`` does not run on ``node`` (None when it does).

    >>> node = {"metadata": {"name": "n", "labels": {"pool": "gpu"}},
    ...         "spec": {"taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]}}
    >>> why_not_scheduled({}, node)
    'taint nvidia.com/gpu:NoSchedule not tolerated'
    >>> why_not_scheduled({"tolerations": [{"operator": "Exists"}]}, node) is None
    True
    """
    name = str((node.get("metadata") or {}).get("name", ""))
    labels = labels_of(node)
    want_node = pod_spec.get("nodeName")
    if want_node and want_node != name:
        return f"spec.nodeName is {want_node}"
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return f"nodeSelector {key}={value} not matched"
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if required is not None:
        terms: Sequence[Any] = required.get("nodeSelectorTerms") or []
        if not any(term_matches(t, labels, name) for t in terms):
            return "required node affinity not matched"
    tolerations = [*(pod_spec.get("tolerations") or []), *_AUTO_TOLERATIONS]
    if pod_spec.get("hostNetwork"):
        tolerations.append(_HOST_NETWORK_TOLERATION)
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(tolerates(t, taint) for t in tolerations if isinstance(t, Mapping)):
            value = f"={taint['value']}" if taint.get("value") else ""
            return f"taint {taint.get('key')}{value}:{taint.get('effect')} not tolerated"
    return None


def daemonset_coverage(ds: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, str | None]:
    """Node name → None when the DaemonSet runs there, else why not."""
    specs = pod_specs(ds)
    spec: Mapping[str, Any] = specs[0] if specs else {}
    return {name: why_not_scheduled(spec, node) for name, node in sorted(nodes.items())}
