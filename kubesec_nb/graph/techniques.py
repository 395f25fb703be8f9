"""Attack-graph techniques as data: what each edge means, what it costs, what other tools call it.

Every edge of the attack graph carries one technique id from :data:`TECHNIQUES`. A
:class:`Technique` gives:

* ``cost``: how hard the step is for an attacker (0 = free: a membership, a hub the attacker
  chooses from; 1 = read a credential lying there; 2–3 = use a granted power or a known escape;
  5 = exploit a listening service, assumed exploitable). Paths are ranked by total cost, then by
  hop count;
* ``fix_cost``: how costly the fix is for the cluster operator (None: the edge is structural and
  cannot be removed by a configuration change, e.g. a group membership or root on a node reaching
  its pods). Remediation cuts edges with the lowest fix cost first;
* ``kubehound`` / ``icekube``: the closest edge names in DataDog KubeHound and WithSecure IceKube
  (``""`` when they have none);
* ``mitre``: MITRE ATT&CK technique ids (Containers matrix where it has one; ``(Enterprise)`` /
  ``(IaaS)`` mark ids from those matrices).

RBAC escalation steps come from :mod:`kubesec_nb.rbac` with that package's technique names; the
one table :data:`RBAC_TECHNIQUES` maps each name to a graph technique (or drops it when the graph
models the same thing more precisely). When the RBAC analyzer renames or adds a technique, this
table is the only place to change; an unmapped name still becomes an edge (technique id = its
name, cost 2) and is listed by :func:`unmapped`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Technique:
    """One kind of attack-graph edge. See the module docstring."""

    id: str
    description: str
    cost: int
    fix_cost: int | None
    kubehound: str = ""
    icekube: str = ""
    mitre: str = ""


def _t(id: str, description: str, cost: int, fix_cost: int | None, kubehound: str = "", icekube: str = "",
       mitre: str = "") -> Technique:
    return Technique(id, description, cost, fix_cost, kubehound, icekube, mitre)


_TABLE: tuple[Technique, ...] = (
    # ---- entry -------------------------------------------------------------------------------------
    _t("exposed-service", "exploit an internet-exposed Service, Ingress, Gateway route, hostPort or hostNetwork "
       "pod that NetworkPolicy admits (assumed exploitable)", 3, 8, "ENDPOINT_EXPLOIT", "", "T1190"),
    _t("public-api", "reach the API server from the internet as a member of a public group (anonymous "
       "requests; any Google account on GKE)", 1, 3, "", "", "T1133"),
    # ---- network -----------------------------------------------------------------------------------
    _t("net-egress", "leave a pod: its egress is not isolated, or is isolated by the named policies", 0, 3),
    _t("net-allow", "NetworkPolicy rules admit the traffic (ports and deciding rules in the evidence)", 0, 3),
    _t("network", "exploit a reachable, listening pod (assumed exploitable)", 5, 2, "ENDPOINT_EXPLOIT", "",
       "T1210 (Enterprise)"),
    _t("net-node-local", "a hostNetwork pod and a pod on the same node always reach each other", 5, None,
       "ENDPOINT_EXPLOIT", "", "T1210 (Enterprise)"),
    # ---- pod → identity, secrets, cloud ------------------------------------------------------------
    _t("token-mounted", "read the service-account token mounted in the pod", 1, 1, "TOKEN_STEAL / IDENTITY_ASSUME",
       "USES_ACCOUNT", "T1528"),
    _t("secret-mounted", "read a Secret the pod mounts or takes as environment", 1, 5, "VOLUME_DISCOVER",
       "MOUNTS_SECRET", "T1552.001"),
    _t("token-secret", "a legacy service-account token Secret holds that account's token", 0, 1, "TOKEN_LIST",
       "AUTHENTICATION_TOKEN_FOR", "T1528"),
    _t("irsa", "EKS IRSA: the pod's projected token assumes the IAM role", 1, 4, "", "", "T1078.004"),
    _t("gke-workload-identity", "GKE Workload Identity: the metadata server gives the Google service account",
       1, 4, "", "", "T1078.004"),
    _t("azure-workload-identity", "AKS Workload Identity: the webhook's token federates to the managed identity",
       1, 4, "", "", "T1078.004"),
    _t("imds", "read the node's cloud credentials from the instance metadata service (169.254.169.254)", 2, 2,
       "", "", "T1552.005 (IaaS)"),
    # ---- pod → node ----------------------------------------------------------------------------------
    _t("escape-privileged", "privileged container: mount the host disk, load modules", 2, 2,
       "CE_PRIV_MOUNT / CE_MODULE_LOAD", "IS_PRIVILEGED", "T1611"),
    _t("escape-nsenter", "privileged + hostPID: nsenter into the host's namespaces", 2, 2, "CE_NSENTER",
       "CAN_NSENTER_HOST", "T1611"),
    _t("escape-capability", "a dangerous capability (SYS_ADMIN, SYS_MODULE, SYS_PTRACE with hostPID, "
       "DAC_READ_SEARCH)", 3, 2, "CE_MODULE_LOAD / CE_SYS_PTRACE", "CAN_CGROUP_BREAKOUT / CAN_LOAD_KERNEL_MODULES "
       "/ CAN_ACCESS_HOST_FD", "T1611"),
    _t("escape-host-path", "a sensitive hostPath mount (/, /etc, /proc, kubelet credentials, ...)", 3, 2,
       "EXPLOIT_HOST_WRITE / EXPLOIT_HOST_READ / CE_UMH_CORE_PATTERN", "CAN_ACCESS_DANGEROUS_HOST_PATH", "T1611"),
    _t("escape-runtime-socket", "the container runtime socket is mounted: start a privileged container", 2, 2,
       "EXPLOIT_CONTAINERD_SOCK", "CAN_ACCESS_DANGEROUS_HOST_PATH", "T1610, T1611"),
    _t("escape-host-process", "Windows HostProcess container: runs on the host", 2, 2, "", "", "T1611"),
    _t("escape-var-log", "/var/log mounted and pods/log readable: symlink to any host file", 4, 2,
       "CE_VAR_LOG_SYMLINK", "CAN_ACCESS_DANGEROUS_HOST_PATH", "T1611"),
    _t("host-tokens", "the kubelet's pod volumes are mounted: read every token of the node's pods", 2, 2,
       "EXPLOIT_HOST_TRAVERSE", "CAN_ACCESS_DANGEROUS_HOST_PATH", "T1552.001"),
    # ---- node → what a node grants -------------------------------------------------------------------
    _t("node-pod-access", "root on the node enters its running pods", 1, None, "POD_ATTACH / CONTAINER_ATTACH",
       "ACCESS_POD", "T1609"),
    _t("kubelet-credentials", "the kubelet's client credentials: act as system:node:<name> (group system:nodes)",
       1, None, "IDENTITY_ASSUME", "", "T1552.001"),
    _t("node-authorizer", "the Node authorizer lets a node read the Secrets and request the tokens of the pods "
       "bound to it", 1, None, "", "", "T1528"),
    _t("choose-node", "hub: any node the attacker picks (spec.nodeName)", 0, None),
    # ---- RBAC (from kubesec_nb.rbac) ---------------------------------------------------------------
    _t("member-of", "authenticates as a member of the group", 0, None, "", "BOUND_TO"),
    _t("rbac-grant", "holds the privilege through its bindings", 0, 2, "PERMISSION_DISCOVER", "GRANTS_PERMISSION",
       "T1078"),
    _t("system-masters", "the hard-wired superuser group", 0, None),
    _t("impersonate", "impersonate a user, group or service account", 1, 2, "IDENTITY_IMPERSONATE",
       "CAN_IMPERSONATE", "T1078"),
    _t("rbac-bind", "create or update a binding to a role it may bind", 2, 2, "ROLE_BIND", "", "T1098.006"),
    _t("rbac-escalate", "escalate: add any rule to a role bound to it", 2, 2, "", "RBAC_ESCALATE_TO", "T1098.006"),
    _t("pod-create", "create a pod or pod controller running as any service account of the namespace", 2, 2,
       "POD_CREATE", "CREATE_POD_WITH_SA", "T1610"),
    _t("pod-patch", "patch a running pod (its image) to run code as its service account", 2, 2, "POD_PATCH",
       "REPLACE_IMAGE", "T1609"),
    _t("pod-exec", "exec, attach or an ephemeral container into running pods", 2, 2, "POD_EXEC", "EXEC_INTO",
       "T1609"),
    _t("nodes-proxy", "nodes/proxy: the kubelet API runs commands in the node's pods", 2, 2, "",
       "CAN_EXEC_THROUGH_KUBELET", "T1609"),
    _t("token-request", "create serviceaccounts/token: a token for the account", 1, 2, "", "GENERATE_TOKEN",
       "T1528"),
    _t("legacy-token-read", "read a legacy service-account token Secret", 1, 2, "TOKEN_LIST / TOKEN_BRUTEFORCE",
       "GET_AUTHENTICATION_TOKEN_FOR", "T1528"),
    _t("token-secret-create", "create a token Secret for any service account and read or mount it", 3, 2, "",
       "CREATE_SECRET_WITH_TOKEN", "T1528"),
    _t("csr-sign", "create and approve a kube-apiserver-client CSR for another identity", 3, 2, "",
       "GENERATE_CLIENT_CERTIFICATE", "T1649 (Enterprise)"),
    _t("aws-auth-write", "write kube-system/aws-auth: map an IAM principal to any group", 2, 2, "",
       "UPDATE_AWS_AUTH", "T1098"),
    _t("any-namespace", "hub: a cluster-wide grant works in every namespace", 0, None),
    _t("choose-sa", "hub: pick a service account of the namespace", 0, None),
    _t("any-pod", "hub: pick a running pod of the namespace", 0, None),
    _t("create-privileged-pod", "create a privileged pod on a node of its choice: Pod Security admits it "
       "(or the namespace labels can be changed)", 3, 2, "POD_CREATE", "CREATE_PRIVILEGED_WORKLOAD / "
       "PATCH_NAMESPACE_TO_BYPASS_PSA", "T1610, T1611"),
    _t("admin-implies", "a namespace admin creates pods, execs into pods and reads Secrets there", 1, None),
    # ---- cloud → Kubernetes ----------------------------------------------------------------------------
    _t("aws-auth", "kube-system/aws-auth maps the IAM principal to a Kubernetes user and groups", 1, 3, "",
       "UPDATE_AWS_AUTH", "T1078.004"),
    _t("eks-access-entry", "an EKS access entry maps the IAM principal to a Kubernetes user and groups", 1, 3, "",
       "", "T1078.004"),
    _t("eks-access-policy", "an EKS access policy grants the IAM principal admin rights", 1, 3, "", "",
       "T1078.004"),
)

#: Every technique by id.
TECHNIQUES: dict[str, Technique] = {t.id: t for t in _TABLE}

#: RBAC step technique (kubesec_nb.rbac) → graph technique id, or None to drop the step because the
#: graph models it with its own, more precise edges (``runs-as``: the graph's ``any-pod`` hub edge to
#: each running pod, then ``token-mounted`` only when a token is mounted).
RBAC_TECHNIQUES: dict[str, str | None] = {
    "rbac-grant": "rbac-grant", "member-of": "member-of", "system-masters": "system-masters",
    "impersonate": "impersonate", "rbac-bind": "rbac-bind", "rbac-escalate": "rbac-escalate",
    "pod-create": "pod-create", "pod-patch": "pod-patch", "pod-exec": "pod-exec", "nodes-proxy": "nodes-proxy",
    "token-request": "token-request", "legacy-token-read": "legacy-token-read",
    "token-secret-create": "token-secret-create", "csr-sign": "csr-sign", "aws-auth-write": "aws-auth-write",
    "any-namespace": "any-namespace", "choose-sa": "choose-sa", "runs-as": None,
    "irsa": "irsa", "gke-workload-identity": "gke-workload-identity",
    "azure-workload-identity": "azure-workload-identity", "aws-auth": "aws-auth",
    "eks-access-entry": "eks-access-entry", "eks-access-policy": "eks-access-policy",
}
#: Cost of an RBAC technique the table does not know yet.
UNMAPPED_COST = 2


def for_rbac(name: str) -> str | None:
    """The graph technique of an RBAC step technique (its own name when unmapped; None: dropped).

    >>> for_rbac("impersonate"), for_rbac("runs-as"), for_rbac("some-new-step")
    ('impersonate', None, 'some-new-step')
    """
    return RBAC_TECHNIQUES.get(name, name)


def technique(id: str) -> Technique:
    """The technique ``id``; an unknown id (an unmapped RBAC step) gets a generic entry.

    >>> technique("network").cost, technique("brand-new").cost
    (5, 2)
    """
    found = TECHNIQUES.get(id)
    return found if found is not None else Technique(id, f"RBAC step {id} (not in the technique table)",
                                                      UNMAPPED_COST, 2)


def unmapped(names: Iterable[str]) -> list[str]:
    """RBAC technique names the table does not map (they still become edges, with a generic cost).

    >>> unmapped(["impersonate", "job-update"])
    ['job-update']
    """
    return sorted({n for n in names if n not in RBAC_TECHNIQUES})


def techniques_frame() -> pd.DataFrame:
    """The technique table (id, description, cost, fix cost, KubeHound, IceKube, MITRE ATT&CK).

    >>> techniques_frame().set_index("technique").loc["token-mounted", "kubehound"]
    'TOKEN_STEAL / IDENTITY_ASSUME'
    """
    rows = [{"technique": t.id, "description": t.description, "cost": t.cost,
             "fix_cost": "-" if t.fix_cost is None else str(t.fix_cost), "kubehound": t.kubehound,
             "icekube": t.icekube, "mitre": t.mitre} for t in _TABLE]
    return pd.DataFrame(rows, columns=["technique", "description", "cost", "fix_cost", "kubehound", "icekube",
                                       "mitre"])


def markdown_table() -> str:
    """The technique table as Markdown (the README's copy is checked against it)."""
    lines = ["| technique | cost | fix cost | KubeHound | IceKube | MITRE ATT&CK | meaning |",
             "|---|---|---|---|---|---|---|"]
    for t in _TABLE:
        fix = "-" if t.fix_cost is None else str(t.fix_cost)
        lines.append(f"| `{t.id}` | {t.cost} | {fix} | {t.kubehound or '-'} | {t.icekube or '-'} | "
                     f"{t.mitre or '-'} | {t.description} |")
    return "\n".join(lines)
