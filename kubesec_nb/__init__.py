"""kubesec-nb: a Kubernetes security assessment workbook.

>>> import kubesec_nb as ks
>>> a = ks.assess(ks.Snapshot())
>>> a.model.version >= (1, 30)
True
>>> "RBAC-SECRETS-READ" in ks.CHECKS and "PSS-PRIVILEGED" in ks.CHECKS
True
"""

from typing import Any

from kubesec_nb.assessment import Assessment, all_options, assess, load_checks
from kubesec_nb.checks import REGISTRY, Evidence, Finding
from kubesec_nb.errors import KubesecError, SnapshotError
from kubesec_nb.model import Model
from kubesec_nb.snapshot import Attachment, Gap, Snapshot
from kubesec_nb.version import __version__


def __getattr__(name: str) -> Any:
    # ``ks.CHECKS`` is the complete registry: importing the analyzers (which register their checks)
    # is deferred to the first access so that ``import kubesec_nb`` stays cheap.
    if name == "CHECKS":
        load_checks()
        return REGISTRY
    raise AttributeError(f"module 'kubesec_nb' has no attribute {name!r}")


__all__ = ["CHECKS", "Assessment", "Attachment", "Evidence", "Finding", "Gap", "KubesecError", "Model",
           "Snapshot", "SnapshotError", "__version__", "all_options", "assess"]
