"""Signature-enforcement evidence per namespace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubesec_nb.assessment import assess
from kubesec_nb.snapshot.document import Gap
from tests.workload.conftest import namespace, pod, snapshot

Obj = dict[str, Any]


def _kyverno(action: str | None = "Enforce", match: Obj | None = None, exclude: Obj | None = None,
             rule_action: str | None = None, kind: str = "ClusterPolicy", ns: str | None = None) -> Obj:
    vi: Obj = {"imageReferences": ["ghcr.io/acme/*"], "attestors": []}
    if rule_action:
        vi["failureAction"] = rule_action
    rule: Obj = {"name": "verify", "match": match or {"any": [{"resources": {"kinds": ["Pod"]}}]}, "verifyImages": [vi]}
    if exclude:
        rule["exclude"] = exclude
    spec: Obj = {"rules": [rule]}
    if action:
        spec["validationFailureAction"] = action
    meta: Obj = {"name": "verify", **({"namespace": ns} if ns else {})}
    return {"apiVersion": "kyverno.io/v1", "kind": kind, "metadata": meta, "spec": spec}


def _signatures(*objs: Obj, provider: str = "eks", gaps: tuple[Gap, ...] = (), attach: Obj | None = None,
                tmp: Path | None = None) -> Any:
    snap = snapshot(namespace("shop", team="a"), namespace("dev"), pod("a"), pod("b", "dev"), *objs,
                    provider=provider)
    for g in gaps:
        snap.add_gap(g)
    if attach is not None and tmp is not None:
        (tmp / "gke.json").write_text(json.dumps(attach))
        snap.attach("gke-cluster", tmp / "gke.json")
    return assess(snap).workloads.signatures.set_index("namespace")


def test_nothing_installed() -> None:
    s = _signatures()
    assert s.loc["shop", ["binary_authorization", "kyverno", "sigstore", "ratify", "enforced"]].tolist() == [
        "n/a", "none", "none", "none", "no"]


@pytest.mark.parametrize(("policy", "shop", "dev"), [
    (_kyverno(), "enforce", "enforce"),
    (_kyverno(action=None), "audit", "audit"),  # validationFailureAction defaults to Audit
    (_kyverno(action="Audit", rule_action="Enforce"), "enforce", "enforce"),
    (_kyverno(match={"any": [{"resources": {"kinds": ["Pod"], "namespaces": ["sh*"]}}]}), "enforce", "none"),
    (_kyverno(match={"any": [{"resources": {"kinds": ["Deployment"], "namespaceSelector": {
        "matchLabels": {"team": "a"}}}}]}), "enforce", "none"),
    (_kyverno(exclude={"any": [{"resources": {"namespaces": ["dev"]}}]}), "enforce", "none"),
    (_kyverno(match={"any": [{"resources": {"kinds": ["Pod"], "selector": {"matchLabels": {"x": "y"}}}}]}),
     "audit", "audit"),  # a label selector narrows to some pods: partial coverage counts as audit
    (_kyverno(match={"any": [{"resources": {"kinds": ["Service"]}}]}), "none", "none"),
    (_kyverno(kind="Policy", ns="dev"), "none", "enforce"),
])
def test_kyverno(policy: Obj, shop: str, dev: str) -> None:
    s = _signatures(policy)
    assert (s.loc["shop", "kyverno"], s.loc["dev", "kyverno"]) == (shop, dev)
    assert s.loc["shop", "enforced"] == ("yes" if shop == "enforce" else "no")


def test_kyverno_unreadable_is_not_assessed() -> None:
    s = _signatures(gaps=(Gap("clusterpolicies.kyverno.io", "list", "forbidden", status=403),
                          Gap("policies.kyverno.io", "list", "forbidden", status=403)))
    assert s.loc["shop", ["kyverno", "enforced"]].tolist() == ["not_assessed", "not_assessed"]
    assert any("forbidden" in e for e in s.loc["shop", "evidence"])


def test_sigstore_needs_the_namespace_opt_in() -> None:
    cip = {"apiVersion": "policy.sigstore.dev/v1beta1", "kind": "ClusterImagePolicy", "metadata": {"name": "p"},
           "spec": {"images": [{"glob": "ghcr.io/acme/**"}]}}
    s = _signatures(cip, namespace("signed", **{"policy.sigstore.dev/include": "true"}), pod("c", "signed"))
    assert (s.loc["signed", "sigstore"], s.loc["shop", "sigstore"]) == ("enforce", "none")
    cip["spec"]["mode"] = "warn"
    s = _signatures(cip, namespace("signed", **{"policy.sigstore.dev/include": "true"}))
    assert s.loc["signed", "sigstore"] == "audit"


def test_ratify_constraint() -> None:
    c = {"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "RatifyVerification",
         "metadata": {"name": "ratify-constraint"},
         "spec": {"enforcementAction": "deny", "match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
                                                          "excludedNamespaces": ["dev"]}}}
    s = _signatures(c)
    assert (s.loc["shop", "ratify"], s.loc["dev", "ratify"]) == ("enforce", "none")


@pytest.mark.parametrize(("ba", "state"), [
    ({"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}, "enforce"),
    ({"enabled": True}, "enforce"),
    ({"evaluationMode": "POLICY_BINDINGS"}, "audit"),
    ({"evaluationMode": "DISABLED"}, "none"),
])
def test_binary_authorization(tmp_path: Path, ba: Obj, state: str) -> None:
    s = _signatures(provider="gke", attach={"name": "c", "currentMasterVersion": "1.30", "binaryAuthorization": ba},
                    tmp=tmp_path)
    assert set(s["binary_authorization"]) == {state}


def test_binary_authorization_without_description_on_gke() -> None:
    s = _signatures(provider="gke")
    assert set(s["binary_authorization"]) == {"not_assessed"} and set(s["enforced"]) == {"not_assessed"}
