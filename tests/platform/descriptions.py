"""Cloud cluster descriptions for tests, from the providers' documented schemas.

CLI forms (``gcloud container clusters describe --format=json``, ``aws eks describe-cluster``,
``az aks show -o json``) are written out; the SDK spellings are derived by re-casing keys the
way each SDK does (GKE proto-plus ``to_dict``: snake_case and integer enums; EKS Go SDK:
PascalCase; AKS ARM REST: ``properties`` wrapper and ARM acronyms; AKS Python SDK ``as_dict``:
snake_case), and one hand-written SDK document per provider checks the converters.
Field names: googleapis/googleapis google/container/v1/cluster_service.proto; AWS EKS API
reference (DescribeCluster, DescribeNodegroup); Azure ARM ManagedCluster (2024-xx) and
``az aks show`` output.
"""

from __future__ import annotations

import copy
import re
from typing import Any

ACCOUNT = "111122223333"


def gke(weak: bool = False) -> dict[str, Any]:
    """A GKE Standard cluster: hardened, or (``weak``) with the usual gaps."""
    return {
        "name": "media", "location": "europe-west1", "currentMasterVersion": "1.31.5-gke.1023000",
        "selfLink": "https://container.googleapis.com/v1/projects/media-prod/locations/europe-west1/clusters/media",
        "releaseChannel": {"channel": "UNSPECIFIED" if weak else "REGULAR"},
        "legacyAbac": {"enabled": weak},
        "masterAuth": {"clientCertificateConfig": {"issueClientCertificate": weak}},
        "masterAuthorizedNetworksConfig": {"enabled": False} if weak else {
            "enabled": True, "cidrBlocks": [{"displayName": "office", "cidrBlock": "203.0.113.0/24"}],
            "gcpPublicCidrsAccessEnabled": False},
        "privateClusterConfig": {"enablePrivateNodes": not weak, "enablePrivateEndpoint": not weak},
        "ipAllocationPolicy": {"useIpAliases": True},
        "networkConfig": {"datapathProvider": "LEGACY_DATAPATH" if weak else "ADVANCED_DATAPATH"},
        "networkPolicy": {},
        "addonsConfig": {"networkPolicyConfig": {"disabled": True}},
        "databaseEncryption": {"state": "DECRYPTED"} if weak else {
            "state": "ENCRYPTED", "keyName": "projects/media-prod/locations/europe-west1/keyRings/gke/cryptoKeys/etcd"},
        "workloadIdentityConfig": {} if weak else {"workloadPool": "media-prod.svc.id.goog"},
        "shieldedNodes": {"enabled": not weak},
        "binaryAuthorization": {"evaluationMode": "DISABLED" if weak else "PROJECT_SINGLETON_POLICY_ENFORCE"},
        "loggingService": "logging.googleapis.com/kubernetes",
        "loggingConfig": {"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS"] if weak else [
            "SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]}},
        "securityPostureConfig": {"mode": "DISABLED" if weak else "BASIC",
                                  "vulnerabilityMode": "VULNERABILITY_DISABLED" if weak else "VULNERABILITY_ENTERPRISE"},
        "nodePools": [{"name": "default-pool", "config": {
            "machineType": "e2-standard-4", "imageType": "COS_CONTAINERD",
            "serviceAccount": "default" if weak else "gke-nodes@media-prod.iam.gserviceaccount.com",
            "workloadMetadataConfig": {"mode": "GCE_METADATA" if weak else "GKE_METADATA"},
            "shieldedInstanceConfig": {"enableSecureBoot": not weak, "enableIntegrityMonitoring": True}},
            "management": {"autoUpgrade": not weak, "autoRepair": True}}],
    }


def eks(weak: bool = False) -> dict[str, Any]:
    """``aws eks describe-cluster`` output: hardened, or (``weak``) public, unlogged, unencrypted."""
    cluster: dict[str, Any] = {
        "name": "shop", "arn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/shop", "version": "1.31",
        "platformVersion": "eks.12", "status": "ACTIVE",
        "resourcesVpcConfig": {"subnetIds": ["subnet-1"], "vpcId": "vpc-1", "endpointPublicAccess": weak,
                               "endpointPrivateAccess": not weak,
                               "publicAccessCidrs": ["0.0.0.0/0"] if weak else []},
        "logging": {"clusterLogging": [{"types": ["api"], "enabled": True},
                                       {"types": ["audit", "authenticator", "controllerManager", "scheduler"],
                                        "enabled": False}] if weak else [
            {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": True}]},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP" if weak else "API"},
        "upgradePolicy": {"supportType": "EXTENDED" if weak else "STANDARD"},
    }
    if not weak:
        cluster["encryptionConfig"] = [{"resources": ["secrets"], "provider": {
            "keyArn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}]
    return {"cluster": cluster}


def aks(weak: bool = False) -> dict[str, Any]:
    """``az aks show -o json`` output (ARM ``properties`` flattened)."""
    return {
        "id": "/subscriptions/0000/resourcegroups/bank-rg/providers/Microsoft.ContainerService/managedClusters/bank",
        "name": "bank", "type": "Microsoft.ContainerService/ManagedClusters", "location": "westeurope",
        "kubernetesVersion": "1.31.2", "currentKubernetesVersion": "1.31.2", "enableRbac": True,
        "disableLocalAccounts": not weak,
        "aadProfile": {"managed": True, "enableAzureRbac": not weak},
        "apiServerAccessProfile": {"enablePrivateCluster": not weak, "authorizedIpRanges": [] if weak else [
            "203.0.113.0/24"]},
        "networkProfile": {"networkPlugin": "azure", "networkPolicy": None if weak else "cilium",
                           **({} if weak else {"podLinkLocalAccess": "None"})},
        "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "enableNodePublicIp": weak, "mode": "System"}],
        "identityProfile": {"kubeletidentity": {"clientId": "5e6f7a8b-0000-4e1f-a2b3-c4d5e6f7a8b9",
                                                "objectId": "11111111-2222-3333-4444-555555555555"}},
        "oidcIssuerProfile": {"enabled": not weak},
        "securityProfile": {"workloadIdentity": {"enabled": not weak},
                            "defender": {"securityMonitoring": {"enabled": not weak}},
                            **({} if weak else {"azureKeyVaultKms": {"enabled": True,
                                                                     "keyId": "https://kv.vault.azure.net/keys/k/1"}})},
        "addonProfiles": {"azurepolicy": {"enabled": not weak}},
        "autoUpgradeProfile": {"upgradeChannel": "none" if weak else "stable"},
        "sku": {"name": "Base", "tier": "Standard"},
    }


# ---- SDK spellings --------------------------------------------------------------------------------
def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def recase(doc: Any, fn: Any, keep: tuple[str, ...] = ()) -> Any:
    if isinstance(doc, dict):
        return {(k if k in keep else fn(k)): recase(v, fn, keep) for k, v in doc.items()}
    if isinstance(doc, list):
        return [recase(v, fn, keep) for v in doc]
    return doc


_GKE_INTS = {"DECRYPTED": 2, "ENCRYPTED": 1, "DISABLED": 1, "PROJECT_SINGLETON_POLICY_ENFORCE": 2,
             "GKE_METADATA": 2, "GCE_METADATA": 1, "REGULAR": 2, "UNSPECIFIED": 0, "LEGACY_DATAPATH": 1,
             "ADVANCED_DATAPATH": 2, "SYSTEM_COMPONENTS": 1, "WORKLOADS": 2, "APISERVER": 3}


def gke_sdk(doc: dict[str, Any]) -> dict[str, Any]:
    """proto-plus ``Cluster.to_dict``: snake_case keys, enums as integers."""
    out = recase(doc, _snake)
    for path in (("database_encryption", "state"), ("binary_authorization", "evaluation_mode"),
                 ("release_channel", "channel"), ("network_config", "datapath_provider")):
        obj = out
        for p in path[:-1]:
            obj = obj[p]
        obj[path[-1]] = _GKE_INTS.get(obj[path[-1]], obj[path[-1]])
    comp = out["logging_config"]["component_config"]
    comp["enable_components"] = [_GKE_INTS[c] for c in comp["enable_components"]]
    for pool in out["node_pools"]:
        wmc = pool["config"]["workload_metadata_config"]
        wmc["mode"] = _GKE_INTS[wmc["mode"]]
    return out  # type: ignore[no-any-return]


def eks_go_sdk(doc: dict[str, Any]) -> dict[str, Any]:
    """The Go SDK's ``DescribeClusterOutput`` marshalled as JSON: PascalCase."""
    return recase(doc, _pascal)  # type: ignore[no-any-return]


_ARM_OUTER = ("id", "name", "type", "location", "sku", "identity")
_ARM_ACRONYMS = {"enableRbac": "enableRBAC", "enableAzureRbac": "enableAzureRBAC",
                 "authorizedIpRanges": "authorizedIPRanges", "adminGroupObjectIDs": "adminGroupObjectIDs"}


def aks_arm(doc: dict[str, Any]) -> dict[str, Any]:
    """The ARM REST document: ``properties`` wrapper and ARM's acronym casing."""
    doc = recase(copy.deepcopy(doc), lambda k: _ARM_ACRONYMS.get(k, k))
    return {**{k: doc[k] for k in _ARM_OUTER if k in doc},
            "properties": {k: v for k, v in doc.items() if k not in _ARM_OUTER}}


def aks_python_sdk(doc: dict[str, Any]) -> dict[str, Any]:
    """``ManagedCluster.as_dict()``: snake_case keys, ``identity_profile`` map keys kept."""
    return recase(doc, _snake, keep=("kubeletidentity",))  # type: ignore[no-any-return]


#: Hand-written SDK documents (not derived), to check the converters against.
GKE_SDK_HANDWRITTEN = {"name": "media", "database_encryption": {"state": 2},
                       "binary_authorization": {"evaluation_mode": 1},
                       "node_pools": [{"name": "default-pool", "config": {
                           "service_account": "default", "workload_metadata_config": {"mode": 1}}}]}
EKS_GO_HANDWRITTEN = {"Cluster": {"Name": "shop", "ResourcesVpcConfig": {
    "EndpointPublicAccess": True, "PublicAccessCidrs": ["0.0.0.0/0"]}}}
AKS_ARM_HANDWRITTEN = {"name": "bank", "type": "Microsoft.ContainerService/managedClusters", "properties": {
    "disableLocalAccounts": False, "enableRBAC": True,
    "apiServerAccessProfile": {"authorizedIPRanges": []},
    "identityProfile": {"kubeletidentity": {"clientId": "abcd"}},
    "agentPoolProfiles": [{"name": "np1"}]}}
