"""Workloads: Pod Security Standards, namespace Pod Security labels, host escapes, secrets handling,
images and vulnerabilities.

``analyze(model, **options)`` returns a :class:`WorkloadAnalysis` (``a.workloads``); importing
the package registers the ``PSS-*``, ``WL-*``, ``SEC-*`` and ``IMG-*`` checks.

>>> from kubesec_nb.model import Model
>>> from kubesec_nb.snapshot import Snapshot
>>> wa = analyze(Model(Snapshot()))
>>> wa.version >= (1, 30), "pods" in wa.not_assessed
(True, True)
"""

from __future__ import annotations

from typing import Any

from kubesec_nb.model import Model
from kubesec_nb.workload import checks as _checks  # noqa: F401  (registers the checks)
from kubesec_nb.workload import resources as _resources  # noqa: F401  (registers the WL-* resource checks)
from kubesec_nb.workload.analysis import WorkloadAnalysis
from kubesec_nb.workload.escapes import HostEscape
from kubesec_nb.workload.pss import CHECKS as PSS_CHECKS
from kubesec_nb.workload.pss import Violation

#: Options of the workload analyzer (the Pod Security version is the model's ``k8s_version``).
OPTIONS: dict[str, str] = {
    "registry_allowlist": "image registries allowed (glob patterns on the registry host, or on "
                          "registry/repository when they contain '/'); default 'auto': the cloud provider's "
                          "registries plus registry.k8s.io",
    "dangerous_capabilities": "capabilities treated as host escapes: a list of names or a mapping name -> impact; "
                              "default SYS_ADMIN, SYS_MODULE, SYS_PTRACE, DAC_READ_SEARCH, NET_ADMIN, ALL",
    "api_access_service_accounts": "service accounts ('ns/name', globs allowed) that need their token even "
                                   "without RBAC bindings; default none",
    "psa_default_level": "the API server's Pod Security default level for unlabelled namespaces "
                         "(AdmissionConfiguration, not readable through the API); default 'privileged'",
    "psa_exempt_namespaces": "namespaces exempt in the API server's AdmissionConfiguration; default none",
}


def analyze(model: Model, **options: Any) -> WorkloadAnalysis:
    """The workload analysis of a model; options are listed in :data:`OPTIONS`."""
    return WorkloadAnalysis(model, **options)


__all__ = ["OPTIONS", "PSS_CHECKS", "HostEscape", "Violation", "WorkloadAnalysis", "analyze"]
