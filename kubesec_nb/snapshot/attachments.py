"""External documents attached to a snapshot: cloud cluster descriptions and scanner reports.

Recognised documents (``kind="auto"`` tells them apart by shape):

==========================  ==================================================================
``gke-cluster``             ``gcloud container clusters describe NAME --format=json``
``eks-cluster``             ``aws eks describe-cluster --name NAME`` (top-level ``cluster``)
``aks-cluster``             ``az aks show -g RG -n NAME -o json`` (flattened or ARM ``properties``)
``trivy``                   ``trivy image --format json`` or ``trivy k8s --format json``
``eks-access-entries``      ``aws eks list-access-entries`` / ``describe-access-entry`` output,
                            one document or a JSON list of them
``aks-diagnostic-settings`` ``az monitor diagnostic-settings list --resource <cluster id>``
``eks-nodegroups``          ``aws eks describe-nodegroup`` output (top-level ``nodegroup``),
                            one document or a JSON list of them
``ec2-instances``           ``aws ec2 describe-instances`` output (``Reservations``): the nodes'
                            instance metadata options and instance profiles
``eks-addons``              ``aws eks describe-addon`` output (top-level ``addon``), one document
                            or a JSON list of them
``audit-log``               Kubernetes audit logs (native, EKS CloudWatch, GKE Cloud Logging, AKS
                            ``kube-audit``), summarised: see :mod:`kubesec_nb.snapshot.auditlog`
==========================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot.auditlog import KIND as KIND_AUDIT
from kubesec_nb.snapshot.auditlog import load_audit_log, sniff
from kubesec_nb.snapshot.document import ATTACHMENT_KINDS, Attachment, read_json


def guess_kind(doc: Any) -> str | None:
    """Which attachment kind a parsed document is, or None.

    >>> guess_kind({"cluster": {"arn": "arn:aws:eks:eu-west-1:1:cluster/x"}})
    'eks-cluster'
    >>> guess_kind({"SchemaVersion": 2, "ArtifactName": "nginx:1.25", "Results": []})
    'trivy'
    """
    if isinstance(doc, list):
        if doc and all(isinstance(d, dict) and "logs" in d for d in doc):
            return "aks-diagnostic-settings"
        kinds = {guess_kind(d) for d in doc}
        if len(kinds) == 1:
            return kinds.pop()
        return None
    if not isinstance(doc, dict):
        return None
    # cluster descriptions come in CLI (camelCase) and SDK (snake_case, PascalCase) spellings
    keys = {_norm(k): v for k, v in doc.items() if isinstance(k, str)}
    eks = keys.get("cluster")
    if isinstance(eks, dict) and (str(eks.get("arn", eks.get("Arn", ""))).startswith("arn:aws") or
                                  "resourcesvpcconfig" in {_norm(k) for k in eks}):
        return "eks-cluster"
    if "accessEntries" in doc or "accessEntry" in doc or "associatedAccessPolicies" in doc:
        return "eks-access-entries"
    if isinstance(doc.get("nodegroup"), dict):
        return "eks-nodegroups"
    if isinstance(doc.get("addon"), dict):
        return "eks-addons"
    if isinstance(doc.get("Reservations"), list):
        return "ec2-instances"
    if "SchemaVersion" in doc or ("ClusterName" in doc and ("Resources" in doc or "Findings" in doc)):
        return "trivy"
    rtype = str(doc.get("type", "")).lower()
    props: dict[str, Any] = keys["properties"] if isinstance(keys.get("properties"), dict) else doc
    if rtype == "microsoft.containerservice/managedclusters" or "agentpoolprofiles" in {
            _norm(k) for k in props if isinstance(k, str)}:
        return "aks-cluster"
    if "currentmasterversion" in keys or "nodepools" in keys or "container.googleapis.com" in str(
            keys.get("selflink", "")):
        return "gke-cluster"
    if isinstance(doc.get("value"), list) and all(isinstance(d, dict) and "logs" in d for d in doc["value"]):
        return "aks-diagnostic-settings"
    return None


def _norm(key: str) -> str:
    return key.replace("_", "").lower()


def load_attachment(kind: str, path: Path | Sequence[Path]) -> Attachment:
    """Read and recognise an attachment file (audit logs: one or more); errors name the file and what was
    expected."""
    if kind == KIND_AUDIT or (kind == "auto" and isinstance(path, Path) and sniff(path)):
        return load_audit_log([path] if isinstance(path, Path) else path)
    if not isinstance(path, Path):
        if len(path) != 1:
            raise SnapshotError(f"attach one {kind} file at a time", file=", ".join(str(p) for p in path))
        path = path[0]
    doc = read_json(path)
    found = guess_kind(doc)
    if kind == "auto":
        if found is None:
            raise SnapshotError("not a recognised attachment (expected a GKE/EKS/AKS cluster description, "
                                "a Trivy JSON report or EKS access entries)", file=str(path))
        kind = found
    elif kind not in ATTACHMENT_KINDS:
        raise SnapshotError(f"unknown attachment kind {kind!r} (one of auto, {', '.join(ATTACHMENT_KINDS)})",
                            file=str(path))
    elif found is not None and found != kind:
        raise SnapshotError(f"looks like {found}, not {kind}", file=str(path))
    elif found is None:
        raise SnapshotError(f"does not look like {kind} output", file=str(path))
    if kind == "trivy":
        doc = _scrub(doc)
    elif kind in ("gke-cluster", "eks-cluster", "aks-cluster", "eks-nodegroups", "ec2-instances", "eks-addons"):
        doc = _scrub_credentials(doc)
    return Attachment(kind=kind, source=path.name, data=doc)


# Trivy's secret scanner copies the matched secret into ``Match`` and the surrounding
# lines into ``Code``; misconfiguration findings quote manifest lines (env values) in ``Code``.
_TRIVY_SCRUB = frozenset({"Match", "Code", "Lines"})


# Credentials a cloud description can carry: GKE ``masterAuth.password`` and ``.clientKey`` (basic auth and
# the client certificate's private key), AKS ``servicePrincipalProfile.secret`` and
# ``windowsProfile.adminPassword``. Their presence stays visible; their values do not.
_CREDENTIAL_KEYS = frozenset({"password", "clientkey", "secret", "adminpassword", "privatekey"})
REDACTED = "<redacted:cloud-credential>"


def _scrub_credentials(doc: Any) -> Any:
    """A cloud description with credential values replaced by a marker (keys in any casing).

    >>> _scrub_credentials({"masterAuth": {"client_key": "LS0t", "clusterCaCertificate": "ca"}})
    {'masterAuth': {'client_key': '<redacted:cloud-credential>', 'clusterCaCertificate': 'ca'}}
    """
    if isinstance(doc, dict):
        return {k: (REDACTED if isinstance(k, str) and _norm(k) in _CREDENTIAL_KEYS and v not in (None, "")
                    else _scrub_credentials(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_scrub_credentials(v) for v in doc]
    return doc


def _scrub(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _scrub(v) for k, v in doc.items() if k not in _TRIVY_SCRUB}
    if isinstance(doc, list):
        return [_scrub(v) for v in doc]
    return doc
