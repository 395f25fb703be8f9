"""Deterministic matplotlib charts for notebooks and reports.

One module per area (``plot.rbac``, ``plot.network``, ``plot.workloads``, ``plot.graph``); every chart
function takes an analyzer result or a DataFrame, returns a ``matplotlib.figure.Figure``
and never reads the clock or uses randomness. Notebooks end a chart cell with
``_ = fig`` or ``plt.show()`` so that no object address reaches the committed output.
"""

from kubesec_nb.plot._style import empty_figure, figure, severity_colors
from kubesec_nb.plot.graph import attack_paths, reachability, risky
from kubesec_nb.plot.network import exposure_summary, reachability_heatmap
from kubesec_nb.plot.rbac import dangerous_permissions, risky_subjects
from kubesec_nb.plot.summary import findings_by_category
from kubesec_nb.plot.workloads import host_escapes, pod_security_compliance, vulnerabilities, workload_findings

__all__ = [
    "attack_paths",
    "dangerous_permissions",
    "empty_figure",
    "exposure_summary",
    "figure",
    "findings_by_category",
    "host_escapes",
    "pod_security_compliance",
    "reachability",
    "reachability_heatmap",
    "risky",
    "risky_subjects",
    "severity_colors",
    "vulnerabilities",
    "workload_findings",
]
