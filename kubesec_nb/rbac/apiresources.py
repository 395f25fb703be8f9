"""Built-in API resources: which group a bare resource name lives in, and whether it is namespaced.

The authorizer itself never needs this table (it compares strings). It is used to read an
analyst's query the way ``kubectl auth can-i`` reads it through discovery (``deployments``
means ``deployments.apps``) and to know that a request on a cluster-scoped resource never
carries a namespace, so a RoleBinding can never grant it.
"""

from __future__ import annotations

from kubesec_nb.snapshot.resources import RESOURCES

# Built-in cluster-scoped resources that the snapshot registry does not list, including the
# virtual ones that only exist for authorization (``users``, ``groups``, ``uids``, ``userextras``,
# ``signers``).
_UNLISTED_CLUSTER_SCOPED = frozenset({
    ("", "componentstatuses"), ("", "users"), ("", "groups"),
    ("apiregistration.k8s.io", "apiservices"),
    ("certificates.k8s.io", "certificatesigningrequests"), ("certificates.k8s.io", "signers"),
    ("certificates.k8s.io", "clustertrustbundles"),
    ("storage.k8s.io", "storageclasses"), ("storage.k8s.io", "csidrivers"), ("storage.k8s.io", "csinodes"),
    ("storage.k8s.io", "volumeattachments"), ("storage.k8s.io", "volumeattributesclasses"),
    ("scheduling.k8s.io", "priorityclasses"), ("node.k8s.io", "runtimeclasses"),
    ("networking.k8s.io", "ipaddresses"), ("networking.k8s.io", "servicecidrs"),
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"),
    ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"),
    ("authentication.k8s.io", "tokenreviews"), ("authentication.k8s.io", "selfsubjectreviews"),
    ("authentication.k8s.io", "uids"), ("authentication.k8s.io", "userextras"),
    ("authorization.k8s.io", "subjectaccessreviews"), ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
    ("resource.k8s.io", "deviceclasses"), ("resource.k8s.io", "resourceslices"),
})

#: ``(group, resource)`` of cluster-scoped resources: those the snapshot registry marks so (built-in
#: and add-on APIs), and the built-in ones it does not list.
CLUSTER_SCOPED: frozenset[tuple[str, str]] = _UNLISTED_CLUSTER_SCOPED | frozenset(
    (s.group, s.resource) for s in RESOURCES if not s.namespaced)

# Built-in namespaced resources whose group a bare name implies (core resources need no entry).
_NAMESPACED: dict[str, str] = {
    "deployments": "apps", "replicasets": "apps", "statefulsets": "apps", "daemonsets": "apps",
    "controllerrevisions": "apps", "jobs": "batch", "cronjobs": "batch",
    "roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
    "networkpolicies": "networking.k8s.io", "ingresses": "networking.k8s.io",
    "endpointslices": "discovery.k8s.io", "horizontalpodautoscalers": "autoscaling",
    "poddisruptionbudgets": "policy", "leases": "coordination.k8s.io",
    "localsubjectaccessreviews": "authorization.k8s.io", "csistoragecapacities": "storage.k8s.io",
    "resourceclaims": "resource.k8s.io", "resourceclaimtemplates": "resource.k8s.io",
}

CORE_RESOURCES = frozenset({
    "pods", "services", "endpoints", "configmaps", "secrets", "serviceaccounts", "events",
    "persistentvolumeclaims", "replicationcontrollers", "limitranges", "resourcequotas", "podtemplates",
    "bindings", "namespaces", "nodes", "persistentvolumes", "componentstatuses", "users", "groups",
})


def _default_groups() -> dict[str, str]:
    out = {r: g for g, r in CLUSTER_SCOPED}
    out.update(_NAMESPACED)
    for spec in RESOURCES:  # add-on APIs the snapshot knows (Gateway API, Cilium, ...)
        out.setdefault(spec.resource, spec.group)
    out.update(dict.fromkeys(CORE_RESOURCES, ""))
    return out


#: Resource name → the group ``kubectl`` discovery would pick for it (core wins, as in kubectl).
DEFAULT_GROUP: dict[str, str] = _default_groups()


def is_cluster_scoped(group: str, resource: str) -> bool:
    """True when requests on ``resource`` in ``group`` never carry a namespace.

    ``namespaces`` is cluster-scoped, but a request on one namespace object is evaluated
    with that namespace (see :func:`kubesec_nb.rbac.rules.Request.for_query`).

    >>> is_cluster_scoped("", "nodes"), is_cluster_scoped("apps", "deployments")
    (True, False)
    """
    return (group, resource) in CLUSTER_SCOPED


def carries_namespace(verb: str, group: str, resource: str) -> bool:
    """True when a request with ``verb`` on ``resource`` is evaluated in a namespace, so a
    RoleBinding can grant it: namespaced resources, and ``bind`` on ClusterRoles, which the
    API server checks in the namespace of the RoleBinding being written (``BindingAuthorized``).
    A request on one Namespace object is the other exception; callers handle it.

    >>> carries_namespace("get", "", "nodes"), carries_namespace("bind", "rbac.authorization.k8s.io", "clusterroles")
    (False, True)
    """
    return not is_cluster_scoped(group, resource) or (verb == "bind" and resource == "clusterroles")
