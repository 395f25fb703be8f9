"""The API resources a snapshot holds, and how kinds map to resource keys.

A snapshot stores objects under ``<apiVersion>/<resource>`` keys (``v1/pods``,
``apps/v1/deployments``): exactly what the API server serves, so offline dumps and
live collection land in the same place. Readers look objects up by group and
resource only (:func:`group_resource`), so a cluster that serves
``gateway.networking.k8s.io/v1beta1`` is read the same way as one serving ``v1``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceSpec:
    """One API resource the collector knows about.

    ``versions`` lists acceptable versions, preferred first; ``optional`` marks
    add-on APIs (CRDs) whose absence is recorded as a gap of kind ``absent``
    rather than a failure; ``metadata_only`` marks resources whose values are
    never stored (Secrets).
    """

    group: str
    versions: tuple[str, ...]
    resource: str
    kind: str
    namespaced: bool
    optional: bool = False
    metadata_only: bool = False
    needed_for: str = ""

    @property
    def group_resource(self) -> str:
        """``resource`` for the core group, ``resource.group`` otherwise.

        >>> SPEC_BY_GR["deployments.apps"].group_resource
        'deployments.apps'
        """
        return self.resource if not self.group else f"{self.resource}.{self.group}"

    def key(self, version: str | None = None) -> str:
        """The snapshot key for this resource at ``version`` (default: preferred).

        >>> SPEC_BY_GR["pods"].key()
        'v1/pods'
        >>> SPEC_BY_GR["clusterroles.rbac.authorization.k8s.io"].key()
        'rbac.authorization.k8s.io/v1/clusterroles'
        """
        v = version or self.versions[0]
        return f"{v}/{self.resource}" if not self.group else f"{self.group}/{v}/{self.resource}"


def _r(group: str, versions: str, resource: str, kind: str, namespaced: bool = True, **kw: object) -> ResourceSpec:
    return ResourceSpec(group, tuple(versions.split(",")), resource, kind, namespaced, **kw)  # type: ignore[arg-type]


RBAC = "rbac.authorization.k8s.io"
GATEWAY = "gateway.networking.k8s.io"

#: Every resource kubesec-nb reads. Order is collection order: cheap, cluster-scoped first.
RESOURCES: tuple[ResourceSpec, ...] = (
    _r("", "v1", "namespaces", "Namespace", False),
    _r("", "v1", "nodes", "Node", False),
    _r(RBAC, "v1", "clusterroles", "ClusterRole", False),
    _r(RBAC, "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _r(RBAC, "v1", "roles", "Role"),
    _r(RBAC, "v1", "rolebindings", "RoleBinding"),
    _r("", "v1", "serviceaccounts", "ServiceAccount"),
    _r("", "v1", "pods", "Pod"),
    _r("", "v1", "services", "Service"),
    _r("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    _r("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
    _r("networking.k8s.io", "v1", "ingresses", "Ingress"),
    _r("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    _r("apps", "v1", "deployments", "Deployment"),
    _r("apps", "v1", "daemonsets", "DaemonSet"),
    _r("apps", "v1", "statefulsets", "StatefulSet"),
    _r("apps", "v1", "replicasets", "ReplicaSet"),
    _r("batch", "v1", "jobs", "Job"),
    _r("batch", "v1", "cronjobs", "CronJob"),
    _r("", "v1", "replicationcontrollers", "ReplicationController"),
    _r("", "v1", "configmaps", "ConfigMap"),
    _r("", "v1", "secrets", "Secret", metadata_only=True),
    _r("", "v1", "persistentvolumes", "PersistentVolume", False),
    _r("", "v1", "limitranges", "LimitRange", needed_for="resource limits"),
    _r("", "v1", "resourcequotas", "ResourceQuota", needed_for="resource limits"),
    _r("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
       "ValidatingWebhookConfiguration", False),
    _r("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
       "MutatingWebhookConfiguration", False),
    _r("admissionregistration.k8s.io", "v1,v1beta1", "validatingadmissionpolicies",
       "ValidatingAdmissionPolicy", False, optional=True),
    _r("admissionregistration.k8s.io", "v1,v1beta1", "validatingadmissionpolicybindings",
       "ValidatingAdmissionPolicyBinding", False, optional=True),
    _r("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
       metadata_only=True),
    # Gateway API
    _r(GATEWAY, "v1,v1beta1", "gatewayclasses", "GatewayClass", False, optional=True,
       needed_for="internet exposure"),
    _r(GATEWAY, "v1,v1beta1", "gateways", "Gateway", optional=True, needed_for="internet exposure"),
    _r(GATEWAY, "v1,v1beta1", "httproutes", "HTTPRoute", optional=True, needed_for="internet exposure"),
    _r(GATEWAY, "v1,v1alpha2", "grpcroutes", "GRPCRoute", optional=True, needed_for="internet exposure"),
    _r(GATEWAY, "v1alpha2", "tlsroutes", "TLSRoute", optional=True, needed_for="internet exposure"),
    _r(GATEWAY, "v1alpha2", "tcproutes", "TCPRoute", optional=True, needed_for="internet exposure"),
    _r(GATEWAY, "v1alpha2", "udproutes", "UDPRoute", optional=True, needed_for="internet exposure"),
    _r(GATEWAY, "v1beta1", "referencegrants", "ReferenceGrant", optional=True,
       needed_for="internet exposure"),
    # Policy engines beyond NetworkPolicy
    _r("policy.networking.k8s.io", "v1alpha1", "adminnetworkpolicies", "AdminNetworkPolicy", False,
       optional=True, needed_for="network reachability"),
    _r("policy.networking.k8s.io", "v1alpha1", "baselineadminnetworkpolicies",
       "BaselineAdminNetworkPolicy", False, optional=True, needed_for="network reachability"),
    _r("cilium.io", "v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy", optional=True,
       needed_for="network reachability"),
    _r("cilium.io", "v2", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False,
       optional=True, needed_for="network reachability"),
    _r("crd.projectcalico.org", "v1", "networkpolicies", "NetworkPolicy", optional=True,
       needed_for="network reachability"),
    _r("crd.projectcalico.org", "v1", "globalnetworkpolicies", "GlobalNetworkPolicy", False,
       optional=True, needed_for="network reachability"),
    _r("security.istio.io", "v1,v1beta1", "peerauthentications", "PeerAuthentication", optional=True,
       needed_for="service mesh mTLS"),
    _r("security.istio.io", "v1,v1beta1", "authorizationpolicies", "AuthorizationPolicy", optional=True,
       needed_for="service mesh mTLS"),
    _r("velero.io", "v1", "schedules", "Schedule", optional=True, needed_for="backup"),
    _r("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", optional=True,
       needed_for="backup"),
    _r("kyverno.io", "v1", "clusterpolicies", "ClusterPolicy", False, optional=True,
       needed_for="admission policy and image signatures"),
    _r("kyverno.io", "v1", "policies", "Policy", optional=True,
       needed_for="admission policy and image signatures"),
    _r("templates.gatekeeper.sh", "v1,v1beta1", "constrainttemplates", "ConstraintTemplate", False,
       optional=True, needed_for="admission policy"),
    _r("policy.sigstore.dev", "v1beta1,v1alpha1", "clusterimagepolicies", "ClusterImagePolicy", False,
       optional=True, needed_for="image signatures"),
    _r("constraints.gatekeeper.sh", "v1beta1,v1", "ratifyverification", "RatifyVerification", False,
       optional=True, needed_for="image signatures"),
    _r("secrets-store.csi.x-k8s.io", "v1", "secretproviderclasses", "SecretProviderClass", optional=True,
       needed_for="cloud secret managers"),
    _r("external-secrets.io", "v1,v1beta1", "externalsecrets", "ExternalSecret", optional=True,
       needed_for="cloud secret managers"),
    _r("external-secrets.io", "v1,v1beta1", "secretstores", "SecretStore", optional=True,
       needed_for="cloud secret managers"),
    _r("external-secrets.io", "v1,v1beta1", "clustersecretstores", "ClusterSecretStore", False,
       optional=True, needed_for="cloud secret managers"),
)

SPEC_BY_GR: dict[str, ResourceSpec] = {s.group_resource: s for s in RESOURCES}

# Kind lookups are by (group, kind); Calico reuses the kind name NetworkPolicy.
SPEC_BY_GROUP_KIND: dict[tuple[str, str], ResourceSpec] = {(s.group, s.kind): s for s in RESOURCES}

#: Kinds that exist in Kubernetes but that kubesec-nb does not store. Manifests may carry them.
IGNORED_KINDS = frozenset({
    "Event", "Lease", "PodDisruptionBudget", "HorizontalPodAutoscaler",
    "PersistentVolumeClaim", "StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "PriorityClass",
    "RuntimeClass", "APIService", "Endpoints", "ControllerRevision", "ComponentStatus", "PodTemplate",
    "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration", "VerticalPodAutoscaler",
    "ServiceMonitor", "PodMonitor", "PrometheusRule", "Certificate", "Issuer", "ClusterIssuer",
})


def group_of(api_version: str) -> str:
    """The API group of an ``apiVersion`` string (``""`` for the core group).

    >>> group_of("v1"), group_of("apps/v1")
    ('', 'apps')
    """
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def split_key(key: str) -> tuple[str, str, str]:
    """Split a snapshot key into (group, version, resource).

    >>> split_key("v1/pods")
    ('', 'v1', 'pods')
    >>> split_key("apps/v1/deployments")
    ('apps', 'v1', 'deployments')
    """
    parts = key.split("/")
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"not a snapshot object key (want '<apiVersion>/<resource>'): {key!r}")


def group_resource(key: str) -> str:
    """The ``resource[.group]`` name of a snapshot key.

    >>> group_resource("networking.k8s.io/v1/networkpolicies")
    'networkpolicies.networking.k8s.io'
    """
    group, _, resource = split_key(key)
    return resource if not group else f"{resource}.{group}"


def spec_for(api_version: str, kind: str) -> ResourceSpec | None:
    """The resource that stores objects of this ``apiVersion``/``kind``, if kubesec-nb keeps them.

    >>> spec_for("apps/v1", "Deployment").resource
    'deployments'
    >>> spec_for("v1", "Event") is None
    True
    """
    return SPEC_BY_GROUP_KIND.get((group_of(api_version), kind))
