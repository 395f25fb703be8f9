"""Small builders for workload tests: objects, snapshots, analyses."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kubesec_nb.assessment import assess
from kubesec_nb.snapshot.document import Snapshot
from kubesec_nb.workload import WorkloadAnalysis

Obj = dict[str, Any]

GOOD_SPEC: Obj = {
    "automountServiceAccountToken": False,
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.9@sha256:" + "3d" * 32,
                    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]}}}],
}


def namespace(name: str, **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels)}}


def psa_labels(enforce: str | None = None, version: str | None = None, **more: str) -> dict[str, str]:
    out = {f"pod-security.kubernetes.io/{k.replace('_', '-')}": v for k, v in more.items()}
    if enforce:
        out["pod-security.kubernetes.io/enforce"] = enforce
    if version:
        out["pod-security.kubernetes.io/enforce-version"] = version
    return out


def pod(name: str, ns: str = "shop", *, node: str | None = "n1", owner: Obj | None = None,
        mutate: Callable[[Obj], Any] | None = None, spec: Obj | None = None) -> Obj:
    s = copy.deepcopy(spec if spec is not None else GOOD_SPEC)
    if node:
        s["nodeName"] = node
    p: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": s}
    if owner is not None:
        p["metadata"]["ownerReferences"] = [owner]
    if mutate:
        mutate(p)
    return p


def owner_ref(kind: str, name: str, uid: str) -> Obj:
    """The controller reference of an ``apps/v1`` object."""
    return {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": True}


def deployment(name: str, replicaset: str, ns: str = "shop", *, uid: str = "d1", rs_uid: str = "rs1") -> list[Obj]:
    """A Deployment and a ReplicaSet it controls; the ReplicaSet's pods carry
    ``owner_ref("ReplicaSet", replicaset, rs_uid)``."""
    return [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
             "metadata": {"name": replicaset, "namespace": ns, "uid": rs_uid,
                          "ownerReferences": [owner_ref("Deployment", name, uid)]},
             "spec": {"template": {"spec": {"containers": []}}}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns, "uid": uid},
             "spec": {"template": {"spec": {"containers": []}}}}]


def c0(p: Obj) -> Obj:
    c: Obj = p["spec"]["containers"][0]
    return c


def snapshot(*objs: Obj, version: str = "v1.30.2", provider: str = "eks", collected: tuple[str, ...] = (
        "namespaces", "pods", "serviceaccounts", "secrets", "configmaps", "rolebindings.rbac.authorization.k8s.io",
        "clusterrolebindings.rbac.authorization.k8s.io")) -> Snapshot:
    snap = Snapshot.from_objects(copy.deepcopy(list(objs)),
                                 metadata={"serverVersion": {"gitVersion": version}, "provider": provider})
    for res in collected:
        snap.mark_collected(res)
    snap.normalize()
    return snap


def analysis(*objs: Obj, **options: Any) -> WorkloadAnalysis:
    version = options.pop("version", "v1.30.2")
    provider = options.pop("provider", "eks")
    a = assess(snapshot(*objs, version=version, provider=provider), **options)
    wa: WorkloadAnalysis = a.workloads
    return wa


@pytest.fixture
def good_pod() -> Obj:
    return pod("web")
