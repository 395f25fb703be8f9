"""Attached cloud cluster descriptions, read the same way whatever tool wrote them.

The same cluster description comes in several spellings (reference/posture-cloud.md §2):

- GKE: ``gcloud container clusters describe --format=json`` prints camelCase
  (``databaseEncryption.state``); the Python and Go client libraries print the protobuf
  snake_case names (``database_encryption.state``), and ``proto-plus``'s ``to_dict`` writes
  enum values as integers (``"state": 1``);
- EKS: ``aws eks describe-cluster`` and boto3 print camelCase under a top-level ``cluster``;
  the Go SDK marshals PascalCase (``Cluster.ResourcesVpcConfig.EndpointPublicAccess``);
- AKS: ``az aks show -o json`` flattens the ARM ``properties`` and re-cases some acronyms
  (``enableRbac``, ``authorizedIpRanges``); the ARM REST document keeps ``properties`` and
  ARM's casing (``enableRBAC``, ``authorizedIPRanges``); the Python SDK's ``as_dict`` writes
  snake_case (``api_server_access_profile``).

:class:`Description` resolves a dotted path written as the CLI spells it against any of
these: keys are compared without case and without underscores, the EKS ``cluster`` and the
AKS ``properties`` wrappers are looked through, and integer enum values of the GKE fields
in :data:`GKE_ENUMS` are turned into their names (from ``google/container/v1/cluster_service.proto``,
googleapis/googleapis). Evidence names the path as the attached document spells it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubesec_nb.checks import Evidence
from kubesec_nb.snapshot.document import Attachment, Snapshot

#: Attachment kind → provider and the command that produces it.
KINDS: dict[str, tuple[str, str]] = {
    "gke-cluster": ("gke", "gcloud container clusters describe CLUSTER --location LOCATION --format=json"),
    "eks-cluster": ("eks", "aws eks describe-cluster --name CLUSTER --output json"),
    "aks-cluster": ("aks", "az aks show --resource-group RG --name CLUSTER -o json"),
    "eks-access-entries": ("eks", "aws eks list-access-entries --cluster-name CLUSTER, then describe-access-entry and "
                                  "list-associated-access-policies for each principal"),
    "aks-diagnostic-settings": ("aks", "az monitor diagnostic-settings list --resource <cluster resource id> -o json"),
    "eks-nodegroups": ("eks", "aws eks describe-nodegroup --cluster-name CLUSTER --nodegroup-name NODEGROUP "
                              "--output json (one per node group, as a JSON list)"),
    "eks-addons": ("eks", "aws eks describe-addon --cluster-name CLUSTER --addon-name ADDON --output json (one per "
                          "add-on of `aws eks list-addons`, as a JSON list)"),
    "ec2-instances": ("eks", "aws ec2 describe-instances --filters Name=tag-key,Values=kubernetes.io/cluster/CLUSTER "
                             "--output json"),
}
#: The cluster description of each provider.
CLUSTER_KIND = {"gke": "gke-cluster", "eks": "eks-cluster", "aks": "aks-cluster"}
_LABEL = {"gke": "GKE cluster", "eks": "EKS cluster", "aks": "AKS cluster"}

#: GKE enums whose SDK dictionaries may hold integers: field (normalised last key) → names by number.
GKE_ENUMS: dict[str, dict[int, str]] = {
    "state": {0: "UNKNOWN", 1: "ENCRYPTED", 2: "DECRYPTED", 3: "ALL_OBJECTS_ENCRYPTION_ENABLED"},
    "evaluationmode": {0: "EVALUATION_MODE_UNSPECIFIED", 1: "DISABLED", 2: "PROJECT_SINGLETON_POLICY_ENFORCE"},
    "mode": {0: "MODE_UNSPECIFIED", 1: "GCE_METADATA", 2: "GKE_METADATA"},
    "channel": {0: "UNSPECIFIED", 1: "RAPID", 2: "REGULAR", 3: "STABLE", 4: "EXTENDED"},
    "datapathprovider": {0: "DATAPATH_PROVIDER_UNSPECIFIED", 1: "LEGACY_DATAPATH", 2: "ADVANCED_DATAPATH"},
    "enablecomponents": {0: "COMPONENT_UNSPECIFIED", 1: "SYSTEM_COMPONENTS", 2: "WORKLOADS", 3: "APISERVER",
                         4: "SCHEDULER", 5: "CONTROLLER_MANAGER", 7: "KCP_SSHD", 8: "KCP_CONNECTION", 9: "KCP_HPA",
                         10: "KCP_VPA"},
    "provider": {0: "PROVIDER_UNSPECIFIED", 1: "CALICO"},
    "vulnerabilitymode": {0: "VULNERABILITY_MODE_UNSPECIFIED", 1: "VULNERABILITY_DISABLED", 2: "VULNERABILITY_BASIC",
                          3: "VULNERABILITY_ENTERPRISE"},
}
#: GKE ``securityPostureConfig.mode`` shares the last key ``mode`` with the metadata mode.
_GKE_POSTURE_MODES = {0: "MODE_UNSPECIFIED", 1: "DISABLED", 2: "BASIC", 3: "ENTERPRISE"}


def norm(key: str) -> str:
    """A key compared without case or underscores.

    >>> norm("resources_vpc_config") == norm("ResourcesVpcConfig") == norm("resourcesVpcConfig")
    True
    """
    return key.replace("_", "").replace("-", "").lower()


def _child(obj: Any, key: str) -> tuple[str, Any] | None:
    """``(actual key, value)`` of ``key`` in mapping ``obj`` (exact first, then normalised)."""
    if not isinstance(obj, Mapping):
        return None
    if key in obj:
        return key, obj[key]
    want = norm(key)
    for k, v in obj.items():
        if isinstance(k, str) and norm(k) == want:
            return k, v
    return None


class Fields(Mapping[str, Any]):
    """A read-only view of a mapping whose keys are looked up in any casing (``get("name")`` finds ``Name``).

    >>> Fields({"NodegroupName": "a"}).get("nodegroupName")
    'a'
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        hit = _child(self._data, key)
        if hit is None:
            raise KeyError(key)
        return hit[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


@dataclass(frozen=True)
class Found:
    """A value found at a path, with the path as the document spells it (``None`` value: absent)."""

    path: str
    value: Any

    @property
    def present(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Description:
    """One attached cloud document (a cluster description, access entries, diagnostic settings).

    ``roots`` are the mappings paths are resolved in, in order, each with the prefix the
    document spells before them (``cluster.`` for the EKS CLI, ``properties.`` for ARM).

    >>> d = Description.of(Attachment("eks-cluster", "d.json", {"Cluster": {"Name": "shop",
    ...     "ResourcesVpcConfig": {"EndpointPublicAccess": True}}}))
    >>> d.get("resourcesVpcConfig.endpointPublicAccess"), d.find("resourcesVpcConfig.endpointPublicAccess").path
    (True, 'Cluster.ResourcesVpcConfig.EndpointPublicAccess')
    >>> d.name
    'shop'
    """

    kind: str
    source: str
    data: Any
    roots: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, att: Attachment) -> Description:
        """The description of an attachment, looking through the ``cluster``/``properties`` wrapper."""
        data = att.data
        wrapper = {"eks-cluster": "cluster", "aks-cluster": "properties"}.get(att.kind)
        hit = _child(data, wrapper) if wrapper else None
        if hit is None or not isinstance(hit[1], Mapping):
            return cls(att.kind, att.source, data, (("", data),))
        if att.kind == "eks-cluster":
            return cls(att.kind, att.source, data, ((f"{hit[0]}.", hit[1]),))
        # ARM keeps name, id, sku and identity outside properties
        return cls(att.kind, att.source, data, ((f"{hit[0]}.", hit[1]), ("", data)))

    @property
    def provider(self) -> str:
        return KINDS.get(self.kind, ("unknown", ""))[0]

    @property
    def command(self) -> str:
        """The command that produces this kind of document."""
        return KINDS.get(self.kind, ("", ""))[1]

    @property
    def name(self) -> str:
        value = self.get("name")
        return str(value) if isinstance(value, str) else ""

    @property
    def label(self) -> str:
        """How evidence names the document: ``EKS cluster shop (describe.json)``."""
        what = _LABEL.get(self.provider, self.kind) if self.kind in CLUSTER_KIND.values() else self.kind
        name = f" {self.name}" if self.name else ""
        return f"{what}{name} ({self.source})"

    def find(self, path: str, base: Any = None, base_path: str = "") -> Found:
        """The value at a dotted ``path`` (the CLI's spelling) and the path as spelled in the document.

        A missing step gives ``Found(<the path as asked>, None)``. ``base`` resolves the path
        relative to an object found earlier (a node pool), ``base_path`` its spelled path.
        """
        parts = path.split(".")
        roots = ((f"{base_path}." if base_path else "", base),) if base is not None else self.roots
        for prefix, obj in roots:
            spelled: list[str] = []
            for part in parts:
                hit = _child(obj, part)
                if hit is None:
                    break
                spelled.append(hit[0])
                obj = hit[1]
            else:
                return Found(prefix + ".".join(spelled), self._enum(parts[-1], path, obj))
        return Found((roots[0][0] if roots else "") + path, None)

    def _enum(self, last: str, path: str, value: Any) -> Any:
        if self.provider != "gke" or isinstance(value, bool):
            return value
        table = _GKE_POSTURE_MODES if norm(path).startswith("securityposture") and norm(last) == "mode" \
            else GKE_ENUMS.get(norm(last))
        if table is None:
            return value
        if isinstance(value, int):
            return table.get(value, str(value))
        if isinstance(value, list):
            return [table.get(v, str(v)) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    def get(self, path: str, default: Any = None) -> Any:
        """The value at ``path``, or ``default`` when absent or null."""
        found = self.find(path)
        return default if found.value is None else found.value

    def items(self, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """``(spelled path with index, item)`` for each mapping in the list at ``path``; items read their keys
        in any casing (:class:`Fields`)."""
        found = self.find(path)
        if isinstance(found.value, Sequence) and not isinstance(found.value, str):
            for i, item in enumerate(found.value):
                if isinstance(item, Mapping):
                    yield f"{found.path}[{i}]", Fields(item)

    def documents(self) -> Iterator[Mapping[str, Any]]:
        """The documents of an attachment that holds one or a JSON list of them (add-ons, node groups)."""
        for doc in self.data if isinstance(self.data, list) else [self.data]:
            if isinstance(doc, Mapping):
                yield Fields(doc)

    def evidence(self, path: str, value: Any = None, *, base: Any = None, base_path: str = "") -> Evidence:
        """Evidence for the field at ``path``: the document, the field as spelled there, its value
        (``value`` overrides the value shown; an absent field shows ``unset``)."""
        found = self.find(path, base, base_path)
        shown = found.value if value is None else value
        return Evidence(self.label, found.path, show(shown))


def show(value: Any) -> str:
    """A field value as evidence shows it: JSON-like, ``unset`` when absent.

    >>> show(True), show(None), show(["0.0.0.0/0"]), show({"enabled": False})
    ('true', 'unset', '["0.0.0.0/0"]', '{"enabled": false}')
    """
    import json

    if value is None:
        return "unset"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def descriptions(snap: Snapshot, kind: str) -> list[Description]:
    """Every attachment of ``kind`` as a :class:`Description`, in attachment order."""
    return [Description.of(a) for a in snap.attachments if a.kind == kind]


def cluster_description(snap: Snapshot, provider: str) -> Description | None:
    """The cluster description attached for ``provider`` (``gke``, ``eks``, ``aks``), if any.

    >>> cluster_description(Snapshot(), "eks") is None
    True
    """
    kind = CLUSTER_KIND.get(provider)
    found = descriptions(snap, kind) if kind else []
    return found[0] if found else None


def missing_description(provider: str, kind: str | None = None) -> str:
    """The not_assessed reason naming the exact command that would provide the input.

    >>> missing_description("eks")
    'no EKS cluster description attached; run `aws eks describe-cluster --name CLUSTER --output json > eks.json` \
and `kubesec-nb attach SNAPSHOT eks.json`'
    """
    kind = kind or CLUSTER_KIND[provider]
    what = {"eks-access-entries": "EKS access entries", "aks-diagnostic-settings": "AKS diagnostic settings"}.get(
        kind, f"{_LABEL.get(provider, provider)} description")
    out = f"{provider}.json" if kind in CLUSTER_KIND.values() else f"{kind}.json"
    return (f"no {what} attached; run `{KINDS[kind][1]} > {out}` and `kubesec-nb attach SNAPSHOT {out}`")
