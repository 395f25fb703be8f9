"""A small EKS-flavoured cluster as the API server stores it, with canary secrets.

The canaries are values that must never reach a snapshot: a Secret's data (plain and
base64, also repeated in its ``last-applied-configuration`` annotation, as
``kubectl apply`` leaves it) and a credential in a pod's environment (and in the
Deployment's ``last-applied-configuration``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

CANARY_SECRET = "kubesec-canary-secret-7f3a9c1e5b2d"
CANARY_ENV = "canaryEnvValue-Zx81QwPl55"
CANARY_B64 = base64.b64encode(CANARY_SECRET.encode()).decode()
CANARIES = (CANARY_SECRET, CANARY_B64, CANARY_ENV)

#: Pods in namespace shop: more than one page at the tests' page size.
SHOP_PODS = 7

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _meta(name: str, ns: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{ns or ''}-{name}", "resourceVersion": "42",
                            "creationTimestamp": "2024-09-01T10:00:00Z",
                            "managedFields": [{"manager": "kubectl", "operation": "Update"}]}
    if ns:
        meta["namespace"] = ns
    meta.update(extra)
    return meta


def _pod(name: str, ns: str, env: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "registry.example/shop/web:1.4.2",
                                 "ports": [{"containerPort": 8080, "protocol": "TCP"}]}
    if env:
        container["env"] = env
    return {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(name, ns, labels={"app": "web"}),
            "spec": {"serviceAccountName": "web", "nodeName": "ip-10-0-1-10.eu-west-1.compute.internal",
                     "containers": [container], **spec},
            "status": {"phase": "Running", "podIP": "10.0.1.20"}}


def cluster_objects() -> list[dict[str, Any]]:
    """Every object of the fake cluster (with apiVersion/kind; the fake strips them from list items)."""
    secret_last_applied = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace":
                                      "shop"}, "data": {"password": CANARY_B64}, "stringData": {"raw": CANARY_SECRET}})
    deploy_template = {"metadata": {"labels": {"app": "web"}}, "spec": {"serviceAccountName": "web", "containers": [
        {"name": "app", "image": "registry.example/shop/web:1.4.2",
         "env": [{"name": "DB_PASSWORD", "value": CANARY_ENV}]}]}}
    deploy_last_applied = json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                                      "metadata": {"name": "web", "namespace": "shop"},
                                      "spec": {"template": deploy_template}})
    objs: list[dict[str, Any]] = []
    for ns in ("default", "kube-system", "shop"):
        objs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": _meta(ns, labels={"kubernetes.io/metadata.name": ns}),
                     "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("default", ns)})
    for i in (10, 11):
        objs.append({"apiVersion": "v1", "kind": "Node",
                     "metadata": _meta(f"ip-10-0-1-{i}.eu-west-1.compute.internal", labels={
                         "eks.amazonaws.com/nodegroup": "default", "topology.kubernetes.io/zone": "eu-west-1a"}),
                     "spec": {"providerID": f"aws:///eu-west-1a/i-0abc{i}"},
                     "status": {"nodeInfo": {"kubeletVersion": "v1.30.4-eks-a737599"}}})
    objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(
        "web", "shop", annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/web"})})
    for i in range(SHOP_PODS):
        env = [{"name": "DB_PASSWORD", "value": CANARY_ENV}, {"name": "LOG_LEVEL", "value": "info"}] if i == 0 else None
        objs.append(_pod(f"web-{i}", "shop", env))
    objs.append(_pod("coredns-1", "kube-system"))
    objs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": _meta("web", "shop", annotations={LAST_APPLIED: deploy_last_applied}),
                 "spec": {"replicas": SHOP_PODS, "selector": {"matchLabels": {"app": "web"}},
                          "template": deploy_template}})
    objs.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": _meta("aws-node", "kube-system"),
                 "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}}, "template": {
                     "metadata": {"labels": {"k8s-app": "aws-node"}},
                     "spec": {"hostNetwork": True, "containers": [{"name": "aws-node", "image": "aws-node:1"}]}}}})
    objs.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                 "metadata": _meta("db", "shop", annotations={LAST_APPLIED: secret_last_applied}),
                 "data": {"password": CANARY_B64, "user": base64.b64encode(b"shop").decode()}})
    objs.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                 "metadata": _meta("web-tls", "shop"),
                 "data": {"tls.crt": CANARY_B64, "tls.key": CANARY_B64}})
    objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("aws-auth", "kube-system"),
                 "data": {"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: "
                                      "system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:nodes\n"}})
    objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("settings", "shop"),
                 "data": {"LOG_LEVEL": "info", "API_TOKEN": CANARY_ENV}})
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta("web", "shop"),
                 "spec": {"type": "LoadBalancer", "selector": {"app": "web"},
                          "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}})
    objs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                 "metadata": _meta("secret-reader"),
                 "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]})
    objs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                 "metadata": _meta("web-reads-secrets"),
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secret-reader"},
                 "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}]})
    objs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _meta("pod-reader", "shop"),
                 "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]})
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": _meta("default-deny", "shop"),
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
    objs.append({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                 "metadata": _meta("gateways.gateway.networking.k8s.io"),
                 "spec": {"group": "gateway.networking.k8s.io", "scope": "Namespaced",
                          "names": {"plural": "gateways", "kind": "Gateway"},
                          "versions": [{"name": "v1", "served": True, "storage": True,
                                        "schema": {"openAPIV3Schema": {"type": "object"}}}]}})
    objs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": _meta("public", "shop"),
                 "spec": {"gatewayClassName": "aws-alb", "listeners": [{"name": "http", "port": 80,
                                                                         "protocol": "HTTP"}]}})
    return objs
