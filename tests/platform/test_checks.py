"""Platform checks: not_assessed / not_applicable when they cannot run, the same verdict in every
description spelling, and the planted weaknesses of each sample."""

from __future__ import annotations

from typing import Any

import pytest

import kubesec_nb as ks
from kubesec_nb.checks import REGISTRY
from kubesec_nb.findings import run_check
from kubesec_nb.snapshot import Attachment, Snapshot
from tests.conftest import SAMPLES
from tests.platform import descriptions as d

NEW_PREFIXES = ("PLAT-", "WL-NO-", "WL-NS-", "WL-DEFAULT-NAMESPACE", "WL-HOST-ALIASES", "WL-HOST-USERS",
                "RBAC-WILDCARD-ROLE", "RBAC-UNUSED-ROLE", "NET-SERVICE-EXTERNAL-IPS")
ks.load_checks()
NEW = sorted(c for c in REGISTRY if c.startswith(NEW_PREFIXES))
CLOUD = sorted(c for c in NEW if c.startswith(("PLAT-EKS-", "PLAT-GKE-", "PLAT-AKS-")))


def rows(check_id: str, snap: Snapshot, **options: Any) -> list[dict[str, Any]]:
    return run_check(REGISTRY[check_id], ks.assess(snap, **options))


def statuses(check_id: str, snap: Snapshot, **options: Any) -> list[str]:
    return sorted({r["status"] for r in rows(check_id, snap, **options)})


@pytest.mark.parametrize("check_id", NEW)
def test_nothing_collected_is_never_a_pass(check_id: str) -> None:
    got = rows(check_id, Snapshot())
    assert {r["status"] for r in got} <= {"not_assessed", "not_applicable"}, got
    assert all(r["message"] for r in got)


def _with_nodes(provider_id: str) -> Snapshot:
    return Snapshot.from_objects([{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                                   "spec": {"providerID": provider_id}}])


@pytest.mark.parametrize("check_id", CLOUD)
def test_cloud_checks_without_description_name_the_command(check_id: str) -> None:
    provider = check_id.split("-")[1].lower()
    pid = {"eks": "aws:///a/i-1", "gke": "gce://p/z/n1", "aks": "azure:///subscriptions/s/x"}[provider]
    got = rows(check_id, _with_nodes(pid))
    if check_id == "PLAT-EKS-NETWORK-POLICY":  # in-cluster evidence, no description needed
        return
    assert [r["status"] for r in got] == ["not_assessed"], got
    command = {"eks": "aws eks describe-cluster", "gke": "gcloud container clusters describe",
               "aks": "az aks show"}[provider]
    if check_id == "PLAT-AKS-AUDIT-LOGGING":
        command = "az monitor diagnostic-settings list"
    assert command in got[0]["message"] and "kubesec-nb attach" in got[0]["message"]


@pytest.mark.parametrize("check_id", CLOUD)
def test_cloud_checks_do_not_apply_to_other_providers(check_id: str) -> None:
    provider = check_id.split("-")[1].lower()
    other = {"eks": "gke", "gke": "aks", "aks": "eks"}[provider]
    snap = Snapshot()
    snap.attachments.append(Attachment(f"{other}-cluster", "x.json", getattr(d, other)()))
    got = rows(check_id, snap)
    assert [r["status"] for r in got] == ["not_applicable"] and provider in got[0]["message"]


def _cli(doc: dict[str, Any]) -> dict[str, Any]:
    return doc


SPELLINGS = {"gke": (_cli, d.gke_sdk), "eks": (_cli, d.eks_go_sdk), "aks": (_cli, d.aks_arm, d.aks_python_sdk)}


@pytest.mark.parametrize("check_id", [c for c in CLOUD if c not in ("PLAT-AKS-AUDIT-LOGGING",
                                                                    "PLAT-EKS-NETWORK-POLICY")])
def test_every_spelling_gives_the_same_verdict(check_id: str) -> None:
    provider = check_id.split("-")[1].lower()
    make = getattr(d, provider)
    for weak in (False, True):
        verdicts = set()
        for spell in SPELLINGS[provider]:
            snap = Snapshot()
            snap.attachments.append(Attachment(f"{provider}-cluster", "x.json", spell(make(weak))))
            verdicts.add(tuple(statuses(check_id, snap)))
        assert len(verdicts) == 1, (check_id, weak, verdicts)
    hardened = Snapshot()
    hardened.attachments.append(Attachment(f"{provider}-cluster", "x.json", make(False)))
    assert statuses(check_id, hardened) == ["pass"], check_id


def test_evidence_names_fields_as_the_sdk_document_spells_them() -> None:
    snap = Snapshot()
    snap.attachments.append(Attachment("eks-cluster", "go.json", d.eks_go_sdk(d.eks(True))))
    got = rows("PLAT-EKS-PUBLIC-ENDPOINT", snap)
    assert got[0]["status"] == "fail"
    assert {e["field"] for e in got[0]["_evidence"]} >= {"Cluster.ResourcesVpcConfig.PublicAccessCidrs"}


def test_eks_logging_reads_every_entry() -> None:
    """prowler reads clusterLogging[0] only (posture-cloud.md §1): audit enabled in the second entry counts."""
    doc = d.eks(True)
    doc["cluster"]["logging"]["clusterLogging"] = [{"types": ["scheduler"], "enabled": False},
                                                   {"types": ["api", "audit", "authenticator"], "enabled": True}]
    snap = Snapshot()
    snap.attachments.append(Attachment("eks-cluster", "x.json", doc))
    assert statuses("PLAT-EKS-AUDIT-LOGGING", snap) == ["pass"]


def test_eks_public_endpoint_unset_cidrs_default_to_everyone() -> None:
    doc = d.eks(True)
    del doc["cluster"]["resourcesVpcConfig"]["publicAccessCidrs"]
    snap = Snapshot()
    snap.attachments.append(Attachment("eks-cluster", "x.json", doc))
    got = rows("PLAT-EKS-PUBLIC-ENDPOINT", snap)
    assert got[0]["status"] == "fail" and "default" in got[0]["message"]


def test_gke_autopilot_fixed_settings_are_not_applicable() -> None:
    doc = {"name": "ap", "autopilot": {"enabled": True}, "nodePools": [], "currentMasterVersion": "1.33.1-gke.1"}
    snap = Snapshot()
    snap.attachments.append(Attachment("gke-cluster", "ap.json", doc))
    for cid in ("PLAT-GKE-SHIELDED-NODES", "PLAT-GKE-WORKLOAD-IDENTITY", "PLAT-GKE-SECURE-BOOT",
                "PLAT-GKE-AUTO-UPGRADE"):
        got = rows(cid, snap)
        assert [r["status"] for r in got] == ["not_applicable"] and "Autopilot" in got[0]["message"], cid


@pytest.mark.parametrize("source", ["live", "kubectl", "sample"])
def test_deprecated_api_needs_manifests_not_served_objects(source: str) -> None:
    got = rows("PLAT-DEPRECATED-API", Snapshot(metadata={"source": source}))
    assert got[0]["status"] == "not_assessed" and "manifests" in got[0]["message"]


def test_deprecated_api_counts_kinds_skipped_at_import(tmp_path: Any) -> None:
    (tmp_path / "psp.yaml").write_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: old\n"
                                       "spec: {privileged: false}\n")
    snap = Snapshot.from_manifests([tmp_path], server_version="1.24")
    got = rows("PLAT-DEPRECATED-API", snap)
    assert got[0]["status"] == "fail" and got[0]["severity"] == "medium" and "PodSecurityPolicy" in got[0]["message"]


def test_version_support_near_end_and_extended() -> None:
    def at(version: str, day: str) -> dict[str, Any]:
        doc = d.eks()
        doc["cluster"]["version"] = version
        snap = Snapshot(metadata={"collectedAt": f"{day}T00:00:00Z"})
        snap.attachments.append(Attachment("eks-cluster", "x.json", doc))
        return rows("PLAT-K8S-VERSION-SUPPORT", snap)[0]
    assert at("1.33", "2026-06-01")["severity"] == "low"        # standard support ends 2026-07-29
    assert at("1.33", "2026-09-01")["severity"] == "medium"     # EKS extended support until 2027-07-29
    assert at("1.33", "2027-08-01")["severity"] == "high"
    assert at("1.33", "2026-01-01")["status"] == "pass"
    assert at("1.99", "2026-01-01")["status"] == "not_assessed"


def test_user_namespaces_are_version_gated(tmp_path: Any) -> None:
    (tmp_path / "p.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
                                     "spec: {containers: [{name: c, image: nginx:1.27}]}\n")
    snap = Snapshot.from_manifests([tmp_path])
    assert statuses("WL-HOST-USERS", snap, k8s_version="1.32") == ["not_applicable"]
    assert statuses("WL-HOST-USERS", snap, k8s_version="1.33") == ["fail"]


def test_limitrange_defaults_apply_to_manifest_pods(tmp_path: Any) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx:1.27}]}\n---\n"
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: d, namespace: shop}\n"
        "spec: {limits: [{type: Container, default: {memory: 256Mi}}]}\n")
    snap = Snapshot.from_manifests([tmp_path])
    assert statuses("WL-NO-MEMORY-LIMIT", snap) == ["pass"]
    assert statuses("WL-NO-CPU-LIMIT", snap) == ["fail"]


def test_fargate_nodes_are_not_counted_as_covered() -> None:
    objs = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": n, "labels": labels},
             "spec": {"providerID": f"aws:///a/{n}"}}
            for n, labels in (("ec2", {}), ("fargate-ip-1", {"eks.amazonaws.com/compute-type": "fargate"}))]
    objs.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "falco", "namespace": "falco"},
                 "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
                          "spec": {"containers": [{"name": "falco", "image": "falcosecurity/falco:0.39.1"}]}}}})
    got = rows("PLAT-RUNTIME-DETECTION", Snapshot.from_objects(objs))
    assert [(r["status"], r["severity"], r["name"]) for r in got] == [("fail", "low", "fargate-ip-1")]


PLANTED = {
    "eks-shop": {"PLAT-EKS-AUDIT-LOGGING", "PLAT-EKS-PUBLIC-ENDPOINT", "PLAT-EKS-SECRETS-KMS"},
    "gke-media": {"PLAT-GKE-AUTHORIZED-NETWORKS", "PLAT-GKE-SECRETS-KMS", "PLAT-GKE-BINARY-AUTHORIZATION",
                  "PLAT-MESH-MTLS"},
    "aks-bank": {"PLAT-AKS-LOCAL-ACCOUNTS", "PLAT-AKS-AUTHORIZED-IP-RANGES", "PLAT-AKS-AUDIT-LOGGING"},
}


@pytest.mark.parametrize("sample", sorted(PLANTED))
def test_planted_platform_weaknesses_are_reported(sample: str) -> None:
    f = ks.assess(Snapshot.load(SAMPLES / f"{sample}.json.gz")).findings
    failing = set(f[f["status"] == "fail"]["check_id"])
    assert PLANTED[sample] <= failing, PLANTED[sample] - failing
    assert not len(f[f["status"] == "error"]), f[f["status"] == "error"][["check_id", "evidence"]]
    mesh = f[f["check_id"] == "PLAT-MESH-MTLS"]
    if sample == "gke-media":
        assert "PERMISSIVE" in mesh.iloc[0]["message"] and "istio-system/default" in mesh.iloc[0]["evidence"]


def test_eks_network_policy_from_the_vpc_cni_addon() -> None:
    import json

    snap = Snapshot()
    snap.attachments.append(Attachment("eks-cluster", "c.json", d.eks()))
    snap.attachments.append(Attachment("eks-addons", "a.json", [{"addon": {
        "addonName": "vpc-cni", "status": "ACTIVE", "configurationValues": json.dumps({"enableNetworkPolicy": "true"})}}]))
    assert statuses("PLAT-EKS-NETWORK-POLICY", snap) == ["pass"]
    snap.attachments.pop()
    assert statuses("PLAT-EKS-NETWORK-POLICY", snap) == ["not_assessed"]  # no nodes, no add-on: unknown
