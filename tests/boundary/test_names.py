"""Names the API server would refuse are refused, with the rule each kind uses upstream.

Sources: ``k8s.io/apimachinery/pkg/util/validation/validation.go`` (``IsDNS1123Label``,
``IsDNS1123Subdomain``, ``IsDNS1035Label``, ``IsQualifiedName``, ``IsValidLabelValue``),
``k8s.io/apimachinery/pkg/api/validation/path`` (``IsValidPathSegmentName``) and the
per-kind name functions: ``pkg/apis/core/validation`` (``ValidateServiceName =
NameIsDNS1035Label``, ``ValidateNamespaceName``, pods, secrets, config maps, nodes and
service accounts as DNS subdomains), ``pkg/apis/rbac/validation`` (``ValidateRBACName =
path.IsValidPathSegmentName``), apps, batch, networking and discovery (DNS subdomains).
"""

from __future__ import annotations

import pytest

from kubesec_nb.errors import SnapshotError
from kubesec_nb.snapshot import Snapshot


def _obj(api_version: str, kind: str, name: str, ns: str | None = "shop", **meta: object) -> dict[str, object]:
    m: dict[str, object] = {"name": name, **meta}
    if ns:
        m["namespace"] = ns
    return {"apiVersion": api_version, "kind": kind, "metadata": m}


@pytest.mark.parametrize(("obj", "ok"), [
    (_obj("v1", "Pod", "web-7d9f.v2"), True),
    (_obj("v1", "Pod", "Web"), False),
    (_obj("v1", "Pod", "web_1"), False),
    (_obj("v1", "Pod", "a" * 253), True),
    (_obj("v1", "Pod", "a" * 254), False),
    (_obj("v1", "Service", "web-1"), True),
    (_obj("v1", "Service", "1web"), False),  # DNS-1035: starts with a letter
    (_obj("v1", "Service", "web.v2"), False),  # a label, not a subdomain
    (_obj("v1", "Namespace", "shop", ns=None), True),
    (_obj("v1", "Namespace", "shop.v2", ns=None), False),
    (_obj("v1", "Namespace", "a" * 64, ns=None), False),
    (_obj("v1", "ConfigMap", "cm", ns="Shop"), False),
    (_obj("rbac.authorization.k8s.io/v1", "ClusterRole", "system:controller:job-controller", ns=None), True),
    (_obj("rbac.authorization.k8s.io/v1", "Role", "Read_All"), True),
    (_obj("rbac.authorization.k8s.io/v1", "Role", "a/b"), False),
    (_obj("rbac.authorization.k8s.io/v1", "Role", ".."), False),
    (_obj("apps/v1", "Deployment", "web", labels={"app.kubernetes.io/name": "web", "tier": ""}), True),
    (_obj("apps/v1", "Deployment", "web", labels={"app": "a b"}), False),
    (_obj("apps/v1", "Deployment", "web", labels={"-bad": "x"}), False),
    (_obj("apps/v1", "Deployment", "web", labels={"Example.COM/x": "y"}), False),
    (_obj("apps/v1", "Deployment", "web", labels={"x": "v" * 64}), False),
])
def test_names_as_the_api_server_validates_them(obj: dict[str, object], ok: bool) -> None:
    if ok:
        assert Snapshot.from_objects([obj]).counts()
    else:
        with pytest.raises(SnapshotError, match=r"metadata\.(name|namespace|labels)"):
            Snapshot.from_objects([obj])
