"""Cloud descriptions read the same in CLI and SDK spellings (reference/posture-cloud.md §2)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesec_nb.platform.describe import Description, cluster_description, missing_description
from kubesec_nb.snapshot import Attachment, Snapshot
from kubesec_nb.snapshot.attachments import guess_kind
from tests.platform import descriptions as d

SPELLINGS = {
    "gke-cli": ("gke-cluster", lambda w: d.gke(w)), "gke-sdk": ("gke-cluster", lambda w: d.gke_sdk(d.gke(w))),
    "eks-cli": ("eks-cluster", lambda w: d.eks(w)), "eks-go-sdk": ("eks-cluster", lambda w: d.eks_go_sdk(d.eks(w))),
    "aks-cli": ("aks-cluster", lambda w: d.aks(w)), "aks-arm": ("aks-cluster", lambda w: d.aks_arm(d.aks(w))),
    "aks-python-sdk": ("aks-cluster", lambda w: d.aks_python_sdk(d.aks(w))),
}
# (kind, CLI path, value in the hardened description, value in the weak one)
FIELDS = [
    ("gke-cluster", "databaseEncryption.state", "ENCRYPTED", "DECRYPTED"),
    ("gke-cluster", "binaryAuthorization.evaluationMode", "PROJECT_SINGLETON_POLICY_ENFORCE", "DISABLED"),
    ("gke-cluster", "masterAuthorizedNetworksConfig.enabled", True, False),
    ("gke-cluster", "loggingConfig.componentConfig.enableComponents", ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"],
     ["SYSTEM_COMPONENTS"]),
    ("gke-cluster", "releaseChannel.channel", "REGULAR", "UNSPECIFIED"),
    ("eks-cluster", "resourcesVpcConfig.publicAccessCidrs", [], ["0.0.0.0/0"]),
    ("eks-cluster", "resourcesVpcConfig.endpointPublicAccess", False, True),
    ("eks-cluster", "accessConfig.authenticationMode", "API", "API_AND_CONFIG_MAP"),
    ("aks-cluster", "disableLocalAccounts", True, False),
    ("aks-cluster", "enableRbac", True, True),
    ("aks-cluster", "aadProfile.enableAzureRbac", True, False),
    ("aks-cluster", "apiServerAccessProfile.authorizedIpRanges", ["203.0.113.0/24"], []),
    ("aks-cluster", "identityProfile.kubeletidentity.clientId", "5e6f7a8b-0000-4e1f-a2b3-c4d5e6f7a8b9",
     "5e6f7a8b-0000-4e1f-a2b3-c4d5e6f7a8b9"),
    ("aks-cluster", "sku.name", "Base", "Base"),
]


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("weak", [False, True])
def test_every_spelling_reads_the_same(spelling: str, weak: bool) -> None:
    kind, make = SPELLINGS[spelling]
    doc = make(weak)
    assert guess_kind(doc) == kind
    desc = Description.of(Attachment(kind, "x.json", doc))
    for fkind, path, good, bad in FIELDS:
        if fkind == kind:
            assert desc.get(path) == (bad if weak else good), (spelling, path)
    assert desc.name in ("media", "shop", "bank")


def test_evidence_names_the_path_as_the_document_spells_it() -> None:
    cli = Description.of(Attachment("eks-cluster", "c.json", d.eks(True)))
    go = Description.of(Attachment("eks-cluster", "g.json", d.eks_go_sdk(d.eks(True))))
    arm = Description.of(Attachment("aks-cluster", "a.json", d.aks_arm(d.aks(True))))
    sdk = Description.of(Attachment("gke-cluster", "s.json", d.gke_sdk(d.gke(True))))
    assert str(cli.evidence("resourcesVpcConfig.publicAccessCidrs")) == \
        'EKS cluster shop (c.json): cluster.resourcesVpcConfig.publicAccessCidrs = ["0.0.0.0/0"]'
    assert go.evidence("resourcesVpcConfig.publicAccessCidrs").field == "Cluster.ResourcesVpcConfig.PublicAccessCidrs"
    assert arm.evidence("apiServerAccessProfile.authorizedIpRanges").field == \
        "properties.apiServerAccessProfile.authorizedIPRanges"
    assert arm.evidence("sku.name").field == "sku.name"  # outside ARM properties
    assert sdk.evidence("databaseEncryption.state").value == "DECRYPTED"  # integer enum named
    assert sdk.evidence("databaseEncryption.state").field == "database_encryption.state"
    assert cli.evidence("encryptionConfig").value == "unset"


@pytest.mark.parametrize(("kind", "doc", "path", "value"), [
    ("gke-cluster", d.GKE_SDK_HANDWRITTEN, "nodePools", None),
    ("gke-cluster", d.GKE_SDK_HANDWRITTEN, "databaseEncryption.state", "DECRYPTED"),
    ("gke-cluster", d.GKE_SDK_HANDWRITTEN, "binaryAuthorization.evaluationMode", "DISABLED"),
    ("eks-cluster", d.EKS_GO_HANDWRITTEN, "resourcesVpcConfig.publicAccessCidrs", ["0.0.0.0/0"]),
    ("aks-cluster", d.AKS_ARM_HANDWRITTEN, "apiServerAccessProfile.authorizedIpRanges", []),
    ("aks-cluster", d.AKS_ARM_HANDWRITTEN, "enableRbac", True),
    ("aks-cluster", d.AKS_ARM_HANDWRITTEN, "identityProfile.kubeletidentity.clientId", "abcd"),
])
def test_handwritten_sdk_documents(kind: str, doc: dict[str, Any], path: str, value: Any) -> None:
    desc = Description.of(Attachment(kind, "h.json", doc))
    if value is None:
        assert [p for p, _ in desc.items(path)] == ["node_pools[0]"]
    else:
        assert desc.get(path) == value


def test_missing_description_names_the_command() -> None:
    assert cluster_description(Snapshot(), "gke") is None
    msg = missing_description("gke")
    assert "gcloud container clusters describe" in msg and "--format=json" in msg and "kubesec-nb attach" in msg
    assert "az monitor diagnostic-settings list" in missing_description("aks", "aks-diagnostic-settings")


@pytest.mark.parametrize(("doc", "kind"), [
    ({"nodegroup": {"nodegroupName": "general", "nodeRole": "arn:aws:iam::1:role/n"}}, "eks-nodegroups"),
    ([{"nodegroup": {"nodegroupName": "a"}}, {"nodegroup": {"nodegroupName": "b"}}], "eks-nodegroups"),
    ({"Reservations": [{"Instances": [{"InstanceId": "i-1", "MetadataOptions": {"HttpTokens": "required"}}]}]},
     "ec2-instances"),
    ({"addon": {"addonName": "vpc-cni", "configurationValues": "{}"}}, "eks-addons"),
    ([{"name": "to-law", "logs": [{"category": "kube-audit", "enabled": True}]}], "aks-diagnostic-settings"),
    ({"value": [{"name": "to-law", "logs": []}]}, "aks-diagnostic-settings"),
])
def test_attachment_kinds(doc: Any, kind: str) -> None:
    assert guess_kind(doc) == kind


def test_cloud_credentials_never_stay_in_the_snapshot(tmp_path: Any) -> None:
    from tests.conftest import CANARIES, leaked

    doc = d.gke(True)
    doc["masterAuth"] = {"password": CANARIES[2], "clientKey": CANARIES[3], "clusterCaCertificate": "ca"}
    (tmp_path / "gke.json").write_text(__import__("json").dumps(doc))
    aks = d.aks_arm(d.aks(True))
    aks["properties"]["servicePrincipalProfile"] = {"clientId": "msi", "secret": CANARIES[4]}
    (tmp_path / "aks.json").write_text(__import__("json").dumps(aks))
    snap = Snapshot()
    snap.attach("auto", tmp_path / "gke.json")
    snap.attach("auto", tmp_path / "aks.json")
    out = snap.save(tmp_path / "s.json.gz")
    assert not leaked(out.read_bytes())
    gke = cluster_description(snap, "gke")
    assert gke is not None and gke.get("masterAuth.clientKey") == "<redacted:cloud-credential>"
