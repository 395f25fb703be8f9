"""Cloud identities linked to Kubernetes subjects, in both directions.

Kubernetes → cloud (a pod of the service account obtains cloud credentials):

* EKS IRSA: service account annotation ``eks.amazonaws.com/role-arn``;
* GKE Workload Identity: annotation ``iam.gke.io/gcp-service-account``;
* AKS Workload Identity: annotation ``azure.workload.identity/client-id``; the webhook only
  injects the token into pods labelled ``azure.workload.identity/use: "true"``, which anyone
  able to create pods with that service account can set, so the link exists either way and
  ``active`` tells whether a running pod uses it.

Cloud → Kubernetes (a cloud principal authenticates as a Kubernetes user and groups):

* EKS ``kube-system/aws-auth`` ``mapRoles``/``mapUsers`` (honoured unless the cluster's
  authentication mode is ``API``);
* EKS access entries from an ``eks-access-entries`` attachment (``aws eks describe-access-entry``,
  ``list-associated-access-policies``; honoured unless the mode is ``CONFIG_MAP``), with their
  Kubernetes groups and EKS access policies.

The IAM side (trust policies, IAM bindings on the Google service account, federated
credentials) is not in a snapshot; the links here are what the cluster declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, labels_of, object_key
from kubesec_nb.rbac.subjects import MASTERS, Identity, service_account
from kubesec_nb.snapshot.provider import AKS_WI as AKS_WI
from kubesec_nb.snapshot.provider import GKE_WI as GKE_WI
from kubesec_nb.snapshot.provider import IRSA as IRSA

AKS_WI_LABEL = "azure.workload.identity/use"

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
ADMIN_POLICY = "AmazonEKSAdminPolicy"


@dataclass(frozen=True)
class CloudLink:
    """A service account that can act as a cloud identity."""

    service_account: str
    cloud: str
    provider: str
    mechanism: str
    evidence: tuple[Evidence, ...]
    active: bool
    pods: tuple[str, ...]

    @property
    def identity(self) -> Identity:
        """The service account as a Kubernetes identity (its ``subject`` and attack-graph ``node_id``)."""
        return service_account(self.service_account)


@dataclass(frozen=True)
class CloudMapping:
    """A cloud principal that authenticates to the cluster as ``username`` with ``groups``.

    ``policies`` are EKS access policies with their scope (``cluster`` or namespaces).
    ``honoured`` is False when the cluster's authentication mode ignores this source.
    """

    cloud: str
    principal: str
    username: str
    groups: tuple[str, ...]
    source: str
    policies: tuple[tuple[str, str], ...]
    evidence: tuple[Evidence, ...]
    honoured: bool = True

    @property
    def masters(self) -> bool:
        return MASTERS in self.groups


def service_account_links(model: Model) -> list[CloudLink]:
    """Cloud identities declared on service accounts, sorted by service account.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> snap = Snapshot.from_objects([{"apiVersion": "v1", "kind": "ServiceAccount",
    ...     "metadata": {"name": "api", "namespace": "shop",
    ...                  "annotations": {IRSA: "arn:aws:iam::1:role/shop-api"}}}])
    >>> [(l.service_account, l.cloud) for l in service_account_links(Model(snap))]
    [('shop/api', 'cloud:aws:arn:aws:iam::1:role/shop-api')]
    """
    out: list[CloudLink] = []
    for key, sa in sorted(model.service_accounts.items()):
        ann = (sa.get("metadata") or {}).get("annotations") or {}
        for annotation, provider, mechanism, prefix in (
                (IRSA, "aws", "irsa", "cloud:aws:"), (GKE_WI, "gcp", "gke-workload-identity", "cloud:gcp:"),
                (AKS_WI, "azure", "azure-workload-identity", "cloud:azure:")):
            value = ann.get(annotation)
            if not isinstance(value, str) or not value.strip():
                continue
            ev = [Evidence(f"ServiceAccount {key}", f"metadata.annotations[{annotation}]", value)]
            # the Azure webhook only serves pods that carry the label
            using = sorted(object_key(p) for p in model.pods_using(key)
                           if provider != "azure" or labels_of(p).get(AKS_WI_LABEL) == "true")
            if provider == "azure":
                ev.append(Evidence(f"ServiceAccount {key}", f"pods labelled {AKS_WI_LABEL}=true",
                                   ", ".join(using) or "none running (any pod creator can add the label)"))
            out.append(CloudLink(key, prefix + value.strip(), provider, mechanism, tuple(ev), bool(using),
                                 tuple(using)))
    return out


def _yaml_list(text: Any) -> list[dict[str, Any]]:
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    return [d for d in doc if isinstance(d, dict)] if isinstance(doc, list) else []


def aws_auth_mappings(model: Model, honoured: bool = True) -> list[CloudMapping]:
    """IAM roles and users mapped by ``kube-system/aws-auth``.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
    ...       "data": {"mapRoles": "- rolearn: arn:aws:iam::1:role/ops\\n  username: ops\\n  groups: [system:masters]"}}
    >>> [(m.username, m.groups) for m in aws_auth_mappings(Model(Snapshot.from_objects([cm])))]
    [('ops', ('system:masters',))]
    """
    cm = model.configmap("kube-system", "aws-auth")
    if cm is None:
        return []
    data = cm.get("data") or {}
    out: list[CloudMapping] = []
    for field, arn_key in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
        for i, entry in enumerate(_yaml_list(data.get(field))):
            arn = str(entry.get(arn_key) or "")
            if not arn:
                continue
            groups = tuple(str(g) for g in entry.get("groups") or [] if isinstance(g, str))
            username = str(entry.get("username") or arn)
            ev = (Evidence("ConfigMap kube-system/aws-auth", f"data.{field}[{i}]",
                           f"{arn_key}={arn} username={username} groups={list(groups)}"),)
            out.append(CloudMapping(f"cloud:aws:{arn}", arn, username, groups, f"aws-auth {field}", (), ev,
                                    honoured))
    return out


def _docs(data: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(data, list):
        for d in data:
            yield from _docs(d)
    elif isinstance(data, Mapping):
        yield data


def access_entry_mappings(attachments: Iterable[Any], honoured: bool = True) -> list[CloudMapping]:
    """EKS access entries and their policies from ``eks-access-entries`` attachments.

    >>> doc = [{"accessEntry": {"principalArn": "arn:aws:iam::1:role/admin", "kubernetesGroups": [],
    ...         "username": "arn:aws:sts::1:assumed-role/admin/{{SessionName}}"}},
    ...        {"principalArn": "arn:aws:iam::1:role/admin", "associatedAccessPolicies": [
    ...         {"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    ...          "accessScope": {"type": "cluster"}}]}]
    >>> [m.policies for m in access_entry_mappings([doc])]
    [(('AmazonEKSClusterAdminPolicy', 'cluster'),)]
    """
    entries: dict[str, dict[str, Any]] = {}
    for data in attachments:
        for d in _docs(data):
            for arn in d.get("accessEntries") or []:
                if isinstance(arn, str):
                    entries.setdefault(arn, {"groups": (), "username": "", "policies": []})
            entry = d.get("accessEntry")
            if isinstance(entry, Mapping) and isinstance(entry.get("principalArn"), str):
                e = entries.setdefault(entry["principalArn"], {"groups": (), "username": "", "policies": []})
                e["groups"] = tuple(str(g) for g in entry.get("kubernetesGroups") or [])
                e["username"] = str(entry.get("username") or "")
                e["type"] = str(entry.get("type") or "STANDARD")
            pols = d.get("associatedAccessPolicies")
            owner = d.get("principalArn") or (entry.get("principalArn") if isinstance(entry, Mapping) else None)
            if isinstance(pols, list) and isinstance(owner, str):
                e = entries.setdefault(owner, {"groups": (), "username": "", "policies": []})
                for p in pols:
                    if not isinstance(p, Mapping):
                        continue
                    name = str(p.get("policyArn", "")).rsplit("/", 1)[-1]
                    scope = p.get("accessScope") or {}
                    where = "cluster" if scope.get("type") != "namespace" else \
                        ",".join(sorted(str(n) for n in scope.get("namespaces") or []))
                    e["policies"].append((name, where))
    out: list[CloudMapping] = []
    for arn, e in sorted(entries.items()):
        policies = tuple(sorted(set(e["policies"])))
        username = e["username"] or arn
        ev = (Evidence(f"EKS access entry {arn}", "kubernetesGroups / username",
                       f"username={username} groups={list(e['groups'])}"),
              *(Evidence(f"EKS access entry {arn}", "associatedAccessPolicies", f"{p} scope={s}")
                for p, s in policies))
        out.append(CloudMapping(f"cloud:aws:{arn}", arn, username, e["groups"], "EKS access entry", policies, ev,
                                honoured))
    return out


def eks_auth_mode(model: Model, option: str) -> str:
    """The EKS authentication mode: the option, else the eks-cluster attachment, else API_AND_CONFIG_MAP."""
    if option != "auto":
        return option
    att = model.snapshot.attachment("eks-cluster")
    if att is not None and isinstance(att.data, Mapping):
        mode = ((att.data.get("cluster") or {}).get("accessConfig") or {}).get("authenticationMode")
        if isinstance(mode, str) and mode:
            return mode
    return "API_AND_CONFIG_MAP"


def cloud_mappings(model: Model, auth_mode: str) -> list[CloudMapping]:
    """aws-auth and access-entry mappings, each marked with whether the mode honours it."""
    atts = [a.data for a in model.snapshot.attachments if a.kind == "eks-access-entries"]
    return [*aws_auth_mappings(model, honoured=auth_mode != "API"),
            *access_entry_mappings(atts, honoured=auth_mode != "CONFIG_MAP")]
