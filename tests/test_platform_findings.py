"""One rule for platform-managed objects in every analyzer: ``Finding.platform`` and the ``platform_findings`` option.

RBAC grants made only by platform-managed bindings, and objects of platform namespaces in the
network and workload checks, are kept at severity ``info`` and labelled (``info``, the default),
kept at their own severity (``keep``) or dropped (``hide``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import kubesec_nb as ks
from kubesec_nb.snapshot import Snapshot

RBAC = "rbac.authorization.k8s.io/v1"
BOOTSTRAP = {"kubernetes.io/bootstrapping": "rbac-defaults"}
OBJECTS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
    {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "system:secret-reader", "labels": BOOTSTRAP},
     "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]},
    {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": "system:secret-reader",
                                                                    "labels": BOOTSTRAP},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:secret-reader"},
     "subjects": [{"kind": "User", "name": "system:kube-controller-manager"}]},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "agent", "namespace": "kube-system"},
     "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "registry.k8s.io/agent:1",
                                                "securityContext": {"privileged": True}}]},
     "status": {"phase": "Running", "podIP": "10.0.0.5"}},
]
#: (check, what identifies the platform object's row, its own severity)
CASES = [("RBAC-SECRETS-READ", ("subject", "User:system:kube-controller-manager"), "critical"),
         ("NET-POD-NO-INGRESS-POLICY", ("namespace", "kube-system"), "medium"),
         ("WL-PRIVILEGED", ("namespace", "kube-system"), "critical"),
         ("PSS-PRIVILEGED", ("namespace", "kube-system"), "critical")]


def _rows(mode: str) -> pd.DataFrame:
    snap = Snapshot.from_objects(OBJECTS, metadata={"serverVersion": {"gitVersion": "v1.31.0"}})
    for resource in ("roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
                     "networkpolicies.networking.k8s.io"):
        snap.mark_collected(resource)  # read, and empty
    return ks.assess(snap, platform_findings=mode, network_enforced=True).findings


@pytest.fixture(scope="module")
def findings() -> dict[str, pd.DataFrame]:
    return {mode: _rows(mode) for mode in ("info", "keep", "hide")}


@pytest.mark.parametrize(("check_id", "where", "severity"), CASES, ids=[c[0] for c in CASES])
def test_each_analyzer_follows_the_platform_rule(findings: dict[str, pd.DataFrame], check_id: str,
                                                 where: tuple[str, str], severity: str) -> None:
    def row(mode: str) -> pd.DataFrame:
        f = findings[mode]
        return f[(f["check_id"] == check_id) & (f[where[0]] == where[1])]

    info = row("info")
    assert list(zip(info["status"], info["severity"], strict=True)) == [("fail", "info")]
    assert "[platform-managed: " in info["message"].iloc[0]
    keep = row("keep")
    assert list(zip(keep["status"], keep["severity"], strict=True)) == [("fail", severity)]
    assert row("hide").empty
    hidden = findings["hide"]
    assert list(hidden.loc[hidden["check_id"] == check_id, "status"]) == ["pass"]
