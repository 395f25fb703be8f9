"""kubesec-nb: a Kubernetes security assessment workbook.

>>> import kubesec_nb as ks
>>> a = ks.assess(ks.Snapshot())
>>> a.model.version >= (1, 30)
True
"""

from kubesec_nb.assessment import Assessment, all_options, assess
from kubesec_nb.checks import REGISTRY as CHECKS
from kubesec_nb.checks import Evidence, Finding
from kubesec_nb.errors import KubesecError, SnapshotError
from kubesec_nb.model import Model
from kubesec_nb.snapshot import Attachment, Gap, Snapshot

__version__ = "0.1.0"

__all__ = ["CHECKS", "Assessment", "Attachment", "Evidence", "Finding", "Gap", "KubesecError", "Model",
           "Snapshot", "SnapshotError", "__version__", "all_options", "assess"]
