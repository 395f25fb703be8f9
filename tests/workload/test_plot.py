"""The workload charts render on the default sample, deterministically."""

from __future__ import annotations

import io

import pytest

from kubesec_nb import plot
from kubesec_nb.assessment import Assessment, assess
from kubesec_nb.notebook import resolve
from kubesec_nb.snapshot.document import Snapshot


@pytest.fixture(scope="module")
def sample() -> Assessment:
    return assess(Snapshot.load(resolve("eks-shop")))


def _png(fig: object) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # type: ignore[attr-defined]
    return buf.getvalue()


def test_charts(sample: Assessment) -> None:
    figs = {"compliance": plot.pod_security_compliance(sample.workloads),
            "findings": plot.workload_findings(sample.findings),
            "escapes": plot.host_escapes(sample.workloads),
            "vulns": plot.vulnerabilities(sample.workloads)}
    assert figs["compliance"].axes[0].get_title().startswith("Pod Security compliance by namespace")
    assert figs["findings"].axes[0].get_title() == "Workload findings by category and severity"
    assert figs["vulns"].axes[0].get_title() == "Image vulnerabilities per workload (Trivy)"
    assert _png(plot.pod_security_compliance(sample.workloads)) == _png(figs["compliance"])
