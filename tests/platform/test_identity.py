"""node_cloud_access: each node's cloud identity and whether pods reach its credentials.

Sources for the semantics are cited in kubesec_nb/platform/identity.py: AWS "Amazon EKS security
best practices" (IMDSv2 with hop limit 1 blocks containers, not hostNetwork pods; tokens optional
leave IMDSv1 open), EKS aws-auth node and Fargate mappings and access-entry types; GKE
``WorkloadMetadataConfig.Mode`` (cluster_service.proto) and the ``iam.gke.io/gke-metadata-server-enabled``
node label; ARM ``ContainerServiceNetworkProfile.podLinkLocalAccess`` (default ``IMDS``).
"""

from __future__ import annotations

from typing import Any

import pytest

import kubesec_nb as ks
from kubesec_nb.model import Model
from kubesec_nb.platform import BLOCKED, OPEN, UNKNOWN, node_cloud_access
from kubesec_nb.snapshot import Attachment, Snapshot
from tests.clusters import ANY_CLUSTER
from tests.conftest import SAMPLES
from tests.platform import descriptions as d

ACC = d.ACCOUNT
NODE_ROLE = f"arn:aws:iam::{ACC}:role/nodes-general"
BATCH_ROLE = f"arn:aws:iam::{ACC}:role/nodes-batch"
FARGATE_ROLE = f"arn:aws:iam::{ACC}:role/fargate-pods"


def node(name: str, labels: dict[str, str], provider_id: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "spec": {"providerID": provider_id}}


def aws_auth(*entries: tuple[str, str, list[str]]) -> dict[str, Any]:
    text = "".join(f"- rolearn: {arn}\n  username: {user}\n  groups:\n" + "".join(f"  - {g}\n" for g in groups)
                   for arn, user, groups in entries)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
            "data": {"mapRoles": text}}


EC2_USER, FARGATE_USER = "system:node:{{EC2PrivateDNSName}}", "system:node:{{SessionName}}"
NODES = ["system:bootstrappers", "system:nodes"]


def snapshot(objs: list[dict[str, Any]], *attachments: Attachment) -> Model:
    snap = Snapshot.from_objects(objs)
    snap.attachments.extend(attachments)
    return Model(snap)


def eks_node(name: str, group: str = "general", iid: str = "i-0001", compute: str = "") -> dict[str, Any]:
    labels = {"eks.amazonaws.com/nodegroup": group}
    if compute:
        labels = {"eks.amazonaws.com/compute-type": compute}
    return node(name, labels, f"aws:///eu-west-1a/{iid}")


def instances(**opts: dict[str, Any]) -> Attachment:
    return Attachment("ec2-instances", "instances.json", {"Reservations": [{"Instances": [
        {"InstanceId": iid, "MetadataOptions": o} for iid, o in opts.items()]}]})


def test_eks_single_node_role_from_aws_auth_metadata_unknown_without_instances() -> None:
    m = snapshot([eks_node("n1"), aws_auth((NODE_ROLE, EC2_USER, NODES))])
    acc = node_cloud_access(m)["n1"]
    assert acc.identity == f"cloud:aws:{NODE_ROLE}"
    assert acc.metadata == UNKNOWN
    assert any("aws ec2 describe-instances" in e.value for e in acc.evidence)


@pytest.mark.parametrize(("options", "state"), [
    ({"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"}, BLOCKED),
    ({"HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"}, OPEN),
    ({"HttpTokens": "optional", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"}, OPEN),  # IMDSv1
    ({"HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "disabled"}, BLOCKED),
])
def test_eks_imds_from_instance_metadata_options(options: dict[str, Any], state: str) -> None:
    m = snapshot([eks_node("n1", iid="i-0001"), aws_auth((NODE_ROLE, EC2_USER, NODES))],
                 Attachment("eks-cluster", "c.json", d.eks()), instances(**{"i-0001": options}))
    acc = node_cloud_access(m)["n1"]
    assert acc.metadata == state
    assert {e.field for e in acc.evidence} >= {"MetadataOptions.HttpTokens", "MetadataOptions.HttpPutResponseHopLimit"}


def test_eks_several_node_roles_need_the_nodegroups() -> None:
    objs = [eks_node("a", "general", "i-a"), eks_node("b", "batch", "i-b"),
            aws_auth((NODE_ROLE, EC2_USER, NODES), (BATCH_ROLE, EC2_USER, NODES))]
    unsure = node_cloud_access(snapshot(objs))
    assert unsure["a"].identity is None and BATCH_ROLE in unsure["a"].evidence[0].value
    groups = Attachment("eks-nodegroups", "ng.json", [
        {"nodegroup": {"nodegroupName": "general", "nodeRole": NODE_ROLE}},
        {"nodegroup": {"nodegroupName": "batch", "nodeRole": BATCH_ROLE}}])
    sure = node_cloud_access(snapshot(objs, groups))
    assert (sure["a"].identity, sure["b"].identity) == (f"cloud:aws:{NODE_ROLE}", f"cloud:aws:{BATCH_ROLE}")


def test_eks_fargate_and_auto_mode() -> None:
    cluster = d.eks(weak=True)  # API_AND_CONFIG_MAP: aws-auth is read
    cluster["cluster"]["computeConfig"] = {"enabled": True, "nodePools": ["general-purpose"],
                                           "nodeRoleArn": f"arn:aws:iam::{ACC}:role/auto-nodes"}
    m = snapshot([eks_node("fargate-ip-10-0-1-1", compute="fargate"), eks_node("auto-1", compute="auto", iid="i-9"),
                  aws_auth((NODE_ROLE, EC2_USER, NODES), (FARGATE_ROLE, FARGATE_USER,
                                                          [*NODES, "system:node-proxier"]))],
                 Attachment("eks-cluster", "c.json", cluster))
    acc = node_cloud_access(m)
    assert (acc["fargate-ip-10-0-1-1"].identity, acc["fargate-ip-10-0-1-1"].metadata) == (
        f"cloud:aws:{FARGATE_ROLE}", BLOCKED)
    assert acc["auto-1"].identity == f"cloud:aws:arn:aws:iam::{ACC}:role/auto-nodes"
    assert acc["auto-1"].metadata == UNKNOWN
    info = ks.assess(m.snapshot).platform.provider
    assert info.modes == ("eks-auto-mode", "eks-fargate")


def test_eks_api_mode_ignores_aws_auth_and_reads_access_entries() -> None:
    cluster = d.eks()  # authenticationMode API
    entries = Attachment("eks-access-entries", "ae.json", [
        {"accessEntry": {"principalArn": BATCH_ROLE, "type": "EC2_LINUX", "kubernetesGroups": []}}])
    m = snapshot([eks_node("n1"), aws_auth((NODE_ROLE, EC2_USER, NODES))],
                 Attachment("eks-cluster", "c.json", cluster), entries)
    assert node_cloud_access(m)["n1"].identity == f"cloud:aws:{BATCH_ROLE}"


GKE_NODE = node("gke-1", {"cloud.google.com/gke-nodepool": "default-pool"}, "gce://media-prod/europe-west1-b/gke-1")


@pytest.mark.parametrize("sdk", [False, True])
def test_gke_pool_service_account_and_metadata_mode(sdk: bool) -> None:
    weak, hard = d.gke(True), d.gke(False)
    if sdk:
        weak, hard = d.gke_sdk(weak), d.gke_sdk(hard)
    w = node_cloud_access(snapshot([GKE_NODE], Attachment("gke-cluster", "w.json", weak)))["gke-1"]
    h = node_cloud_access(snapshot([GKE_NODE], Attachment("gke-cluster", "h.json", hard)))["gke-1"]
    assert (w.identity, w.metadata) == ("cloud:gcp:compute-default@media-prod", OPEN)
    assert (h.identity, h.metadata) == ("cloud:gcp:gke-nodes@media-prod.iam.gserviceaccount.com", BLOCKED)
    assert any(e.field.endswith("serviceAccount") or e.field.endswith("service_account") for e in w.evidence)


def test_gke_node_label_decides_without_a_description() -> None:
    labelled = node("gke-2", {"cloud.google.com/gke-nodepool": "p", "iam.gke.io/gke-metadata-server-enabled": "true"},
                    "gce://p/z/gke-2")
    acc = node_cloud_access(snapshot([GKE_NODE, labelled]))
    assert (acc["gke-2"].identity, acc["gke-2"].metadata) == (None, BLOCKED)
    assert acc["gke-1"].metadata == OPEN


def test_gke_autopilot_blocks_and_uses_autoprovisioning_defaults() -> None:
    doc = {"name": "ap", "selfLink": "https://container.googleapis.com/v1/projects/p1/locations/x/clusters/ap",
           "autopilot": {"enabled": True}, "workloadIdentityConfig": {"workloadPool": "p1.svc.id.goog"},
           "autoscaling": {"autoprovisioningNodePoolDefaults": {"serviceAccount": "ap-nodes@p1.iam.gserviceaccount.com"}},
           "nodePools": []}
    n = node("gk3-ap-nap-1", {"cloud.google.com/gke-nodepool": "nap-1"}, "gce://p1/z/gk3-ap-nap-1")
    m = snapshot([n], Attachment("gke-cluster", "ap.json", doc))
    acc = node_cloud_access(m)["gk3-ap-nap-1"]
    assert (acc.identity, acc.metadata) == ("cloud:gcp:ap-nodes@p1.iam.gserviceaccount.com", BLOCKED)
    assert ks.assess(m.snapshot).platform.provider.modes == ("gke-autopilot",)


AKS_NODE = node("aks-np1-0", {"kubernetes.azure.com/agentpool": "nodepool1"},
                "azure:///subscriptions/0/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/x/0")


@pytest.mark.parametrize("spell", [lambda x: x, d.aks_arm, d.aks_python_sdk])
def test_aks_kubelet_identity_and_pod_link_local_access(spell: Any) -> None:
    w = node_cloud_access(snapshot([AKS_NODE], Attachment("aks-cluster", "w.json", spell(d.aks(True)))))["aks-np1-0"]
    h = node_cloud_access(snapshot([AKS_NODE], Attachment("aks-cluster", "h.json", spell(d.aks(False)))))["aks-np1-0"]
    assert w.identity == h.identity == "cloud:azure:5e6f7a8b-0000-4e1f-a2b3-c4d5e6f7a8b9"
    assert (w.metadata, h.metadata) == (OPEN, BLOCKED)


def test_aks_without_description_is_unknown() -> None:
    acc = node_cloud_access(snapshot([AKS_NODE]))["aks-np1-0"]
    assert (acc.identity, acc.metadata) == (None, UNKNOWN)


def test_unknown_provider() -> None:
    acc = node_cloud_access(snapshot([node("n", {}, "")]))["n"]
    assert (acc.identity, acc.metadata) == (None, UNKNOWN) and acc.evidence


def test_samples() -> None:
    eks = node_cloud_access(ks.assess(Snapshot.load(SAMPLES / "eks-shop.json.gz")).model)
    assert {a.identity for a in eks.values()} == {f"cloud:aws:arn:aws:iam::{ACC}:role/eks-node-group-general"}
    gke = node_cloud_access(ks.assess(Snapshot.load(SAMPLES / "gke-media.json.gz")).model)
    assert {(a.identity, a.metadata) for a in gke.values()} == {("cloud:gcp:compute-default@media-prod", BLOCKED)}


@pytest.mark.parametrize("name", sorted(ANY_CLUSTER))
def test_any_cluster(name: str) -> None:
    model = ks.assess(ANY_CLUSTER[name]()).model
    acc = node_cloud_access(model)
    assert set(acc) == set(model.nodes)
    assert all(a.metadata in (OPEN, BLOCKED, UNKNOWN) and a.evidence for a in acc.values())
