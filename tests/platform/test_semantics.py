"""Conformance of the platform semantics with their upstream sources.

- Istio: the cases of istio/istio pilot/pkg/security/authn/policy_applier_test.go
  ``TestComposePeerAuthentication`` (root namespace "root-namespace"; the caller there selects the
  workload policies, here the pod's labels match every selector used);
- DaemonSet placement: ``ToleratesTaint`` (k8s.io/api core/v1 toleration.go and toleration_test.go),
  the tolerations the DaemonSet controller adds (pkg/controller/daemon/util ``AddOrUpdateDaemonPodTolerations``),
  NodeSelector term semantics (core/v1 API: terms ORed, a null or empty term matches nothing).
"""

from __future__ import annotations

from typing import Any

import pytest

from kubesec_nb.platform.mesh import peer_mode
from kubesec_nb.platform.scheduling import term_matches, tolerates, why_not_scheduled

ROOT = "root-namespace"
NOW, SECOND_AGO = "2026-01-01T00:00:01Z", "2026-01-01T00:00:00Z"
POD = {"metadata": {"name": "foo-1", "namespace": "my-ns", "labels": {"app": "foo", "stage": "prod"}}}


def pa(name: str, ns: str, mode: str | None = None, selector: dict[str, str] | None = None, created: str = "",
       ports: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if mode is not None:
        spec["mtls"] = {"mode": mode}
    if selector is not None:
        spec["selector"] = {"matchLabels": selector}
    if ports is not None:
        spec["portLevelMtls"] = {str(k): v for k, v in ports.items()}
    meta = {"name": name, "namespace": ns, **({"creationTimestamp": created} if created else {})}
    return {"metadata": meta, "spec": spec}


CASES = [
    ("no config", [], "PERMISSIVE", ()),
    ("mesh only", [pa("default", ROOT, "STRICT")], "STRICT", ()),
    ("mesh vs namespace", [pa("default", ROOT, "STRICT", {}), pa("default", "my-ns", "PERMISSIVE")], "PERMISSIVE", ()),
    ("ignore non-empty selector in root namespace", [pa("default", ROOT, "STRICT", {"app": "foo"})], "PERMISSIVE", ()),
    ("workload vs namespace config", [pa("default", "my-ns"), pa("foo", "my-ns", None, {"app": "foo"})],
     "PERMISSIVE", ()),
    ("workload vs mesh config", [pa("default", "my-ns", "PERMISSIVE"), pa("default", ROOT, "DISABLE")],
     "PERMISSIVE", ()),
    ("multiple mesh policy", [pa("now", ROOT, "DISABLE", created=NOW),
                              pa("second ago", ROOT, "PERMISSIVE", created=SECOND_AGO),
                              pa("second later", ROOT, "STRICT", created=SECOND_AGO)], "PERMISSIVE", ()),
    ("multiple namespace policy", [pa("now", "my-ns", "DISABLE", created=NOW),
                                   pa("second ago", "my-ns", "PERMISSIVE", created=SECOND_AGO),
                                   pa("second later", "my-ns", "STRICT", created=SECOND_AGO)], "PERMISSIVE", ()),
    ("multiple workload policy", [pa("now", "my-ns", "DISABLE", {"app": "foo"}, NOW),
                                  pa("second ago", "my-ns", "PERMISSIVE", {"app": "foo"}, SECOND_AGO),
                                  pa("second later", "my-ns", "STRICT", {"stage": "prod"}, SECOND_AGO)],
     "PERMISSIVE", ()),
    ("inheritance: default mesh", [pa("default", ROOT, "UNSET")], "PERMISSIVE", ()),
    ("inheritance: mesh to workload", [pa("default", ROOT, "STRICT"), pa("foo", "my-ns", None, {"app": "foo"})],
     "STRICT", ()),
    ("inheritance: namespace to workload", [pa("default", "my-ns", "STRICT"),
                                            pa("foo", "my-ns", None, {"app": "foo"})], "STRICT", ()),
    ("inheritance: mesh to namespace to workload", [pa("default", ROOT, "STRICT"), pa("default", "my-ns", "UNSET"),
                                                    pa("foo", "my-ns", None, {"app": "foo"})], "STRICT", ()),
    ("port level", [pa("default", ROOT, "STRICT"),
                    pa("foo", "my-ns", None, {"app": "foo"}, ports={80: {"mode": "DISABLE"}, 90: {"mode": "UNSET"},
                                                                   100: {}})],
     "STRICT", ((80, "DISABLE"), (90, "STRICT"), (100, "STRICT"))),
]


@pytest.mark.parametrize(("name", "configs", "mode", "ports"), CASES, ids=[c[0] for c in CASES])
def test_compose_peer_authentication(name: str, configs: list[dict[str, Any]], mode: str,
                                     ports: tuple[tuple[int, str], ...]) -> None:
    got = peer_mode(POD, configs, ROOT)
    assert (got.mode, got.ports) == (mode, ports), name


def test_other_namespaces_policies_do_not_apply() -> None:
    assert peer_mode(POD, [pa("default", "other-ns", "STRICT"), pa("default", ROOT, "DISABLE")], ROOT).mode == "DISABLE"


@pytest.mark.parametrize(("toleration", "taint", "expected"), [
    ({"key": "foo", "operator": "Exists", "effect": "NoSchedule"}, {"key": "foo", "effect": "NoSchedule"}, True),
    ({"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"},
     {"key": "foo", "value": "bar", "effect": "NoSchedule"}, True),
    ({"key": "foo", "value": "bar", "effect": "NoSchedule"}, {"key": "foo", "value": "bar", "effect": "NoSchedule"},
     True),  # empty operator means Equal
    ({"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"},
     {"key": "foo", "value": "baz", "effect": "NoSchedule"}, False),
    ({"key": "foo", "operator": "Exists", "effect": "NoExecute"}, {"key": "foo", "effect": "NoSchedule"}, False),
    ({"key": "foo", "operator": "Exists"}, {"key": "foo", "effect": "NoExecute"}, True),  # empty effect: all effects
    ({"operator": "Exists"}, {"key": "anything", "value": "x", "effect": "NoExecute"}, True),  # empty key + Exists
    ({"key": "other", "operator": "Exists"}, {"key": "foo", "effect": "NoSchedule"}, False),
])
def test_tolerates(toleration: dict[str, str], taint: dict[str, str], expected: bool) -> None:
    assert tolerates(toleration, taint) is expected


def _node(labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "n1", "labels": labels or {}}, "spec": {"taints": taints or []}}


def test_daemonset_default_tolerations_and_effects() -> None:
    # the controller adds these tolerations to every daemon pod
    for key, effect in (("node.kubernetes.io/unschedulable", "NoSchedule"), ("node.kubernetes.io/not-ready", "NoExecute"),
                        ("node.kubernetes.io/memory-pressure", "NoSchedule")):
        assert why_not_scheduled({}, _node(taints=[{"key": key, "effect": effect}])) is None
    # network-unavailable only for hostNetwork pods
    net = _node(taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}])
    assert why_not_scheduled({}, net) is not None and why_not_scheduled({"hostNetwork": True}, net) is None
    # PreferNoSchedule does not keep a daemon pod off
    assert why_not_scheduled({}, _node(taints=[{"key": "x", "effect": "PreferNoSchedule"}])) is None


def test_node_selector_terms() -> None:
    labels = {"pool": "gpu", "cores": "16"}
    assert not term_matches({}, labels, "n1")  # an empty term matches nothing
    assert term_matches({"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}, labels, "n1")
    assert not term_matches({"matchExpressions": [{"key": "cores", "operator": "Lt", "values": ["8"]}]}, labels, "n1")
    assert term_matches({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}, labels, "n1")
    spec = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}}
    assert why_not_scheduled(spec, _node(labels)) == "required node affinity not matched"
    terms = [{"matchExpressions": [{"key": "pool", "operator": "In", "values": ["cpu"]}]},
             {"matchExpressions": [{"key": "pool", "operator": "NotIn", "values": ["cpu"]}]}]  # ORed
    spec = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}}
    assert why_not_scheduled(spec, _node(labels)) is None
    assert why_not_scheduled({"nodeSelector": {"pool": "cpu"}}, _node(labels)) == "nodeSelector pool=cpu not matched"
