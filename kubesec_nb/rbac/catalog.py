"""The risky-permission catalog, as data.

Each :class:`CatalogRule` holds a check's metadata (a stable id, title, severity, category,
remediation, the tools that check the same thing; :attr:`CatalogRule.meta`), a condition (a
phrase that reads after "<subject> can") and that condition as :class:`Need` clauses: every
clause (AND) must have one of its needs (OR) allowed at one scope — cluster-wide
(ClusterRoleBindings) or inside one namespace (ClusterRoleBindings plus that namespace's
RoleBindings). :mod:`.checks` registers one check per rule; the RBAC checks computed from
other facts (bindings, escalation, cloud identities) are written there.

Verbs, groups and subresources are matched exactly as the authorizer does: ``pods/*`` does
not grant ``pods/exec``; a rule on ``deployments`` in group ``""`` does not grant
``deployments.apps``; a ``create`` with resourceNames grants nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kubesec_nb.model import POD_CONTROLLERS
from kubesec_nb.rbac.capabilities import Allowance, Probe
from kubesec_nb.snapshot.resources import SPEC_BY_GROUP_KIND

RBAC = "Role-Based Access Control"
SA = "Service Account Security"
IAM = "Identity and Access Management"
SECRETS = "Kubernetes Secrets"
API = "Secure API Server Access"
PODSEC = "Pod Security and Security Contexts"
NET = "Network Policies"
AUDIT = "Audit Logging and Monitoring"

#: Probe flags that options switch on.
EXEC_VIA_GET = "exec_via_get"
SECRET_GET = "secret_get_reads"


@dataclass(frozen=True)
class Need:
    """One request shape a condition accepts, and how resourceNames count.

    ``names``: ``any`` (a grant limited to some names still counts), ``all`` (the request
    is nameless or must reach every object: create of a top-level object, cluster-admin),
    ``self`` (the Namespace object of the scope), or ``=a|b`` (one of these names).
    ``when`` names an option flag without which the need never counts.
    """

    verb: str
    resource: str
    names: str = "any"
    when: str = ""
    any_subresource: bool = False
    probe: Probe = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "probe", Probe(self.verb, self.resource, self.any_subresource))

    def satisfied(self, allowance: Allowance | None, scope: str) -> bool:
        """Whether ``allowance`` meets this need at ``scope`` (``cluster`` or a namespace)."""
        if allowance is None:
            return False
        if self.names == "all":
            return allowance.names is None
        if self.names == "self" and scope != "cluster":
            return allowance.allows(scope)
        if self.names.startswith("="):
            return any(allowance.allows(n) for n in self.names[1:].split("|"))
        return True

    def __str__(self) -> str:
        extra = "" if self.names in ("any",) else f" [{self.names}]"
        return f"{self.verb} {self.resource}{'/<any>' if self.any_subresource else ''}{extra}"


@dataclass(frozen=True, kw_only=True)
class CatalogRule:
    """One entry of the catalog (see the module docstring).

    ``scope``: where the condition may hold (``any``, ``cluster``, ``namespace``);
    ``namespaces`` limits namespace scopes to these (cluster scope always counts);
    ``cluster_severity`` overrides the severity when the condition holds cluster-wide.
    """

    id: str
    title: str
    severity: str
    category: str
    remediation: str
    references: tuple[str, ...]
    condition: str
    all_of: tuple[tuple[Need, ...], ...]
    scope: str = "any"
    namespaces: tuple[str, ...] = ()
    cluster_severity: str | None = None
    cis: tuple[str, ...] = ()

    @property
    def meta(self) -> dict[str, Any]:
        """The check metadata of this rule, as :func:`kubesec_nb.checks.check` takes it."""
        return {"id": self.id, "title": self.title, "severity": self.severity, "category": self.category,
                "remediation": self.remediation, "references": self.references, "description": self.condition,
                "cis": self.cis}

    @cached_property
    def clause_probes(self) -> tuple[frozenset[Probe], ...]:
        """The probes of each clause (a clause none of whose probes is held cannot be met)."""
        return tuple(frozenset(n.probe for n in clause) for clause in self.all_of)


def _any(verbs: Iterable[str], resources: Iterable[str], names: str = "any", when: str = "") -> tuple[Need, ...]:
    return tuple(Need(v, r, names, when) for r in resources for v in verbs)


#: The pod controllers as ``resource[.group]`` (deployments.apps, ..., replicationcontrollers).
WORKLOADS = tuple(SPEC_BY_GROUP_KIND[(group, kind)].group_resource for kind, group in POD_CONTROLLERS.items())
WRITE = ("create", "update", "patch")
PROXY_VERBS = ("get", "create", "update", "patch", "delete")
SECRET_READ = (Need("list", "secrets"), Need("watch", "secrets"), Need("get", "secrets", when=SECRET_GET))
#: Controllers whose pod template an update may change: a Job's ``spec.template`` is immutable
#: (``ValidateJobSpecUpdate``, pkg/apis/batch/validation), so updating a Job creates no pod.
TEMPLATE_MUTABLE = tuple(w for w in WORKLOADS if w != "jobs.batch")
POD_CREATE = (Need("create", "pods", "all"),
              *(Need("create", w, "all") for w in WORKLOADS),
              *_any(("update", "patch"), TEMPLATE_MUTABLE))
#: Replace a running pod's container image (``ValidatePodUpdate`` lets ``spec.containers[*].image`` change).
POD_PATCH = _any(("update", "patch"), ("pods",))
EXEC = (*_any(("create",), ("pods/exec", "pods/attach")),
        *_any(("get",), ("pods/exec", "pods/attach"), when=EXEC_VIA_GET))
EPHEMERAL = _any(("update", "patch"), ("pods/ephemeralcontainers",))
RBAC_WRITE = _any(WRITE, ("rolebindings", "clusterrolebindings", "roles", "clusterroles"))
CLIENT_SIGNER = "=kubernetes.io/kube-apiserver-client|kubernetes.io/*"
NODES_PROXY = _any(PROXY_VERBS, ("nodes/proxy",))
TOKEN_REQUEST = (Need("create", "serviceaccounts/token"),)
IMPERSONATE = _any(("impersonate",), ("users", "groups", "serviceaccounts"))

#: What "namespace admin" means with ``rbac_namespace_admin='admin-role'``: the core of the
#: built-in ``admin`` ClusterRole. Holding all of these in a namespace (or ``*`` on ``*``)
#: is full control of the namespace's workloads, identities, secrets and RBAC.
ADMIN_NEEDS: tuple[tuple[Need, ...], ...] = tuple((n,) for n in (
    Need("create", "pods", "all"), Need("delete", "pods", "all"), Need("create", "pods/exec", "all"),
    Need("get", "secrets", "all"), Need("list", "secrets", "all"),
    Need("create", "deployments.apps", "all"), Need("update", "deployments.apps", "all"),
    Need("create", "serviceaccounts", "all"), Need("create", "rolebindings", "all"),
    Need("create", "roles", "all"), Need("update", "configmaps", "all"),
))
WILDCARD: tuple[tuple[Need, ...], ...] = ((Need("*", "*", "all"),),)

# ---- what escalation analysis (:mod:`.escalation`) evaluates beyond the catalog's conditions --------
BIND = (Need("bind", "roles"), Need("bind", "clusterroles"))
ESCALATE = (Need("escalate", "roles"), Need("escalate", "clusterroles"))
ROLE_UPDATE = tuple(Need(v, r) for r in ("roles", "clusterroles") for v in ("update", "patch"))
BINDING_WRITE = tuple(Need(v, r, "all" if v == "create" else "any")
                      for r in ("rolebindings", "clusterrolebindings") for v in ("create", "update", "patch"))
SECRET_CREATE = (Need("create", "secrets", "all"),)
#: Mint a client certificate: create a CSR, approve it, and approve for the kube-apiserver-client signer.
CSR_SIGN: tuple[tuple[Need, ...], ...] = (
    (Need("create", "certificatesigningrequests", "all"),),
    (Need("update", "certificatesigningrequests/approval"), Need("patch", "certificatesigningrequests/approval")),
    (Need("approve", "signers", CLIENT_SIGNER),))
AWS_AUTH_WRITE = (Need("update", "configmaps", "=aws-auth"), Need("patch", "configmaps", "=aws-auth"),
                  Need("create", "configmaps", "all"))

#: Needs escalation analysis evaluates beyond the catalog's.
ESCALATION_NEEDS: tuple[Need, ...] = (*BIND, *ESCALATE, *ROLE_UPDATE, *BINDING_WRITE, *IMPERSONATE, *TOKEN_REQUEST,
                                      *POD_PATCH,
                                      *SECRET_CREATE, *(n for clause in CSR_SIGN for n in clause), *AWS_AUTH_WRITE,
                                      *NODES_PROXY)

_KS = "kubescape"
#: Wildcard admin: named because a match of it implies every other rule at the same scope.
CLUSTER_ADMIN_RULE = CatalogRule(
    id="RBAC-CLUSTER-ADMIN",
    cis=("CIS Kubernetes 5.1.1", "CIS GKE 4.1.1", "CIS EKS 4.1.1", "CIS AKS 4.1.1"),
    title="Wildcard admin cluster-wide ('*' verbs on '*' resources in '*' groups)",
    severity="critical",
    category=RBAC,
    remediation="Bind cluster-admin only to break-glass identities; grant workloads and people narrow roles.",
    references=(f"{_KS} C-0035/C-0185/C-0187", "krane subjects-with-open-cluster-wide-access",
                "rbac-police cluster_admin",
     "KubiScan risky-any-verb"),
    condition="do '*' on '*' in apiGroup '*' through a ClusterRoleBinding",
    all_of=WILDCARD,
    scope="cluster")
NAMESPACE_WILDCARD_RULE = CatalogRule(
    id="RBAC-NAMESPACE-WILDCARD",
    cis=("CIS Kubernetes 5.1.3", "CIS GKE 4.1.3", "CIS EKS 4.1.3", "CIS AKS 4.1.3"),
    title="Wildcard admin in a namespace ('*' on '*')",
    severity="high",
    category=RBAC,
    remediation="Replace '*' rules with the verbs and resources the subject needs; prefer the built-in edit/view "
                "roles.",
    references=("krane subjects-with-open-ns-level-access", f"{_KS} C-0272"),
    condition="do '*' on '*' in apiGroup '*' through a RoleBinding",
    all_of=WILDCARD,
    scope="namespace")

CATALOG: tuple[CatalogRule, ...] = (
    CLUSTER_ADMIN_RULE,
    NAMESPACE_WILDCARD_RULE,
    CatalogRule(
        id="RBAC-SECRETS-READ",
        cis=("CIS Kubernetes 5.1.2", "CIS GKE 4.1.2", "CIS EKS 4.1.2", "CIS AKS 4.1.2"),
        title="Can read Secrets",
        severity="high",
        category=SECRETS,
        remediation="Grant get on the few named Secrets a workload needs (resourceNames); never list/watch.",
        references=(f"{_KS} C-0015/C-0186", "KubiScan risky-get-secrets/risky-list-secrets", "krane risky-get-secrets",
         "rbac-tool Secret Readers", "rbac-police list_secrets/retrieve_token_secrets", "KubeHound TOKEN_LIST"),
        condition="list or watch secrets (all of a namespace's values), or get them when their names are known",
        all_of=(SECRET_READ,),
        cluster_severity="critical"),
    CatalogRule(
        id="RBAC-POD-CREATE",
        cis=("CIS Kubernetes 5.1.4", "CIS EKS 4.1.4", "CIS AKS 4.1.4"),
        title="Can create pods or pod controllers (run as any service account of the namespace)",
        severity="high",
        category=SA,
        remediation="Let CI/CD or GitOps controllers create workloads; restrict people to view. Enforce Pod Security "
        "'restricted' so created pods cannot escape to the node.",
        references=(f"{_KS} C-0188", "KubiScan risky-create-*", "krane risky-create-*", "rbac-tool Workload Creators",
         "rbac-police assign_sa", "KubeHound POD_CREATE", "IceKube CREATE_POD_WITH_SA"),
        condition="create pods, create jobs, or create/update/patch deployments, replicasets, statefulsets, "
        "daemonsets (apps), "
        "cronjobs (batch) or replicationcontrollers (a Job's pod template is immutable)",
        all_of=(POD_CREATE,),
        cluster_severity="critical"),
    CatalogRule(
        id="RBAC-POD-PATCH",
        title="Can update or patch running pods (replace a container image)",
        severity="medium",
        category=SA,
        remediation="Remove update/patch on pods; change workloads through their controllers.",
        references=("rbac-police modify_pods/rce_weak_ns", "KubeHound POD_PATCH", "IceKube REPLACE_IMAGE"),
        condition="update or patch pods",
        all_of=(POD_PATCH,)),
    CatalogRule(
        id="RBAC-POD-EXEC",
        title="Can exec or attach into pods",
        severity="high",
        category=SA,
        remediation="Remove pods/exec and pods/attach (create, and get before Kubernetes 1.35); use audited "
                    "break-glass access.",
        references=(f"{_KS} C-0002", "KubiScan risky-exec-pods/risky-attach-pods", "krane risky-exec-pods",
         "rbac-tool Exec into Pod", "rbac-police pods_exec", "KubeHound POD_EXEC", "IceKube EXEC_INTO"),
        condition="create pods/exec or pods/attach; get on them before Kubernetes 1.35 (WebSocket upgrade)",
        all_of=(EXEC,)),
    CatalogRule(
        id="RBAC-POD-PORTFORWARD",
        title="Can port-forward into pods",
        severity="medium",
        category=NET,
        remediation="Remove pods/portforward (create, and get before Kubernetes 1.35).",
        references=(f"{_KS} C-0063",),
        condition="create pods/portforward; get before Kubernetes 1.35",
        all_of=((Need("create", "pods/portforward"), Need("get", "pods/portforward", when=EXEC_VIA_GET)),)),
    CatalogRule(
        id="RBAC-POD-EPHEMERAL",
        title="Can add ephemeral (debug) containers to running pods",
        severity="high",
        category=PODSEC,
        remediation="Remove update/patch on pods/ephemeralcontainers outside break-glass roles.",
        references=("rbac-police pods_ephemeral_ctrs", "rbac-tool Create Ephemeral Containers", "IceKube DEBUG_POD"),
        condition="update or patch pods/ephemeralcontainers",
        all_of=(EPHEMERAL,)),
    CatalogRule(
        id="RBAC-NODES-PROXY",
        cis=("CIS Kubernetes 5.1.10", "CIS EKS 4.1.10", "CIS AKS 4.1.9"),
        title="Can reach the kubelet API through nodes/proxy (exec into any pod on the node)",
        severity="critical",
        category=API,
        remediation="Remove every verb on nodes/proxy (get is enough for WebSocket exec); monitoring agents should use "
        "the kubelet fine-grained subresources (nodes/metrics, nodes/stats).",
        references=(f"{_KS} C-0279", "KubiScan risky-execute-command-node-proxy", "rbac-police nodes_proxy",
         "rbac-tool Create Node Proxy", "IceKube CAN_EXEC_THROUGH_KUBELET", "KubeHound #408"),
        condition="use any verb on nodes/proxy",
        all_of=(NODES_PROXY,)),
    CatalogRule(
        id="RBAC-SA-TOKEN-CREATE",
        cis=("CIS Kubernetes 5.1.13", "CIS EKS 4.1.12", "CIS AKS 4.1.12"),
        title="Can mint service account tokens (TokenRequest)",
        severity="high",
        category=SA,
        remediation="Remove create on serviceaccounts/token, or limit it with resourceNames to the accounts a "
        "controller "
        "must serve.",
        references=(f"{_KS} C-0282", "rbac-police token_request", "IceKube GENERATE_TOKEN"),
        condition="create serviceaccounts/token",
        all_of=(TOKEN_REQUEST,),
        cluster_severity="critical"),
    CatalogRule(
        id="RBAC-CSR-APPROVE",
        cis=("CIS Kubernetes 5.1.11", "CIS AKS 4.1.10"),
        title="Can approve certificate signing requests (mint client certificates)",
        severity="high",
        category=IAM,
        remediation="Only the control plane should approve CSRs; remove update on certificatesigningrequests/approval "
        "and approve on signers.",
        references=(f"{_KS} C-0280", "rbac-police approve_csrs", "IceKube GENERATE_CLIENT_CERTIFICATE"),
        condition="update/patch certificatesigningrequests/approval and approve on a signer",
        all_of=(_any(("update", "patch"), ("certificatesigningrequests/approval",)),
         (Need("approve", "signers"),)),
        scope="cluster"),
    CatalogRule(
        id="RBAC-BIND-ESCALATE",
        cis=("CIS Kubernetes 5.1.8", "CIS GKE 4.1.7", "CIS EKS 4.1.8", "CIS AKS 4.1.7"),
        title="Can grant roles beyond its own (bind or escalate with write access to RBAC)",
        severity="critical",
        category=RBAC,
        remediation="Remove bind and escalate; RBAC administrators should hold the permissions they grant.",
        references=(f"{_KS} C-0191", "KubiScan risky-create-rolebinding-*", "krane risky-create-rolebinding-*",
         "rbac-tool Privileges Escalators - via bind or escalate", "rbac-police bind_roles/escalate_roles",
         "KubeHound ROLE_BIND", "IceKube RBAC_ESCALATE_TO"),
        condition="bind or escalate on roles/clusterroles, together with create/update/patch on roles or bindings",
        all_of=(_any(("bind", "escalate"), ("roles", "clusterroles")), RBAC_WRITE)),
    CatalogRule(
        id="RBAC-IMPERSONATE",
        cis=("CIS Kubernetes 5.1.8", "CIS GKE 4.1.7", "CIS EKS 4.1.8", "CIS AKS 4.1.7"),
        title="Can impersonate users, groups, service accounts or user attributes",
        severity="critical",
        category=IAM,
        remediation="Remove impersonate; if a proxy needs it, limit it with resourceNames.",
        references=(f"{_KS} C-0065/C-0191", "KubiScan risky-impersonate-groups",
                    "krane risky-impersonate-privileged-groups",
         "rbac-tool Privileges Escalators - via impersonate", "rbac-police impersonate", "IceKube CAN_IMPERSONATE"),
        condition="impersonate users, groups, serviceaccounts, uids or userextras/<key>",
        all_of=((*IMPERSONATE, Need("impersonate", "uids.authentication.k8s.io"),
          Need("impersonate", "userextras.authentication.k8s.io", any_subresource=True)),)),
    CatalogRule(
        id="RBAC-WEBHOOK-WRITE",
        cis=("CIS Kubernetes 5.1.12", "CIS EKS 4.1.11", "CIS AKS 4.1.11"),
        title="Can create or change admission webhooks and policies",
        severity="high",
        category=API,
        remediation="Only the platform team's deployment pipeline should write admission configuration.",
        references=(f"{_KS} C-0281", "rbac-police control_webhooks",
                    "rbac-tool Installing or Modifying Admission Controllers"),
        condition="create/update/patch validating/mutating webhook configurations or admission policies and bindings",
        all_of=(_any(WRITE, tuple(f"{r}.admissionregistration.k8s.io" for r in (
            "validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies",
            "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"))),),
        scope="cluster"),
    CatalogRule(
        id="RBAC-CRD-WRITE",
        title="Can create, change or delete CustomResourceDefinitions",
        severity="medium",
        category=API,
        remediation="Restrict CRD writes to the platform pipeline.",
        references=("rbac-tool Installing or Modifying Cluster Extensions",),
        condition="create/update/patch/delete customresourcedefinitions",
        all_of=(_any((*WRITE, "delete"), ("customresourcedefinitions.apiextensions.k8s.io",)),),
        scope="cluster"),
    CatalogRule(
        id="RBAC-PV-CREATE",
        cis=("CIS Kubernetes 5.1.9", "CIS EKS 4.1.9", "CIS AKS 4.1.8"),
        title="Can create PersistentVolumes (hostPath volumes onto nodes)",
        severity="high",
        category=PODSEC,
        remediation="Let a CSI provisioner create volumes; remove create on persistentvolumes from people and apps.",
        references=(f"{_KS} C-0278", "rbac-tool Storage & Data"),
        condition="create persistentvolumes",
        all_of=((Need("create", "persistentvolumes", "all"),),),
        scope="cluster"),
    CatalogRule(
        id="RBAC-SERVICE-STATUS",
        title="Can write services/status (CVE-2020-8554 traffic interception)",
        severity="medium",
        category=NET,
        remediation="Remove update/patch on services/status outside the cloud controller.",
        references=("rbac-police modify_service_status_cve_2020_8554",),
        condition="update or patch services/status",
        all_of=(_any(("update", "patch"), ("services/status",)),)),
    CatalogRule(
        id="RBAC-NODE-WRITE",
        title="Can modify or delete nodes (steer scheduling, steal pods)",
        severity="medium",
        category=RBAC,
        remediation="Only kubelets (restricted by NodeRestriction) and the cloud controller should write nodes.",
        references=("rbac-police modify_node_status/steal_pods",),
        condition="update/patch/delete nodes, or update/patch nodes/status",
        all_of=((*_any(("update", "patch", "delete"), ("nodes",)), *_any(("update", "patch"), ("nodes/status",))),),
        scope="cluster"),
    CatalogRule(
        id="RBAC-POD-EVICT-DELETE",
        title="Can evict or delete pods",
        severity="low",
        category=RBAC,
        remediation="Grant delete/evict only to operators of the workload; prefer rollouts through controllers.",
        references=(f"{_KS} C-0007", "rbac-police steal_pods"),
        condition="create pods/eviction, or delete/deletecollection pods",
        all_of=((Need("create", "pods/eviction"), *_any(("delete", "deletecollection"), ("pods",))),)),
    CatalogRule(
        id="RBAC-KUBE-SYSTEM-CONFIGMAP-WRITE",
        title="Can write ConfigMaps in kube-system (aws-auth, CoreDNS, kube-proxy)",
        severity="high",
        category=IAM,
        remediation="Only the platform pipeline should write kube-system ConfigMaps; on EKS move to access entries.",
        references=(f"{_KS} C-0037", "rbac-police eks_modify_aws_auth", "IceKube UPDATE_AWS_AUTH"),
        condition="create configmaps, or update/patch/delete configmaps, in kube-system",
        all_of=((Need("create", "configmaps", "all"), *_any(("update", "patch", "delete"), ("configmaps",))),),
        scope="namespace",
        namespaces=("kube-system",)),
    CatalogRule(
        id="RBAC-NAMESPACE-PATCH",
        title="Can modify Namespace objects (relax Pod Security labels)",
        severity="medium",
        category=PODSEC,
        remediation="Remove update/patch on namespaces; Pod Security labels belong to the platform team.",
        references=("IceKube PATCH_NAMESPACE_TO_BYPASS_PSA",),
        condition="update or patch a Namespace (a RoleBinding reaches its own namespace)",
        all_of=(_any(("update", "patch"), ("namespaces",), "self"),)),
    CatalogRule(
        id="RBAC-RBAC-WRITE",
        title="Can create or change roles and bindings",
        severity="low",
        category=RBAC,
        remediation="Limit RBAC writes to the platform pipeline; escalation prevention still caps what can be granted.",
        references=("krane subjects-with-rbac-management", "KubiScan risky-add-rolebinding"),
        condition="create/update/patch roles, clusterroles, rolebindings or clusterrolebindings",
        all_of=(RBAC_WRITE,)),
    CatalogRule(
        id="RBAC-NETWORKPOLICY-WRITE",
        title="Can change NetworkPolicies",
        severity="medium",
        category=NET,
        remediation="Network policy belongs to the platform or security team; remove writes from workloads.",
        references=("rbac-tool Networking - Manipulate Networking",),
        condition="create/update/patch/delete networkpolicies or admin network policies",
        all_of=(_any((*WRITE, "delete"), ("networkpolicies.networking.k8s.io",
                                    "adminnetworkpolicies.policy.networking.k8s.io")),)),
    CatalogRule(
        id="RBAC-EVENTS-DELETE",
        title="Can delete events (hide activity)",
        severity="low",
        category=AUDIT,
        remediation="Remove delete on events.",
        references=(f"{_KS} C-0031",),
        condition="delete/deletecollection events (core or events.k8s.io)",
        all_of=(_any(("delete", "deletecollection"), ("events", "events.events.k8s.io")),)),
)

CATALOG_BY_ID: Mapping[str, CatalogRule] = {c.id: c for c in CATALOG}


def all_needs() -> tuple[Need, ...]:
    """Every need of every permission rule, plus those escalation analysis uses."""
    seen: dict[Need, None] = {}
    for c in CATALOG:
        for clause in c.all_of:
            seen.update(dict.fromkeys(clause))
    for clause in ADMIN_NEEDS:
        seen.update(dict.fromkeys(clause))
    seen.update(dict.fromkeys(ESCALATION_NEEDS))
    return tuple(seen)


def met(needs: Iterable[Need], caps: Mapping[Probe, Allowance], scope: str,
        flags: frozenset[str]) -> list[tuple[Need, Allowance]]:
    """The needs among ``needs`` that ``caps`` meet at ``scope``, each with its allowance (a need
    with ``when`` counts only while that flag is set).

    >>> caps = {Probe("create", "pods"): Allowance(frozenset({"x"}), ())}
    >>> [str(n) for n, _ in met((Need("create", "pods"), Need("create", "pods", "all")), caps, "shop", frozenset())]
    ['create pods']
    """
    return [(n, caps[n.probe]) for n in needs
            if (not n.when or n.when in flags) and n.satisfied(caps.get(n.probe), scope)]


def met_all(clauses: Iterable[tuple[Need, ...]], caps: Mapping[Probe, Allowance], scope: str,
            flags: frozenset[str]) -> list[tuple[Need, Allowance]] | None:
    """The needs met in every clause (clauses AND, needs within one OR), or None when a clause has none."""
    out: list[tuple[Need, Allowance]] = []
    for clause in clauses:
        hit = met(clause, caps, scope, flags)
        if not hit:
            return None
        out.extend(hit)
    return out


def evaluate(rule: CatalogRule, caps: Mapping[Probe, Allowance], scope: str,
             flags: frozenset[str]) -> tuple[tuple[Need, Allowance], ...] | None:
    """The needs that satisfy ``rule`` at ``scope`` (one or more per clause), or None when it does not hold.

    >>> everything = {Probe("*", "*"): Allowance(None, ())}
    >>> evaluate(CLUSTER_ADMIN_RULE, everything, "cluster", frozenset()) is not None
    True
    >>> evaluate(CLUSTER_ADMIN_RULE, {Probe("*", "*"): Allowance(frozenset({"x"}), ())}, "cluster", frozenset())
    """
    if rule.scope == "cluster" and scope != "cluster":
        return None
    if rule.scope == "namespace" and scope == "cluster" and not rule.namespaces:
        return None
    if rule.namespaces and scope != "cluster" and scope not in rule.namespaces:
        return None
    held = caps.keys()
    for probes in rule.clause_probes:
        if held.isdisjoint(probes):
            return None
    got = met_all(rule.all_of, caps, scope, flags)
    return None if got is None else tuple(got)
