"""PLAT-* checks over the attached cloud cluster descriptions (GKE, EKS, AKS).

Each check reads the description of its provider through :class:`Description` (any
casing), names the field as the document spells it in its evidence, and is
``not_assessed`` without the description, naming the command that produces it. Checks
limited to one provider are ``not_applicable`` elsewhere. Field paths and pass
conditions: reference/posture-cloud.md §2; CIS ids: kube-bench cfg/gke-1.9.0,
cfg/eks-1.8.0, cfg/aks-1.8 (aquasecurity/kube-bench).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kubesec_nb.checks import Evidence, Finding, NotApplicable, NotAssessed, check
from kubesec_nb.model import Model
from kubesec_nb.platform.describe import Description, Fields, cluster_description, missing_description, show

if TYPE_CHECKING:
    from kubesec_nb.platform.analysis import PlatformAnalysis

API = "Secure API Server Access"
PRIVATE = "Private Clusters"
IAM = "Identity and Access Management"
SECRETS = "Kubernetes Secrets"
AUDIT = "Audit Logging and Monitoring"
INVENTORY = "Inventory and Coverage"
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def whole_cluster(model: Model, what: str) -> None:
    """NotAssessed unless the snapshot holds the cluster's nodes (a whole cluster, not an app's manifests)."""
    why = model.missing("nodes")
    if why:
        raise NotAssessed(f"{why}; only a whole cluster shows whether {what}")


def cluster(p: PlatformAnalysis, provider: str) -> Description:
    """The provider's cluster description, or NotAssessed naming the command that produces it."""
    desc = cluster_description(p.model.snapshot, provider)
    if desc is None:
        raise NotAssessed(missing_description(provider))
    return desc


def fail(desc: Description, message: str, *evidence: Evidence, severity: str | None = None) -> Finding:
    """A finding on the cluster the description describes."""
    return Finding(kind="Cluster", name=desc.name or desc.source, evidence=evidence, message=message,
                   severity=severity)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def required(p: PlatformAnalysis, provider: str, path: str, message: str, *, want: bool = True) -> Iterator[Finding]:
    """One finding when the boolean at ``path`` is not ``want`` (unset counts as false)."""
    d = cluster(p, provider)
    if _truthy(d.get(path)) != want:
        yield fail(d, message, d.evidence(path))


# ---- EKS --------------------------------------------------------------------------------------------------
@check("PLAT-EKS-PUBLIC-ENDPOINT", title="EKS API endpoint public and open to any address", severity="high",
       category=API, analyzer="platform", providers=("eks",), cis=("CIS EKS 5.4.1",),
       remediation="Limit the public endpoint to known ranges or turn it off: `aws eks update-cluster-config --name "
                   "CLUSTER --resources-vpc-config endpointPublicAccess=true,publicAccessCidrs=203.0.113.0/24` "
                   "(or endpointPublicAccess=false,endpointPrivateAccess=true).",
       references=("kubescape C-0229", "prowler eks_cluster_not_publicly_accessible", "checkov CKV_AWS_38"))
def _eks_public_endpoint(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "eks")
    if not _truthy(d.get("resourcesVpcConfig.endpointPublicAccess")):
        return
    cidrs = d.get("resourcesVpcConfig.publicAccessCidrs") or []
    # publicAccessCidrs defaults to 0.0.0.0/0 when the public endpoint is on (EKS API reference, VpcConfigRequest)
    open_ = [c for c in cidrs if c in OPEN_CIDRS] or (["0.0.0.0/0 (default: publicAccessCidrs unset)"]
                                                      if not cidrs else [])
    if open_:
        yield fail(d, f"the API server endpoint is public and accepts {', '.join(open_)}",
                   d.evidence("resourcesVpcConfig.endpointPublicAccess"),
                   d.evidence("resourcesVpcConfig.publicAccessCidrs", cidrs or None))


@check("PLAT-EKS-PRIVATE-ENDPOINT", title="EKS API endpoint not private-only", severity="medium", category=PRIVATE,
       analyzer="platform", providers=("eks",), cis=("CIS EKS 5.4.2",),
       remediation="Enable the private endpoint and disable the public one: `aws eks update-cluster-config --name "
                   "CLUSTER --resources-vpc-config endpointPrivateAccess=true,endpointPublicAccess=false`.",
       references=("kubescape C-0227", "kubescape C-0228", "checkov CKV_AWS_39"))
def _eks_private_endpoint(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "eks")
    public, private = (d.get(f"resourcesVpcConfig.{k}") for k in ("endpointPublicAccess", "endpointPrivateAccess"))
    if _truthy(public) or not _truthy(private):
        yield fail(d, "the API server endpoint is " + ("reachable from the internet" if _truthy(public)
                                                       else "not reachable privately"),
                   d.evidence("resourcesVpcConfig.endpointPublicAccess"),
                   d.evidence("resourcesVpcConfig.endpointPrivateAccess"))


@check("PLAT-EKS-SECRETS-KMS", title="EKS Secrets not envelope-encrypted with a customer KMS key", severity="medium",
       category=SECRETS, analyzer="platform", providers=("eks",), cis=("CIS EKS 5.3.1",),
       remediation="Associate a KMS key: `aws eks associate-encryption-config --cluster-name CLUSTER "
                   "--encryption-config '[{\"resources\":[\"secrets\"],\"provider\":{\"keyArn\":\"KEY_ARN\"}}]'`.",
       references=("kubescape C-0066", "prowler eks_cluster_kms_cmk_encryption_in_secrets_enabled",
                   "checkov CKV_AWS_58"))
def _eks_secrets_kms(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "eks")
    for path, cfg in d.items("encryptionConfig"):
        resources = cfg.get("resources") or []
        key = d.find("provider.keyArn", cfg, path)
        if "secrets" in resources and key.present:
            return
    yield fail(d, "no encryptionConfig entry encrypts secrets with a customer KMS key (EKS encrypts etcd with an "
                  "AWS-owned key by default; a customer key adds key control, rotation and audit)",
               d.evidence("encryptionConfig"))


_EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


@check("PLAT-EKS-AUDIT-LOGGING", title="EKS control-plane audit logging off", severity="medium", category=AUDIT,
       analyzer="platform", providers=("eks",), cis=("CIS EKS 2.1.1",),
       remediation="Enable the control-plane log types: `aws eks update-cluster-config --name CLUSTER --logging "
                   "'{\"clusterLogging\":[{\"types\":[\"api\",\"audit\",\"authenticator\",\"controllerManager\","
                   "\"scheduler\"],\"enabled\":true}]}'`.",
       references=("kubescape C-0067", "prowler eks_control_plane_logging_all_types_enabled", "checkov CKV_AWS_37"))
def _eks_audit_logging(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "eks")
    enabled: set[str] = set()
    ev = []
    for path, entry in d.items("logging.clusterLogging"):  # every entry counts, not only the first
        ev.append(Evidence(d.label, path, show(dict(entry))))
        if _truthy(entry.get("enabled")):
            enabled.update(str(t) for t in entry.get("types") or [])
    off = [t for t in _EKS_LOG_TYPES if t not in enabled]
    if "audit" in off:
        on = ", ".join(sorted(enabled)) or "none"
        yield fail(d, f"audit logs are not sent to CloudWatch Logs; enabled types: {on}",
                   *(ev or [d.evidence("logging.clusterLogging")]))
    elif "authenticator" in off:
        yield fail(d, "audit logs are on but authenticator logs (IAM principal to Kubernetes user) are off; "
                      f"disabled types: {', '.join(off)}", *ev, severity="low")


@check("PLAT-EKS-AUTH-MODE", title="EKS authenticates through the aws-auth ConfigMap only", severity="low",
       category=IAM, analyzer="platform", providers=("eks",), cis=("CIS EKS 4.1.7",),
       remediation="Move to access entries (the Cluster Access Manager API): `aws eks update-cluster-config --name "
                   "CLUSTER --access-config authenticationMode=API_AND_CONFIG_MAP`, migrate the aws-auth entries, "
                   "then set authenticationMode=API.",
       references=("kubescape C-0285",))
def _eks_auth_mode(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "eks")
    mode = d.get("accessConfig.authenticationMode")
    if mode in (None, "CONFIG_MAP"):
        yield fail(d, "cluster access is managed only by the kube-system/aws-auth ConfigMap, which anyone able to "
                      "edit it can use to map themselves to system:masters",
                   d.evidence("accessConfig.authenticationMode", mode or "unset (CONFIG_MAP before access entries)"))


@check("PLAT-EKS-NETWORK-POLICY", title="EKS without NetworkPolicy enforcement", severity="medium",
       category="Network Policies", analyzer="platform", providers=("eks",), cis=("CIS EKS 5.4.4",),
       remediation="Enable the VPC CNI network policy agent: `aws eks update-addon --cluster-name CLUSTER "
                   "--addon-name vpc-cni --configuration-values '{\"enableNetworkPolicy\":\"true\"}'` (or install "
                   "Calico or Cilium).",
       references=("kubescape C-0230", "CIS EKS 4.3.1"))
def _eks_network_policy(p: PlatformAnalysis) -> Iterator[Finding]:
    for desc in p.attached("eks-addons"):
        for doc in desc.documents():
            inner = Fields(doc.get("addon") or {})
            if inner.get("addonName") != "vpc-cni":
                continue
            raw = inner.get("configurationValues") or "{}"
            try:
                values = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError:
                values = {}
            if isinstance(values, dict) and str(values.get("enableNetworkPolicy", "")).lower() == "true":
                return
    whole_cluster(p.model, "a network policy agent runs")
    if p.network is None:
        raise NotAssessed("the network analysis is not available")
    prof = p.network.profile
    if "no enforcing network plugin" in " ".join(prof.evidence) or prof.name == "none":
        why = next((e for e in prof.evidence if "could not be read" in e), "")
        if why:
            raise NotAssessed(why)
        yield Finding(kind="Cluster", name=str(p.model.snapshot.metadata.get("cluster") or "cluster"),
                      evidence=tuple(Evidence("network profile", "detection", e) for e in prof.evidence)
                      or (Evidence("network profile", "name", prof.name),),
                      message="no NetworkPolicy enforcement detected: the aws-node DaemonSet has no "
                              "aws-network-policy-agent with --enable-network-policy=true, and no Calico or Cilium")


# ---- GKE --------------------------------------------------------------------------------------------------
def _gke_public_endpoint(d: Description) -> tuple[bool, list[Evidence]]:
    newer = d.find("controlPlaneEndpointsConfig.ipEndpointsConfig.enablePublicEndpoint")
    if newer.present:
        return _truthy(newer.value), [Evidence(d.label, newer.path, show(newer.value))]
    private = d.find("privateClusterConfig.enablePrivateEndpoint")
    return not _truthy(private.value), [Evidence(d.label, private.path, show(private.value))]


@check("PLAT-GKE-AUTHORIZED-NETWORKS", title="GKE public endpoint without control-plane authorized networks",
       severity="high", category=API, analyzer="platform", providers=("gke",), cis=("CIS GKE 5.6.3",),
       remediation="Restrict the endpoint: `gcloud container clusters update CLUSTER "
                   "--enable-master-authorized-networks --master-authorized-networks 203.0.113.0/24 "
                   "--no-enable-google-cloud-access`.",
       references=("kube-bench gke 5.6.3", "checkov CKV_GCP_20", "checkov CKV_GCP_18"))
def _gke_authorized_networks(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    public, ev = _gke_public_endpoint(d)
    if not public:
        return
    base = "controlPlaneEndpointsConfig.ipEndpointsConfig.authorizedNetworksConfig"
    if not d.find(base).present:
        base = "masterAuthorizedNetworksConfig"
    enabled = d.find(f"{base}.enabled")
    if not _truthy(enabled.value):
        yield fail(d, "the public control-plane endpoint accepts connections from any address",
                   *ev, Evidence(d.label, enabled.path, show(enabled.value)))
        return
    blocks = [str(b.get("cidrBlock")) for _, b in d.items(f"{base}.cidrBlocks")]
    if any(b in OPEN_CIDRS for b in blocks):
        yield fail(d, "an authorized network admits every address", *ev, d.evidence(f"{base}.cidrBlocks"))
    if _truthy(d.get(f"{base}.gcpPublicCidrsAccessEnabled")):
        yield fail(d, "Google Cloud public IP ranges (any Compute Engine VM) may reach the control plane", *ev,
                   d.evidence(f"{base}.gcpPublicCidrsAccessEnabled"), severity="medium")


@check("PLAT-GKE-PRIVATE-ENDPOINT", title="GKE control-plane endpoint public", severity="medium", category=PRIVATE,
       analyzer="platform", providers=("gke",), cis=("CIS GKE 5.6.4",),
       remediation="Use the private endpoint only (set at creation for private clusters): `gcloud container clusters "
                   "update CLUSTER --enable-private-endpoint`, or the DNS endpoint with IAM: "
                   "`--enable-dns-access --no-enable-ip-access`.",
       references=("kube-bench gke 5.6.4", "checkov CKV_GCP_25"))
def _gke_private_endpoint(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    public, ev = _gke_public_endpoint(d)
    if public:
        yield fail(d, "the control plane has a public IP endpoint", *ev)


@check("PLAT-GKE-SECRETS-KMS", title="GKE Secrets not encrypted with a Cloud KMS key", severity="medium",
       category=SECRETS, analyzer="platform", providers=("gke",), cis=("CIS GKE 5.3.1",),
       remediation="Enable application-layer secrets encryption: `gcloud container clusters update CLUSTER "
                   "--database-encryption-key projects/P/locations/L/keyRings/R/cryptoKeys/K`.",
       references=("kube-bench gke 5.3.1", "kubescape C-0066"))
def _gke_secrets_kms(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    state, key = d.find("databaseEncryption.state"), d.find("databaseEncryption.keyName")
    if state.value not in ("ENCRYPTED", "ALL_OBJECTS_ENCRYPTION_ENABLED") or not key.value:
        yield fail(d, "Secrets are stored in etcd without application-layer encryption by a Cloud KMS key",
                   Evidence(d.label, state.path, show(state.value)), Evidence(d.label, key.path, show(key.value)))


def _not_on_autopilot(p: PlatformAnalysis, what: str) -> None:
    if p.provider.has("gke-autopilot"):
        raise NotApplicable(f"GKE Autopilot manages {what}")


@check("PLAT-GKE-WORKLOAD-IDENTITY", title="GKE Workload Identity disabled", severity="medium", category=IAM,
       analyzer="platform", providers=("gke",), cis=("CIS GKE 5.2.2",),
       remediation="Enable Workload Identity Federation: `gcloud container clusters update CLUSTER "
                   "--workload-pool=PROJECT_ID.svc.id.goog`, then `gcloud container node-pools update POOL "
                   "--cluster CLUSTER --workload-metadata=GKE_METADATA`.",
       references=("kube-bench gke 5.2.2", "checkov CKV_GCP_69"))
def _gke_workload_identity(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    _not_on_autopilot(p, "Workload Identity (always on)")
    if not d.get("workloadIdentityConfig.workloadPool"):
        yield fail(d, "pods cannot use Workload Identity: without it they run with the node's service account",
                   d.evidence("workloadIdentityConfig.workloadPool"))


@check("PLAT-GKE-DEFAULT-NODE-SA", title="GKE nodes run as the Compute Engine default service account",
       severity="medium", category=IAM, analyzer="platform", providers=("gke",), cis=("CIS GKE 5.2.1",),
       remediation="Create node pools with a least-privilege service account: `gcloud container node-pools create POOL "
                   "--cluster CLUSTER --service-account NODE_SA@PROJECT.iam.gserviceaccount.com` and drain the old "
                   "pools.",
       references=("kube-bench gke 5.2.1", "prowler gke_cluster_no_default_service_account"))
def _gke_default_sa(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    pools = list(d.items("nodePools"))
    if not pools:
        found = d.find("autoscaling.autoprovisioningNodePoolDefaults.serviceAccount")
        if found.present and found.value != "default":
            return
        yield fail(d, "auto-provisioned nodes use the Compute Engine default service account (Editor on the "
                      "project unless its roles were cut)", Evidence(d.label, found.path, show(found.value)))
        return
    for path, pool in pools:
        sa = d.find("config.serviceAccount", pool, path)
        if not sa.value or sa.value == "default":
            yield fail(d, f"node pool {pool.get('name')} runs as the Compute Engine default service account (Editor "
                          "on the project unless its roles were cut)", Evidence(d.label, sa.path, show(sa.value)))


def _pool_flag(p: PlatformAnalysis, field: str, what: str) -> Iterator[Finding]:
    d = cluster(p, "gke")
    for path, pool in d.items("nodePools"):
        found = d.find(field, pool, path)
        if not _truthy(found.value):
            yield fail(d, f"node pool {pool.get('name')}: {what}", Evidence(d.label, found.path, show(found.value)))


@check("PLAT-GKE-SHIELDED-NODES", title="GKE Shielded Nodes disabled", severity="medium", category=IAM,
       analyzer="platform", providers=("gke",), cis=("CIS GKE 5.5.5",),
       remediation="`gcloud container clusters update CLUSTER --enable-shielded-nodes` (nodes prove their identity "
                   "with a vTPM, so stolen bootstrap credentials cannot impersonate a node).",
       references=("kube-bench gke 5.5.5", "checkov CKV_GCP_71"))
def _gke_shielded(p: PlatformAnalysis) -> Iterator[Finding]:
    cluster(p, "gke")
    _not_on_autopilot(p, "Shielded GKE Nodes (always on)")
    return required(p, "gke", "shieldedNodes.enabled", "nodes are not Shielded GKE Nodes: a stolen kubelet bootstrap "
                                                       "credential can register a fake node")


@check("PLAT-GKE-SECURE-BOOT", title="GKE node pools without Secure Boot", severity="low",
       category="Image Signing and Verification", analyzer="platform", providers=("gke",), cis=("CIS GKE 5.5.7",),
       remediation="Recreate the pool with `gcloud container node-pools create POOL --cluster CLUSTER "
                   "--shielded-secure-boot` (Secure Boot verifies the signatures of boot components).",
       references=("kube-bench gke 5.5.7", "checkov CKV_GCP_68"))
def _gke_secure_boot(p: PlatformAnalysis) -> Iterator[Finding]:
    _not_on_autopilot(p, "Secure Boot (always on)")
    return _pool_flag(p, "config.shieldedInstanceConfig.enableSecureBoot",
                      "Secure Boot is off: unsigned boot components and kernel modules are accepted")


@check("PLAT-GKE-INTEGRITY-MONITORING", title="GKE node pools without integrity monitoring", severity="low",
       category="Runtime Threat Detection", analyzer="platform", providers=("gke",), cis=("CIS GKE 5.5.6",),
       remediation="`gcloud container node-pools create POOL --cluster CLUSTER --shielded-integrity-monitoring`.",
       references=("kube-bench gke 5.5.6", "checkov CKV_GCP_72"))
def _gke_integrity(p: PlatformAnalysis) -> Iterator[Finding]:
    _not_on_autopilot(p, "integrity monitoring (always on)")
    return _pool_flag(p, "config.shieldedInstanceConfig.enableIntegrityMonitoring",
                      "integrity monitoring is off: a modified boot sequence goes unnoticed")


@check("PLAT-GKE-BINARY-AUTHORIZATION", title="GKE Binary Authorization not enforced", severity="medium",
       category="Image Signing and Verification", analyzer="platform", providers=("gke",), cis=("CIS GKE 5.1.4",),
       remediation="`gcloud container clusters update CLUSTER --binauthz-evaluation-mode="
                   "PROJECT_SINGLETON_POLICY_ENFORCE` with a project policy that requires attestations.",
       references=("kube-bench gke 5.1.4", "checkov CKV_GCP_66"))
def _gke_binauthz(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    mode = d.find("binaryAuthorization.evaluationMode")
    legacy = d.find("binaryAuthorization.enabled")
    if mode.value in (None, "EVALUATION_MODE_UNSPECIFIED") and _truthy(legacy.value):
        return
    if mode.value in (None, "DISABLED", "EVALUATION_MODE_UNSPECIFIED"):
        yield fail(d, "any image may run: Binary Authorization does not evaluate admission requests",
                   Evidence(d.label, mode.path, show(mode.value)))


@check("PLAT-GKE-NETWORK-POLICY", title="GKE without NetworkPolicy enforcement", severity="medium",
       category="Network Policies", analyzer="platform", providers=("gke",), cis=("CIS GKE 4.3.1",),
       remediation="Use GKE Dataplane V2 (`gcloud container clusters create ... --enable-dataplane-v2`) or enable "
                   "Calico enforcement: `gcloud container clusters update CLUSTER --update-addons="
                   "NetworkPolicy=ENABLED`, then `--enable-network-policy`.",
       references=("checkov CKV_GCP_12",))
def _gke_network_policy(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    datapath = d.find("networkConfig.datapathProvider")
    enabled = d.find("networkPolicy.enabled")
    if datapath.value == "ADVANCED_DATAPATH" or _truthy(enabled.value):
        return
    yield fail(d, "NetworkPolicies are accepted by the API but not enforced (no Dataplane V2, Calico disabled)",
               Evidence(d.label, datapath.path, show(datapath.value)), Evidence(d.label, enabled.path,
                                                                                show(enabled.value)))


@check("PLAT-GKE-LOGGING", title="GKE Cloud Logging off", severity="medium", category=AUDIT, analyzer="platform",
       providers=("gke",), cis=("CIS GKE 5.7.1",),
       remediation="`gcloud container clusters update CLUSTER --logging=SYSTEM,WORKLOAD,API_SERVER`. Admin Activity "
                   "audit logs are always on; enable Data Access audit logs for container.googleapis.com in the "
                   "project's IAM audit configuration to record reads.",
       references=("kube-bench gke 5.7.1", "kubescape C-0067", "checkov CKV_GCP_1"))
def _gke_logging(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    service = d.find("loggingService")
    comps = d.find("loggingConfig.componentConfig.enableComponents")
    if service.value == "none" or (comps.present and not comps.value):
        yield fail(d, "cluster logs are not sent to Cloud Logging", Evidence(d.label, service.path,
                                                                              show(service.value)),
                   Evidence(d.label, comps.path, show(comps.value)))


@check("PLAT-GKE-SECURITY-POSTURE", title="GKE security posture and vulnerability scanning off", severity="low",
       category="Image Vulnerability Scanning", analyzer="platform", providers=("gke",), cis=("CIS GKE 5.10.4",),
       remediation="`gcloud container clusters update CLUSTER --security-posture=standard "
                   "--workload-vulnerability-scanning=enterprise`.",
       references=("kube-bench gke 5.10.4",))
def _gke_posture(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    mode, vuln = d.find("securityPostureConfig.mode"), d.find("securityPostureConfig.vulnerabilityMode")
    if mode.value in (None, "DISABLED", "MODE_UNSPECIFIED") or vuln.value in (
            None, "VULNERABILITY_DISABLED", "VULNERABILITY_MODE_UNSPECIFIED"):
        yield fail(d, "GKE security posture does not audit workload configuration and scan running images",
                   Evidence(d.label, mode.path, show(mode.value)), Evidence(d.label, vuln.path, show(vuln.value)))


@check("PLAT-GKE-AUTO-UPGRADE", title="GKE node pools without auto-upgrade", severity="low", category=INVENTORY,
       analyzer="platform", providers=("gke",), cis=("CIS GKE 5.5.3",),
       remediation="`gcloud container node-pools update POOL --cluster CLUSTER --enable-autoupgrade`.",
       references=("kube-bench gke 5.5.3", "checkov CKV_GCP_10"))
def _gke_auto_upgrade(p: PlatformAnalysis) -> Iterator[Finding]:
    _not_on_autopilot(p, "node upgrades")
    return _pool_flag(p, "management.autoUpgrade", "nodes are not upgraded automatically (security patches wait "
                                                   "for a manual upgrade)")


@check("PLAT-GKE-RELEASE-CHANNEL", title="GKE cluster not on a release channel", severity="low", category=INVENTORY,
       analyzer="platform", providers=("gke",), cis=("CIS GKE 5.5.4",),
       remediation="`gcloud container clusters update CLUSTER --release-channel=regular`.",
       references=("kube-bench gke 5.5.4", "checkov CKV_GCP_70"))
def _gke_release_channel(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    channel = d.find("releaseChannel.channel")
    if channel.value in (None, "UNSPECIFIED"):
        yield fail(d, "the cluster version is static: GKE only upgrades it at end of support",
                   Evidence(d.label, channel.path, show(channel.value)))


@check("PLAT-GKE-LEGACY-ABAC", title="GKE legacy ABAC authorization enabled", severity="high",
       category="Role-Based Access Control", analyzer="platform", providers=("gke",), cis=("CIS GKE 5.8.3",),
       remediation="`gcloud container clusters update CLUSTER --no-enable-legacy-authorization`.",
       references=("kube-bench gke 5.8.3", "checkov CKV_GCP_7"))
def _gke_abac(p: PlatformAnalysis) -> Iterator[Finding]:
    return required(p, "gke", "legacyAbac.enabled",
                    "ABAC grants broad access outside RBAC: RBAC findings understate what subjects can do", want=False)


@check("PLAT-GKE-CLIENT-CERT", title="GKE issues a client certificate", severity="medium", category=API,
       analyzer="platform", providers=("gke",), cis=("CIS GKE 5.8.1",),
       remediation="Client certificates cannot be revoked; recreate the cluster with `--no-issue-client-certificate` "
                   "and authenticate with Google identities.",
       references=("kube-bench gke 5.8.1", "checkov CKV_GCP_13"))
def _gke_client_cert(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "gke")
    issue = d.find("masterAuth.clientCertificateConfig.issueClientCertificate")
    if _truthy(issue.value) or d.get("masterAuth.clientKey"):
        yield fail(d, "a long-lived client certificate authenticates to the cluster and cannot be revoked",
                   Evidence(d.label, issue.path, show(issue.value)))


# ---- AKS --------------------------------------------------------------------------------------------------
def _aks_private(d: Description) -> bool:
    return _truthy(d.get("apiServerAccessProfile.enablePrivateCluster"))


@check("PLAT-AKS-AUTHORIZED-IP-RANGES", title="AKS public API server without authorized IP ranges", severity="high",
       category=API, analyzer="platform", providers=("aks",), cis=("CIS AKS 5.4.1",),
       remediation="`az aks update -g RG -n CLUSTER --api-server-authorized-ip-ranges 203.0.113.0/24`.",
       references=("kubescape C-0247", "checkov CKV_AZURE_6"))
def _aks_authorized_ips(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "aks")
    if _aks_private(d):
        return
    ranges = d.find("apiServerAccessProfile.authorizedIpRanges")
    values = [str(r) for r in ranges.value or []]
    if not values or any(r in OPEN_CIDRS for r in values):
        yield fail(d, "the public API server accepts connections from any address",
                   d.evidence("apiServerAccessProfile.enablePrivateCluster"),
                   Evidence(d.label, ranges.path, show(ranges.value)))


@check("PLAT-AKS-PRIVATE-CLUSTER", title="AKS API server not private", severity="medium", category=PRIVATE,
       analyzer="platform", providers=("aks",), cis=("CIS AKS 5.4.2",),
       remediation="Create a private cluster (`az aks create ... --enable-private-cluster`) or use API Server VNet "
                   "Integration: `az aks update -g RG -n CLUSTER --enable-apiserver-vnet-integration "
                   "--apiserver-subnet-id SUBNET_ID`, then `--enable-private-cluster`.",
       references=("kubescape C-0248", "prowler aks_clusters_public_access_disabled", "checkov CKV_AZURE_115"))
def _aks_private_cluster(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "aks")
    if not _aks_private(d):
        yield fail(d, "the API server has a public endpoint", d.evidence("apiServerAccessProfile.enablePrivateCluster"),
                   d.evidence("fqdn"))


@check("PLAT-AKS-SECRETS-KMS", title="AKS Secrets not encrypted with a Key Vault KMS key", severity="medium",
       category=SECRETS, analyzer="platform", providers=("aks",), cis=("CIS AKS 5.3.1",),
       remediation="`az aks update -g RG -n CLUSTER --enable-azure-keyvault-kms --azure-keyvault-kms-key-id KEY_ID "
                   "--azure-keyvault-kms-key-vault-network-access Private`.",
       references=("kubescape C-0066", "checkov CKV_AZURE_227"))
def _aks_secrets_kms(p: PlatformAnalysis) -> Iterator[Finding]:
    return required(p, "aks", "securityProfile.azureKeyVaultKms.enabled",
                    "Secrets are encrypted only with platform-managed keys, not a Key Vault key you control")


@check("PLAT-AKS-ENTRA-ID", title="AKS without Microsoft Entra ID integration", severity="high", category=IAM,
       analyzer="platform", providers=("aks",), cis=("CIS AKS 5.5.1",),
       remediation="`az aks update -g RG -n CLUSTER --enable-aad --aad-admin-group-object-ids GROUP_ID`.",
       references=("kubescape C-0241", "checkov CKV_AZURE_5"))
def _aks_entra(p: PlatformAnalysis) -> Iterator[Finding]:
    return required(p, "aks", "aadProfile.managed",
                    "users authenticate with cluster certificates rather than Entra ID identities")


@check("PLAT-AKS-AZURE-RBAC", title="AKS without Azure RBAC for Kubernetes authorization", severity="low",
       category="Role-Based Access Control", analyzer="platform", providers=("aks",), cis=("CIS AKS 5.5.2",),
       remediation="`az aks update -g RG -n CLUSTER --enable-azure-rbac`.",
       references=("kubescape C-0241",))
def _aks_azure_rbac(p: PlatformAnalysis) -> Iterator[Finding]:
    return required(p, "aks", "aadProfile.enableAzureRbac",
                    "authorization is Kubernetes RBAC only; Azure role assignments do not govern cluster access")


@check("PLAT-AKS-LOCAL-ACCOUNTS", title="AKS local accounts enabled", severity="high", category=IAM,
       analyzer="platform", providers=("aks",),
       remediation="`az aks update -g RG -n CLUSTER --disable-local-accounts` (needs Entra ID integration); "
                   "`az aks get-credentials --admin` then stops working.",
       references=("prowler aks_cluster_local_accounts_disabled", "checkov CKV_AZURE_141"))
def _aks_local_accounts(p: PlatformAnalysis) -> Iterator[Finding]:
    return required(p, "aks", "disableLocalAccounts", "the static clusterAdmin credential (`az aks get-credentials "
                                                      "--admin`) bypasses Entra ID and cannot be audited per user")


@check("PLAT-AKS-WORKLOAD-IDENTITY", title="AKS Workload Identity disabled", severity="low", category=IAM,
       analyzer="platform", providers=("aks",),
       remediation="`az aks update -g RG -n CLUSTER --enable-oidc-issuer --enable-workload-identity`; disable the "
                   "deprecated pod identity add-on.",
       references=("posture-cloud.md §2.3",))
def _aks_workload_identity(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "aks")
    oidc, wi = d.find("oidcIssuerProfile.enabled"), d.find("securityProfile.workloadIdentity.enabled")
    if not (_truthy(oidc.value) and _truthy(wi.value)):
        yield fail(d, "pods cannot use Entra Workload ID; they fall back to secrets or the kubelet identity",
                   Evidence(d.label, oidc.path, show(oidc.value)), Evidence(d.label, wi.path, show(wi.value)))
    if _truthy(d.get("podIdentityProfile.enabled")):
        yield fail(d, "the deprecated pod-managed identity add-on (NMI intercepts IMDS on every node) is on",
                   d.evidence("podIdentityProfile.enabled"))


@check("PLAT-AKS-NETWORK-POLICY", title="AKS without a network policy engine", severity="medium",
       category="Network Policies", analyzer="platform", providers=("aks",), cis=("CIS AKS 5.4.4",),
       remediation="`az aks update -g RG -n CLUSTER --network-policy cilium` (or azure/calico).",
       references=("kubescape C-0240", "prowler aks_network_policy_enabled", "checkov CKV_AZURE_7"))
def _aks_network_policy(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "aks")
    policy = d.find("networkProfile.networkPolicy")
    if str(policy.value or "none").lower() == "none":
        yield fail(d, "NetworkPolicies are accepted but not enforced", Evidence(d.label, policy.path,
                                                                                show(policy.value)))


@check("PLAT-AKS-AZURE-POLICY", title="AKS Azure Policy add-on disabled", severity="low",
       category="Pod Security and Security Contexts", analyzer="platform", providers=("aks",),
       remediation="`az aks enable-addons -g RG -n CLUSTER --addons azure-policy` and assign the Kubernetes "
                   "baseline initiative.",
       references=("checkov CKV_AZURE_116",))
def _aks_azure_policy(p: PlatformAnalysis) -> Iterator[Finding]:
    return required(p, "aks", "addonProfiles.azurepolicy.enabled",
                    "Azure Policy for Kubernetes (Gatekeeper) does not enforce the organisation's policies here")


@check("PLAT-AKS-DEFENDER", title="AKS Microsoft Defender for Containers off", severity="medium",
       category="Runtime Threat Detection", analyzer="platform", providers=("aks",),
       remediation="`az aks update -g RG -n CLUSTER --enable-defender --defender-config CONFIG.json`.",
       references=("kubescape C-0243", "prowler aks_cluster_defender_enabled"))
def _aks_defender(p: PlatformAnalysis) -> Iterator[Finding]:
    return required(p, "aks", "securityProfile.defender.securityMonitoring.enabled",
                    "Defender's runtime sensor and image scanning are not deployed")


@check("PLAT-AKS-AUTO-UPGRADE", title="AKS without automatic upgrades", severity="low", category=INVENTORY,
       analyzer="platform", providers=("aks",),
       remediation="`az aks update -g RG -n CLUSTER --auto-upgrade-channel stable --node-os-upgrade-channel "
                   "NodeImage`.",
       references=("prowler aks_cluster_auto_upgrade_enabled", "checkov CKV_AZURE_171"))
def _aks_auto_upgrade(p: PlatformAnalysis) -> Iterator[Finding]:
    d = cluster(p, "aks")
    channel, os_channel = d.find("autoUpgradeProfile.upgradeChannel"), d.find("autoUpgradeProfile.nodeOsUpgradeChannel")
    if str(channel.value or "none").lower() == "none":
        yield fail(d, "Kubernetes patch and minor upgrades are manual", Evidence(d.label, channel.path,
                                                                                 show(channel.value)))
    if os_channel.present and str(os_channel.value).lower() in ("none", "unmanaged"):
        yield fail(d, "node OS security updates are not applied by AKS", Evidence(d.label, os_channel.path,
                                                                                  show(os_channel.value)))


_AUDIT_CATEGORIES = ("kube-audit", "kube-audit-admin")
_AUDIT_GROUPS = ("audit", "alllogs")


def _diagnostic_settings(p: PlatformAnalysis) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for desc in p.attached("aks-diagnostic-settings"):
        data = desc.data.get("value", desc.data) if isinstance(desc.data, dict) else desc.data
        for i, setting in enumerate(data if isinstance(data, list) else [data]):
            if isinstance(setting, dict):
                out.append((f"{desc.source}[{i}]", setting))
    return out


@check("PLAT-AKS-AUDIT-LOGGING", title="AKS kube-audit diagnostic logs off", severity="medium", category=AUDIT,
       analyzer="platform", providers=("aks",), cis=("CIS AKS 2.1.1",),
       remediation="`az monitor diagnostic-settings create --resource CLUSTER_ID --name audit --workspace "
                   "WORKSPACE_ID --logs '[{\"category\":\"kube-audit-admin\",\"enabled\":true},"
                   "{\"category\":\"guard\",\"enabled\":true}]'`.",
       references=("kube-bench aks 2.1.1", "kubescape C-0254"))
def _aks_audit_logging(p: PlatformAnalysis) -> Iterator[Finding]:
    settings = _diagnostic_settings(p)
    if not settings:
        raise NotAssessed(missing_description("aks", "aks-diagnostic-settings"))
    ev: list[Evidence] = []
    for where, setting in settings:
        for i, log in enumerate(setting.get("logs") or []):
            if not isinstance(log, dict):
                continue
            name = str(log.get("category") or log.get("categoryGroup") or "").lower()
            ev.append(Evidence(f"AKS diagnostic setting {setting.get('name', '')} ({where})",
                               f"logs[{i}].{'category' if log.get('category') else 'categoryGroup'}",
                               f"{name} enabled={show(log.get('enabled'))}"))
            # category groups: allLogs is every category; audit holds the categories Azure Monitor files under
            # "Audit" (the AKSAudit and AKSAuditAdmin tables, Azure Monitor table reference)
            if _truthy(log.get("enabled")) and (name in _AUDIT_CATEGORIES or name in _AUDIT_GROUPS):
                return
    d = cluster_description(p.model.snapshot, "aks")
    yield Finding(kind="Cluster", name=(d.name if d else "") or "aks", evidence=tuple(ev) or (
        Evidence("aks-diagnostic-settings", "logs", "none"),),
        message="no diagnostic setting sends kube-audit or kube-audit-admin logs anywhere")

