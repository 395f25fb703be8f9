"""The workload checks in the shared registry: Pod Security (``PSS-*``), host escapes and security
contexts (``WL-*``), secrets handling (``SEC-*``) and images (``IMG-*``).

Findings are per workload (the pod's top-level controller, or the bare pod): one finding names
the workload, the number of its pods, and the fields and values of one example pod. Objects in
platform namespaces (``kube-system``, the providers' own) carry ``Finding.platform``: the runner
applies the ``platform_findings`` option. Families (one check per Pod Security check, per host
escape technique) register each member with ``check(**meta)(partial(run, key))`` from a table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from kubesec_nb.checks import SEVERITY_RANK, Evidence, Finding, NotAssessed, check
from kubesec_nb.identity import host_name
from kubesec_nb.model import SA_NAME_ANNOTATION, TOKEN_SECRET_TYPE, Model
from kubesec_nb.snapshot.redact import marker
from kubesec_nb.workload import psa, pss
from kubesec_nb.workload._common import PerWorkload, containers
from kubesec_nb.workload.analysis import WorkloadAnalysis
from kubesec_nb.workload.escapes import HostEscape, runs_as_root
from kubesec_nb.workload.images import ImageUse
from kubesec_nb.workload.secrets import Credential
from kubesec_nb.workload.signatures import api_state

A = "workloads"
POD_SECURITY = "Pod Security and Security Contexts"
PODS = ("pods",)


def _kind_name(owner: str) -> tuple[str, str]:
    kind, _, name = owner.partition("/")
    return kind, name


Evid = Sequence[Evidence] | Callable[[], Sequence[Evidence]]
Item = tuple[str, str, str, Evid, str | None]


def _evidence(ev: Evid) -> Sequence[Evidence]:
    return ev() if callable(ev) else ev


def _per_workload(items: Iterable[Item], what: str,
                  counts: Mapping[tuple[str, str], int] | None = None) -> Iterator[Finding]:
    """Findings from ``(namespace, owner, pod key, evidence, severity)`` items, one per
    workload: the evidence of the first pod (sorted) is kept, the highest severity wins, and the pods are
    counted (or taken from ``counts`` by ``(namespace, owner)`` for items from a per-workload table).
    Evidence may be a callable, so that it is only built for the pod shown."""
    groups: dict[tuple[str, str], list[tuple[str, Evid, str | None]]] = defaultdict(list)
    for ns, owner, pod, ev, sev in items:
        groups[(ns, owner)].append((pod, ev, sev))
    for (ns, owner), found in sorted(groups.items()):
        pods = {p for p, _, _ in found}
        first = min(pods)
        n = max(len(pods), (counts or {}).get((ns, owner), 0))
        kind, name = _kind_name(owner)
        sevs = [s for _, _, s in found if s]
        sev = min(sevs, key=SEVERITY_RANK.__getitem__) if sevs else None
        shown = [ev for p, ev, _ in found if p == first] if first else [ev for _, ev, _ in found]
        evidence = tuple(e for ev in shown for e in _evidence(ev))[:8]
        if first:
            plural = "s" if n != 1 else ""
            example = f" (e.g. pod {first})" if kind != "Pod" else ""
            what_ = f"{n} pod{plural}{example}: {what}"
        else:
            what_ = what
        yield Finding(namespace=ns, kind=kind, name=name, evidence=evidence, severity=sev, message=what_,
                      platform=Model.platform_namespace(ns))


# ---- Pod Security Standards: one check per upstream check id ---------------------------------------

#: Upstream check id → its check's metadata (title, references and description come from the upstream check).
PSS_CHECK_META: dict[str, dict[str, Any]] = {
    "hostNamespaces": {"id": "PSS-HOST-NAMESPACES", "severity": "high",
                       "cis": ("CIS Kubernetes 5.2.3", "CIS Kubernetes 5.2.4", "CIS Kubernetes 5.2.5", "CIS EKS 4.2.2",
                               "CIS EKS 4.2.3", "CIS EKS 4.2.4", "CIS AKS 4.2.2", "CIS AKS 4.2.3", "CIS AKS 4.2.4"),
                       "remediation": "Remove hostNetwork, hostPID and hostIPC from the pod spec."},
    "privileged": {"id": "PSS-PRIVILEGED", "severity": "critical",
                   "cis": ("CIS Kubernetes 5.2.2", "CIS EKS 4.2.1", "CIS AKS 4.2.1"),
                   "remediation": "Remove securityContext.privileged (or set it to false)."},
    "capabilities_baseline": {"id": "PSS-CAPABILITIES-BASELINE", "severity": "high",
                              "cis": ("CIS Kubernetes 5.2.9",),
                              "remediation": "Add only capabilities of the baseline set (e.g. NET_BIND_SERVICE); drop "
                                             "the rest."},
    "hostPathVolumes": {"id": "PSS-HOST-PATH-VOLUMES", "severity": "high",
                        "cis": ("CIS Kubernetes 5.2.11",),
                        "remediation": "Replace hostPath volumes with emptyDir, ConfigMap, Secret, CSI or PVC "
                                       "volumes."},
    "hostPorts": {"id": "PSS-HOST-PORTS", "severity": "medium",
                  "cis": ("CIS Kubernetes 5.2.12",),
                  "remediation": "Remove hostPort; expose the container through a Service."},
    "appArmorProfile": {"id": "PSS-APPARMOR-PROFILE", "severity": "medium",
                        "remediation": "Use the RuntimeDefault or a Localhost AppArmor profile, never Unconfined."},
    "seLinuxOptions": {"id": "PSS-SELINUX-OPTIONS", "severity": "medium",
                       "remediation": "Leave seLinuxOptions.user/role unset and use a container_* SELinux type."},
    "procMount": {"id": "PSS-PROC-MOUNT", "severity": "medium",
                  "remediation": "Leave securityContext.procMount unset or Default."},
    "seccompProfile_baseline": {"id": "PSS-SECCOMP-PROFILE-BASELINE", "severity": "medium",
                                "remediation": "Do not set the seccomp profile to Unconfined."},
    "sysctls": {"id": "PSS-SYSCTLS", "severity": "medium",
                "remediation": "Set only the safe sysctls of the baseline level."},
    "windowsHostProcess": {"id": "PSS-WINDOWS-HOST-PROCESS", "severity": "critical",
                           "cis": ("CIS Kubernetes 5.2.10",),
                           "remediation": "Remove windowsOptions.hostProcess (HostProcess containers run on the "
                                          "host)."},
    "hostProbesAndHostLifecycle": {"id": "PSS-HOST-PROBES-AND-HOST-LIFECYCLE", "severity": "medium",
                                   "remediation": "Remove .host from probes and lifecycle handlers (it lets the "
                                                  "kubelet reach other hosts on the pod's behalf)."},
    "restrictedVolumes": {"id": "PSS-RESTRICTED-VOLUMES", "severity": "low",
                          "remediation": "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                                         "persistentVolumeClaim, projected and secret volumes."},
    "allowPrivilegeEscalation": {"id": "PSS-ALLOW-PRIVILEGE-ESCALATION", "severity": "medium",
                                 "cis": ("CIS Kubernetes 5.2.6", "CIS EKS 4.2.5", "CIS AKS 4.2.5"),
                                 "remediation": "Set securityContext.allowPrivilegeEscalation: false on every "
                                                "container."},
    "runAsNonRoot": {"id": "PSS-RUN-AS-NON-ROOT", "severity": "medium",
                     "cis": ("CIS Kubernetes 5.2.7",),
                     "remediation": "Set securityContext.runAsNonRoot: true on the pod (or every container)."},
    "runAsUser": {"id": "PSS-RUN-AS-USER", "severity": "medium",
                  "cis": ("CIS Kubernetes 5.2.7",),
                  "remediation": "Do not set runAsUser: 0; run as a non-zero UID."},
    "seccompProfile_restricted": {"id": "PSS-SECCOMP-PROFILE-RESTRICTED", "severity": "low",
                                  "cis": ("CIS Kubernetes 5.6.2", "CIS GKE 4.6.2"),
                                  "remediation": "Set securityContext.seccompProfile.type: RuntimeDefault on the pod."},
    "capabilities_restricted": {"id": "PSS-CAPABILITIES-RESTRICTED", "severity": "low",
                                "cis": ("CIS Kubernetes 5.2.8", "CIS Kubernetes 5.2.9"),
                                "remediation": "Drop ALL capabilities and add back at most NET_BIND_SERVICE."},
    "procMount_restricted": {"id": "PSS-PROC-MOUNT-RESTRICTED", "severity": "medium",
                             "remediation": "Leave securityContext.procMount unset or Default (no relaxation for user "
                                            "namespaces under restricted)."},
}


def _violation_evidence(pod: str, violations: Sequence[pss.Violation]) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"Pod {pod}", v.field, v.value) for v in violations)


def _pss(cid: str, wa: WorkloadAnalysis) -> Iterator[Finding]:
    spec = pss.CHECKS[cid]
    if spec.at(wa.version) is None:
        raise NotAssessed(f"{cid} is not part of the Pod Security Standards at "
                          f"{psa.version_label(wa.version)} (it starts at {psa.version_label(spec.steps[0])})")
    items: list[Item] = [(ref.namespace, ref.owner, ref.key, partial(_violation_evidence, ref.key, vs), None)
                         for ref, vs in wa.failing(cid)]
    yield from _per_workload(items, f"{spec.title} ({spec.level}, {cid} at {psa.version_label(wa.version)})")


for _cid, _meta in PSS_CHECK_META.items():
    _spec = pss.CHECKS[_cid]
    check(**_meta, title=f"Pod Security {_spec.level}: {_spec.title}", category=POD_SECURITY, analyzer=A,
          requires=PODS, references=(f"pod-security-admission {_cid}", f"Pod Security Standards ({_spec.level})"),
          description=f"Fields: {_spec.fields}. Version steps: "
                      f"{', '.join(psa.version_label(v) for v in _spec.steps)}.")(partial(_pss, _cid))


# ---- Pod Security Admission on namespaces ------------------------------------------------------

PREFIX_ENFORCE = psa.PREFIX + "enforce"


@check("PSS-NAMESPACE-NOT-ENFORCED", title="Namespace enforces no Pod Security level", severity="medium",
       cis=("CIS Kubernetes 5.2.1", "CIS GKE 4.2.1"),
       category=POD_SECURITY, analyzer=A, requires=("namespaces",),
       remediation="Label the namespace pod-security.kubernetes.io/enforce=baseline (or restricted); check the "
                   "dry run table for the pods it would reject first.",
       references=("kube-bench gke 4.2.1", "kubescape C-0192", "IceKube CREATE_PRIVILEGED_WORKLOAD"))
def _ns_not_enforced(wa: WorkloadAnalysis) -> Iterator[Finding]:
    for ns, pol in wa.policies.items():
        if ns not in wa.model.namespaces:
            continue
        if pol.enforces_nothing:
            why = ("exempt by the psa_exempt_namespaces option" if pol.exempt else
                   f"{PREFIX_ENFORCE}=privileged" if PREFIX_ENFORCE in pol.labelled else
                   f"no pod-security.kubernetes.io/enforce label (default level {wa.psa_default_level})")
            yield Finding(namespace=ns, kind="Namespace", name=ns,
                          evidence=(Evidence(f"Namespace {ns}", f"metadata.labels[{PREFIX_ENFORCE}]",
                                             "privileged" if PREFIX_ENFORCE in pol.labelled else "unset"),),
                          platform=Model.platform_namespace(ns), message=f"any pod may be created: {why}")


@check("PSS-NAMESPACE-LABEL-INVALID", title="Invalid Pod Security namespace label", severity="low",
       category=POD_SECURITY, analyzer=A, requires=("namespaces",),
       remediation="Use privileged|baseline|restricted for levels and latest|v1.N for versions.",
       references=("pod-security-admission api.PolicyToEvaluate",))
def _ns_label_invalid(wa: WorkloadAnalysis) -> Iterator[Finding]:
    for ns, pol in wa.policies.items():
        for err in pol.errors:
            label, _, rest = err.partition("=")
            value, _, why = rest.partition(": ")
            fallback = "restricted (fail closed)" if label == PREFIX_ENFORCE else (
                "privileged (fail open)" if not label.endswith("-version") else "latest")
            yield Finding(namespace=ns, kind="Namespace", name=ns,
                          evidence=(Evidence(f"Namespace {ns}", f"metadata.labels[{label}]", value),),
                          message=f"{why}; evaluated as {fallback}")


@check("PSS-ENFORCE-VIOLATION", title="Running pods violate their namespace's enforced Pod Security level",
       severity="medium", category=POD_SECURITY, analyzer=A, requires=("namespaces", "pods"),
       remediation="Fix the pods (they would be rejected if recreated) or lower the namespace's enforce level "
                   "deliberately; the pods were created before the label or through an exemption.",
       references=("pod-security-admission namespace label dry run",))
def _enforce_violation(wa: WorkloadAnalysis) -> Iterator[Finding]:
    items = []
    for ref in wa.pods:
        failed = wa.enforce_violations(ref)
        if failed:
            items.append((ref.namespace, ref.owner, ref.key,
                          (Evidence(f"Namespace {ref.namespace}", f"metadata.labels[{PREFIX_ENFORCE}]",
                                    wa.policies[ref.namespace].enforce),
                           *(Evidence(f"Pod {ref.key}", x.field, x.value) for vs in failed.values() for x in vs)),
                          None))
    yield from _per_workload(items,
                             "running although the namespace enforces a level they fail (would be rejected now)")


@check("PSS-ENFORCE-VERSION-PINNED", title="Pod Security enforce version pinned below the cluster's",
       severity="low", category=POD_SECURITY, analyzer=A, requires=("namespaces",),
       remediation="Set pod-security.kubernetes.io/enforce-version to latest (after a dry run) so new checks "
                   "and tightened rules apply.",
       references=("pod-security-admission version steps",))
def _version_pinned(wa: WorkloadAnalysis) -> Iterator[Finding]:
    for ns, pol in wa.policies.items():
        if pol.enforce == "privileged" or pol.enforce_version is None:
            continue
        pinned = wa.enforce_version(pol)
        if pinned >= wa.version:
            continue
        changed = sorted(c.id for c in pss.CHECKS.values() if c.at(pinned) is not c.at(wa.version)
                         and (c.level == "baseline" or pol.enforce == "restricted"))
        yield Finding(namespace=ns, kind="Namespace", name=ns,
                      evidence=(Evidence(f"Namespace {ns}", f"metadata.labels[{PREFIX_ENFORCE}-version]",
                                         psa.version_label(pol.enforce_version)),),
                      platform=Model.platform_namespace(ns),
                      message=f"{pol.enforce} evaluated at {psa.version_label(pinned)} instead of "
                              f"{psa.version_label(wa.version)}; checks that differ: {', '.join(changed) or 'none'}")


# ---- host escapes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EscapeCheck:
    """Which host escapes a ``WL-`` check reports (``keep``), what they do (``what``), and whether an escape
    to root that needs nothing else raises a finding to critical."""

    keep: Callable[[HostEscape], bool]
    what: str
    root_is_critical: bool = False


def _escapes(spec: EscapeCheck, wa: WorkloadAnalysis) -> Iterator[Finding]:
    items: list[Item] = []
    for e in wa.host_escapes:
        if spec.keep(e):
            ev = [Evidence(f"Pod {e.pod}", e.field, e.value)]
            for m in e.mounts:  # "<field> (rw|ro)"
                field, _, mode = m.rpartition(" ")
                ev.append(Evidence(f"Pod {e.pod}", field, mode.strip("()")))
            if e.node:
                ev.append(Evidence(f"Node {host_name(e.node)}", "compromised", e.impact))
            for r in e.requires:
                ev.append(Evidence(f"Pod {e.pod}", "requires", r))
            critical = spec.root_is_critical and e.impact == "root" and not e.requires
            items.append((e.namespace, wa.owner_of(e.pod), e.pod, tuple(ev), "critical" if critical else None))
    yield from _per_workload(items, spec.what)


def _technique(*names: str) -> Callable[[HostEscape], bool]:
    return lambda e: e.technique in names


#: The host-escape checks: what each reports, and its metadata.
ESCAPE_CHECKS: tuple[tuple[EscapeCheck, dict[str, Any]], ...] = (
    (EscapeCheck(_technique("privileged", "windowsHostProcess", "nsenter"),
                 "privileged containers run as root on the node"),
     {"id": "WL-PRIVILEGED", "title": "Privileged or Windows HostProcess containers (node takeover)",
      "cis": ("CIS Kubernetes 5.2.2", "CIS Kubernetes 5.2.10", "CIS EKS 4.2.1", "CIS AKS 4.2.1"),
      "severity": "critical",
      "references": ("KubeHound CE_PRIV_MOUNT", "KubeHound CE_NSENTER", "IceKube IS_PRIVILEGED", "kubescape C-0057"),
      "remediation": "Remove privileged: true; grant the specific capability needed instead, or move the function to "
                     "a managed add-on."}),
    (EscapeCheck(_technique("hostPID"), "hostPID: host processes are visible and signalable"),
     {"id": "WL-HOST-PID", "title": "Pods share the node's process namespace (hostPID)", "severity": "high",
      "cis": ("CIS Kubernetes 5.2.3", "CIS EKS 4.2.2", "CIS AKS 4.2.2"),
      "references": ("KubeHound CE_NSENTER", "kubescape C-0038", "kube-bench eks 4.2.2"),
      "remediation": "Remove hostPID: true."}),
    (EscapeCheck(_technique("hostIPC"), "hostIPC: host shared memory is readable"),
     {"id": "WL-HOST-IPC", "title": "Pods share the node's IPC namespace (hostIPC)", "severity": "medium",
      "cis": ("CIS Kubernetes 5.2.4", "CIS EKS 4.2.3", "CIS AKS 4.2.3"),
      "references": ("kubescape C-0038", "kube-bench eks 4.2.3"), "remediation": "Remove hostIPC: true."}),
    (EscapeCheck(_technique("hostNetwork"), "hostNetwork: node-local services and the metadata endpoint are "
                                            "reachable, NetworkPolicy does not apply"),
     {"id": "WL-HOST-NETWORK", "title": "Pods use the node's network namespace (hostNetwork)", "severity": "high",
      "cis": ("CIS Kubernetes 5.2.5", "CIS EKS 4.2.4", "CIS AKS 4.2.4"),
      "references": ("kubescape C-0041", "kube-bench eks 4.2.4"),
      "remediation": "Remove hostNetwork: true; NetworkPolicies do not apply to host-network pods."}),
    (EscapeCheck(_technique("capability"), "capabilities that reach the node", root_is_critical=True),
     {"id": "WL-DANGEROUS-CAPABILITIES", "title": "Containers add dangerous Linux capabilities", "severity": "high",
      "cis": ("CIS Kubernetes 5.2.9",),
      "references": ("KubeHound CE_MODULE_LOAD", "KubeHound CE_SYS_PTRACE", "IceKube CAN_CGROUP_BREAKOUT",
                     "IceKube CAN_LOAD_KERNEL_MODULES", "IceKube CAN_ACCESS_HOST_FD", "kubescape C-0046"),
      "remediation": "Drop ALL and add back only what the process needs; SYS_ADMIN, SYS_MODULE, SYS_PTRACE, "
                     "DAC_READ_SEARCH and NET_ADMIN break the container boundary."}),
    (EscapeCheck(lambda e: e.technique == "hostPath" and bool(e.exposes),
                 "host paths that expose node files, credentials or tokens", root_is_critical=True),
     {"id": "WL-SENSITIVE-HOST-PATH", "title": "Containers mount sensitive host paths", "severity": "high",
      "cis": ("CIS Kubernetes 5.2.11",),
      "references": ("KubeHound EXPLOIT_HOST_READ", "KubeHound EXPLOIT_HOST_WRITE", "KubeHound EXPLOIT_HOST_TRAVERSE",
                     "KubeHound CE_VAR_LOG_SYMLINK", "IceKube CAN_ACCESS_DANGEROUS_HOST_PATH", "kubescape C-0048"),
      "remediation": "Remove the hostPath volume; if a node agent needs it, mount the narrowest path read-only and "
                     "run it in a dedicated, locked-down namespace."}),
    (EscapeCheck(_technique("runtime-socket"), "the container runtime socket is reachable (root on the node)"),
     {"id": "WL-RUNTIME-SOCKET", "title": "Containers mount the container runtime socket", "severity": "critical",
      "references": ("IceKube CAN_ACCESS_DANGEROUS_HOST_PATH", "kubesec DockerSock", "kubescape C-0074"),
      "remediation": "Remove the docker/containerd/CRI-O socket mount; whoever talks to it is root on the node."}),
    (EscapeCheck(lambda e: e.technique == "hostPath" and not e.exposes and bool(e.writable),
                 "writable hostPath mounts (files persist on and affect the node)"),
     {"id": "WL-WRITABLE-HOST-PATH", "title": "Containers write to other host paths", "severity": "low",
      "references": ("KubeHound EXPLOIT_HOST_WRITE",),
      "remediation": "Mount host paths readOnly: true, or use an emptyDir or a PVC."}),
)
for _escape, _escape_meta in ESCAPE_CHECKS:
    check(**_escape_meta, category=POD_SECURITY, analyzer=A, requires=PODS)(partial(_escapes, _escape))


@check("WL-RUN-AS-ROOT", title="Containers explicitly run as root (runAsUser: 0)", severity="medium",
       cis=("CIS Kubernetes 5.2.7",),
       category=POD_SECURITY, analyzer=A, requires=PODS,
       references=("kubescape C-0013", "KubeHound CE_UMH_CORE_PATTERN"),
       remediation="Run as a non-zero UID (runAsUser) and set runAsNonRoot: true.")
def _wl_root(wa: WorkloadAnalysis) -> Iterator[Finding]:
    items = []
    for ref in wa.pods:
        ev = [Evidence(f"Pod {ref.key}", f"{path}.securityContext.runAsUser"
                       if (c.get("securityContext") or {}).get("runAsUser") is not None
                       else "spec.securityContext.runAsUser", "0")
              for path, c in containers(ref.pod.get("spec") or {}) if runs_as_root(ref.pod, c)]
        if ev:
            items.append((ref.namespace, ref.owner, ref.key, tuple(ev), None))
    yield from _per_workload(items, "containers run as UID 0")


@check("WL-WRITABLE-ROOT-FILESYSTEM", title="Containers have a writable root filesystem", severity="low",
       category=POD_SECURITY, analyzer=A, requires=PODS,
       references=("kubescape C-0017", "polaris notReadOnlyRootFilesystem"),
       remediation="Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes.")
def _wl_rootfs(wa: WorkloadAnalysis) -> Iterator[Finding]:
    items: list[Item] = []
    for ref in wa.pods:
        spec = ref.pod.get("spec") or {}
        if ((spec.get("os") or {}).get("name")) == "windows":
            continue
        bad = [(i, c) for i, c in enumerate(spec.get("containers") or ())
               if ((c or {}).get("securityContext") or {}).get("readOnlyRootFilesystem") is not True]
        if bad:
            items.append((ref.namespace, ref.owner, ref.key, partial(_rootfs_evidence, ref.key, bad), None))
    yield from _per_workload(items, "writable root filesystems")


def _rootfs_evidence(pod: str, bad: Sequence[tuple[int, Mapping[str, Any]]]) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"Pod {pod}", f"spec.containers[{i}].securityContext.readOnlyRootFilesystem",
                          str(((c or {}).get("securityContext") or {}).get("readOnlyRootFilesystem", "unset")).lower())
                 for i, c in bad)


# ---- secrets handling -----------------------------------------------------------------------------

SECRETS = "Kubernetes Secrets"
SA = "Service Account Security"


class _Merged(PerWorkload, Protocol):
    @property
    def namespace(self) -> str: ...


M = TypeVar("M", bound=_Merged)


def _from_records(records: Iterable[M], owner: Callable[[M], str], evidence: Callable[[M], Sequence[Evidence]],
                  what: str) -> Iterator[Finding]:
    """Per-workload findings from records merged per workload (with ``pods`` and ``example_pod``)."""
    items: list[Item] = []
    counts: dict[tuple[str, str], int] = {}
    for r in records:
        key = (r.namespace, owner(r))
        counts[key] = max(counts.get(key, 0), r.pods)
        items.append((key[0], key[1], r.example_pod, tuple(evidence(r)), None))
    yield from _per_workload(items, what, counts)


@check("SEC-SECRET-IN-ENV", title="Secrets consumed as environment variables", severity="medium",
       cis=("CIS Kubernetes 5.4.1", "CIS GKE 4.4.1", "CIS EKS 4.4.1", "CIS AKS 4.5.1"),
       category=SECRETS, analyzer=A, requires=PODS,
       references=("kube-bench 4.4.1", "kubescape C-0207", "prowler core_no_secrets_envs", "checkov CKV_K8S_35"),
       remediation="Mount the Secret as a volume (files can be rotated and are not inherited by child processes "
                   "or dumped with the environment), or read it from a secret manager.")
def _sec_env(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _from_records(
        (r for r in wa.secret_ref_records if r.via in ("env", "envFrom")), lambda r: r.workload,
        lambda r: (Evidence(f"Pod {r.example_pod}", r.field, f"secret {r.secret} key {r.key}"),),
        "Secret values in the environment")


@check("SEC-LITERAL-CREDENTIAL", title="Credentials written literally in env values or arguments", severity="high",
       category=SECRETS, analyzer=A, requires=PODS,
       references=("kubescape C-0012", "polaris sensitiveContainerEnvVar", "trivy KSV-0109"),
       remediation="Move the value into a Secret (or a secret manager) and reference it; rotate the exposed "
                   "credential: anyone who can read the workload spec has it.")
def _sec_literal(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _from_records(
        (r for r in wa.credential_records if r.kind == "workload"), lambda r: r.object,
        lambda r: (Evidence(f"Pod {r.example_pod}", r.field, marker(r.detector)),),
        "literal values that look like credentials (values redacted; detector in evidence)")


@check("SEC-CONFIGMAP-CREDENTIAL", title="ConfigMap entries that look like credentials", severity="high",
       category=SECRETS, analyzer=A, requires=("configmaps",),
       references=("kubescape C-0012", "polaris sensitiveConfigmapContent", "trivy KSV-01010"),
       remediation="Move the entry into a Secret (RBAC can then restrict who reads it) and rotate it.")
def _sec_configmap(wa: WorkloadAnalysis) -> Iterator[Finding]:
    by_cm: dict[tuple[str, str], list[Credential]] = defaultdict(list)
    for r in wa.credential_records:
        if r.kind == "ConfigMap":
            by_cm[(r.namespace, r.object)].append(r)
    for (ns, name), rows in sorted(by_cm.items()):
        users = wa.configmap_consumers.get(f"{ns}/{name}", [])
        keys = ", ".join(f"{r.name} ({r.detector})" for r in rows)
        yield Finding(namespace=ns, kind="ConfigMap", name=name,
                      evidence=tuple(Evidence(f"ConfigMap {ns}/{name}", r.field, marker(r.detector)) for r in rows),
                      platform=Model.platform_namespace(ns),
                      message=f"keys that look like credentials: {keys}; read by {', '.join(users) or 'no workload'}")


@check("SEC-SA-TOKEN-AUTOMOUNT", title="Service-account tokens mounted where no API access is granted",
       cis=("CIS Kubernetes 5.1.6", "CIS GKE 4.1.5", "CIS EKS 4.1.6", "CIS AKS 4.1.6"),
       severity="medium", category=SA, analyzer=A,
       requires=("pods", "serviceaccounts", "rolebindings.rbac.authorization.k8s.io",
                 "clusterrolebindings.rbac.authorization.k8s.io"),
       references=("kube-bench 4.1.6", "kubescape C-0034", "polaris automountServiceAccountToken",
                   "checkov CKV_K8S_38"),
       remediation="Set automountServiceAccountToken: false on the pod (or its ServiceAccount); the token only "
                   "helps an attacker who gets into the container.")
def _sec_automount(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _from_records(
        (r for r in wa.token_records if r.automount and not r.needs_api), lambda r: r.workload,
        lambda r: (Evidence(f"Pod {r.example_pod}", r.field, "true" if r.decided_by != "default" else "unset"),
                   Evidence(f"ServiceAccount {r.service_account}", "RoleBindings/ClusterRoleBindings", "none")),
        "an API token is mounted although no binding grants its service account anything")


@check("SEC-DEFAULT-SA-AUTOMOUNT", title="Default service accounts mount tokens automatically", severity="low",
       cis=("CIS Kubernetes 5.1.5", "CIS GKE 4.1.4", "CIS EKS 4.1.5", "CIS AKS 4.1.5"),
       category=SA, analyzer=A, requires=("serviceaccounts",),
       references=("kube-bench 4.1.5", "kubescape C-0189"),
       remediation="Set automountServiceAccountToken: false on every namespace's default ServiceAccount and "
                   "give workloads that need the API their own account.")
def _sec_default_sa(wa: WorkloadAnalysis) -> Iterator[Finding]:
    for key, sa in sorted(wa.model.service_accounts.items()):
        ns, _, name = key.partition("/")
        if name != "default" or sa.get("automountServiceAccountToken") is False:
            continue
        value = sa.get("automountServiceAccountToken")
        yield Finding(namespace=ns, kind="ServiceAccount", name=name,
                      evidence=(Evidence(f"ServiceAccount {key}", "automountServiceAccountToken",
                                         "unset" if value is None else str(value).lower()),),
                      platform=Model.platform_namespace(ns),
                      message=f"{len(wa.model.pods_using(key))} pod(s) run as it")


@check("SEC-LEGACY-SA-TOKEN", title="Long-lived service-account token Secrets", severity="medium", category=SA,
       analyzer=A, requires=("secrets",), references=("IceKube GET_AUTHENTICATION_TOKEN_FOR",
                                                       "Kubernetes LegacyServiceAccountTokenCleanUp"),
       remediation="Delete kubernetes.io/service-account-token Secrets; use TokenRequest (projected, expiring) "
                   "tokens instead.")
def _sec_legacy(wa: WorkloadAnalysis) -> Iterator[Finding]:
    for r in wa.legacy_token_records:
        obj = f"Secret {r.namespace}/{r.secret}"
        ev = [Evidence(obj, "type", TOKEN_SECRET_TYPE),
              Evidence(obj, f"metadata.annotations[{SA_NAME_ANNOTATION}]", r.account_name)]
        if r.last_used:
            ev.append(Evidence(obj, "metadata.labels[kubernetes.io/legacy-token-last-used]", r.last_used))
        state = "invalidated" if r.invalid_since else "valid"
        yield Finding(namespace=r.namespace, kind="Secret", name=r.secret, evidence=tuple(ev),
                      severity="low" if r.invalid_since else None, platform=Model.platform_namespace(r.namespace),
                      message=f"never-expiring token for {r.service_account} ({state}; "
                              f"{'account missing; ' if not r.service_account_exists else ''}"
                              f"mounted by {', '.join(r.mounted_by) or 'no workload'})")


@check("SEC-NO-EXTERNAL-SECRET-STORE", title="Namespaces use Secrets without an external secret manager",
       cis=("CIS Kubernetes 5.4.2", "CIS GKE 4.4.2", "CIS EKS 4.4.2", "CIS AKS 4.5.2"),
       severity="low", category="Cloud Secret Management", analyzer=A, requires=PODS,
       references=("kube-bench 4.4.2", "kubescape C-0234"),
       remediation="Serve secrets from the cloud secret manager (GCP Secret Manager, AWS Secrets Manager, "
                   "Azure Key Vault) through the Secrets Store CSI driver or External Secrets Operator.")
def _sec_external(wa: WorkloadAnalysis) -> Iterator[Finding]:
    state, reason = api_state(wa.model, "externalsecrets.external-secrets.io")
    if state == "missing":
        raise NotAssessed(f"External Secrets usage unknown: {reason}")
    platform = "; ".join(f"{k}: {v}" for k, v in sorted(wa.secret_manager_platform.items()))
    for r in wa.secret_store_records:
        if r.secret_consumers and not r.external:
            ns = r.namespace
            yield Finding(namespace=ns, kind="Namespace", name=ns, platform=Model.platform_namespace(ns),
                          evidence=(Evidence(f"Namespace {ns}", "pods with secrets-store.csi.k8s.io volumes", "0"),
                                    Evidence(f"Namespace {ns}", "ExternalSecrets", "0")),
                          message=f"{r.secret_consumers} workloads read Kubernetes Secrets directly"
                                  + (f" ({platform})" if platform else ""))


# ---- images -----------------------------------------------------------------------------------------

IMAGES = "Image Vulnerability Scanning"


def _image_findings(wa: WorkloadAnalysis, keep: Callable[[ImageUse], bool], what: str,
                    policy: bool = False) -> Iterator[Finding]:
    def evidence(r: ImageUse) -> Sequence[Evidence]:
        ev = [Evidence(f"Pod {r.example_pod}", r.field, r.image)]
        if policy:
            ev.append(Evidence(f"Pod {r.example_pod}", r.field.replace(".image", ".imagePullPolicy"), r.pull_policy))
        return ev
    yield from _from_records((r for r in wa.image_records if keep(r)), lambda r: r.workload, evidence, what)


@check("IMG-NO-DIGEST", title="Images not pinned by digest", severity="low", category=IMAGES, analyzer=A,
       requires=PODS, references=("kubescape C-0306", "trivy KSV-0125"),
       remediation="Reference images by digest (image@sha256:...) so that what runs is what was scanned and signed.")
def _img_digest(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _image_findings(wa, lambda r: not r.digest,
                               "mutable image references (tag, no digest)")


@check("IMG-LATEST-TAG", title="Images use the latest tag (explicit or implied)", severity="medium", category=IMAGES,
       analyzer=A, requires=PODS, references=("kubescape C-0075", "trivy KSV-0013", "kube-score container-image-tag"),
       remediation="Pin a version tag and, better, a digest.")
def _img_latest(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _image_findings(wa, lambda r: r.latest, "images tagged latest or untagged")


@check("IMG-REGISTRY-NOT-ALLOWED", title="Images from registries outside the allowlist", severity="medium",
       cis=("CIS EKS 5.1.4", "CIS AKS 5.1.4"),
       category=IMAGES, analyzer=A, requires=PODS, references=("kubescape C-0001", "kubescape C-0078"),
       remediation="Mirror the image into an approved registry, or add the registry to registry_allowlist.")
def _img_registry(wa: WorkloadAnalysis) -> Iterator[Finding]:
    allow = ", ".join(wa.registry_allowlist)
    yield from _image_findings(wa, lambda r: not r.allowed_registry,
                               f"registries outside the allowlist ({allow})")


@check("IMG-PULL-POLICY", title="latest images not pulled on every start", severity="low", category=IMAGES,
       analyzer=A, requires=PODS, references=("kubescape C-0075",),
       remediation="Use imagePullPolicy: Always for mutable tags (or pin a digest): a cached latest image may be "
                   "stale and lets any pod on the node use it without pull credentials.")
def _img_pull(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _image_findings(
        wa, lambda r: r.latest and r.pull_policy != "Always",
        "latest images with IfNotPresent/Never", policy=True)


def _need_trivy(wa: WorkloadAnalysis) -> None:
    if not wa.trivy_reports:
        raise NotAssessed(wa.not_assessed.get("trivy", "no Trivy report attached"))


@check("IMG-CRITICAL-VULNERABILITIES", title="Workloads run images with critical vulnerabilities", severity="high",
       category=IMAGES, analyzer=A, requires=PODS, references=("kubescape C-0083", "kubescape C-0085", "trivy k8s"),
       remediation="Rebuild on a patched base image or upgrade the vulnerable packages; prioritise exposed and "
                   "privileged workloads.")
def _img_critical(wa: WorkloadAnalysis) -> Iterator[Finding]:
    _need_trivy(wa)
    items: list[Item] = []
    for r in wa.vulnerability_records:
        if r.critical:
            items.append((r.namespace, r.workload, "",
                          (Evidence(f"{r.workload} container {r.container}", "image", r.image),
                           Evidence(f"Trivy {r.reports}", f"critical (matched by {r.match})",
                                    f"{r.critical} ({r.fixable} fixable of {r.total})")), None))
    yield from _per_workload(items, "images with CRITICAL CVEs")


@check("IMG-NOT-SCANNED", title="Running images missing from the vulnerability report", severity="low",
       cis=("CIS EKS 5.1.1", "CIS AKS 5.1.1"),
       category=IMAGES, analyzer=A, requires=PODS, references=("trivy k8s",),
       remediation="Scan every running image (trivy k8s --report all, or trivy image per image) and attach the report.")
def _img_unscanned(wa: WorkloadAnalysis) -> Iterator[Finding]:
    _need_trivy(wa)
    items: list[Item] = [(r.namespace, r.workload, "",
                          (Evidence(f"{r.workload} container {r.container}", "image", r.image),
                           Evidence("Trivy reports", "match", r.match)), None)
                         for r in wa.vulnerability_records if r.match == "not in report"]
    yield from _per_workload(items, "images no attached report covers")


@check("IMG-SIGNATURE-NOT-ENFORCED", title="No image signature enforcement in the namespace", severity="medium",
       cis=("CIS Kubernetes 5.5.1", "CIS GKE 4.5.1"),
       category="Image Signing and Verification", analyzer=A, requires=PODS,
       references=("kube-bench gke 5.1.4", "checkov CKV_GCP_66", "kubescape C-0237"),
       remediation="Enforce signatures at admission: GKE Binary Authorization, Kyverno verifyImages (Enforce), "
                   "sigstore policy-controller (label the namespace policy.sigstore.dev/include=true) or "
                   "Ratify with Gatekeeper.")
def _img_signatures(wa: WorkloadAnalysis) -> Iterator[Finding]:
    with_pods = {r.namespace for r in wa.pods}
    unknown: list[str] = []
    fails: list[Finding] = []
    platform_fails: list[Finding] = []  # they never decide whether the check could be assessed
    for r in wa.signature_records:
        ns = r.namespace
        if ns not in with_pods:
            continue
        platform = Model.platform_namespace(ns)
        if r.enforced == "not_assessed" and not platform:
            unknown.append(f"{ns}: {'; '.join(e for e in r.evidence if 'could not' in e or ':' in e) or 'unknown'}")
        elif r.enforced == "no":
            cells = ", ".join(f"{k}={v}" for k, v in r.states.items())
            (platform_fails if platform else fails).append(Finding(
                namespace=ns, kind="Namespace", name=ns, platform=platform, message=f"any image may run ({cells})",
                evidence=tuple(Evidence(f"Namespace {ns}", k, v) for k, v in r.states.items())))
    if not fails and unknown:
        raise NotAssessed("signature enforcement unknown in " + " | ".join(unknown))
    yield from (*fails, *platform_fails)
