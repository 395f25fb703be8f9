"""The cloud identity of each node, and whether a pod on the node can obtain its credentials.

:func:`node_cloud_access` gives, per node, the attack-graph node id of the identity the
node's instance metadata service hands out and whether an ordinary pod (not hostNetwork)
on that node can reach the metadata service and get that identity's credentials:
``open``, ``blocked`` or ``unknown`` (never guessed from the absence of evidence).
hostNetwork pods share the node's network namespace: every mechanism below leaves them
the node's credentials, so the attack graph treats them as the node itself.

EKS (identity ``cloud:aws:<node role ARN>``):

- the node role comes from the node's managed node group when ``aws eks describe-nodegroup``
  is attached (``nodegroup.nodeRole``, matched by the node label ``eks.amazonaws.com/nodegroup``);
  else from the only EC2 node role the cluster maps: ``kube-system/aws-auth`` ``mapRoles``
  entries in group ``system:nodes`` with username ``system:node:{{EC2PrivateDNSName}}``, or
  access entries of type ``EC2_LINUX``/``EC2_WINDOWS``/``EC2`` (each honoured only under the
  authentication mode that reads it); EKS Auto Mode nodes use ``computeConfig.nodeRoleArn``;
  Fargate nodes the pod execution role (aws-auth username ``system:node:{{SessionName}}``,
  access entry type ``FARGATE_LINUX``);
- pods reach IMDS unless the instance requires IMDSv2 with a PUT response hop limit of 1
  (the container's extra hop drops the token response) or the endpoint is disabled
  (AWS, "Amazon EKS security best practices: Restricting access to the IMDS and Amazon EC2
  instance profile credentials"; EC2 "Configure the Instance Metadata Service options").
  That is a launch-template setting: ``metadata`` is ``unknown`` unless ``aws ec2
  describe-instances`` is attached (``MetadataOptions.HttpTokens``, ``.HttpPutResponseHopLimit``,
  ``.HttpEndpoint``, matched by the instance id in ``spec.providerID``). With
  ``HttpTokens: optional`` IMDSv1 answers pods whatever the hop limit. Fargate pods have no
  EC2 instance metadata service (aws/aws-application-networking-k8s#261): ``blocked``.

GKE (identity ``cloud:gcp:<node service account email>``):

- the node pool's ``nodePools[].config.serviceAccount`` (node label
  ``cloud.google.com/gke-nodepool``); ``default`` or unset means the Compute Engine default
  service account, ``PROJECT_NUMBER-compute@developer.gserviceaccount.com``, whose number the
  description does not hold: its id is ``cloud:gcp:compute-default@<project id>``
  (:func:`gcp_default_sa`);
- ``workloadMetadataConfig.mode: GKE_METADATA`` runs the GKE metadata server, which serves
  pods their Workload Identity instead of the node's credentials; ``GCE_METADATA`` exposes all
  Compute Engine metadata (google/container/v1/cluster_service.proto, ``WorkloadMetadataConfig.Mode``).
  GKE labels nodes that run it ``iam.gke.io/gke-metadata-server-enabled: "true"`` (the cluster
  autoscaler's GKE DaemonSet labels; GKE docs: Autopilot rejects that nodeSelector "because all
  nodes use Workload Identity"), so the label decides without a description. The GKE metadata
  server can only run where Workload Identity is enabled on the cluster
  (``workloadIdentityConfig.workloadPool``).

AKS (identity ``cloud:azure:<kubelet identity client id>``):

- ``identityProfile.kubeletidentity.clientId`` (``az aks show``); a cluster on a service
  principal (``servicePrincipalProfile.clientId`` other than ``msi``) keeps it in
  ``/etc/kubernetes/azure.json`` on the node, not behind IMDS;
- pods with hostNetwork=false reach the Azure Instance Metadata Service unless
  ``networkProfile.podLinkLocalAccess`` (or the agent pool's ``podLinkLocalAccess``) is
  ``None``; "if not specified, the default is 'IMDS'" (ARM ``ContainerServiceNetworkProfile``,
  Azure SDK ``PodLinkLocalAccess``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, labels_of
from kubesec_nb.platform.describe import Description, cluster_description, norm, show
from kubesec_nb.platform.provider import COMPUTE_TYPE
from kubesec_nb.rbac.cloud import aws_auth_mappings, eks_auth_mode

OPEN, BLOCKED, UNKNOWN = "open", "blocked", "unknown"
GKE_POOL = "cloud.google.com/gke-nodepool"
GKE_MDS_LABEL = "iam.gke.io/gke-metadata-server-enabled"
EKS_NODEGROUP = "eks.amazonaws.com/nodegroup"
AKS_POOL_LABELS = ("kubernetes.azure.com/agentpool", "agentpool")
_EC2_ENTRY_TYPES = ("EC2_LINUX", "EC2_WINDOWS", "EC2")


@dataclass(frozen=True)
class NodeCloudAccess:
    """What a pod on ``node`` can get from the cloud: see the module docstring.

    ``identity`` is the attack-graph node id (``cloud:aws:<role arn>``, ``cloud:gcp:<email>``,
    ``cloud:azure:<client id>``) or None when unknown; ``metadata`` is ``open``, ``blocked`` or
    ``unknown`` for pods without hostNetwork; ``evidence`` names the fields and values behind both.
    """

    node: str
    identity: str | None
    metadata: str
    evidence: tuple[Evidence, ...]


def gcp_default_sa(project: str) -> str:
    """The attack-graph id of a project's Compute Engine default service account.

    >>> gcp_default_sa("media-prod")
    'cloud:gcp:compute-default@media-prod'
    """
    return f"cloud:gcp:compute-default@{project or 'unknown-project'}"


def node_cloud_access(model: Model) -> dict[str, NodeCloudAccess]:
    """Per node name: its cloud identity and whether pods can reach its credentials.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {
    ...     GKE_POOL: "default-pool", GKE_MDS_LABEL: "true"}}, "spec": {"providerID": "gce://p/z/n1"}}
    >>> acc = node_cloud_access(Model(Snapshot.from_objects([node])))["n1"]
    >>> acc.identity, acc.metadata
    (None, 'blocked')
    """
    readers: dict[str, Callable[[Model], Callable[[str, Mapping[str, Any]], NodeCloudAccess]]] = {
        "eks": _eks, "gke": _gke, "aks": _aks}
    reader = readers.get(model.provider)
    if reader is None:
        why = (Evidence("cluster", "provider", f"{model.provider}: no cloud identity model for this provider"),)
        return {n: NodeCloudAccess(n, None, UNKNOWN, why) for n in sorted(model.nodes)}
    per_node = reader(model)
    return {n: per_node(n, model.nodes[n]) for n in sorted(model.nodes)}


# ---- EKS ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Role:
    arn: str
    kind: str  # ec2 | fargate
    evidence: Evidence


def _docs(data: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(data, list):
        for d in data:
            yield from _docs(d)
    elif isinstance(data, Mapping):
        yield data


def _get(obj: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(obj, Mapping):
            return None
        obj = next((v for k, v in obj.items() if isinstance(k, str) and norm(k) == norm(part)), None)
    return obj


def _eks_roles(model: Model) -> list[_Role]:
    """Node and Fargate roles the cluster maps, each from a source its authentication mode honours."""
    mode = eks_auth_mode(model, "auto")
    out: list[_Role] = []
    if mode != "API":
        for m in aws_auth_mappings(model):
            if "system:nodes" in m.groups:
                kind = "fargate" if "{{SessionName}}" in m.username else "ec2"
                out.append(_Role(m.principal, kind, m.evidence[0]))
    if mode != "CONFIG_MAP":
        for att in model.snapshot.attachments:
            if att.kind != "eks-access-entries":
                continue
            for i, doc in enumerate(_docs(att.data)):
                entry = _get(doc, "accessEntry")
                arn, typ = _get(entry, "principalArn"), str(_get(entry, "type") or "")
                if isinstance(arn, str) and (typ in _EC2_ENTRY_TYPES or typ == "FARGATE_LINUX"):
                    ev = Evidence(f"EKS access entry {arn} ({att.source})", f"[{i}].accessEntry.type", typ)
                    out.append(_Role(arn, "fargate" if typ == "FARGATE_LINUX" else "ec2", ev))
    return out


def _nodegroups(model: Model) -> dict[str, tuple[str, Evidence]]:
    out: dict[str, tuple[str, Evidence]] = {}
    for att in model.snapshot.attachments:
        if att.kind != "eks-nodegroups":
            continue
        for i, doc in enumerate(_docs(att.data)):
            ng = _get(doc, "nodegroup")
            name, role = _get(ng, "nodegroupName"), _get(ng, "nodeRole")
            if isinstance(name, str) and isinstance(role, str):
                out.setdefault(name, (role, Evidence(f"EKS node group {name} ({att.source})",
                                                     f"[{i}].nodegroup.nodeRole", role)))
    return out


def _instances(model: Model) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """Instance id → (source, instance) from ``ec2-instances`` attachments."""
    out: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for att in model.snapshot.attachments:
        if att.kind != "ec2-instances":
            continue
        for doc in _docs(att.data):
            for res in _get(doc, "Reservations") or []:
                for inst in _get(res, "Instances") or []:
                    iid = _get(inst, "InstanceId")
                    if isinstance(iid, str):
                        out.setdefault(iid, (att.source, inst))
    return out


def imds_state(options: Mapping[str, Any], where: str) -> tuple[str, tuple[Evidence, ...]]:
    """``open`` or ``blocked`` for pods from an EC2 instance's ``MetadataOptions``.

    >>> imds_state({"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"}, "i-1")[0]
    'blocked'
    >>> imds_state({"HttpTokens": "optional", "HttpPutResponseHopLimit": 1}, "i-1")[0]
    'open'
    """
    tokens, hops, endpoint = (_get(options, k) for k in ("HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint"))
    ev = tuple(Evidence(where, f"MetadataOptions.{k}", show(v)) for k, v in (
        ("HttpEndpoint", endpoint), ("HttpTokens", tokens), ("HttpPutResponseHopLimit", hops)))
    if str(endpoint).lower() == "disabled":
        return BLOCKED, ev
    if str(tokens).lower() == "required" and hops == 1:
        return BLOCKED, ev
    return OPEN, ev


def _eks(model: Model) -> Callable[[str, Mapping[str, Any]], NodeCloudAccess]:
    desc = cluster_description(model.snapshot, "eks")
    roles = _eks_roles(model)
    ec2 = sorted({r.arn: r for r in roles if r.kind == "ec2"}.values(), key=lambda r: r.arn)
    fargate = sorted({r.arn: r for r in roles if r.kind == "fargate"}.values(), key=lambda r: r.arn)
    groups, instances = _nodegroups(model), _instances(model)

    unseen = [] if eks_auth_mode(model, "auto") == "CONFIG_MAP" or model.snapshot.attachment(
        "eks-access-entries") is not None else [Evidence("cluster", "EKS access entries", "not attached: node roles "
                                                         "mapped there are not seen")]

    def only(cands: list[_Role], what: str) -> tuple[str | None, list[Evidence]]:
        if len(cands) == 1:
            return f"cloud:aws:{cands[0].arn}", [cands[0].evidence, *unseen]
        listed = ", ".join(r.arn for r in cands) or "none"
        return None, [Evidence("cluster", f"{what} roles mapped", f"{listed}: cannot tell which this node uses "
                               "(attach `aws eks describe-nodegroup` output)" if cands else listed)]

    def per_node(name: str, node: Mapping[str, Any]) -> NodeCloudAccess:
        labels = labels_of(node)
        compute = labels.get(COMPUTE_TYPE, "")
        identity: str | None
        ev: list[Evidence]
        if compute == "fargate":
            identity, ev = only(fargate, "Fargate pod execution")
            ev.append(Evidence(f"Node {name}", f"metadata.labels[{COMPUTE_TYPE}]",
                               "fargate: Fargate pods have no EC2 instance metadata service"))
            return NodeCloudAccess(name, identity, BLOCKED, tuple(ev))
        group = labels.get(EKS_NODEGROUP)
        if compute == "auto" and desc is not None and desc.get("computeConfig.nodeRoleArn"):
            identity = f"cloud:aws:{desc.get('computeConfig.nodeRoleArn')}"
            ev = [Evidence(f"Node {name}", f"metadata.labels[{COMPUTE_TYPE}]", "auto"),
                  desc.evidence("computeConfig.nodeRoleArn")]
        elif group and group in groups:
            identity = f"cloud:aws:{groups[group][0]}"
            ev = [Evidence(f"Node {name}", f"metadata.labels[{EKS_NODEGROUP}]", group), groups[group][1]]
        else:
            identity, ev = only(ec2, "EC2 node")
        iid = str((node.get("spec") or {}).get("providerID", "")).rsplit("/", 1)[-1]
        if iid in instances:
            source, inst = instances[iid]
            state, more = imds_state(_get(inst, "MetadataOptions") or {}, f"EC2 instance {iid} ({source})")
            return NodeCloudAccess(name, identity, state, (*ev, *more))
        ev.append(Evidence(f"Node {name}", "spec.providerID",
                           f"{iid or 'unset'}: instance metadata options not attached (IMDSv2 and hop limit are "
                           "launch-template settings; attach `aws ec2 describe-instances` output)"))
        return NodeCloudAccess(name, identity, UNKNOWN, tuple(ev))

    return per_node


# ---- GKE ----------------------------------------------------------------------------------------------
_PROJECT = re.compile(r"projects/([^/]+)/")


def _gke_project(model: Model, desc: Description | None) -> str:
    link = str(desc.get("selfLink", "")) if desc is not None else ""
    m = _PROJECT.search(link)
    if m:
        return m.group(1)
    for node in model.nodes.values():
        pid = str((node.get("spec") or {}).get("providerID", ""))
        if pid.startswith("gce://"):
            return pid[len("gce://"):].split("/", 1)[0]
    return ""


def _gke(model: Model) -> Callable[[str, Mapping[str, Any]], NodeCloudAccess]:
    desc = cluster_description(model.snapshot, "gke")
    project = _gke_project(model, desc)
    pools = {str(p.get("name")): (path, p) for path, p in desc.items("nodePools")} if desc is not None else {}

    def per_node(name: str, node: Mapping[str, Any]) -> NodeCloudAccess:
        labels = labels_of(node)
        pool_name = labels.get(GKE_POOL, "")
        ev: list[Evidence] = []
        if desc is None:
            identity = None
            ev.append(Evidence(f"Node {name}", "node service account",
                               "unknown: no GKE cluster description attached"))
        else:
            identity, sa_ev = _gke_sa(desc, pools.get(pool_name), project)
            ev += sa_ev
        state, md_ev = _gke_metadata(desc, pools.get(pool_name), name, labels)
        return NodeCloudAccess(name, identity, state, (*ev, *md_ev))

    return per_node


def _gke_sa(desc: Description, pool: tuple[str, Mapping[str, Any]] | None,
            project: str) -> tuple[str, list[Evidence]]:
    if pool is not None:
        found = desc.find("config.serviceAccount", pool[1], pool[0])
    else:  # auto-provisioned pools (Autopilot, node auto-provisioning) take the defaults
        found = desc.find("autoscaling.autoprovisioningNodePoolDefaults.serviceAccount")
        if not found.present:
            found = desc.find("nodeConfig.serviceAccount")
    value = found.value
    ev = [Evidence(desc.label, found.path, show(value))]
    if not value or value == "default":
        ev.append(Evidence(desc.label, "project", f"{project or 'unknown'}: the Compute Engine default service "
                                                  "account (PROJECT_NUMBER-compute@developer.gserviceaccount.com)"))
        return gcp_default_sa(project), ev
    return f"cloud:gcp:{value}", ev


def _gke_metadata(desc: Description | None, pool: tuple[str, Mapping[str, Any]] | None, name: str,
                  labels: Mapping[str, str]) -> tuple[str, list[Evidence]]:
    if labels.get(GKE_MDS_LABEL) == "true":
        return BLOCKED, [Evidence(f"Node {name}", f"metadata.labels[{GKE_MDS_LABEL}]", "true")]
    if desc is not None:
        if pool is not None:
            found = desc.find("config.workloadMetadataConfig.mode", pool[1], pool[0])
            if found.value in ("GKE_METADATA", "GCE_METADATA"):
                return (BLOCKED if found.value == "GKE_METADATA" else OPEN), [Evidence(desc.label, found.path,
                                                                                       found.value)]
        if desc.get("autopilot.enabled") is True:
            return BLOCKED, [desc.evidence("autopilot.enabled")]
        if not desc.get("workloadIdentityConfig.workloadPool"):
            return OPEN, [desc.evidence("workloadIdentityConfig.workloadPool"),
                          Evidence(desc.label, "GKE metadata server", "cannot run without Workload Identity")]
    if GKE_POOL in labels:  # GKE labels every node it runs the metadata server on
        return OPEN, [Evidence(f"Node {name}", f"metadata.labels[{GKE_MDS_LABEL}]",
                               "unset: the GKE metadata server does not run on this node")]
    return UNKNOWN, [Evidence(f"Node {name}", f"metadata.labels[{GKE_MDS_LABEL}]", "unset, and not a GKE node pool")]


# ---- AKS ----------------------------------------------------------------------------------------------
def _aks(model: Model) -> Callable[[str, Mapping[str, Any]], NodeCloudAccess]:
    desc = cluster_description(model.snapshot, "aks")
    pools = {str(p.get("name")): (path, p) for path, p in desc.items("agentPoolProfiles")} if desc is not None \
        else {}

    def per_node(name: str, node: Mapping[str, Any]) -> NodeCloudAccess:
        if desc is None:
            return NodeCloudAccess(name, None, UNKNOWN, (Evidence(
                f"Node {name}", "kubelet identity", "unknown: no AKS cluster description attached"),))
        labels = labels_of(node)
        kubelet = desc.find("identityProfile.kubeletidentity.clientId")
        ev: list[Evidence] = [Evidence(desc.label, kubelet.path, show(kubelet.value))]
        identity = f"cloud:azure:{kubelet.value}" if kubelet.present else None
        if identity is None:
            sp = desc.find("servicePrincipalProfile.clientId")
            if sp.present and str(sp.value).lower() != "msi":
                ev.append(Evidence(desc.label, sp.path, f"{sp.value} (service principal: credentials in "
                                                        "/etc/kubernetes/azure.json on the node, not behind IMDS)"))
                identity = f"cloud:azure:{sp.value}"
        pool_name = next((labels[k] for k in AKS_POOL_LABELS if k in labels), "")
        pool = pools.get(pool_name)
        found = desc.find("podLinkLocalAccess", pool[1], pool[0]) if pool is not None else None
        if found is None or not found.present:
            found = desc.find("networkProfile.podLinkLocalAccess")
        state = BLOCKED if str(found.value).lower() == "none" and found.present else OPEN
        shown = found.value if found.present else "unset (default IMDS: pods reach the metadata service)"
        ev.append(Evidence(desc.label, found.path, show(shown)))
        return NodeCloudAccess(name, identity, state, tuple(ev))

    return per_node
