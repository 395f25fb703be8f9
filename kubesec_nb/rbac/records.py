"""Typed results of the RBAC analysis that checks and rankings read (the tables are built from them)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from kubesec_nb.checks import Evidence
from kubesec_nb.identity import CLUSTER_ADMIN, Identity
from kubesec_nb.rbac.authorizer import Reason
from kubesec_nb.rbac.catalog import CatalogRule, Need
from kubesec_nb.rbac.escalation import Step, reasons_evidence

#: Techniques of a path that only holds the target (no escalation).
HOLDS = ("rbac-grant", "system-masters")


@dataclass(frozen=True)
class RiskyGrant:
    """A subject meets a catalog rule at a scope (``cluster`` or a namespace), through these rules.

    ``platform`` names the platform that manages every binding behind it (None: the operator's);
    ``public`` marks groups anyone can join.
    """

    identity: Identity
    rule: CatalogRule
    severity: str
    scope: str
    platform: str | None
    public: bool
    needs: tuple[Need, ...]
    reasons: tuple[Reason, ...]

    @property
    def subject(self) -> str:
        return self.identity.subject

    @property
    def subject_kind(self) -> str:
        return self.identity.kind

    @property
    def check_id(self) -> str:
        return self.rule.id

    @cached_property
    def bindings(self) -> tuple[str, ...]:
        """The bindings behind it, sorted."""
        return tuple(sorted({r.binding for r in self.reasons}))

    @cached_property
    def evidence(self) -> tuple[Evidence, ...]:
        return reasons_evidence(self.reasons)

    @property
    def needs_text(self) -> str:
        return "; ".join(str(n) for n in self.needs)


@dataclass(frozen=True)
class EscalationPath:
    """The shortest path of steps from a subject's node to ``cluster-admin`` or ``namespace-admin:<ns>``.

    ``direct`` paths only hold the target (one ``rbac-grant`` or ``system-masters`` step);
    ``platform`` names the platform that manages the subject and its first step's bindings.
    """

    subject: str
    node: str
    target: str
    steps: tuple[Step, ...]
    platform: str | None

    @property
    def hops(self) -> int:
        return len(self.steps)

    @property
    def direct(self) -> bool:
        return len(self.steps) == 1 and self.steps[0].technique in HOLDS

    @property
    def to_cluster_admin(self) -> bool:
        return self.target == CLUSTER_ADMIN

    @property
    def techniques(self) -> str:
        return " → ".join(s.technique for s in self.steps)

    @property
    def path(self) -> str:
        """``node → [technique] target → ...``"""
        return " → ".join([self.node, *(f"[{s.technique}] {s.target}" for s in self.steps)])
