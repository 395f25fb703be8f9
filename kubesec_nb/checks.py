"""Checks as data: the Check and Finding records and the registry every analyzer adds to.

There is one way to write a check: :func:`check`, a decorator whose arguments are the
check's metadata (a stable id ``AREA-NAME`` such as ``RBAC-SECRETS-READ``, title, severity,
category, which is a topic of the hardening guide, remediation, references to the other
tools that check the same thing, CIS benchmark ids, the providers it applies to, the
snapshot resources it needs) over a ``run`` function that takes its analyzer's typed
result. ``run`` yields one :class:`Finding` per offending object, each with
:class:`Evidence` naming the object and field that cause it. It raises
:class:`NotAssessed` when its input is missing and :class:`NotApplicable` when the check
cannot apply to this cluster. A check that yields nothing passes. A family of checks that
share a run function registers each member with ``check(...)(partial(run, member))``.

Findings carry no check id: the runner (:mod:`kubesec_nb.findings`) stamps the id of the
check that produced them, turns a check that raises into one ``error`` row, and applies
the one rule for platform-managed objects (``Finding.platform``).

Every check has a passing and a failing fixture under ``tests/fixtures/checks/<ID>/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
STATUSES = ("fail", "error", "not_assessed", "not_applicable", "pass")
#: Provider keys a check may be limited to (``Check.providers``); ``other`` is any other cluster.
PROVIDERS = ("aks", "eks", "gke", "other")

#: The hardening guide's topics (reference/hardening-guide.txt), current Kubernetes wins
#: where it is dated (Pod Security Admission replaced Pod Security Policies).
CATEGORIES = (
    "Identity and Access Management",
    "Role-Based Access Control",
    "Service Account Security",
    "Network Policies",
    "Private Clusters",
    "Ingress and Egress Control",
    "TLS Encryption",
    "Kubernetes Secrets",
    "Cloud Secret Management",
    "Audit Logging and Monitoring",
    "Image Vulnerability Scanning",
    "Image Signing and Verification",
    "Pod Security and Security Contexts",
    "Secure API Server Access",
    "Network Encryption and Service Mesh",
    "Backup and Disaster Recovery",
    "Runtime Threat Detection",
    "Inventory and Coverage",
)

_ID = re.compile(r"^[A-Z]+(-[A-Z0-9]+)+$")


class NotAssessed(Exception):  # noqa: N818 - a result, not an error
    """Raised by a check whose input is missing; the message is the reason shown to the user."""


class NotApplicable(Exception):  # noqa: N818 - a result, not an error
    """Raised by a check that cannot apply to this cluster (provider, mode, version); the message says why."""


@dataclass(frozen=True)
class Evidence:
    """One fact behind a finding: an object, a field (or rule) in it, and the value found there.

    >>> str(Evidence("Pod shop/web", "spec.containers[0].securityContext.privileged", "true"))
    'Pod shop/web: spec.containers[0].securityContext.privileged = true'
    """

    object: str
    field: str = ""
    value: str = ""

    def __str__(self) -> str:
        out = self.object
        if self.field:
            out += f": {self.field}"
        if self.value:
            out += f" = {self.value}" if self.field else f": {self.value}"
        return out


@dataclass(frozen=True)
class Finding:
    """One result of a check for one object or subject; the runner adds the check's id.

    ``severity`` overrides the check's severity when the same rule matters more or less
    for this object; None keeps the check's. ``platform`` names the platform that manages
    the object (``Kubernetes system``, ``GKE``, ...) when the cluster operator cannot change
    it; the runner applies the ``platform_findings`` option to such findings.

    >>> Finding(kind="Pod", name="web", namespace="shop").status
    'fail'
    """

    status: str = "fail"
    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    subject: str | None = None
    evidence: tuple[Evidence, ...] = ()
    message: str = ""
    severity: str | None = None
    platform: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")


@dataclass(frozen=True)
class Check:
    """A check's metadata and the function that runs it. See the module docstring."""

    id: str
    title: str
    severity: str
    category: str
    remediation: str
    analyzer: str
    run: Callable[[Any], Iterable[Finding]] = field(compare=False, repr=False)
    references: tuple[str, ...] = ()
    description: str = ""
    requires: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()
    providers: tuple[str, ...] = PROVIDERS

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"check id {self.id!r} must look like AREA-NAME (upper case, dashes)")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: unknown severity {self.severity!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: unknown category {self.category!r}")
        if not self.title or not self.remediation:
            raise ValueError(f"{self.id}: a check needs a title and a remediation")
        if not self.providers or set(self.providers) - set(PROVIDERS):
            raise ValueError(f"{self.id}: providers must be a non-empty subset of {PROVIDERS}")


#: Every known check by id. Analyzer packages register theirs when imported.
REGISTRY: dict[str, Check] = {}


def register(chk: Check) -> Check:
    """Add a check to :data:`REGISTRY`; ids are unique."""
    existing = REGISTRY.get(chk.id)
    if existing is not None and existing.run is not chk.run:
        raise ValueError(f"duplicate check id {chk.id}")
    REGISTRY[chk.id] = chk
    return chk


def check(id: str, *, title: str, severity: str, category: str, remediation: str, analyzer: str,
          references: Iterable[str] = (), description: str = "", requires: Iterable[str] = (),
          cis: Iterable[str] = (), providers: Iterable[str] = PROVIDERS,
          ) -> Callable[[Callable[[Any], Iterable[Finding]]], Callable[[Any], Iterable[Finding]]]:
    """Register the decorated run function as check ``id`` with this metadata (the one way to write a check).

    ``cis`` holds benchmark ids as ``"CIS Kubernetes 5.1.1"``, ``"CIS EKS 2.1.1"``, ``"CIS GKE ..."``,
    ``"CIS AKS ..."``; ``providers`` limits the check to some providers (it is ``not_applicable`` elsewhere).

    >>> @check("DEMO-ALWAYS", title="demo", severity="info", category="Inventory and Coverage",
    ...        remediation="none", analyzer="model")
    ... def _demo(model):
    ...     return []
    >>> REGISTRY.pop("DEMO-ALWAYS").title
    'demo'
    """
    def deco(fn: Callable[[Any], Iterable[Finding]]) -> Callable[[Any], Iterable[Finding]]:
        register(Check(id=id, title=title, severity=severity, category=category, remediation=remediation,
                       analyzer=analyzer, run=fn, references=tuple(references), description=description,
                       requires=tuple(requires), cis=tuple(cis), providers=tuple(sorted(providers))))
        return fn
    return deco
