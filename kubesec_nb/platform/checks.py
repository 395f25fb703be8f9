"""PLAT-* checks from in-cluster evidence: node exposure and cloud credentials, supported
versions, service mesh mTLS, runtime detection and log shipping coverage, backup, admission
policy engines, TLS on Ingress and Gateway listeners, exposed dashboards, the API server
address, removed API versions, and known-vulnerable or end-of-life components.

Cluster-wide add-on checks need a whole cluster: a snapshot without nodes (a manifest
import) cannot show that a cluster lacks an agent, so they are ``not_assessed`` there.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from kubesec_nb.checks import Evidence, Finding, NotApplicable, NotAssessed, check
from kubesec_nb.model import Model, labels_of, object_key, parse_version, pod_specs
from kubesec_nb.network.addresses import is_public, parse_ip
from kubesec_nb.platform import addons, data
from kubesec_nb.platform.cloud_checks import fail, whole_cluster
from kubesec_nb.platform.describe import show
from kubesec_nb.platform.identity import OPEN, UNKNOWN
from kubesec_nb.platform.mesh import PEER_AUTHENTICATIONS, membership, peer_mode
from kubesec_nb.snapshot.resources import GATEWAY
from kubesec_nb.workload.images import parse_image

if TYPE_CHECKING:
    from kubesec_nb.platform.analysis import PlatformAnalysis

INVENTORY = "Inventory and Coverage"


def cluster_name(p: PlatformAnalysis) -> str:
    return str(p.model.snapshot.metadata.get("cluster") or "cluster")


def reference_date(model: Model) -> tuple[date, Evidence]:
    """The date dated tables are compared with: the snapshot's collection date, else the tables' date."""
    raw = str(model.snapshot.metadata.get("collectedAt") or "")
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", raw)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3])), Evidence("snapshot metadata", "collectedAt", raw)
    return date.fromisoformat(data.SUPPORT_AS_OF), Evidence("reference data", "as of", data.SUPPORT_AS_OF)


# ---- nodes: public addresses, cloud credentials -------------------------------------------------------------
@check("PLAT-PRIVATE-NODES", title="Nodes with public IP addresses", severity="medium", category="Private Clusters",
       analyzer="platform", cis=("CIS EKS 5.4.3", "CIS GKE 5.6.5", "CIS AKS 5.4.3"),
       remediation="Run nodes in private subnets without public IPs: GKE `gcloud container clusters update CLUSTER "
                   "--enable-private-nodes`; EKS node groups in private subnets (`aws eks create-nodegroup ... "
                   "--subnets PRIVATE_SUBNETS`); AKS node pools without `--enable-node-public-ip`. Reach the internet "
                   "through NAT.",
       references=("kube-bench gke 5.6.5", "prowler aks_clusters_created_with_private_nodes", "checkov CKV_GCP_64",
                   "checkov CKV_AZURE_143"))
def _private_nodes(p: PlatformAnalysis) -> Iterator[Finding]:
    desc = p.description
    seen = False
    if desc is not None and desc.provider == "gke":
        seen = True
        found = desc.find("privateClusterConfig.enablePrivateNodes")
        default = desc.find("networkConfig.defaultEnablePrivateNodes")
        if not (found.value is True or default.value is True):
            yield fail(desc, "nodes get public IP addresses", Evidence(desc.label, found.path, show(found.value)),
                       Evidence(desc.label, default.path, show(default.value)))
    elif desc is not None and desc.provider == "aks":
        seen = True
        for path, pool in desc.items("agentPoolProfiles"):
            ip = desc.find("enableNodePublicIp", pool, path)
            if ip.value is True:
                yield fail(desc, f"node pool {pool.get('name')} gives every node a public IP",
                           Evidence(desc.label, ip.path, show(ip.value)))
    if p.model.missing("nodes") and not seen:
        raise NotAssessed(f"{p.model.missing('nodes')}; attach the cluster description or snapshot the nodes")
    for name, node in sorted(p.model.nodes.items()):
        ext = [a.get("address") for a in (node.get("status") or {}).get("addresses") or []
               if a.get("type") == "ExternalIP" and a.get("address")]
        if ext:
            yield Finding(kind="Node", name=name, evidence=(Evidence(f"Node {name}", "status.addresses[ExternalIP]",
                                                                     ", ".join(ext)),),
                          message=f"node {name} has a public address: NodePorts and hostPorts answer on it")


@check("PLAT-NODE-METADATA", title="Pods can obtain the node's cloud credentials from the metadata service",
       severity="high", category="Identity and Access Management", analyzer="platform", providers=("aks", "eks", "gke"),
       cis=("CIS GKE 5.4.1",),
       remediation="EKS: require IMDSv2 with a hop limit of 1 in the node launch template (`aws ec2 "
                   "modify-instance-metadata-options --instance-id ID --http-tokens required "
                   "--http-put-response-hop-limit 1`) and give workloads IRSA or Pod Identity; GKE: `gcloud container "
                   "node-pools update POOL --cluster CLUSTER --workload-metadata=GKE_METADATA`; AKS: restrict pod "
                   "access to IMDS (`az aks update -g RG -n CLUSTER --enable-imds-restriction`) and use Workload ID. "
                   "hostNetwork pods keep the node's access.",
       references=("AWS EKS best practices: restrict access to the instance profile", "kubescape C-0052",
                   "kube-bench gke 5.4.1"))
def _node_metadata(p: PlatformAnalysis) -> Iterator[Finding]:
    access = p.node_access
    if not access:
        raise NotAssessed(p.model.missing("nodes") or "the snapshot has no nodes")
    if all(a.metadata == UNKNOWN for a in access.values()):
        first = next(iter(access.values()))
        raise NotAssessed("metadata-service access is unknown on every node: "
                          + "; ".join(str(e) for e in first.evidence[-1:]))
    for name, a in sorted(access.items()):
        if a.metadata == OPEN:
            who = a.identity or "an unknown identity"
            yield Finding(kind="Node", name=name, evidence=a.evidence, severity=None if a.identity else "medium",
                          message=f"any pod on {name} can fetch credentials of {who} from the metadata service")


# ---- versions ---------------------------------------------------------------------------------------------
def _version_sources(p: PlatformAnalysis) -> list[tuple[str, str, Evidence]]:
    """(kind, name, evidence) for the control plane and each distinct kubelet minor."""
    out: list[tuple[str, str, Evidence]] = []
    desc = p.description
    path = {"eks": "version", "gke": "currentMasterVersion", "aks": "currentKubernetesVersion"}.get(p.model.provider)
    if desc is not None and path and desc.get(path):
        out.append(("Cluster", desc.name or cluster_name(p), desc.evidence(path)))
    else:
        git = str((p.model.snapshot.metadata.get("serverVersion") or {}).get("gitVersion") or "")
        if git:
            out.append(("Cluster", cluster_name(p), Evidence("snapshot metadata", "serverVersion.gitVersion", git)))
    by_minor: dict[str, list[str]] = defaultdict(list)
    for name, node in sorted(p.model.nodes.items()):
        kubelet = str(((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion") or "")
        v = parse_version(kubelet)
        if v:
            by_minor[f"{v[0]}.{v[1]}"].append(name)
    for minor, names in sorted(by_minor.items()):
        out.append(("Node", names[0], Evidence(f"Node {names[0]}" + (f" and {len(names) - 1} more" if len(names) > 1
                                                                      else ""), "status.nodeInfo.kubeletVersion",
                                               minor)))
    return out


@check("PLAT-K8S-VERSION-SUPPORT", title="Kubernetes version past or near its end of support", severity="high",
       category=INVENTORY, analyzer="platform",
       remediation="Upgrade one minor version at a time: EKS `aws eks update-cluster-version --name CLUSTER "
                   "--kubernetes-version 1.NN` then the node groups; GKE `gcloud container clusters upgrade CLUSTER "
                   "--master --cluster-version 1.NN` then `--node-pool POOL`; AKS `az aks upgrade -g RG -n CLUSTER "
                   "--kubernetes-version 1.NN.P`.",
       references=("prowler eks_cluster_uses_a_supported_version", "checkov CKV_AWS_339", "kubescape C-0273",
                   f"support table: {data.SUPPORT_SOURCE}"))
def _version_support(p: PlatformAnalysis) -> Iterator[Finding]:
    today, when = reference_date(p.model)
    provider = p.model.provider if p.model.provider in data.SUPPORT else "other"
    table = data.SUPPORT[provider]
    sources = _version_sources(p)
    if not sources:
        raise NotAssessed("no server version in the snapshot and no cluster description attached (import with "
                          "--server-version 1.NN)")
    known = False
    for kind, name, ev in sources:
        v = parse_version(ev.value)
        row = table.get(f"{v[0]}.{v[1]}") if v else None
        if row is None:
            continue
        known = True
        std, ext = date.fromisoformat(row.standard_end), row.extended_end
        table_ev = Evidence(f"support table ({provider}, as of {data.SUPPORT_AS_OF})", f"{row.minor}",
                            f"standard support until {row.standard_end}" + (f", extended until {ext}" if ext else ""))
        paid = provider == "eks" or (provider == "aks" and p.description is not None and
                                     str(p.description.get("supportPlan", "")) == "AKSLongTermSupport")
        if today > std and (ext is None or today > date.fromisoformat(ext) or not paid):
            yield Finding(kind=kind, name=name, evidence=(ev, table_ev, when),
                          message=f"Kubernetes {row.minor} is past its end of support on {provider} "
                                  f"({row.standard_end}): no security patches")
        elif today > std:
            yield Finding(kind=kind, name=name, evidence=(ev, table_ev, when), severity="medium",
                          message=f"Kubernetes {row.minor} is on paid extended support until {ext}")
        elif today >= std - timedelta(days=data.NEAR_END_DAYS):
            yield Finding(kind=kind, name=name, evidence=(ev, table_ev, when), severity="low",
                          message=f"Kubernetes {row.minor} reaches end of standard support on {row.standard_end}")
    if not known:
        raise NotAssessed(f"version(s) {', '.join(e.value for _, _, e in sources)} not in the support table "
                          f"(as of {data.SUPPORT_AS_OF})")


# ---- API server address ---------------------------------------------------------------------------------------
@check("PLAT-API-ENDPOINT-PUBLIC", title="API server reached at a public address", severity="medium",
       category="Secure API Server Access", analyzer="platform", providers=("aks", "gke", "other"),
       remediation="Make the control-plane endpoint private or restrict it to known ranges (GKE authorized networks, "
                   "AKS authorized IP ranges or a private cluster), and check the provider finding for it.",
       references=("kube-bench gke 5.6.4", "kubescape C-0248", "AKS docs, API server authorized IP ranges: the "
                   "API server address is the default/kubernetes endpoint (MicrosoftDocs/azure-docs#31721)"),
       requires=("endpointslices.discovery.k8s.io",))
def _api_public(p: PlatformAnalysis) -> Iterator[Finding]:
    slices = [s for s in p.model.items("endpointslices.discovery.k8s.io")
              if s["metadata"].get("namespace") == "default" and
              labels_of(s).get("kubernetes.io/service-name") == "kubernetes"]
    if not slices:
        raise NotAssessed("no EndpointSlice for Service default/kubernetes in the snapshot")
    for s in slices:
        for ep in s.get("endpoints") or []:
            for addr in ep.get("addresses") or []:
                ip = parse_ip(str(addr))
                if ip is not None and is_public(ip):
                    yield Finding(kind="Service", namespace="default", name="kubernetes",
                                  evidence=(Evidence(f"EndpointSlice default/{s['metadata']['name']}",
                                                     "endpoints[].addresses", str(addr)),),
                                  message=f"the API server answers at public address {addr}; only authorized "
                                          "networks or a private endpoint keep the internet from it")


# ---- service mesh -----------------------------------------------------------------------------------------------
def _meshed(p: PlatformAnalysis) -> dict[str, Any]:
    return {object_key(pod): m for pod in p.model.pods if (m := membership(p.model, pod)).mesh != "none"}


@check("PLAT-MESH-MTLS", title="Meshed workloads accept plaintext (Istio PeerAuthentication not STRICT)",
       severity="medium", category="Network Encryption and Service Mesh", analyzer="platform",
       remediation="Require mTLS mesh-wide: a PeerAuthentication named default in the Istio root namespace with "
                   "`spec.mtls.mode: STRICT` (`kubectl apply -n istio-system -f peer-authentication-strict.yaml`), "
                   "after checking that every client has a sidecar; remove PERMISSIVE/DISABLE overrides.",
       references=("Istio PeerAuthentication reference", "istio/istio ComposePeerAuthentication"))
def _mesh_mtls(p: PlatformAnalysis) -> Iterator[Finding]:
    meshed = {k: m for k, m in _meshed(p).items() if m.mesh in ("istio", "istio-ambient")}
    if not meshed:
        raise NotApplicable("no pod runs in an Istio mesh (no istio-proxy sidecar, no ambient mode)")
    why = p.model.missing(PEER_AUTHENTICATIONS)
    if why and "not served" not in why:
        raise NotAssessed(why)
    policies = p.model.items(PEER_AUTHENTICATIONS)
    by_workload: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for key in sorted(meshed):
        pod = p.model.pod_by_key[key]
        mode = peer_mode(pod, policies, p.istio_root_namespace)
        if mode.weak:
            by_workload[(pod["metadata"]["namespace"], p.model.owner_label(pod))].append(mode)
    for (ns, wl), modes in sorted(by_workload.items()):
        kind, _, name = wl.partition("/")
        first = modes[0]
        yield Finding(namespace=ns, kind=kind, name=name, evidence=(*first.evidence, meshed[first.pod].evidence),
                      message=f"{len(modes)} meshed pod(s) of {wl} accept plaintext: {', '.join(first.weak)}")


@check("PLAT-MESH-COVERAGE", title="Application pods outside the service mesh", severity="low",
       category="Network Encryption and Service Mesh", analyzer="platform",
       remediation="Enable injection for the namespace (`kubectl label namespace NS istio-injection=enabled` or "
                   "`kubectl annotate namespace NS linkerd.io/inject=enabled`) and restart its workloads.",
       references=("Linkerd automatic proxy injection", "Istio sidecar injection"))
def _mesh_coverage(p: PlatformAnalysis) -> Iterator[Finding]:
    meshed = _meshed(p)
    if not meshed:
        raise NotApplicable("no service mesh is in use (no Istio or Linkerd proxy on any pod)")
    meshes = "/".join(sorted({m.mesh.split("-")[0] for m in meshed.values()}))
    meshed_ns = {k.split("/", 1)[0] for k in meshed}
    outside: dict[tuple[str, str], list[str]] = defaultdict(list)
    unmeshed_ns: set[str] = set()
    for pod in p.model.pods:
        key, ns = object_key(pod), pod["metadata"]["namespace"]
        if key in meshed or p.model.is_system_namespace(ns) or (pod.get("spec") or {}).get("hostNetwork") or \
                ns in ("linkerd", "linkerd-viz"):
            continue
        if ns in meshed_ns:
            outside[(ns, p.model.owner_label(pod))].append(key)
        else:
            unmeshed_ns.add(ns)
    for (ns, wl), keys in sorted(outside.items()):
        kind, _, name = wl.partition("/")
        yield Finding(namespace=ns, kind=kind, name=name,
                      evidence=(Evidence(f"Pod {keys[0]}", "containers", "no mesh proxy"),),
                      message=f"{len(keys)} pod(s) of {wl} run without a proxy in {ns}, which the {meshes} mesh "
                              "covers: their traffic is not encrypted by it")
    if unmeshed_ns:
        names = sorted(unmeshed_ns)
        yield Finding(kind="Cluster", name=cluster_name(p),
                      evidence=tuple(Evidence(f"Namespace {ns}", "pods", "no mesh proxy") for ns in names[:10]),
                      message=f"{len(names)} application namespace(s) are outside the {meshes} mesh: "
                              f"{', '.join(names[:10])}{' ...' if len(names) > 10 else ''}")


# ---- runtime detection and log shipping -------------------------------------------------------------------
def _coverage(p: PlatformAnalysis, table: Mapping[str, Any], what: str) -> Iterator[Finding]:
    whole_cluster(p.model, f"a {what} agent runs")
    if p.model.missing("daemonsets.apps"):
        raise NotAssessed(str(p.model.missing("daemonsets.apps")))
    found = addons.agents(p.model, table)
    name = cluster_name(p)
    if not found:
        yield Finding(kind="Cluster", name=name, message=f"no {what} agent DaemonSet ({', '.join(table)})",
                      evidence=(Evidence("DaemonSets", "metadata.name / image",
                                         f"none of {', '.join(sorted(table))}"),))
        return
    for node, reasons in addons.uncovered(p.model, found).items():
        yield Finding(kind="Node", name=node, message=f"no {what} agent runs on {node}",
                      evidence=tuple(Evidence(f"DaemonSet {r.split(': ')[0]}", "scheduling", r.split(": ", 1)[1])
                                     for r in reasons))
    fargate = addons.fargate_nodes(p.model)
    if fargate:
        yield Finding(kind="Node", name=fargate[0], severity="low",
                      evidence=(Evidence(f"Node {fargate[0]}", "metadata.labels[eks.amazonaws.com/compute-type]",
                                         f"fargate ({len(fargate)} node(s))"),),
                      message=f"Fargate nodes run no DaemonSets: {what} there needs a sidecar or the provider's "
                              "Fargate integration")


@check("PLAT-RUNTIME-DETECTION", title="Nodes without a runtime threat-detection agent", severity="medium",
       category="Runtime Threat Detection", analyzer="platform",
       remediation="Run a runtime detection agent on every node (Falco, Sysdig, Microsoft Defender for Containers "
                   "`az aks update --enable-defender`, GuardDuty EKS Runtime Monitoring `aws eks create-addon "
                   "--addon-name aws-guardduty-agent`) and give its DaemonSet tolerations for every node taint "
                   "(`tolerations: [{operator: Exists}]`).",
       references=("hardening guide §12 (Falco, Sysdig)", "kube-bench issue #184 (run on every node)"))
def _runtime(p: PlatformAnalysis) -> Iterator[Finding]:
    return _coverage(p, addons.RUNTIME_AGENTS, "runtime threat-detection")


@check("PLAT-LOG-SHIPPING", title="Nodes without a log shipping agent", severity="low",
       category="Audit Logging and Monitoring", analyzer="platform",
       remediation="Run a log shipper on every node (Fluent Bit, Fluentd, Vector, the provider's agent: GKE "
                   "`--logging=SYSTEM,WORKLOAD`, AKS `az aks enable-addons --addons monitoring`, EKS `aws eks "
                   "create-addon --addon-name amazon-cloudwatch-observability`) tolerating every node taint.",
       references=("hardening guide §6 (centralized logging)", "kube-bench gke 5.7.2"))
def _logging(p: PlatformAnalysis) -> Iterator[Finding]:
    return _coverage(p, addons.LOG_AGENTS, "log shipping")


# ---- backup ------------------------------------------------------------------------------------------------
def _backup_tool(p: PlatformAnalysis) -> Evidence | None:
    ev = addons.velero(p.model)
    if ev is not None:
        return ev
    desc = p.description
    if desc is not None and desc.provider == "gke" and desc.get("addonsConfig.gkeBackupAgentConfig.enabled") is True:
        return desc.evidence("addonsConfig.gkeBackupAgentConfig.enabled")
    if "dataprotection-microsoft" in p.model.namespaces:  # the AKS Backup extension's namespace
        return Evidence("Namespace dataprotection-microsoft", "metadata.name", "AKS Backup extension")
    return None


@check("PLAT-BACKUP-NONE", title="No backup tool for cluster resources", severity="low",
       category="Backup and Disaster Recovery", analyzer="platform",
       remediation="Install Velero (`velero install --provider PROVIDER --bucket BUCKET ...` and `velero schedule "
                   "create daily --schedule '0 1 * * *'`), or the provider's backup: Backup for GKE "
                   "(`gcloud container clusters update CLUSTER --update-addons=BackupRestore=ENABLED`), AKS Backup "
                   "(`az k8s-extension create --extension-type microsoft.dataprotection.kubernetes ...`), AWS Backup "
                   "for EKS.",
       references=("hardening guide §10 (Velero)",))
def _backup_none(p: PlatformAnalysis) -> Iterator[Finding]:
    whole_cluster(p.model, "a backup tool runs")
    if _backup_tool(p) is None:
        yield Finding(kind="Cluster", name=cluster_name(p),
                      evidence=(Evidence("Deployments", "velero", "none"),
                                Evidence("cluster description", "backup add-on", "none or not attached")),
                      message="nothing backs up the cluster's resources and volumes (no Velero, no provider backup)")


@check("PLAT-BACKUP-VELERO", title="Velero schedules, coverage or storage incomplete", severity="low",
       category="Backup and Disaster Recovery", analyzer="platform",
       remediation="`velero schedule create NAME --schedule '0 1 * * *' --include-namespaces '*'`; fix the backup "
                   "storage location until `velero backup-location get` shows Available; unpause schedules.",
       references=("Velero docs: schedules, resource filtering, backup storage locations",))
def _backup_velero(p: PlatformAnalysis) -> Iterator[Finding]:
    if addons.velero(p.model) is None:
        raise NotApplicable("Velero is not installed")
    why = p.model.missing(addons.SCHEDULES, addons.LOCATIONS)
    if why:
        raise NotAssessed(why)
    schedules = p.model.items(addons.SCHEDULES)
    active = [s for s in schedules if not (s.get("spec") or {}).get("paused")]
    for s in schedules:
        if (s.get("spec") or {}).get("paused"):
            yield Finding(kind="Schedule", namespace=s["metadata"]["namespace"], name=s["metadata"]["name"],
                          evidence=(Evidence(f"Schedule {object_key(s)}", "spec.paused", "true"),),
                          message="the schedule is paused: no new backups")
    if not active:
        yield Finding(kind="Cluster", name=cluster_name(p), evidence=(Evidence("Schedules", "velero.io/v1",
                                                                               "none active"),),
                      message="Velero is installed but no active schedule takes backups")
    else:
        apps = sorted(ns for ns in {*p.model.namespaces, *(pod["metadata"]["namespace"] for pod in p.model.pods)}
                      if not p.model.is_system_namespace(ns) and ns not in ("default", "velero"))
        for ns in apps:
            if not any(addons.schedule_covers(s, ns) for s in active):
                yield Finding(kind="Namespace", name=ns, namespace=ns,
                              evidence=tuple(Evidence(f"Schedule {object_key(s)}", "spec.template",
                                                      show({k: (s.get("spec") or {}).get("template", {}).get(k)
                                                            for k in ("includedNamespaces", "excludedNamespaces")}))
                                             for s in active),
                              message=f"no active Velero schedule backs up namespace {ns}")
    locations = p.model.items(addons.LOCATIONS)
    if not locations:
        yield Finding(kind="Cluster", name=cluster_name(p), evidence=(Evidence("BackupStorageLocations",
                                                                               "velero.io/v1", "none"),),
                      message="Velero has no backup storage location: backups cannot be written")
    for loc in locations:
        phase = str((loc.get("status") or {}).get("phase") or "unknown")
        if phase != "Available":
            yield Finding(kind="BackupStorageLocation", namespace=loc["metadata"]["namespace"],
                          name=loc["metadata"]["name"], evidence=(Evidence(f"BackupStorageLocation {object_key(loc)}",
                                                                           "status.phase", phase),),
                          message=f"backup storage location is {phase}: backups to it fail")


# ---- admission policy engines ----------------------------------------------------------------------------------
_PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


@check("PLAT-POLICY-ENGINE", title="No admission policy enforces anything", severity="medium",
       category="Pod Security and Security Contexts", analyzer="platform", cis=("CIS Kubernetes 5.2.1",),
       remediation="Enforce at least Pod Security baseline (`kubectl label namespace NS "
                   "pod-security.kubernetes.io/enforce=baseline`) and add a policy engine for the rest: Kyverno "
                   "with `validationFailureAction: Enforce`, Gatekeeper constraints with `enforcementAction: deny`, "
                   "a ValidatingAdmissionPolicyBinding with `validationActions: [Deny]`, or AKS `az aks "
                   "enable-addons --addons azure-policy`.",
       references=("kubescape C-0192", "hardening guide §11 (Azure Policy)"))
def _policy_engine(p: PlatformAnalysis) -> Iterator[Finding]:
    whole_cluster(p.model, "an admission policy engine runs")
    policies = p.policies
    if any(pol.action in ("enforce", "unknown") for pol in policies):
        return
    enforced = sorted(ns for ns in p.model.namespaces if p.model.namespace_labels(ns).get(_PSA_ENFORCE) in
                      ("baseline", "restricted"))
    if enforced:
        return
    yield Finding(kind="Cluster", name=cluster_name(p),
                  evidence=(*(pol.evidence for pol in policies),
                            Evidence("Namespaces", f"metadata.labels[{_PSA_ENFORCE}]", "baseline/restricted on none")),
                  message="no admission control rejects anything: no enforcing policy engine and no namespace "
                          "enforces a Pod Security level")


@check("PLAT-POLICY-AUDIT-ONLY", title="Admission policies that only audit", severity="low",
       category="Pod Security and Security Contexts", analyzer="platform",
       remediation="Once the audit results are clean, switch to enforcement: Kyverno `validationFailureAction: "
                   "Enforce` (or per-rule `failureAction: Enforce`), ValidatingAdmissionPolicyBinding "
                   "`validationActions: [Deny]`, and bind policies that have no binding.",
       references=("Kyverno policy settings", "ValidatingAdmissionPolicy bindings"))
def _policy_audit_only(p: PlatformAnalysis) -> Iterator[Finding]:
    policies = p.policies
    if not policies:
        raise NotApplicable("no admission policy engine objects in the snapshot")
    for pol in policies:
        if pol.action in ("audit", "warn", "inactive"):
            kind, _, name = pol.name.partition(" ")
            yield Finding(kind=kind, name=name, evidence=(pol.evidence,),
                          message=f"{pol.engine} {pol.name} is {pol.action}: violations are admitted")


# ---- TLS ------------------------------------------------------------------------------------------------------
_TLS_ANNOTATIONS = ("alb.ingress.kubernetes.io/certificate-arn", "ingress.gcp.kubernetes.io/pre-shared-cert",
                    "networking.gke.io/managed-certificates", "appgw.ingress.kubernetes.io/appgw-ssl-certificate",
                    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert")


def _public_fronts(p: PlatformAnalysis) -> set[str]:
    """``Ingress ns/name`` and ``Gateway ns/name`` of internet-facing entry points (whatever policies allow)."""
    if p.network is None:
        return set()
    ep = p.network.entry_points
    rows = ep[ep["scope"] == "public"] if not ep.empty else ep
    return {str(v).split(" <-", 1)[0].split(" (", 1)[0] for v in rows["via"]}


@check("PLAT-INGRESS-NO-TLS", title="Ingress or Gateway listener without TLS", severity="medium",
       category="TLS Encryption", analyzer="platform", cis=("CIS EKS 5.4.5", "CIS AKS 5.4.5", "CIS GKE 5.6.7"),
       remediation="Terminate TLS: add `spec.tls` with a certificate Secret (cert-manager) to the Ingress, or the "
                   "provider's certificate annotation (ALB certificate-arn, GKE ManagedCertificate); give Gateway "
                   "listeners `protocol: HTTPS` with `tls.certificateRefs`.",
       references=("kubescape C-0263", "polaris tlsSettingsMissing", "kube-bench gke 5.6.7"),
       requires=("ingresses.networking.k8s.io",))
def _ingress_tls(p: PlatformAnalysis) -> Iterator[Finding]:
    exposed = _public_fronts(p)
    for ing in p.model.items("ingresses.networking.k8s.io"):
        key = object_key(ing)
        ann = (ing.get("metadata") or {}).get("annotations") or {}
        if (ing.get("spec") or {}).get("tls") or any(a in ann for a in _TLS_ANNOTATIONS) or \
                "HTTPS" in str(ann.get("alb.ingress.kubernetes.io/listen-ports", "")):
            continue
        public = f"Ingress {key}" in exposed
        yield Finding(kind="Ingress", namespace=ing["metadata"]["namespace"], name=ing["metadata"]["name"],
                      severity=None if public else "low",
                      evidence=(Evidence(f"Ingress {key}", "spec.tls", "unset"),
                                Evidence(f"Ingress {key}", "metadata.annotations", "no TLS certificate annotation")),
                      message=("internet-facing " if public else "") + "Ingress serves plain HTTP")
    for gw in p.model.items(f"gateways.{GATEWAY}"):
        key = object_key(gw)
        public = f"Gateway {key}" in exposed
        for i, lst in enumerate((gw.get("spec") or {}).get("listeners") or []):
            if str(lst.get("protocol", "")).upper() in ("HTTP", "TCP", "UDP"):
                yield Finding(kind="Gateway", namespace=gw["metadata"]["namespace"], name=gw["metadata"]["name"],
                              severity=None if public else "low",
                              evidence=(Evidence(f"Gateway {key}", f"spec.listeners[{i}].protocol",
                                                 str(lst.get("protocol"))),),
                              message=f"{'internet-facing ' if public else ''}listener {lst.get('name')} "
                                      f"({lst.get('protocol')} port {lst.get('port')}) has no TLS")


# ---- exposed dashboards ----------------------------------------------------------------------------------------
DASHBOARDS = {"Kubernetes Dashboard": ("kubernetesui/dashboard",), "Argo CD": ("argoproj/argocd",),
              "Grafana": ("grafana/grafana",), "Prometheus": ("prometheus/prometheus", "prom/prometheus"),
              "Alertmanager": ("prometheus/alertmanager", "prom/alertmanager"), "Kibana": ("kibana/kibana",)}


def _dashboard(pod: Mapping[str, Any]) -> str | None:
    for spec in pod_specs(pod):
        for repo in addons.repositories(spec):
            for name, frags in DASHBOARDS.items():
                if any(repo.endswith(f) for f in frags):
                    if name == "Argo CD" and not any("argocd-server" in str(c.get("args") or c.get("command") or
                                                                            c.get("name"))
                                                     for c in spec.get("containers") or []):
                        continue  # the repo-server, controller and dex share the image
                    return name
    return None


@check("PLAT-DASHBOARD-EXPOSED", title="Dashboard reachable from the internet", severity="high",
       category="Ingress and Egress Control", analyzer="platform", cis=("CIS GKE 5.10.1",),
       remediation="Keep dashboards internal (ClusterIP plus `kubectl port-forward`, an internal load balancer, or "
                   "an identity-aware proxy); if they must be public, put SSO in front and restrict source ranges.",
       references=("kubescape C-0021", "kubescape C-0256", "MITRE ATT&CK T1133"), requires=("pods", "services"))
def _dashboards(p: PlatformAnalysis) -> Iterator[Finding]:
    if p.network is None:
        raise NotAssessed("the network analysis is not available")
    exp = p.network.exposure
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in exp.itertuples(index=False):
        pod = p.model.pod_by_key.get(str(row.pod))
        name = _dashboard(pod) if pod is not None else None
        if name:
            seen[(str(row.namespace), str(row.workload))].append(f"{name} via {row.via}")
    for (ns, wl), vias in sorted(seen.items()):
        kind, _, name = wl.partition("/")
        yield Finding(namespace=ns, kind=kind, name=name,
                      evidence=tuple(Evidence(f"{kind} {ns}/{name}", "exposure", v) for v in sorted(set(vias))[:5]),
                      message=f"{vias[0].split(' via ')[0]} {ns}/{name} is reachable from the internet")


# ---- removed API versions -----------------------------------------------------------------------------------
@check("PLAT-DEPRECATED-API", title="Manifests use removed or deprecated API versions", severity="low",
       category=INVENTORY, analyzer="platform",
       remediation="Migrate the manifests: `kubectl convert -f FILE --output-version GROUP/VERSION` (kubectl-convert "
                   "plugin), or edit apiVersion and the renamed fields listed in the Deprecated API Migration Guide.",
       references=("kubernetes.io Deprecated API Migration Guide", "pluto", "kubent",
                   f"removal table: {data.REMOVALS_SOURCE}"))
def _deprecated_api(p: PlatformAnalysis) -> Iterator[Finding]:
    source = str(p.model.snapshot.metadata.get("source") or "unknown")
    if source != "manifests":
        raise NotAssessed(f"the snapshot ({source}) holds objects at the versions the API server serves; import the "
                          "manifests you apply (kubesec-nb import) or check the API server's "
                          "apiserver_requested_deprecated_apis metric")
    major, minor = p.model.version
    uses: list[tuple[str, str, str, int]] = []
    for _key, objs in sorted(p.model.snapshot.objects.items()):
        for obj in objs:
            api, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
            if (api, kind) in data.REMOVAL_BY_KEY:
                uses.append((api, kind, f"{kind} {object_key(obj)}", 1))
    for label, count in sorted((p.model.snapshot.metadata.get("skipped") or {}).items()):
        api, _, kind = str(label).rpartition("/")
        if (api, kind) in data.REMOVAL_BY_KEY:
            uses.append((api, kind, f"{count} {kind} object(s) (skipped at import)", int(count)))
    for api, kind, what, _ in uses:
        rm = data.REMOVAL_BY_KEY[(api, kind)]
        gone = (parse_version(rm.removed_in) or (99, 0)) <= (major, minor)
        psp = kind == "PodSecurityPolicy"
        yield Finding(kind=kind, name=what, severity="medium" if psp else (None if gone else "info"),
                      evidence=(Evidence(what, "apiVersion", api),
                                Evidence("removal table", f"{api} {kind}", f"removed in {rm.removed_in}; use "
                                                                          f"{rm.replacement}")),
                      message=(f"{api} {kind} is not served since Kubernetes {rm.removed_in}" if gone else
                               f"{api} {kind} is removed in Kubernetes {rm.removed_in}")
                      + (": the pod security rules it held are not enforced" if psp else
                         f" (semantics applied: {major}.{minor}); applying it fails"))


# ---- known-vulnerable and end-of-life components ----------------------------------------------------------------
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def _tuple(text: str) -> tuple[int, int, int] | None:
    m = _VERSION.match(text or "")
    return (int(m[1]), int(m[2]), int(m[3] or 0)) if m else None


def component_images(model: Model) -> list[tuple[data.Component, str, str, Mapping[str, Any]]]:
    """(component, workload label, image tag, workload) for each workload running a known component."""
    out: list[tuple[data.Component, str, str, Mapping[str, Any]]] = []
    for (kind, _ns, name), wl in sorted(model.workloads.items()):
        if kind == "ReplicaSet" and model.owner(wl) is not None:
            continue
        for spec in pod_specs(wl):
            for c in spec.get("containers") or []:
                ref = parse_image(str(c.get("image", "")))
                for comp in data.COMPONENTS:
                    if any(ref.repository.endswith(r) for r in comp.repositories):
                        out.append((comp, f"{kind}/{name}", ref.tag or "", wl))
    return out


def vulnerable(comp: data.Component, tag: str) -> str | None:
    """The fixed version to upgrade to when ``tag`` is affected, else None (unknown tags are not affected).

    >>> c = data.COMPONENTS[0]
    >>> vulnerable(c, "v1.11.2"), vulnerable(c, "v1.12.1"), vulnerable(c, "v1.10.0"), vulnerable(c, "latest")
    ('1.11.5', None, '1.11.5', None)
    """
    have = _tuple(tag)
    if have is None or not comp.fixed:
        return None
    for (major, minor), fixed in comp.fixed:
        if have[:2] == (major, minor):
            return fixed if have < _tuple(fixed) else None  # type: ignore[operator]
    lines = sorted(line for line, _ in comp.fixed)
    return dict(comp.fixed)[lines[0]] if have[:2] < lines[0] else None


@check("PLAT-VULNERABLE-COMPONENT", title="Known-vulnerable cluster component", severity="critical",
       category="Image Vulnerability Scanning", analyzer="platform",
       remediation="Upgrade the component to the fixed version named in the finding (ingress-nginx: `helm upgrade "
                   "ingress-nginx ingress-nginx/ingress-nginx --version CHART` for controller v1.11.5/v1.12.1 or "
                   "later), or disable the vulnerable feature (ingress-nginx: `--enable-admission-webhook=false`).",
       references=("kubernetes/kubernetes#131009 (CVE-2025-1974)", f"component table as of {data.COMPONENTS_AS_OF}"),
       requires=("deployments.apps", "daemonsets.apps"))
def _vulnerable_component(p: PlatformAnalysis) -> Iterator[Finding]:
    for comp, wl, tag, obj in component_images(p.model):
        fixed = vulnerable(comp, tag)
        if fixed:
            kind, _, name = wl.partition("/")
            yield Finding(namespace=obj["metadata"]["namespace"], kind=kind, name=name, severity=comp.severity,
                          evidence=(Evidence(f"{wl}", "image tag", tag), Evidence("component table", comp.name,
                                                                                  f"fixed in {fixed}; {comp.source}")),
                          message=f"{comp.name} {tag} is affected by {comp.advisory}; fixed in {fixed}")


@check("PLAT-EOL-COMPONENT", title="End-of-life cluster component", severity="medium", category=INVENTORY,
       analyzer="platform",
       remediation="Replace the component: ingress-nginx with a Gateway API implementation or another maintained "
                   "controller; Kubernetes Dashboard with Headlamp; AAD Pod Identity with Microsoft Entra Workload ID.",
       references=(f"component table as of {data.COMPONENTS_AS_OF}",), requires=("deployments.apps", "daemonsets.apps"))
def _eol_component(p: PlatformAnalysis) -> Iterator[Finding]:
    today, when = reference_date(p.model)
    seen: set[tuple[str, str]] = set()
    for comp, wl, tag, obj in component_images(p.model):
        if comp.eol is None or today < date.fromisoformat(comp.eol) or (obj["metadata"]["namespace"], wl) in seen:
            continue
        seen.add((obj["metadata"]["namespace"], wl))
        kind, _, name = wl.partition("/")
        yield Finding(namespace=obj["metadata"]["namespace"], kind=kind, name=name,
                      evidence=(Evidence(wl, "image tag", tag or "unset"),
                                Evidence("component table", comp.name, f"end of life {comp.eol}: {comp.source}"),
                                when),
                      message=f"{comp.name} is end of life since {comp.eol}: {comp.eol_note}")


def _controller_configmap(model: Model, obj: Mapping[str, Any]) -> tuple[str, Mapping[str, Any] | None]:
    """The controller's ConfigMap: its ``--configmap`` flag (unless redacted), else the chart's default name,
    else a ConfigMap of the namespace that sets ``allow-snippet-annotations``."""
    ns = obj["metadata"]["namespace"]
    names = []
    for spec in pod_specs(obj):
        for c in spec.get("containers") or []:
            for arg in [*(c.get("args") or []), *(c.get("command") or [])]:
                value = str(arg).split("=", 1)[1] if str(arg).startswith("--configmap=") else ""
                if value and not value.startswith("<redacted"):
                    names.append(value.rsplit("/", 1)[-1])
    names.append("ingress-nginx-controller")
    for name in names:
        cm = model.configmap(ns, name)
        if cm is not None:
            return name, cm
    for cm in model.items("configmaps"):
        if cm["metadata"].get("namespace") == ns and "allow-snippet-annotations" in (cm.get("data") or {}):
            return cm["metadata"]["name"], cm
    return names[0], None


@check("PLAT-INGRESS-NGINX-SNIPPETS", title="ingress-nginx accepts snippet annotations", severity="high",
       category="Ingress and Egress Control", analyzer="platform",
       remediation="Set `allow-snippet-annotations: \"false\"` in the controller ConfigMap (Helm: "
                   "`--set controller.allowSnippetAnnotations=false`) and keep `annotations-risk-level` below "
                   "Critical.",
       references=("kubernetes/ingress-nginx#7837 (CVE-2021-25742)", "CVE-2023-5043", "CVE-2025-1974"),
       requires=("configmaps",))
def _nginx_snippets(p: PlatformAnalysis) -> Iterator[Finding]:
    found = False
    for comp, wl, tag, obj in component_images(p.model):
        if comp.name != "ingress-nginx":
            continue
        found = True
        ns = obj["metadata"]["namespace"]
        cm_name, cm = _controller_configmap(p.model, obj)
        value = ((cm or {}).get("data") or {}).get("allow-snippet-annotations")
        have = _tuple(tag)
        # the default became false in controller v1.9.0 (kubernetes/ingress-nginx#10452, chart 4.8.0)
        default_on = have is not None and have < (1, 9, 0)
        if str(value).lower() == "true" or (value is None and default_on):
            kind, _, name = wl.partition("/")
            yield Finding(namespace=ns, kind=kind, name=name,
                          evidence=(Evidence(f"ConfigMap {ns}/{cm_name}", "data.allow-snippet-annotations",
                                             str(value) if value is not None else f"unset (default true before "
                                                                                  f"v1.9.0; image {tag})"),),
                          message="anyone who can create an Ingress can inject NGINX configuration and read the "
                                  "controller's token, which can read every Secret")
    if not found:
        raise NotApplicable("ingress-nginx is not installed")
