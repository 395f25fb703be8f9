"""The RBAC objects every Kubernetes API server creates at start-up (the bootstrap policy).

Manifests never carry them, yet bindings to ``cluster-admin``, ``admin``, ``edit`` and
``view`` are the most common bindings there are; without these roles every such binding
would look like a binding to a missing role. The offline loaders add the ones a snapshot
lacks (``bootstrap_rbac=True``), marked as the API server marks them
(``kubernetes.io/bootstrapping: rbac-defaults``). Rules follow the upstream bootstrap
policy (``plugin/pkg/auth/authorizer/rbac/bootstrappolicy``) for the roles that matter to
a security assessment; controller roles are summarised to the rules that matter for
escalation (secrets, tokens, pods, RBAC, CSRs).
"""

from __future__ import annotations

import copy
from typing import Any

RBAC_V1 = "rbac.authorization.k8s.io/v1"
_RW = ["create", "delete", "deletecollection", "patch", "update"]
_RO = ["get", "list", "watch"]


def _rule(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None
          ) -> dict[str, Any]:
    r: dict[str, Any] = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if names:
        r["resourceNames"] = names
    return r


def _url(urls: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"nonResourceURLs": urls, "verbs": verbs}


_ROLES: dict[str, dict[str, Any]] = {
    "cluster-admin": {"rules": [_rule(["*"], ["*"], ["*"]), _url(["*"], ["*"])]},
    "admin": {"aggregate": "rbac.authorization.k8s.io/aggregate-to-admin"},
    "edit": {"aggregate": "rbac.authorization.k8s.io/aggregate-to-edit",
             "labels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}},
    "view": {"aggregate": "rbac.authorization.k8s.io/aggregate-to-view",
             "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}},
    "system:aggregate-to-admin": {
        "labels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"},
        "rules": [_rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
                  _rule(["rbac.authorization.k8s.io"], ["rolebindings", "roles"], [*_RW, *_RO])]},
    "system:aggregate-to-edit": {
        "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"},
        "rules": [
            _rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                         "services/proxy"], _RO),
            _rule([""], ["serviceaccounts"], ["impersonate"]),
            _rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], _RW),
            _rule([""], ["pods/eviction"], ["create"]),
            _rule([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                         "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                         "services/proxy"], _RW),
            _rule([""], ["serviceaccounts/token"], ["create"]),
            _rule(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                             "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"], _RW),
            _rule(["autoscaling"], ["horizontalpodautoscalers"], _RW),
            _rule(["batch"], ["cronjobs", "jobs"], _RW),
            _rule(["policy"], ["poddisruptionbudgets"], _RW),
            _rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], _RW),
            _rule(["coordination.k8s.io"], ["leases"], [*_RW, *_RO]),
        ]},
    "system:aggregate-to-view": {
        "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        "rules": [
            _rule([""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                         "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
                         "services", "services/status"], _RO),
            _rule([""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                         "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], _RO),
            _rule([""], ["namespaces"], _RO),
            _rule(["discovery.k8s.io"], ["endpointslices"], _RO),
            _rule(["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                             "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
                             "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"],
                  _RO),
            _rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], _RO),
            _rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], _RO),
            _rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], _RO),
            _rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], _RO),
        ]},
    "system:basic-user": {"rules": [
        _rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
        _rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"])]},
    "system:discovery": {"rules": [
        _url(["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
              "/version", "/version/"], ["get"])]},
    "system:public-info-viewer": {"rules": [
        _url(["/healthz", "/livez", "/readyz", "/version", "/version/"], ["get"])]},
    "system:auth-delegator": {"rules": [
        _rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
        _rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"])]},
    "system:node": {"rules": [
        _rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
        _rule(["authorization.k8s.io"], ["localsubjectaccessreviews", "subjectaccessreviews"], ["create"]),
        _rule([""], ["services"], _RO),
        _rule([""], ["nodes"], ["create", "get", "list", "watch"]),
        _rule([""], ["nodes/status"], ["patch", "update"]),
        _rule([""], ["nodes"], ["patch", "update"]),
        _rule(["", "events.k8s.io"], ["events"], ["create", "patch", "update"]),
        _rule([""], ["pods"], _RO),
        _rule([""], ["pods"], ["create", "delete"]),
        _rule([""], ["pods/status"], ["patch", "update"]),
        _rule([""], ["pods/eviction"], ["create"]),
        _rule([""], ["configmaps", "secrets"], ["get", "list", "watch"]),
        _rule([""], ["persistentvolumeclaims", "persistentvolumes"], ["get"]),
        _rule([""], ["endpoints"], ["get"]),
        _rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["create", "get", "list", "watch"]),
        _rule(["coordination.k8s.io"], ["leases"], ["create", "delete", "get", "patch", "update"]),
        _rule([""], ["serviceaccounts/token"], ["create"]),
    ]},
    "system:node-proxier": {"rules": [
        _rule([""], ["endpoints", "services"], ["list", "watch"]),
        _rule([""], ["nodes"], ["get", "list", "watch"]),
        _rule(["", "events.k8s.io"], ["events"], ["create", "patch", "update"]),
        _rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"])]},
    "system:kube-dns": {"rules": [_rule([""], ["endpoints", "services"], ["list", "watch"])]},
    "system:kube-scheduler": {"rules": [
        _rule([""], ["nodes"], _RO),
        _rule([""], ["pods"], ["delete", "get", "list", "watch"]),
        _rule([""], ["bindings", "pods/binding"], ["create"]),
        _rule([""], ["pods/status"], ["patch", "update"])]},
    "system:kube-controller-manager": {"rules": [
        _rule([""], ["secrets", "serviceaccounts"], ["create"]),
        _rule([""], ["secrets"], ["delete"]),
        _rule([""], ["configmaps", "namespaces", "secrets", "serviceaccounts"], ["get"]),
        _rule([""], ["secrets", "serviceaccounts"], ["update"]),
        _rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
        _rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
        _rule(["*"], ["*"], ["list", "watch"]),
        _rule([""], ["serviceaccounts/token"], ["create"])]},
    "system:certificates.k8s.io:kube-apiserver-client-approver": {"rules": [
        _rule(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/kube-apiserver-client"])]},
    "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver": {"rules": [
        _rule(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/kube-apiserver-client-kubelet"])]},
    "system:certificates.k8s.io:certificatesigningrequests:nodeclient": {"rules": [
        _rule(["certificates.k8s.io"], ["certificatesigningrequests/nodeclient"], ["create"])]},
    "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient": {"rules": [
        _rule(["certificates.k8s.io"], ["certificatesigningrequests/selfnodeclient"], ["create"])]},
    "system:controller:clusterrole-aggregation-controller": {"rules": [
        _rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["escalate", "get", "list", "patch", "update",
                                                                  "watch"])]},
    "system:controller:daemon-set-controller": {"rules": [
        _rule(["apps", "extensions"], ["daemonsets"], _RO),
        _rule([""], ["pods"], ["create", "delete", "list", "patch", "watch"]),
        _rule([""], ["pods/binding"], ["create"])]},
    "system:controller:deployment-controller": {"rules": [
        _rule(["apps", "extensions"], ["deployments"], ["get", "list", "update", "watch"]),
        _rule(["apps", "extensions"], ["replicasets"], ["create", "delete", "get", "list", "patch", "update",
                                                         "watch"])]},
    "system:controller:replicaset-controller": {"rules": [
        _rule(["apps", "extensions"], ["replicasets"], ["get", "list", "update", "watch"]),
        _rule([""], ["pods"], ["create", "delete", "list", "patch", "watch"])]},
    "system:controller:job-controller": {"rules": [
        _rule(["batch"], ["jobs"], ["get", "list", "patch", "update", "watch"]),
        _rule([""], ["pods"], ["create", "delete", "list", "patch", "watch"])]},
    "system:controller:cronjob-controller": {"rules": [
        _rule(["batch"], ["cronjobs"], ["get", "list", "update", "watch"]),
        _rule(["batch"], ["jobs"], ["create", "delete", "get", "list", "patch", "update", "watch"])]},
    "system:controller:statefulset-controller": {"rules": [
        _rule(["apps"], ["statefulsets"], ["list", "watch"]),
        _rule([""], ["pods"], ["create", "delete", "get", "patch", "update"]),
        _rule([""], ["persistentvolumeclaims"], ["create", "get"])]},
    "system:controller:namespace-controller": {"rules": [
        _rule([""], ["namespaces"], ["delete", "get", "list", "watch"]),
        _rule(["*"], ["*"], ["delete", "deletecollection", "get", "list"])]},
    "system:controller:generic-garbage-collector": {"rules": [
        _rule(["*"], ["*"], ["delete", "get", "list", "patch", "update", "watch"])]},
    "system:controller:horizontal-pod-autoscaler": {"rules": [
        _rule(["*"], ["*/scale"], ["get", "update"])]},
    "system:controller:certificate-controller": {"rules": [
        _rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["delete", "get", "list", "watch"]),
        _rule(["certificates.k8s.io"], ["certificatesigningrequests/approval",
                                         "certificatesigningrequests/status"], ["update"]),
        _rule(["certificates.k8s.io"], ["signers"], ["approve"],
              ["kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/legacy-unknown"]),
        _rule(["certificates.k8s.io"], ["signers"], ["sign"],
              ["kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet",
               "kubernetes.io/kubelet-serving", "kubernetes.io/legacy-unknown"])]},
    "system:controller:token-cleaner": {"rules": [_rule([""], ["secrets"], ["delete", "get", "list", "watch"])]},
    "system:controller:root-ca-cert-publisher": {"rules": [
        _rule([""], ["configmaps"], ["create", "update"])]},
}

# (binding name, role, subjects as (kind, name, namespace))
_BINDINGS: tuple[tuple[str, str, tuple[tuple[str, str, str | None], ...]], ...] = (
    ("cluster-admin", "cluster-admin", (("Group", "system:masters", None),)),
    ("system:basic-user", "system:basic-user", (("Group", "system:authenticated", None),)),
    ("system:discovery", "system:discovery", (("Group", "system:authenticated", None),)),
    ("system:public-info-viewer", "system:public-info-viewer",
     (("Group", "system:authenticated", None), ("Group", "system:unauthenticated", None))),
    ("system:node-proxier", "system:node-proxier", (("User", "system:kube-proxy", None),)),
    ("system:kube-dns", "system:kube-dns", (("ServiceAccount", "kube-dns", "kube-system"),)),
    ("system:kube-scheduler", "system:kube-scheduler", (("User", "system:kube-scheduler", None),)),
    ("system:kube-controller-manager", "system:kube-controller-manager",
     (("User", "system:kube-controller-manager", None),)),
    ("system:controller:clusterrole-aggregation-controller", "system:controller:clusterrole-aggregation-controller",
     (("ServiceAccount", "clusterrole-aggregation-controller", "kube-system"),)),
    ("system:controller:daemon-set-controller", "system:controller:daemon-set-controller",
     (("ServiceAccount", "daemon-set-controller", "kube-system"),)),
    ("system:controller:deployment-controller", "system:controller:deployment-controller",
     (("ServiceAccount", "deployment-controller", "kube-system"),)),
    ("system:controller:replicaset-controller", "system:controller:replicaset-controller",
     (("ServiceAccount", "replicaset-controller", "kube-system"),)),
    ("system:controller:job-controller", "system:controller:job-controller",
     (("ServiceAccount", "job-controller", "kube-system"),)),
    ("system:controller:cronjob-controller", "system:controller:cronjob-controller",
     (("ServiceAccount", "cronjob-controller", "kube-system"),)),
    ("system:controller:statefulset-controller", "system:controller:statefulset-controller",
     (("ServiceAccount", "statefulset-controller", "kube-system"),)),
    ("system:controller:namespace-controller", "system:controller:namespace-controller",
     (("ServiceAccount", "namespace-controller", "kube-system"),)),
    ("system:controller:generic-garbage-collector", "system:controller:generic-garbage-collector",
     (("ServiceAccount", "generic-garbage-collector", "kube-system"),)),
    ("system:controller:horizontal-pod-autoscaler", "system:controller:horizontal-pod-autoscaler",
     (("ServiceAccount", "horizontal-pod-autoscaler", "kube-system"),)),
    ("system:controller:certificate-controller", "system:controller:certificate-controller",
     (("ServiceAccount", "certificate-controller", "kube-system"),)),
    ("system:controller:token-cleaner", "system:controller:token-cleaner",
     (("ServiceAccount", "token-cleaner", "kube-system"),)),
    ("system:controller:root-ca-cert-publisher", "system:controller:root-ca-cert-publisher",
     (("ServiceAccount", "root-ca-cert-publisher", "kube-system"),)),
    ("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
     (("Group", "system:bootstrappers", None),)),
    ("kubeadm:node-autoapprove-certificate-rotation",
     "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", (("Group", "system:nodes", None),)),
)

_META = {"annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
         "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}


def cluster_roles() -> list[dict[str, Any]]:
    """The bootstrap ClusterRoles as API objects (aggregated roles with empty ``rules``).

    >>> names = [r["metadata"]["name"] for r in cluster_roles()]
    >>> "cluster-admin" in names and "view" in names
    True
    """
    out = []
    for name, spec in _ROLES.items():
        meta: dict[str, Any] = copy.deepcopy(_META)
        meta["name"] = name
        meta["labels"].update(spec.get("labels", {}))
        role: dict[str, Any] = {"apiVersion": RBAC_V1, "kind": "ClusterRole", "metadata": meta,
                                "rules": copy.deepcopy(spec.get("rules", []))}
        if "aggregate" in spec:
            role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {spec["aggregate"]: "true"}}]}
        out.append(role)
    return out


def cluster_role_bindings() -> list[dict[str, Any]]:
    """The bootstrap ClusterRoleBindings as API objects."""
    out = []
    for name, role, subjects in _BINDINGS:
        meta: dict[str, Any] = copy.deepcopy(_META)
        meta["name"] = name
        subs = []
        for kind, sname, ns in subjects:
            s: dict[str, Any] = {"kind": kind, "name": sname}
            if kind == "ServiceAccount":
                s["namespace"] = ns
            else:
                s["apiGroup"] = "rbac.authorization.k8s.io"
            subs.append(s)
        out.append({"apiVersion": RBAC_V1, "kind": "ClusterRoleBinding", "metadata": meta,
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                    "subjects": subs})
    return out
