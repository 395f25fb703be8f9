"""WL-* checks on resource limits and quotas, the default namespace, hostAliases and user namespaces.

These run over the model (``analyzer="model"``). Findings are grouped per workload (its
top-level controller); workloads in platform namespaces are marked platform-managed.

- A container's limit counts when the spec sets it, or, for a pod made from a manifest
  (admission has not run), when a LimitRange of the namespace gives a ``default`` for type
  ``Container`` (the LimitRanger admission plugin applies it at creation).
- User namespaces (``hostUsers: false``): the ``UserNamespacesSupport`` feature gate is
  beta and on by default from Kubernetes 1.33 (kubernetes.io "Use a User Namespace With a
  Pod", feature state v1.33 beta, enabled by default; GA in 1.36); before 1.33 the check is
  not applicable. Pods sharing the host's network, PID or IPC namespace cannot use it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kubesec_nb.checks import Evidence, Finding, NotApplicable, check
from kubesec_nb.model import Model, iter_containers, object_key

POD_SECURITY = "Pod Security and Security Contexts"
REPRESENTATIVE = "kubesec-nb.io/representative"


def _limitrange_defaults(model: Model) -> dict[str, dict[str, set[str]]]:
    """Namespace → {"default": resources with a default limit, "defaultRequest": ...} for type Container."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"default": set(), "defaultRequest": set()})
    for lr in model.items("limitranges"):
        ns = lr["metadata"]["namespace"]
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") == "Container":
                for field in ("default", "defaultRequest"):
                    out[ns][field].update((item.get(field) or {}).keys())
                # a defaultRequest is defaulted from default when only default is set (LimitRanger)
                out[ns]["defaultRequest"].update((item.get("default") or {}).keys())
    return out


def _by_workload(model: Model, missing: Mapping[str, Sequence[tuple[str, str]]], what: str) -> Iterator[Finding]:
    """One finding per workload from pod key → [(container field, container name)]; ``what`` ends the message."""
    grouped: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for key, containers in sorted(missing.items()):
        pod = model.pod_by_key[key]
        for field, name in containers:
            grouped[(pod["metadata"]["namespace"], model.owner_label(pod))].append((key, field, name))
    for (ns, wl), rows in sorted(grouped.items()):
        kind, _, name = wl.partition("/")
        names = sorted({c for _, _, c in rows})
        yield Finding(namespace=ns, kind=kind, name=name, platform=Model.platform_namespace(ns),
                      evidence=tuple(Evidence(f"Pod {k}", f"spec.{f}[{c}].resources", "unset")
                                     for k, f, c in rows[:3]),
                      message=f"container(s) {', '.join(names)} of {wl} {what}")


def _missing(model: Model, section: str, resource: str) -> dict[str, list[tuple[str, str]]]:
    defaults = _limitrange_defaults(model) if not model.missing("limitranges") else {}
    field = "default" if section == "limits" else "defaultRequest"
    out: dict[str, list[tuple[str, str]]] = {}
    for pod in model.pods:
        meta = pod.get("metadata") or {}
        ns = str(meta.get("namespace", ""))
        defaulted = REPRESENTATIVE in (meta.get("annotations") or {}) and resource in defaults.get(ns, {}).get(field,
                                                                                                               set())
        if defaulted or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        rows = [(f, str(c.get("name"))) for f, _, c in iter_containers(pod.get("spec") or {})
                if f != "ephemeralContainers" and resource not in ((c.get("resources") or {}).get(section) or {})]
        if rows:
            out[object_key(pod)] = rows
    return out


_LIMIT_REFS = ("checkov CKV_K8S_11", "checkov CKV_K8S_13", "kube-score container-resources",
               "polaris cpuLimitsMissing / memoryLimitsMissing", "kubescape C-0004")


@check("WL-NO-MEMORY-LIMIT", title="Containers without a memory limit", severity="low", category=POD_SECURITY,
       analyzer="model", requires=("pods",), references=_LIMIT_REFS,
       remediation="Set `resources.limits.memory` on every container (or a LimitRange `default` for the "
                   "namespace): a container without one can exhaust the node's memory and get its neighbours "
                   "evicted.")
def _no_memory_limit(model: Model) -> Iterator[Finding]:
    return _by_workload(model, _missing(model, "limits", "memory"), "set no memory limit")


@check("WL-NO-CPU-LIMIT", title="Containers without a CPU limit", severity="info", category=POD_SECURITY,
       analyzer="model", requires=("pods",), references=_LIMIT_REFS,
       remediation="Set `resources.limits.cpu` where noisy neighbours matter (a CPU limit throttles, it never kills; "
                   "many teams set requests only), or a LimitRange `default`.")
def _no_cpu_limit(model: Model) -> Iterator[Finding]:
    return _by_workload(model, _missing(model, "limits", "cpu"), "set no CPU limit")


@check("WL-NO-RESOURCE-REQUESTS", title="Containers without CPU and memory requests", severity="info",
       category=POD_SECURITY, analyzer="model", requires=("pods",),
       references=("checkov CKV_K8S_10", "checkov CKV_K8S_12", "kube-score container-resources"),
       remediation="Set `resources.requests.cpu` and `.memory` so the scheduler reserves capacity (a LimitRange "
                   "`defaultRequest` does it for a namespace).")
def _no_requests(model: Model) -> Iterator[Finding]:
    cpu, mem = _missing(model, "requests", "cpu"), _missing(model, "requests", "memory")
    merged = {k: sorted(set(cpu.get(k, [])) | set(mem.get(k, []))) for k in sorted(set(cpu) | set(mem))}
    return _by_workload(model, merged, "request no CPU or memory")


def _app_namespaces(model: Model) -> list[str]:
    return sorted({p["metadata"]["namespace"] for p in model.pods if not model.is_system_namespace(
        p["metadata"]["namespace"])})


def _namespaces_without(model: Model, resource: str, kind: str, why: str) -> Iterator[Finding]:
    have = {o["metadata"]["namespace"] for o in model.items(resource)}
    for ns in _app_namespaces(model):
        if ns not in have:
            yield Finding(kind="Namespace", namespace=ns, name=ns,
                          evidence=(Evidence(f"Namespace {ns}", f"{kind}s", "none"),), message=why.format(ns=ns))


@check("WL-NS-NO-LIMITRANGE", title="Namespaces without a LimitRange", severity="low", category=POD_SECURITY,
       analyzer="model", requires=("pods", "limitranges"),
       references=("NSA/CISA Kubernetes hardening guide (resource policies)",),
       remediation="Add a LimitRange with `default` and `defaultRequest` for type Container (and `max`) to each "
                   "application namespace: `kubectl apply -n NS -f limitrange.yaml`.")
def _no_limitrange(model: Model) -> Iterator[Finding]:
    return _namespaces_without(model, "limitranges", "LimitRange",
                               "containers in {ns} without limits get no default and no maximum")


@check("WL-NS-NO-RESOURCEQUOTA", title="Namespaces without a ResourceQuota", severity="low", category=POD_SECURITY,
       analyzer="model", requires=("pods", "resourcequotas"),
       references=("NSA/CISA Kubernetes hardening guide (resource policies)",),
       remediation="Add a ResourceQuota (`requests.cpu`, `requests.memory`, `limits.memory`, `pods`) to each "
                   "application namespace: `kubectl create quota NAME -n NS --hard=requests.cpu=4,"
                   "requests.memory=8Gi,pods=50`.")
def _no_quota(model: Model) -> Iterator[Finding]:
    return _namespaces_without(model, "resourcequotas", "ResourceQuota", "nothing caps what {ns} can consume: one "
                                                                         "compromised or runaway workload can starve "
                                                                         "the cluster")


@check("WL-DEFAULT-NAMESPACE", title="Workloads in the default namespace", severity="low", category=POD_SECURITY,
       analyzer="model", requires=("pods",),
       cis=("CIS Kubernetes 5.6.4", "CIS GKE 4.6.4", "CIS EKS 4.5.2", "CIS AKS 4.6.3"),
       references=("kube-bench 5.6.4", "kubescape C-0061", "checkov CKV_K8S_21"),
       remediation="Move the workloads to a namespace of their own, with its RBAC, NetworkPolicies, Pod Security "
                   "level and quota.")
def _default_namespace(model: Model) -> Iterator[Finding]:
    by_owner: dict[str, list[str]] = defaultdict(list)
    for pod in model.pods_in("default"):
        by_owner[model.owner_label(pod)].append(object_key(pod))
    for wl, pods in sorted(by_owner.items()):
        kind, _, name = wl.partition("/")
        yield Finding(namespace="default", kind=kind, name=name,
                      evidence=(Evidence(f"Pod {pods[0]}", "metadata.namespace", "default"),),
                      message=f"{wl} runs in the default namespace, which usually has no policies of its own")


@check("WL-HOST-ALIASES", title="Pods override name resolution with hostAliases", severity="low",
       category=POD_SECURITY, analyzer="model", requires=("pods",),
       references=("Kubernetes docs: Adding entries to Pod /etc/hosts with HostAliases",),
       remediation="Remove `spec.hostAliases`; use DNS (a Service or an ExternalName) so that name resolution stays "
                   "visible and reviewable.")
def _host_aliases(model: Model) -> Iterator[Finding]:
    seen: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for pod in model.pods:
        aliases = (pod.get("spec") or {}).get("hostAliases") or []
        if aliases:
            seen[(pod["metadata"]["namespace"], model.owner_label(pod))].append((object_key(pod), aliases))
    for (ns, wl), rows in sorted(seen.items()):
        kind, _, name = wl.partition("/")
        key, aliases = rows[0]
        entries = "; ".join(f"{a.get('ip')} {','.join(a.get('hostnames') or [])}" for a in aliases[:5])
        yield Finding(namespace=ns, kind=kind, name=name, platform=Model.platform_namespace(ns),
                      evidence=(Evidence(f"Pod {key}", "spec.hostAliases", entries),),
                      message=f"{wl} pins host names to fixed addresses in /etc/hosts ({entries})")


_SHARED = ("hostNetwork", "hostPID", "hostIPC")


@check("WL-HOST-USERS", title="Pods not isolated in a user namespace (hostUsers: false)", severity="info",
       category=POD_SECURITY, analyzer="model", requires=("pods",),
       references=("KEP-127 user namespaces", "kubernetes.io: Use a User Namespace With a Pod"),
       remediation="Set `spec.hostUsers: false` so that root in the container maps to an unprivileged host user "
                   "(needs Linux 6.3+ nodes with idmap mounts and containerd 2.0 or CRI-O 1.25+).")
def _host_users(model: Model) -> Iterator[Finding]:
    if model.version < (1, 33):
        raise NotApplicable(f"Kubernetes {model.version[0]}.{model.version[1]}: UserNamespacesSupport is on by "
                            "default from 1.33 (beta, off by default 1.30-1.32)")
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pod in model.pods:
        spec = pod.get("spec") or {}
        if spec.get("hostUsers") is False or any(spec.get(f) for f in _SHARED) or \
                spec.get("os", {}).get("name") == "windows":
            continue
        seen[(pod["metadata"]["namespace"], model.owner_label(pod))].append(object_key(pod))
    for (ns, wl), keys in sorted(seen.items()):
        kind, _, name = wl.partition("/")
        yield Finding(namespace=ns, kind=kind, name=name, platform=Model.platform_namespace(ns),
                      evidence=(Evidence(f"Pod {keys[0]}", "spec.hostUsers", "unset (defaults to true)"),),
                      message=f"{wl}: a container breakout would be root on the node")
