"""Checks as data: the Check and Finding records and the registry every analyzer adds to.

A check has a stable id (``AREA-NAME``, e.g. ``RBAC-SECRETS-READ``), a title, a
severity, a category (a topic of the hardening guide), a remediation, references (the
other tools that check the same thing) and a ``run`` function over its analyzer's
result. ``run`` yields one :class:`Finding` per offending object, each with
:class:`Evidence` naming the object and field that cause it; it raises
:class:`NotAssessed` when its input is missing. A check that yields nothing passes.

Every check has a passing and a failing fixture under ``tests/fixtures/checks/<ID>/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
STATUSES = ("fail", "not_assessed", "pass")

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
    """One result of a check for one object or subject.

    ``severity`` overrides the check's severity when the same rule matters less or more
    for this object (for example a platform-managed subject); None keeps the check's.
    """

    check_id: str
    status: str = "fail"
    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    subject: str | None = None
    evidence: tuple[Evidence, ...] = ()
    message: str = ""
    severity: str | None = None

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

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"check id {self.id!r} must look like AREA-NAME (upper case, dashes)")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: unknown severity {self.severity!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: unknown category {self.category!r}")
        if not self.title or not self.remediation:
            raise ValueError(f"{self.id}: a check needs a title and a remediation")


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
          references: Iterable[str] = (), description: str = "",
          requires: Iterable[str] = ()) -> Callable[[Callable[[Any], Iterable[Finding]]],
                                                    Callable[[Any], Iterable[Finding]]]:
    """Decorator form of :func:`register`.

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
                       requires=tuple(requires)))
        return fn
    return deco
