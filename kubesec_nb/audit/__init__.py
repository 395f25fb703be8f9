"""Audit logs: what subjects did, joined to what RBAC lets them do; least-privilege roles; incident views.

>>> from kubesec_nb.snapshot import Snapshot
>>> from kubesec_nb.model import Model
>>> from kubesec_nb.rbac import analyze as rbac
>>> m = Model(Snapshot())
>>> analyze(m, rbac=rbac(m)).status
'not_assessed'

Modules (imports go downward; the log itself is read by :mod:`kubesec_nb.snapshot.auditlog`):

==================  ===================================================================
``options``         the analyzer's named options (window, thresholds, cluster networks)
``usage``           the summary's requests as tables; used versus granted, risk of unused grants
``leastpriv``       least-privilege roles from the log, and the round-trip check
``views``           incident-response views (exec, secrets, privileged pods, RBAC, anonymous, ...)
``analysis``        ``AuditAnalysis`` (what ``a.audit`` is)
``checks``          the registered ``AUDIT-*`` checks
==================  ===================================================================
"""

from __future__ import annotations

from typing import Any

from kubesec_nb.audit import checks as _checks  # noqa: F401  (registers the checks)
from kubesec_nb.audit.analysis import NO_LOG, AuditAnalysis
from kubesec_nb.audit.options import OPTIONS, Options
from kubesec_nb.model import Model
from kubesec_nb.rbac.analysis import RbacAnalysis

#: Analyzers this one builds on (see :mod:`kubesec_nb.assessment`).
NEEDS = ("rbac",)


def analyze(model: Model, *, rbac: RbacAnalysis, **options: Any) -> AuditAnalysis:
    """Analyze the audit-log attachments of a model against its RBAC; ``options`` are those of :data:`OPTIONS`."""
    return AuditAnalysis(model, rbac, Options.parse(options))


__all__ = ["NEEDS", "NO_LOG", "OPTIONS", "AuditAnalysis", "Options", "analyze"]
