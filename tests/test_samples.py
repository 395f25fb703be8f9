"""The bundled samples: deterministic, loadable, provider-flavoured, with their planted weaknesses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kubesec_nb.model import Model
from kubesec_nb.notebook import samples
from kubesec_nb.snapshot import Snapshot
from tests.conftest import ROOT, SAMPLES, leaked


def test_generator_reproduces_committed_samples() -> None:
    proc = subprocess.run([sys.executable, str(SAMPLES / "generate.py"), "--check"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def test_three_samples_and_a_default() -> None:
    assert samples() == ["aks-bank", "eks-shop", "gke-media"]
    assert "make report" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(("name", "provider", "node_prefix", "identity"), [
    ("eks-shop", "eks", "aws:///", "eks.amazonaws.com/role-arn"),
    ("gke-media", "gke", "gce://", "iam.gke.io/gcp-service-account"),
    ("aks-bank", "aks", "azure:///", "azure.workload.identity/client-id"),
])
def test_sample_is_realistic_for_its_provider(name: str, provider: str, node_prefix: str, identity: str) -> None:
    path = SAMPLES / f"{name}.json.gz"
    assert not leaked(path.read_bytes())
    snap = Snapshot.load(path)
    m = Model(snap)
    assert m.provider == provider
    assert all(n["spec"]["providerID"].startswith(node_prefix) for n in m.nodes.values())
    assert any(identity in (sa["metadata"].get("annotations") or {}) for sa in m.service_accounts.values())
    assert snap.attachment(f"{provider}-cluster") is not None
    assert all(p["status"].get("podIP") for p in m.pods)
    assert all(m.owner(p) is not None for p in m.pods if p["metadata"]["name"] != "debug-shell")
    # planted weaknesses every sample carries
    crbs = {b["metadata"]["name"]: b for b in m.items("clusterrolebindings.rbac.authorization.k8s.io")}
    assert crbs["ci-cluster-admin"]["roleRef"]["name"] == "cluster-admin"
    assert any(p["spec"]["containers"][0].get("securityContext", {}).get("privileged") for p in m.pods_in("ci"))
    assert not [n for n in m.items("networkpolicies.networking.k8s.io") if n["metadata"]["namespace"] == "catalog"]
    env = [e for p in m.pods_in("storefront") for c in p["spec"]["containers"] for e in c.get("env", [])]
    assert {"name": "STRIPE_API_KEY", "value": "<redacted:stripe-key>"} in env
    assert any(s["type"] == "kubernetes.io/service-account-token" for s in m.items("secrets"))


def test_eks_specifics() -> None:
    snap = Snapshot.load(SAMPLES / "eks-shop.json.gz")
    m = Model(snap)
    aws_auth = m.configmap("kube-system", "aws-auth")
    assert aws_auth is not None and "system:masters" in aws_auth["data"]["mapRoles"]
    logging = snap.attachment("eks-cluster").data["cluster"]["logging"]["clusterLogging"]  # type: ignore[union-attr]
    assert {"types": ["audit", "authenticator", "controllerManager", "scheduler"], "enabled": False} in logging
    assert snap.attachment("trivy") is not None and snap.attachment("eks-access-entries") is not None
