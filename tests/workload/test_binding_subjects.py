"""Which bindings name a service account: the authorizer's own subject rules (shared with RBAC)."""

from __future__ import annotations

from kubesec_nb.model import Model
from kubesec_nb.snapshot import Snapshot
from kubesec_nb.workload.secrets import bindings_by_service_account


def _crb(name: str, subjects: list[dict[str, str]], ns: str | None = None) -> dict[str, object]:
    kind = "RoleBinding" if ns else "ClusterRoleBinding"
    meta = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": subjects}


def test_service_account_subjects_follow_the_authorizer() -> None:
    snap = Snapshot.from_objects([
        _crb("by-username", [{"kind": "User", "name": "system:serviceaccount:shop:web"}]),
        _crb("no-namespace", [{"kind": "ServiceAccount", "name": "orphan"}]),  # matches nobody in a CRB
        _crb("defaulted", [{"kind": "ServiceAccount", "name": "api"}], ns="shop"),
        _crb("all-in-shop", [{"kind": "Group", "name": "system:serviceaccounts:shop"}]),
    ])
    direct, by_ns, everyone = bindings_by_service_account(Model(snap))
    assert direct == {"shop/web": ["ClusterRoleBinding by-username"], "shop/api": ["RoleBinding shop/defaulted"]}
    assert by_ns == {"shop": ["ClusterRoleBinding all-in-shop"]} and everyone == []
