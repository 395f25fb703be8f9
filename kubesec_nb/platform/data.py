"""Dated reference data: Kubernetes support windows per provider, removed API versions, and
known-vulnerable or end-of-life components.

Each table carries its source and the date it was read (``AS_OF``). Checks that use a
table compare against the snapshot's collection date when it has one, else against
``AS_OF``, and say which. Refresh a table by re-reading its source and updating the date.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---- supported Kubernetes minors -----------------------------------------------------------------------
SUPPORT_AS_OF = "2026-08-22"
SUPPORT_SOURCE = ("endoflife.date (endoflife-date/endoflife.date products/amazon-eks.md, google-kubernetes-engine.md, "
                  "azure-kubernetes-service.md, kubernetes.md at a70eca3, 2026-08-22), which follow "
                  "docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html, "
                  "cloud.google.com/kubernetes-engine/docs/release-schedule, "
                  "learn.microsoft.com/azure/aks/supported-kubernetes-versions and kubernetes.io/releases")


@dataclass(frozen=True)
class Support:
    """End of standard support of a minor, and of the paid extension where one exists (EKS
    extended support, AKS Long-Term Support on the Premium tier)."""

    minor: str
    standard_end: str
    extended_end: str | None = None


_EKS = (("1.27", "2024-07-24", "2025-07-24"), ("1.28", "2024-11-26", "2025-11-26"),
        ("1.29", "2025-03-23", "2026-03-23"), ("1.30", "2025-07-23", "2026-07-23"),
        ("1.31", "2025-11-26", "2026-11-26"), ("1.32", "2026-03-23", "2027-03-23"),
        ("1.33", "2026-07-29", "2027-07-29"), ("1.34", "2026-12-02", "2027-12-02"),
        ("1.35", "2027-03-27", "2028-03-27"), ("1.36", "2027-08-02", "2028-08-02"))
_GKE = (("1.27", "2024-10-01", None), ("1.28", "2025-02-04", None), ("1.29", "2025-04-12", None),
        ("1.30", "2025-09-30", None), ("1.31", "2026-01-16", None), ("1.32", "2026-04-11", None),
        ("1.33", "2026-08-03", None), ("1.34", "2026-10-01", None), ("1.35", "2027-04-11", None),
        ("1.36", "2027-08-09", None))
_AKS = (("1.27", "2024-07-31", "2025-07-31"), ("1.28", "2025-01-31", "2026-02-28"),
        ("1.29", "2025-03-31", "2026-04-30"), ("1.30", "2025-08-22", "2026-07-31"),
        ("1.31", "2025-11-01", "2026-11-30"), ("1.32", "2026-03-31", "2027-03-31"),
        ("1.33", "2026-07-31", "2027-07-31"), ("1.34", "2026-11-30", "2027-11-30"),
        ("1.35", "2027-03-31", "2028-03-31"), ("1.36", "2027-06-30", "2028-06-30"))
_UPSTREAM = (("1.27", "2024-06-28", None), ("1.28", "2024-10-28", None), ("1.29", "2025-02-28", None),
             ("1.30", "2025-07-15", None), ("1.31", "2025-11-11", None), ("1.32", "2026-02-28", None),
             ("1.33", "2026-06-28", None), ("1.34", "2026-10-27", None), ("1.35", "2027-02-28", None),
             ("1.36", "2027-06-28", None))
#: Provider → minor → support window. ``other`` is upstream Kubernetes (patch releases end).
SUPPORT: dict[str, dict[str, Support]] = {
    name: {m: Support(m, s, e) for m, s, e in rows}
    for name, rows in (("eks", _EKS), ("gke", _GKE), ("aks", _AKS), ("other", _UPSTREAM))}
#: Days before the end of standard support at which a minor counts as "near" its end.
NEAR_END_DAYS = 90

# ---- removed API versions --------------------------------------------------------------------------------
REMOVALS_AS_OF = "2026-08-22"
REMOVALS_SOURCE = ("Kubernetes Deprecated API Migration Guide, kubernetes/website "
                   "content/en/docs/reference/using-api/deprecation-guide.md (removals up to v1.32; none since)")


@dataclass(frozen=True)
class Removal:
    """``api_version`` of ``kind`` is no longer served from Kubernetes ``removed_in``; use ``replacement``."""

    api_version: str
    kind: str
    removed_in: str
    replacement: str


def _rm(removed: str, replacement: str, *pairs: tuple[str, str]) -> tuple[Removal, ...]:
    return tuple(Removal(v, k, removed, replacement) for v, k in pairs)


REMOVALS: tuple[Removal, ...] = (
    *_rm("1.16", "networking.k8s.io/v1", ("extensions/v1beta1", "NetworkPolicy")),
    *_rm("1.16", "apps/v1", *((v, k) for v in ("extensions/v1beta1", "apps/v1beta2")
                              for k in ("DaemonSet", "Deployment", "ReplicaSet")),
         ("apps/v1beta1", "Deployment"), ("apps/v1beta1", "ReplicaSet"), ("apps/v1beta1", "StatefulSet"),
         ("apps/v1beta2", "StatefulSet")),
    *_rm("1.22", "admissionregistration.k8s.io/v1", ("admissionregistration.k8s.io/v1beta1",
                                                     "MutatingWebhookConfiguration"),
         ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration")),
    *_rm("1.22", "apiextensions.k8s.io/v1", ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition")),
    *_rm("1.22", "apiregistration.k8s.io/v1", ("apiregistration.k8s.io/v1beta1", "APIService")),
    *_rm("1.22", "certificates.k8s.io/v1", ("certificates.k8s.io/v1beta1", "CertificateSigningRequest")),
    *_rm("1.22", "coordination.k8s.io/v1", ("coordination.k8s.io/v1beta1", "Lease")),
    *_rm("1.22", "networking.k8s.io/v1", ("extensions/v1beta1", "Ingress"), ("networking.k8s.io/v1beta1", "Ingress"),
         ("networking.k8s.io/v1beta1", "IngressClass")),
    *_rm("1.22", "rbac.authorization.k8s.io/v1", *(("rbac.authorization.k8s.io/v1beta1", k) for k in (
        "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"))),
    *_rm("1.22", "scheduling.k8s.io/v1", ("scheduling.k8s.io/v1beta1", "PriorityClass")),
    *_rm("1.22", "storage.k8s.io/v1", *(("storage.k8s.io/v1beta1", k) for k in (
        "CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"))),
    *_rm("1.25", "batch/v1", ("batch/v1beta1", "CronJob")),
    *_rm("1.25", "discovery.k8s.io/v1", ("discovery.k8s.io/v1beta1", "EndpointSlice")),
    *_rm("1.25", "events.k8s.io/v1", ("events.k8s.io/v1beta1", "Event")),
    *_rm("1.25", "autoscaling/v2", ("autoscaling/v2beta1", "HorizontalPodAutoscaler")),
    *_rm("1.25", "policy/v1", ("policy/v1beta1", "PodDisruptionBudget")),
    *_rm("1.25", "Pod Security Admission (no replacement API)", ("policy/v1beta1", "PodSecurityPolicy"),
         ("extensions/v1beta1", "PodSecurityPolicy")),
    *_rm("1.25", "node.k8s.io/v1", ("node.k8s.io/v1beta1", "RuntimeClass")),
    *_rm("1.26", "flowcontrol.apiserver.k8s.io/v1beta2", *(("flowcontrol.apiserver.k8s.io/v1beta1", k) for k in (
        "FlowSchema", "PriorityLevelConfiguration"))),
    *_rm("1.26", "autoscaling/v2", ("autoscaling/v2beta2", "HorizontalPodAutoscaler")),
    *_rm("1.27", "storage.k8s.io/v1", ("storage.k8s.io/v1beta1", "CSIStorageCapacity")),
    *_rm("1.29", "flowcontrol.apiserver.k8s.io/v1", *(("flowcontrol.apiserver.k8s.io/v1beta2", k) for k in (
        "FlowSchema", "PriorityLevelConfiguration"))),
    *_rm("1.32", "flowcontrol.apiserver.k8s.io/v1", *(("flowcontrol.apiserver.k8s.io/v1beta3", k) for k in (
        "FlowSchema", "PriorityLevelConfiguration"))),
)
REMOVAL_BY_KEY: dict[tuple[str, str], Removal] = {(r.api_version, r.kind): r for r in REMOVALS}

# ---- known-vulnerable and end-of-life components ---------------------------------------------------------
COMPONENTS_AS_OF = "2026-08-22"


@dataclass(frozen=True)
class Component:
    """A component recognised by its image repository (suffix match after the registry).

    ``fixed`` lists the first fixed version of each affected release line (``(1, 11): "1.11.5"``);
    a version below the fix of its line, or on an older line than every listed one, is affected.
    ``eol`` is the date the project stopped publishing security fixes, if it has.
    """

    name: str
    repositories: tuple[str, ...]
    advisory: str = ""
    severity: str = "high"
    fixed: tuple[tuple[tuple[int, int], str], ...] = ()
    eol: str | None = None
    eol_note: str = ""
    source: str = ""


COMPONENTS: tuple[Component, ...] = (
    Component("ingress-nginx", ("ingress-nginx/controller", "ingress-nginx/controller-chroot"),
              advisory="CVE-2025-1974 (unauthenticated RCE through the admission webhook) with CVE-2025-1097, "
                       "CVE-2025-1098, CVE-2025-24514 (configuration injection through annotations)",
              severity="critical", fixed=(((1, 11), "1.11.5"), ((1, 12), "1.12.1")),
              eol="2026-03-31", eol_note="Kubernetes SIG Network retired Ingress NGINX: best-effort maintenance "
                                         "until March 2026, then no releases or security fixes",
              source="kubernetes.io/blog/2025/03/24/ingress-nginx-cve-2025-1974 (kubernetes/kubernetes#131009); "
                     "kubernetes.io/blog/2025/11/11/ingress-nginx-retirement"),
    Component("Kubernetes Dashboard", ("kubernetesui/dashboard", "kubernetesui/dashboard-api",
                                       "kubernetesui/dashboard-web", "kubernetesui/dashboard-auth"),
              eol="2026-01-02", eol_note="kubernetes/dashboard was archived (moved to kubernetes-retired); "
                                         "SIG UI recommends Headlamp",
              source="github.com/kubernetes-retired/dashboard README; kubernetes/website#54042"),
    Component("AAD Pod Identity", ("oss/azure/aad-pod-identity/nmi", "oss/azure/aad-pod-identity/mic",
                                   "k8s/aad-pod-identity/nmi", "k8s/aad-pod-identity/mic"),
              eol="2023-10-02", eol_note="deprecated on 2022-10-24 for Microsoft Entra Workload ID, CVE fixes until "
                                         "September 2023, repository archived; its NMI DaemonSet intercepts IMDS "
                                         "traffic on every node",
              source="Azure/aad-pod-identity#1349; Azure/application-gateway-kubernetes-ingress#1599"),
)

#: ingress-nginx ConfigMap keys that let Ingress authors inject raw NGINX configuration.
SNIPPET_KEYS = ("allow-snippet-annotations",)
