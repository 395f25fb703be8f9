"""Audit-log test helpers: the event builder and provider shapes of data/samples/auditlogs.py."""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import SAMPLES

sys.path.insert(0, str(SAMPLES))
import auditlogs  # type: ignore[import-not-found]

event = auditlogs.event
RBAC = "rbac.authorization.k8s.io"


def pod_create(ts: str, user: str, ns: str, name: str, *, privileged: bool = False, host_path: str = "",
               **kw: Any) -> dict[str, Any]:
    """A pod creation at Request level, its body holding the given security settings."""
    sc = {"privileged": True} if privileged else {"allowPrivilegeEscalation": False}
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "alpine:3.20", "securityContext": sc}]}
    if host_path:
        spec["volumes"] = [{"name": "h", "hostPath": {"path": host_path}}]
    return event(ts, user, "create", "pods", ns=ns, name=name, code=201, **kw,
                 request={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns},
                          "spec": spec})


def binding_create(ts: str, user: str, name: str, role: str, subject: dict[str, str], **kw: Any) -> dict[str, Any]:
    """A ClusterRoleBinding creation at Request level."""
    return event(ts, user, "create", "clusterrolebindings", group=RBAC, name=name, code=201, **kw,
                 request={"kind": "ClusterRoleBinding", "apiVersion": f"{RBAC}/v1", "metadata": {"name": name},
                          "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role}, "subjects": [subject]})
