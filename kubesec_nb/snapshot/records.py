"""The small records a snapshot holds besides API objects: gaps and attachments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GAP_REASONS = ("forbidden", "absent", "not_found", "timeout", "error", "not_collected", "unsupported",
               "unauthorized", "invalid")
ATTACHMENT_KINDS = ("gke-cluster", "eks-cluster", "aks-cluster", "trivy", "eks-access-entries",
                    "aks-diagnostic-settings", "audit-log", "eks-nodegroups", "ec2-instances", "eks-addons")


@dataclass(frozen=True)
class Gap:
    """Something the snapshot does not hold, and why.

    ``resource`` is ``resource[.group]`` (``pods``, ``deployments.apps``); ``reason`` is one
    of :data:`GAP_REASONS`: ``forbidden`` (403), ``absent`` (the API group is not served),
    ``timeout``, ``error`` (other failures), ``not_collected`` (the source cannot carry it,
    e.g. manifests have no Nodes), ``unsupported`` (present but not modelled), ``invalid`` (an object
    of the wrong shape, skipped by a lenient load or the collector).

    >>> Gap("secrets", "list", "forbidden", status=403).describe()
    'list secrets: forbidden (HTTP 403)'
    """

    resource: str
    verb: str
    reason: str
    namespace: str | None = None
    status: int | None = None
    message: str = ""

    def describe(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else ""
        code = f" (HTTP {self.status})" if self.status else ""
        msg = f": {self.message}" if self.message else ""
        return f"{self.verb} {self.resource}{where}: {self.reason}{code}{msg}"


@dataclass(frozen=True)
class Attachment:
    """An external document attached to the snapshot (cloud description, Trivy report)."""

    kind: str
    source: str
    data: Any

