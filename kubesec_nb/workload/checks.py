"""The workload checks in the shared registry: Pod Security (``PSS-*``), host escapes and security
contexts (``WL-*``), secrets handling (``SEC-*``) and images (``IMG-*``).

Findings are per workload (the pod's top-level controller, or the bare pod): one finding names
the workload, the number of its pods, and the fields and values of one example pod. Workloads in
platform namespaces (``kube-system``, the providers' own) keep their findings at severity
``info``: the cluster operator cannot change them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import pandas as pd

from kubesec_nb.checks import SEVERITY_RANK, Evidence, Finding, NotAssessed, check
from kubesec_nb.model import Model
from kubesec_nb.snapshot.redact import marker
from kubesec_nb.workload import psa, pss
from kubesec_nb.workload._common import containers
from kubesec_nb.workload.analysis import WorkloadAnalysis
from kubesec_nb.workload.escapes import HostEscape, runs_as_root
from kubesec_nb.workload.signatures import MECHANISMS, api_state

A = "workloads"
POD_SECURITY = "Pod Security and Security Contexts"
PODS = ("pods",)


def _platform(model: Model, ns: str | None, severity: str | None = None) -> str | None:
    return "info" if model.is_system_namespace(ns) else severity


def _kind_name(owner: str) -> tuple[str, str]:
    kind, _, name = owner.partition("/")
    return kind, name


Evid = Sequence[Evidence] | Callable[[], Sequence[Evidence]]
Item = tuple[str, str, str, Evid, str | None]


def _evidence(ev: Evid) -> Sequence[Evidence]:
    return ev() if callable(ev) else ev


def _per_workload(items: Iterable[Item], model: Model, what: str,
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
        yield Finding(namespace=ns, kind=kind, name=name, evidence=evidence,
                      severity=_platform(model, ns, sev), message=what_)


# ---- Pod Security Standards: one check per upstream check id ---------------------------------------

#: upstream id → (kubesec-nb id, severity, remediation)
PSS_META: dict[str, tuple[str, str, str]] = {
    "hostNamespaces": ("PSS-HOST-NAMESPACES", "high", "Remove hostNetwork, hostPID and hostIPC from the pod spec."),
    "privileged": ("PSS-PRIVILEGED", "critical", "Remove securityContext.privileged (or set it to false)."),
    "capabilities_baseline": ("PSS-CAPABILITIES-BASELINE", "high",
                              "Add only capabilities of the baseline set (e.g. NET_BIND_SERVICE); drop the rest."),
    "hostPathVolumes": ("PSS-HOST-PATH-VOLUMES", "high",
                        "Replace hostPath volumes with emptyDir, ConfigMap, Secret, CSI or PVC volumes."),
    "hostPorts": ("PSS-HOST-PORTS", "medium", "Remove hostPort; expose the container through a Service."),
    "appArmorProfile": ("PSS-APPARMOR-PROFILE", "medium",
                        "Use the RuntimeDefault or a Localhost AppArmor profile, never Unconfined."),
    "seLinuxOptions": ("PSS-SELINUX-OPTIONS", "medium",
                       "Leave seLinuxOptions.user/role unset and use a container_* SELinux type."),
    "procMount": ("PSS-PROC-MOUNT", "medium", "Leave securityContext.procMount unset or Default."),
    "seccompProfile_baseline": ("PSS-SECCOMP-PROFILE-BASELINE", "medium",
                                "Do not set the seccomp profile to Unconfined."),
    "sysctls": ("PSS-SYSCTLS", "medium", "Set only the safe sysctls of the baseline level."),
    "windowsHostProcess": ("PSS-WINDOWS-HOST-PROCESS", "critical",
                           "Remove windowsOptions.hostProcess (HostProcess containers run on the host)."),
    "hostProbesAndHostLifecycle": ("PSS-HOST-PROBES-AND-HOST-LIFECYCLE", "medium",
                                   "Remove .host from probes and lifecycle handlers (it lets the kubelet "
                                   "reach other hosts on the pod's behalf)."),
    "restrictedVolumes": ("PSS-RESTRICTED-VOLUMES", "low",
                          "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                          "persistentVolumeClaim, projected and secret volumes."),
    "allowPrivilegeEscalation": ("PSS-ALLOW-PRIVILEGE-ESCALATION", "medium",
                                 "Set securityContext.allowPrivilegeEscalation: false on every container."),
    "runAsNonRoot": ("PSS-RUN-AS-NON-ROOT", "medium",
                     "Set securityContext.runAsNonRoot: true on the pod (or every container)."),
    "runAsUser": ("PSS-RUN-AS-USER", "medium", "Do not set runAsUser: 0; run as a non-zero UID."),
    "seccompProfile_restricted": ("PSS-SECCOMP-PROFILE-RESTRICTED", "low",
                                  "Set securityContext.seccompProfile.type: RuntimeDefault on the pod."),
    "capabilities_restricted": ("PSS-CAPABILITIES-RESTRICTED", "low",
                                "Drop ALL capabilities and add back at most NET_BIND_SERVICE."),
    "procMount_restricted": ("PSS-PROC-MOUNT-RESTRICTED", "medium",
                             "Leave securityContext.procMount unset or Default (no relaxation for user "
                             "namespaces under restricted)."),
}


#: CIS benchmark ids of the Pod Security checks (CIS Kubernetes 1.12, EKS 1.8.0, AKS 1.8, GKE 1.9.0; kube-bench cfg).
PSS_CIS: dict[str, tuple[str, ...]] = {
    "PSS-PRIVILEGED": ("CIS Kubernetes 5.2.2", "CIS EKS 4.2.1", "CIS AKS 4.2.1"),
    "PSS-HOST-NAMESPACES": ("CIS Kubernetes 5.2.3", "CIS Kubernetes 5.2.4", "CIS Kubernetes 5.2.5", "CIS EKS 4.2.2",
                            "CIS EKS 4.2.3", "CIS EKS 4.2.4", "CIS AKS 4.2.2", "CIS AKS 4.2.3", "CIS AKS 4.2.4"),
    "PSS-ALLOW-PRIVILEGE-ESCALATION": ("CIS Kubernetes 5.2.6", "CIS EKS 4.2.5", "CIS AKS 4.2.5"),
    "PSS-RUN-AS-NON-ROOT": ("CIS Kubernetes 5.2.7",),
    "PSS-RUN-AS-USER": ("CIS Kubernetes 5.2.7",),
    "PSS-CAPABILITIES-BASELINE": ("CIS Kubernetes 5.2.9",),
    "PSS-CAPABILITIES-RESTRICTED": ("CIS Kubernetes 5.2.8", "CIS Kubernetes 5.2.9"),
    "PSS-WINDOWS-HOST-PROCESS": ("CIS Kubernetes 5.2.10",),
    "PSS-HOST-PATH-VOLUMES": ("CIS Kubernetes 5.2.11",),
    "PSS-HOST-PORTS": ("CIS Kubernetes 5.2.12",),
    "PSS-SECCOMP-PROFILE-RESTRICTED": ("CIS Kubernetes 5.6.2", "CIS GKE 4.6.2"),
}


def _violation_evidence(pod: str, violations: Sequence[pss.Violation]) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"Pod {pod}", v.field, v.value) for v in violations)


def _pss_runner(cid: str) -> Callable[[WorkloadAnalysis], Iterator[Finding]]:
    spec = pss.CHECKS[cid]

    def run(wa: WorkloadAnalysis) -> Iterator[Finding]:
        if spec.at(wa.version) is None:
            raise NotAssessed(f"{cid} is not part of the Pod Security Standards at "
                              f"{psa.version_label(wa.version)} (it starts at {psa.version_label(spec.steps[0])})")
        items: list[Item] = [(ref.namespace, ref.owner, ref.key, partial(_violation_evidence, ref.key, vs), None)
                             for ref, vs in wa.failing(cid)]
        what = f"{spec.title} ({spec.level}, {cid} at {psa.version_label(wa.version)})"
        yield from _per_workload(items, wa.model, what)
    return run


for _cid, (_kid, _sev, _fix) in PSS_META.items():
    _spec = pss.CHECKS[_cid]
    check(_kid, title=f"Pod Security {_spec.level}: {_spec.title}", severity=_sev, category=POD_SECURITY,
          remediation=_fix, analyzer=A, requires=PODS, cis=PSS_CIS.get(_kid, ()),
          references=(f"pod-security-admission {_cid}", f"Pod Security Standards ({_spec.level})"),
          description=f"Fields: {_spec.fields}. Version steps: "
                      f"{', '.join(psa.version_label(v) for v in _spec.steps)}.")(_pss_runner(_cid))


# ---- Pod Security Admission on namespaces ------------------------------------------------------

PREFIX_ENFORCE = psa.PREFIX + "enforce"


@check("PSS-NAMESPACE-NOT-ENFORCED", title="Namespace enforces no Pod Security level", severity="medium",
       category=POD_SECURITY, analyzer=A, requires=("namespaces",), cis=("CIS Kubernetes 5.2.1", "CIS GKE 4.2.1"),
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
                          severity=_platform(wa.model, ns), message=f"any pod may be created: {why}")


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
    yield from _per_workload(items, wa.model,
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
                      severity=_platform(wa.model, ns),
                      message=f"{pol.enforce} evaluated at {psa.version_label(pinned)} instead of "
                              f"{psa.version_label(wa.version)}; checks that differ: {', '.join(changed) or 'none'}")


# ---- host escapes ---------------------------------------------------------------------------------

ESCAPE_REFS = {
    "privileged": ("KubeHound CE_PRIV_MOUNT", "KubeHound CE_NSENTER", "IceKube IS_PRIVILEGED", "kubescape C-0057"),
    "hostPID": ("KubeHound CE_NSENTER", "kubescape C-0038", "kube-bench eks 4.2.2"),
    "hostIPC": ("kubescape C-0038", "kube-bench eks 4.2.3"),
    "hostNetwork": ("kubescape C-0041", "kube-bench eks 4.2.4"),
    "capability": ("KubeHound CE_MODULE_LOAD", "KubeHound CE_SYS_PTRACE", "IceKube CAN_CGROUP_BREAKOUT",
                   "IceKube CAN_LOAD_KERNEL_MODULES", "IceKube CAN_ACCESS_HOST_FD", "kubescape C-0046"),
    "hostPath": ("KubeHound EXPLOIT_HOST_READ", "KubeHound EXPLOIT_HOST_WRITE", "KubeHound EXPLOIT_HOST_TRAVERSE",
                 "KubeHound CE_VAR_LOG_SYMLINK", "IceKube CAN_ACCESS_DANGEROUS_HOST_PATH", "kubescape C-0048"),
    "runtime-socket": ("IceKube CAN_ACCESS_DANGEROUS_HOST_PATH", "kubesec DockerSock", "kubescape C-0074"),
}


def _escape_findings(wa: WorkloadAnalysis, keep: Callable[[HostEscape], bool],
                     severity: Callable[[HostEscape], str | None], what: str) -> Iterator[Finding]:
    items = []
    for e in wa.host_escapes:
        if keep(e):
            ev = [Evidence(f"Pod {e.pod}", e.field, e.value)]
            for m in e.mounts:  # "<field> (rw|ro)"
                field, _, mode = m.rpartition(" ")
                ev.append(Evidence(f"Pod {e.pod}", field, mode.strip("()")))
            if e.node:
                ev.append(Evidence(e.node.replace("node:", "Node "), "compromised", e.impact))
            for r in e.requires:
                ev.append(Evidence(f"Pod {e.pod}", "requires", r))
            items.append((e.namespace, wa.owner_of(e.pod), e.pod, tuple(ev), severity(e)))
    yield from _per_workload(items, wa.model, what)


def _escape_check(check_id: str, keep: Callable[[HostEscape], bool], what: str,
                  severity_of: Callable[[HostEscape], str | None] = lambda e: None, **meta: Any) -> None:
    """Register a ``WL-`` check: one finding per workload with host escapes that ``keep`` selects;
    ``severity_of`` may raise a finding's severity above the check's."""
    def run(wa: WorkloadAnalysis) -> Iterator[Finding]:
        yield from _escape_findings(wa, keep, severity_of, what)
    check(check_id, category=POD_SECURITY, analyzer=A, requires=PODS, **meta)(run)


def _technique(*names: str) -> Callable[[HostEscape], bool]:
    return lambda e: e.technique in names


def _impact_severity(e: HostEscape) -> str | None:
    return "critical" if e.impact == "root" and not e.requires else None


_escape_check("WL-PRIVILEGED", _technique("privileged", "windowsHostProcess", "nsenter"),
              "privileged containers run as root on the node",
              title="Privileged or Windows HostProcess containers (node takeover)", severity="critical",
              cis=("CIS Kubernetes 5.2.2", "CIS Kubernetes 5.2.10", "CIS EKS 4.2.1", "CIS AKS 4.2.1"),
              references=ESCAPE_REFS["privileged"],
              remediation="Remove privileged: true; grant the specific capability needed instead, or move the "
                          "function to a managed add-on.")
_escape_check("WL-HOST-PID", _technique("hostPID"), "hostPID: host processes are visible and signalable",
              title="Pods share the node's process namespace (hostPID)", severity="high",
              cis=("CIS Kubernetes 5.2.3", "CIS EKS 4.2.2", "CIS AKS 4.2.2"),
              references=ESCAPE_REFS["hostPID"], remediation="Remove hostPID: true.")
_escape_check("WL-HOST-IPC", _technique("hostIPC"), "hostIPC: host shared memory is readable",
              title="Pods share the node's IPC namespace (hostIPC)", severity="medium",
              cis=("CIS Kubernetes 5.2.4", "CIS EKS 4.2.3", "CIS AKS 4.2.3"),
              references=ESCAPE_REFS["hostIPC"], remediation="Remove hostIPC: true.")
_escape_check("WL-HOST-NETWORK", _technique("hostNetwork"),
              "hostNetwork: node-local services and the metadata endpoint are reachable, "
              "NetworkPolicy does not apply",
              title="Pods use the node's network namespace (hostNetwork)", severity="high",
              cis=("CIS Kubernetes 5.2.5", "CIS EKS 4.2.4", "CIS AKS 4.2.4"),
              references=ESCAPE_REFS["hostNetwork"],
              remediation="Remove hostNetwork: true; NetworkPolicies do not apply to host-network pods.")
_escape_check("WL-DANGEROUS-CAPABILITIES", _technique("capability"), "capabilities that reach the node",
              _impact_severity,
              title="Containers add dangerous Linux capabilities", severity="high", cis=("CIS Kubernetes 5.2.9",),
              references=ESCAPE_REFS["capability"],
              remediation="Drop ALL and add back only what the process needs; SYS_ADMIN, SYS_MODULE, SYS_PTRACE, "
                          "DAC_READ_SEARCH and NET_ADMIN break the container boundary.")
_escape_check("WL-SENSITIVE-HOST-PATH", lambda e: e.technique == "hostPath" and bool(e.exposes),
              "host paths that expose node files, credentials or tokens", _impact_severity,
              title="Containers mount sensitive host paths", severity="high", references=ESCAPE_REFS["hostPath"],
              cis=("CIS Kubernetes 5.2.11",),
              remediation="Remove the hostPath volume; if a node agent needs it, mount the narrowest path read-only "
                          "and run it in a dedicated, locked-down namespace.")
_escape_check("WL-RUNTIME-SOCKET", _technique("runtime-socket"),
              "the container runtime socket is reachable (root on the node)",
              title="Containers mount the container runtime socket", severity="critical",
              references=ESCAPE_REFS["runtime-socket"],
              remediation="Remove the docker/containerd/CRI-O socket mount; whoever talks to it is root on the node.")
_escape_check("WL-WRITABLE-HOST-PATH", lambda e: e.technique == "hostPath" and not e.exposes and bool(e.writable),
              "writable hostPath mounts (files persist on and affect the node)",
              title="Containers write to other host paths", severity="low",
              references=("KubeHound EXPLOIT_HOST_WRITE",),
              remediation="Mount host paths readOnly: true, or use an emptyDir or a PVC.")


@check("WL-RUN-AS-ROOT", title="Containers explicitly run as root (runAsUser: 0)", severity="medium",
       category=POD_SECURITY, analyzer=A, requires=PODS, cis=("CIS Kubernetes 5.2.7",),
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
    yield from _per_workload(items, wa.model, "containers run as UID 0")


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
    yield from _per_workload(items, wa.model, "writable root filesystems")


def _rootfs_evidence(pod: str, bad: Sequence[tuple[int, Mapping[str, Any]]]) -> tuple[Evidence, ...]:
    return tuple(Evidence(f"Pod {pod}", f"spec.containers[{i}].securityContext.readOnlyRootFilesystem",
                          str(((c or {}).get("securityContext") or {}).get("readOnlyRootFilesystem", "unset")).lower())
                 for i, c in bad)


# ---- secrets handling -----------------------------------------------------------------------------

SECRETS = "Kubernetes Secrets"
SA = "Service Account Security"


def _from_table(wa: WorkloadAnalysis, rows: Iterable[dict[str, Any]],
                evidence: Callable[[dict[str, Any]], Sequence[Evidence]], what: str,
                owner: str = "workload") -> Iterator[Finding]:
    """Per-workload findings from rows of a per-workload table (with ``pods`` and ``example_pod``)."""
    items: list[Item] = []
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (str(r["namespace"]), str(r[owner]))
        counts[key] = max(counts.get(key, 0), int(r.get("pods") or 0))
        items.append((key[0], key[1], str(r.get("example_pod") or ""), tuple(evidence(r)), None))
    yield from _per_workload(items, wa.model, what, counts)


@check("SEC-SECRET-IN-ENV", title="Secrets consumed as environment variables", severity="medium",
       category=SECRETS, analyzer=A, requires=PODS,
       cis=("CIS Kubernetes 5.4.1", "CIS GKE 4.4.1", "CIS EKS 4.4.1", "CIS AKS 4.5.1"),
       references=("kube-bench 4.4.1", "kubescape C-0207", "prowler core_no_secrets_envs", "checkov CKV_K8S_35"),
       remediation="Mount the Secret as a volume (files can be rotated and are not inherited by child processes "
                   "or dumped with the environment), or read it from a secret manager.")
def _sec_env(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _from_table(
        wa, (r for r in wa.records("secret_refs") if r["via"] in ("env", "envFrom")),
        lambda r: (Evidence(f"Pod {r['example_pod']}", r["field"], f"secret {r['secret']} key {r['key']}"),),
        "Secret values in the environment")


@check("SEC-LITERAL-CREDENTIAL", title="Credentials written literally in env values or arguments", severity="high",
       category=SECRETS, analyzer=A, requires=PODS,
       references=("kubescape C-0012", "polaris sensitiveContainerEnvVar", "trivy KSV-0109"),
       remediation="Move the value into a Secret (or a secret manager) and reference it; rotate the exposed "
                   "credential: anyone who can read the workload spec has it.")
def _sec_literal(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _from_table(
        wa, (r for r in wa.records("credentials") if r["kind"] == "workload"),
        lambda r: (Evidence(f"Pod {r['example_pod']}", r["field"], marker(r["detector"])),),
        "literal values that look like credentials (values redacted; detector in evidence)", owner="object")


@check("SEC-CONFIGMAP-CREDENTIAL", title="ConfigMap entries that look like credentials", severity="high",
       category=SECRETS, analyzer=A, requires=("configmaps",),
       references=("kubescape C-0012", "polaris sensitiveConfigmapContent", "trivy KSV-01010"),
       remediation="Move the entry into a Secret (RBAC can then restrict who reads it) and rotate it.")
def _sec_configmap(wa: WorkloadAnalysis) -> Iterator[Finding]:
    by_cm: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in wa.records("credentials"):
        if r["kind"] == "ConfigMap":
            by_cm[(r["namespace"], r["object"])].append(r)
    for (ns, name), rows in sorted(by_cm.items()):
        users = wa.configmap_consumers.get(f"{ns}/{name}", [])
        keys = ", ".join(f"{r['name']} ({r['detector']})" for r in rows)
        yield Finding(namespace=ns, kind="ConfigMap", name=name,
                      evidence=tuple(Evidence(f"ConfigMap {ns}/{name}", r["field"], marker(r["detector"]))
                                     for r in rows),
                      severity=_platform(wa.model, ns),
                      message=f"keys that look like credentials: {keys}; read by {', '.join(users) or 'no workload'}")


@check("SEC-SA-TOKEN-AUTOMOUNT", title="Service-account tokens mounted where no API access is granted",
       severity="medium", category=SA, analyzer=A,
       cis=("CIS Kubernetes 5.1.6", "CIS GKE 4.1.5", "CIS EKS 4.1.6", "CIS AKS 4.1.6"),
       requires=("pods", "serviceaccounts", "rolebindings.rbac.authorization.k8s.io",
                 "clusterrolebindings.rbac.authorization.k8s.io"),
       references=("kube-bench 4.1.6", "kubescape C-0034", "polaris automountServiceAccountToken",
                   "checkov CKV_K8S_38"),
       remediation="Set automountServiceAccountToken: false on the pod (or its ServiceAccount); the token only "
                   "helps an attacker who gets into the container.")
def _sec_automount(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _from_table(
        wa, (r for r in wa.records("tokens") if r["automount"] and not r["needs_api"]),
        lambda r: (Evidence(f"Pod {r['example_pod']}", r["field"], "true" if r["decided_by"] != "default" else "unset"),
                   Evidence(f"ServiceAccount {r['service_account']}", "RoleBindings/ClusterRoleBindings", "none")),
        "an API token is mounted although no binding grants its service account anything")


@check("SEC-DEFAULT-SA-AUTOMOUNT", title="Default service accounts mount tokens automatically", severity="low",
       category=SA, analyzer=A, requires=("serviceaccounts",),
       cis=("CIS Kubernetes 5.1.5", "CIS GKE 4.1.4", "CIS EKS 4.1.5", "CIS AKS 4.1.5"),
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
                      severity=_platform(wa.model, ns),
                      message=f"{len(wa.model.pods_using(key))} pod(s) run as it")


@check("SEC-LEGACY-SA-TOKEN", title="Long-lived service-account token Secrets", severity="medium", category=SA,
       analyzer=A, requires=("secrets",), references=("IceKube GET_AUTHENTICATION_TOKEN_FOR",
                                                       "Kubernetes LegacyServiceAccountTokenCleanUp"),
       remediation="Delete kubernetes.io/service-account-token Secrets; use TokenRequest (projected, expiring) "
                   "tokens instead.")
def _sec_legacy(wa: WorkloadAnalysis) -> Iterator[Finding]:
    for r in wa.records("legacy_tokens"):
        obj = f"Secret {r['namespace']}/{r['secret']}"
        ev = [Evidence(obj, "type", "kubernetes.io/service-account-token"),
              Evidence(obj, "metadata.annotations[kubernetes.io/service-account.name]",
                       r["service_account"].split("/", 1)[1])]
        if r["last_used"]:
            ev.append(Evidence(obj,
                               "metadata.labels[kubernetes.io/legacy-token-last-used]", r["last_used"]))
        state = "invalidated" if r["invalid_since"] else "valid"
        yield Finding(namespace=r["namespace"], kind="Secret", name=r["secret"],
                      evidence=tuple(ev), severity=_platform(wa.model, r["namespace"], "low" if r["invalid_since"]
                                                             else None),
                      message=f"never-expiring token for {r['service_account']} ({state}; "
                              f"{'account missing; ' if not r['service_account_exists'] else ''}"
                              f"mounted by {', '.join(r['mounted_by']) or 'no workload'})")


@check("SEC-NO-EXTERNAL-SECRET-STORE", title="Namespaces use Secrets without an external secret manager",
       severity="low", category="Cloud Secret Management", analyzer=A, requires=PODS,
       cis=("CIS Kubernetes 5.4.2", "CIS GKE 4.4.2", "CIS EKS 4.4.2", "CIS AKS 4.5.2"),
       references=("kube-bench 4.4.2", "kubescape C-0234"),
       remediation="Serve secrets from the cloud secret manager (GCP Secret Manager, AWS Secrets Manager, "
                   "Azure Key Vault) through the Secrets Store CSI driver or External Secrets Operator.")
def _sec_external(wa: WorkloadAnalysis) -> Iterator[Finding]:
    state, reason = api_state(wa.model, "externalsecrets.external-secrets.io")
    if state == "missing":
        raise NotAssessed(f"External Secrets usage unknown: {reason}")
    platform = "; ".join(f"{k}: {v}" for k, v in sorted(wa.secret_manager_platform.items()))
    for r in wa.records("secret_stores"):
        if r["secret_consumers"] and not r["external"] and not wa.model.is_system_namespace(r["namespace"]):
            ns = r["namespace"]
            yield Finding(namespace=ns, kind="Namespace", name=ns,
                          evidence=(Evidence(f"Namespace {ns}", "pods with secrets-store.csi.k8s.io volumes", "0"),
                                    Evidence(f"Namespace {ns}", "ExternalSecrets", "0")),
                          message=f"{r['secret_consumers']} workloads read Kubernetes Secrets directly"
                                  + (f" ({platform})" if platform else ""))


# ---- images -----------------------------------------------------------------------------------------

IMAGES = "Image Vulnerability Scanning"


def _image_findings(wa: WorkloadAnalysis, keep: Callable[[dict[str, Any]], bool], what: str,
                    policy: bool = False) -> Iterator[Finding]:
    def evidence(r: dict[str, Any]) -> Sequence[Evidence]:
        ev = [Evidence(f"Pod {r['example_pod']}", r["field"], str(r["image"]))]
        if policy:
            ev.append(Evidence(f"Pod {r['example_pod']}", r["field"].replace(".image", ".imagePullPolicy"),
                               str(r["pull_policy"])))
        return ev
    yield from _from_table(wa, (r for r in wa.records("images") if keep(r)), evidence, what)


def _latest(r: dict[str, Any]) -> bool:
    """An ``images`` row whose tag is latest, explicit or implied (no tag), and no digest (ImageRef.latest)."""
    return not r["digest"] and r["tag"] in ("", "latest")


@check("IMG-NO-DIGEST", title="Images not pinned by digest", severity="low", category=IMAGES, analyzer=A,
       requires=PODS, references=("kubescape C-0306", "trivy KSV-0125"),
       remediation="Reference images by digest (image@sha256:...) so that what runs is what was scanned and signed.")
def _img_digest(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _image_findings(wa, lambda r: not r["digest"],
                               "mutable image references (tag, no digest)")


@check("IMG-LATEST-TAG", title="Images use the latest tag (explicit or implied)", severity="medium", category=IMAGES,
       analyzer=A, requires=PODS, references=("kubescape C-0075", "trivy KSV-0013", "kube-score container-image-tag"),
       remediation="Pin a version tag and, better, a digest.")
def _img_latest(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _image_findings(wa, _latest, "images tagged latest or untagged")


@check("IMG-REGISTRY-NOT-ALLOWED", title="Images from registries outside the allowlist", severity="medium",
       category=IMAGES, analyzer=A, requires=PODS, references=("kubescape C-0001", "kubescape C-0078"),
       cis=("CIS EKS 5.1.4", "CIS AKS 5.1.4"),
       remediation="Mirror the image into an approved registry, or add the registry to registry_allowlist.")
def _img_registry(wa: WorkloadAnalysis) -> Iterator[Finding]:
    allow = ", ".join(wa.registry_allowlist)
    yield from _image_findings(wa, lambda r: not r["allowed_registry"],
                               f"registries outside the allowlist ({allow})")


@check("IMG-PULL-POLICY", title="latest images not pulled on every start", severity="low", category=IMAGES,
       analyzer=A, requires=PODS, references=("kubescape C-0075",),
       remediation="Use imagePullPolicy: Always for mutable tags (or pin a digest): a cached latest image may be "
                   "stale and lets any pod on the node use it without pull credentials.")
def _img_pull(wa: WorkloadAnalysis) -> Iterator[Finding]:
    yield from _image_findings(
        wa, lambda r: _latest(r) and r["pull_policy"] != "Always",
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
    items = []
    for r in wa.records("vulnerabilities"):
        if not pd.isna(r["critical"]) and int(r["critical"]) > 0:
            items.append((r["namespace"], r["workload"], "",
                          (Evidence(f"{r['workload']} container {r['container']}", "image", r["image"]),
                           Evidence(f"Trivy {r['reports']}", f"critical (matched by {r['match']})",
                                    f"{int(r['critical'])} ({int(r['fixable'])} fixable of {int(r['total'])})")), None))
    yield from _per_workload(items, wa.model, "images with CRITICAL CVEs")


@check("IMG-NOT-SCANNED", title="Running images missing from the vulnerability report", severity="low",
       category=IMAGES, analyzer=A, requires=PODS, references=("trivy k8s",), cis=("CIS EKS 5.1.1", "CIS AKS 5.1.1"),
       remediation="Scan every running image (trivy k8s --report all, or trivy image per image) and attach the report.")
def _img_unscanned(wa: WorkloadAnalysis) -> Iterator[Finding]:
    _need_trivy(wa)
    items = [(r["namespace"], r["workload"], "",
              (Evidence(f"{r['workload']} container {r['container']}", "image", r["image"]),
               Evidence("Trivy reports", "match", r["match"])), None)
             for r in wa.records("vulnerabilities") if r["match"] == "not in report"]
    yield from _per_workload(items, wa.model, "images no attached report covers")


@check("IMG-SIGNATURE-NOT-ENFORCED", title="No image signature enforcement in the namespace", severity="medium",
       category="Image Signing and Verification", analyzer=A, requires=PODS,
       cis=("CIS Kubernetes 5.5.1", "CIS GKE 4.5.1"),
       references=("kube-bench gke 5.1.4", "checkov CKV_GCP_66", "kubescape C-0237"),
       remediation="Enforce signatures at admission: GKE Binary Authorization, Kyverno verifyImages (Enforce), "
                   "sigstore policy-controller (label the namespace policy.sigstore.dev/include=true) or "
                   "Ratify with Gatekeeper.")
def _img_signatures(wa: WorkloadAnalysis) -> Iterator[Finding]:
    with_pods = {r.namespace for r in wa.pods}
    unknown = []
    fails = []
    for r in wa.records("signatures"):
        ns = r["namespace"]
        if ns not in with_pods or wa.model.is_system_namespace(ns):
            continue
        if r["enforced"] == "not_assessed":
            unknown.append(f"{ns}: {'; '.join(e for e in r['evidence'] if 'could not' in e or ':' in e) or 'unknown'}")
        elif r["enforced"] == "no":
            cells = ", ".join(f"{k}={r[k]}" for k in MECHANISMS)
            fails.append(Finding(namespace=ns, kind="Namespace", name=ns,
                                 evidence=tuple(Evidence(f"Namespace {ns}", k, str(r[k])) for k in MECHANISMS),
                                 message=f"any image may run ({cells})"))
    if not fails and unknown:
        raise NotAssessed("signature enforcement unknown in " + " | ".join(unknown))
    yield from fails
