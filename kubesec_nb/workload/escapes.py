"""Host escapes: what a pod can do to the node it runs on, as data for the attack graph.

One :class:`HostEscape` per (pod, technique): privileged containers, host namespaces,
dangerous capabilities, sensitive or writable hostPath mounts, container-runtime sockets,
Windows HostProcess containers. Each names the node it compromises (``node:<name>``, None
for a pod that is not scheduled), its ``impact`` on that node, and the field and value
that cause it. The rules follow the container-escape conditions of KubeHound (``CE_*``,
``EXPLOIT_HOST_*``) and IceKube (``IS_PRIVILEGED``, ``CAN_*``), with Kubernetes semantics:

* a hostPath volume matters only when some container mounts it; it is writable when any
  mount lacks ``readOnly: true``; ``subPath`` narrows the host path it exposes;
* a path exposes a sensitive location when it is that location or one of its parents
  (``/`` exposes everything); a path *inside* a location exposes it only where the subtree is
  sensitive (``/var/lib/kubelet/...``; ``/etc/...`` when writable), so ``/etc/ssl/certs``
  read-only is not;
* a runtime socket gives root on the node whether or not the mount is read-only
  (``connect`` on a socket ignores a read-only mount);
* capability names are compared after removing a ``CAP_`` prefix and upper-casing, as
  the container runtimes do (Pod Security compares them verbatim).

Impacts, strongest first: ``root`` (code execution as root on the node),
``node-credentials`` (reads the kubelet's credentials: acts as the node),
``tokens`` (reads the service-account tokens of the pods on the node), ``write`` (writes
host files), ``read`` (reads host files), ``processes`` (sees and signals host processes),
``network`` (host network namespace), ``ipc`` (host IPC), ``pod-network`` (no host
access by itself).

>>> pod = {"metadata": {"namespace": "shop", "name": "web"}, "spec": {"nodeName": "n1", "hostPID": True,
...        "containers": [{"name": "c", "securityContext": {"privileged": True}}]}}
>>> [(e.technique, e.impact, e.node) for e in pod_escapes(pod)]
[('privileged', 'root', 'node:n1'), ('hostPID', 'processes', 'node:n1'), ('nsenter', 'root', 'node:n1')]
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.identity import host_node
from kubesec_nb.model import object_key
from kubesec_nb.workload._common import containers

IMPACTS = ("root", "node-credentials", "tokens", "write", "read", "processes", "network", "ipc", "pod-network")
IMPACT_RANK = {i: n for n, i in enumerate(IMPACTS)}

#: Capabilities that weaken the container boundary, with their impact on the node.
DANGEROUS_CAPABILITIES: dict[str, str] = {
    "ALL": "root",  # includes SYS_ADMIN and SYS_MODULE
    "SYS_ADMIN": "root",  # mount, cgroup release_agent (IceKube CAN_CGROUP_BREAKOUT)
    "SYS_MODULE": "root",  # load a kernel module (KubeHound CE_MODULE_LOAD, IceKube CAN_LOAD_KERNEL_MODULES)
    "SYS_PTRACE": "processes",  # root with hostPID (KubeHound CE_SYS_PTRACE, IceKube CAN_NSENTER_HOST)
    "DAC_READ_SEARCH": "node-credentials",  # open_by_handle_at reads any host file (IceKube CAN_ACCESS_HOST_FD)
    "NET_ADMIN": "pod-network",  # host network MITM with hostNetwork
}

#: Container-runtime sockets: talking to one is root on the node.
RUNTIME_SOCKETS = (
    "/var/run/docker.sock", "/run/docker.sock",
    "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock", "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock", "/run/dockershim.sock",
    "/run/k3s/containerd/containerd.sock", "/var/snap/microk8s/common/run/containerd.sock",
)


@dataclass(frozen=True)
class SensitivePath:
    """A host location, its impact when mounted writable and read-only, and which mounts *inside* it
    count as well: ``subtree`` is ``"all"``, ``"rw"`` (writable mounts only) or ``""`` (none)."""

    path: str
    writable: str
    read_only: str
    subtree: str
    what: str
    requires: tuple[str, ...] = ()


#: Sensitive host locations (KubeHound EXPLOIT_HOST_READ/WRITE/TRAVERSE, CE_UMH_CORE_PATTERN,
#: CE_VAR_LOG_SYMLINK; IceKube CAN_ACCESS_DANGEROUS_HOST_PATH).
SENSITIVE_PATHS: tuple[SensitivePath, ...] = (
    SensitivePath("/", "root", "node-credentials", "", "the node's root filesystem"),
    SensitivePath("/etc", "root", "read", "rw", "node configuration (shadow, cron, sudoers)"),
    SensitivePath("/etc/kubernetes", "node-credentials", "node-credentials", "all",
                  "kubelet kubeconfig, certificates and cloud config (AKS azure.json)"),
    SensitivePath("/root", "root", "read", "all", "root's home (.ssh/authorized_keys)"),
    SensitivePath("/home", "write", "read", "", "users' homes (.ssh)"),
    SensitivePath("/proc", "root", "read", "all", "host /proc (core_pattern, sysrq)"),
    SensitivePath("/sys", "root", "read", "", "host /sys"),
    SensitivePath("/sys/kernel", "root", "read", "all", "kernel settings (uevent_helper)"),
    SensitivePath("/sys/fs/cgroup", "root", "read", "all", "cgroups (release_agent on cgroup v1)"),
    SensitivePath("/dev", "write", "read", "rw", "host devices"),
    SensitivePath("/boot", "root", "read", "all", "kernel and boot loader"),
    SensitivePath("/lib/modules", "root", "read", "rw", "kernel modules"),
    SensitivePath("/usr", "root", "read", "rw", "host binaries"),
    SensitivePath("/bin", "root", "read", "rw", "host binaries"),
    SensitivePath("/sbin", "root", "read", "rw", "host binaries"),
    SensitivePath("/var/lib/kubelet", "node-credentials", "node-credentials", "all",
                  "kubelet state: client certificates and every pod's volumes"),
    SensitivePath("/var/lib/kubelet/pods", "tokens", "tokens", "all",
                  "every pod's volumes, service-account tokens included"),
    SensitivePath("/var/lib/docker", "root", "read", "all", "container images and writable layers"),
    SensitivePath("/var/lib/containerd", "root", "read", "all", "container images and snapshots"),
    SensitivePath("/var/log", "node-credentials", "read", "all",
                  "node and pod logs (symlink + pods/log reads any host file as root)",
                  requires=("rbac:get pods/log in the pod's namespace",)),
    *(SensitivePath(s, "root", "root", "all", "container runtime socket") for s in RUNTIME_SOCKETS),
)


@dataclass(frozen=True)
class HostEscape:
    """One way a pod reaches the node it runs on. See the module docstring.

    ``technique`` is one of ``privileged``, ``hostPID``, ``hostIPC``, ``hostNetwork``,
    ``nsenter`` (privileged + hostPID), ``capability`` (``detail`` = the capability),
    ``hostPath`` and ``runtime-socket`` (``detail`` = the host path), ``windowsHostProcess``.
    ``requires`` lists conditions another analyzer must confirm (``rbac:get pods/log ...``).

    >>> e = HostEscape("shop/web", "hostPath", "node:n1", "spec.volumes[0].hostPath.path", "/", detail="/",
    ...                writable=True, impact="root")
    >>> e.label, e.compromises_node
    ('hostPath / (writable)', True)
    """

    pod: str
    technique: str
    node: str | None
    field: str
    value: str
    detail: str = ""
    container: str | None = None
    writable: bool | None = None
    impact: str = "root"
    requires: tuple[str, ...] = ()
    exposes: tuple[str, ...] = ()
    mounts: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        return self.pod.split("/", 1)[0]

    @property
    def label(self) -> str:
        """A short human description: ``capability SYS_ADMIN``, ``hostPath /var/log (read-only)``."""
        out = f"{self.technique} {self.detail}".strip()
        if self.writable is not None:
            out += " (writable)" if self.writable else " (read-only)"
        return out

    @property
    def compromises_node(self) -> bool:
        """True when the technique alone gives root or the node's identity."""
        return self.impact in ("root", "node-credentials") and not self.requires


def normalize_capability(cap: Any) -> str:
    """``cap_sys_admin`` → ``SYS_ADMIN`` (how container runtimes read capability names).

    >>> normalize_capability("CAP_SYS_ADMIN"), normalize_capability("net_admin")
    ('SYS_ADMIN', 'NET_ADMIN')
    """
    c = str(cap).strip().upper()
    return c[4:] if c.startswith("CAP_") else c


def classify_path(path: str, writable: bool) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """``(impact, exposed locations, requires)`` of a host path, or None when it is not sensitive.

    >>> classify_path("/var/run", False)[0], classify_path("/etc/ssl/certs", False)
    ('root', None)
    >>> classify_path("/var/log/pods", True)[0:2]
    ('node-credentials', ('/var/log',))
    """
    p = posixpath.normpath("/" + path.strip()) if path.strip() else "/"
    p = "/" + p.lstrip("/")
    best: str | None = None
    exposed: list[str] = []
    requires: set[str] = set()
    # Locations at or below the path are exposed whole; of the sensitive subtrees that contain
    # the path, only the deepest one describes it (/var/lib/kubelet/pods is not the kubelet's pki).
    below = [s for s in SENSITIVE_PATHS if p == "/" or p == s.path or s.path.startswith(p + "/")]
    above = [s for s in SENSITIVE_PATHS if (s.subtree == "all" or (s.subtree == "rw" and writable))
             and p.startswith(s.path.rstrip("/") + "/")]
    if above and not any(s.path == p for s in below):
        below.append(max(above, key=lambda s: len(s.path)))
    for s in below:
        impact = s.writable if writable else s.read_only
        exposed.append(s.path)
        requires.update(s.requires)
        if best is None or IMPACT_RANK[impact] < IMPACT_RANK[best]:
            best = impact
    if best is None:
        return None
    # A requirement only matters when nothing unconditional gives the same impact.
    unconditional = [s for s in SENSITIVE_PATHS if s.path in exposed and not s.requires and
                     (s.writable if writable else s.read_only) == best]
    return best, tuple(sorted(exposed)), () if unconditional else tuple(sorted(requires))


def _node(pod: Mapping[str, Any]) -> str | None:
    name = (pod.get("spec") or {}).get("nodeName")
    return host_node(str(name)) if name else None


def pod_escapes(pod: Mapping[str, Any], *, capabilities: Mapping[str, str] | None = None) -> list[HostEscape]:
    """Every host escape of one pod, in a stable order (see the module docstring).

    ``capabilities`` maps capability names to their impact (default
    :data:`DANGEROUS_CAPABILITIES`).
    """
    caps_impact = DANGEROUS_CAPABILITIES if capabilities is None else capabilities
    spec = pod.get("spec") or {}
    key, node = object_key(pod), _node(pod)
    conts = containers(spec)
    out: list[HostEscape] = []
    host_pid, host_net = spec.get("hostPID") is True, spec.get("hostNetwork") is True
    privileged = [(path, c) for path, c in conts if (c.get("securityContext") or {}).get("privileged") is True]
    for path, c in privileged:
        out.append(HostEscape(key, "privileged", node, f"{path}.securityContext.privileged", "true",
                              container=c.get("name"), impact="root"))
    for field, impact in (("hostPID", "processes"), ("hostIPC", "ipc"), ("hostNetwork", "network")):
        if spec.get(field) is True:
            out.append(HostEscape(key, field, node, f"spec.{field}", "true", impact=impact))
    if host_pid and privileged:
        path, c = privileged[0]
        out.append(HostEscape(key, "nsenter", node, f"{path}.securityContext.privileged", "true",
                              container=c.get("name"), impact="root"))
    sc = spec.get("securityContext") or {}
    pod_host_process = (sc.get("windowsOptions") or {}).get("hostProcess") is True
    if pod_host_process:  # the pod level covers every container
        out.append(HostEscape(key, "windowsHostProcess", node, "spec.securityContext.windowsOptions.hostProcess",
                              "true", impact="root"))
    for path, c in conts:
        csc = c.get("securityContext") or {}
        if (csc.get("windowsOptions") or {}).get("hostProcess") is True and not pod_host_process:
            out.append(HostEscape(key, "windowsHostProcess", node, f"{path}.securityContext.windowsOptions.hostProcess",
                                  "true", container=c.get("name"), impact="root"))
        seen: set[str] = set()
        for i, raw in enumerate((csc.get("capabilities") or {}).get("add") or ()):
            cap = normalize_capability(raw)
            if cap not in caps_impact or cap in seen:
                continue
            seen.add(cap)
            impact = caps_impact[cap]
            if cap == "SYS_PTRACE" and host_pid:
                impact = "root"  # ptrace host processes
            elif cap == "NET_ADMIN" and host_net:
                impact = "network"
            out.append(HostEscape(key, "capability", node, f"{path}.securityContext.capabilities.add[{i}]", str(raw),
                                  detail=cap, container=c.get("name"), impact=impact))
    out.extend(_host_path_escapes(key, node, spec, conts))
    return out


def _host_path_escapes(key: str, node: str | None, spec: Mapping[str, Any],
                       conts: list[tuple[str, Mapping[str, Any]]]) -> list[HostEscape]:
    volumes = {v.get("name"): (i, v) for i, v in enumerate(spec.get("volumes") or ())
               if isinstance(v, dict) and v.get("hostPath") is not None}
    if not volumes:
        return []
    # effective host path -> (volume index, writable, mount fields, first container)
    exposed: dict[tuple[int, str], list[tuple[bool, str, str]]] = {}
    for path, c in conts:
        for j, m in enumerate(c.get("volumeMounts") or ()):
            if not isinstance(m, dict) or m.get("name") not in volumes:
                continue
            i, v = volumes[m["name"]]
            host = str((v.get("hostPath") or {}).get("path") or "/")
            sub = str(m.get("subPath") or m.get("subPathExpr") or "")
            host = posixpath.join(host, sub) if sub else host
            writable = m.get("readOnly") is not True
            exposed.setdefault((i, host), []).append((writable, f"{path}.volumeMounts[{j}]", str(c.get("name"))))
    out: list[HostEscape] = []
    for (i, host), mounts in sorted(exposed.items()):
        writable = any(w for w, _, _ in mounts)
        container = next((n for w, _, n in mounts if w == writable), mounts[0][2])
        found = classify_path(host, writable)
        socket = any(host == s or s.startswith(host.rstrip("/") + "/") for s in RUNTIME_SOCKETS) and host != "/"
        impact: str = "write"
        exposes: tuple[str, ...] = ()
        requires: tuple[str, ...] = ()
        if found is not None:
            impact, exposes, requires = found
        elif not writable:
            continue
        declared = str((spec["volumes"][i].get("hostPath") or {}).get("path", ""))
        out.append(HostEscape(key, "runtime-socket" if socket else "hostPath", node,
                              f"spec.volumes[{i}].hostPath.path", declared,
                              detail=host, container=container, writable=writable, impact=impact,
                              requires=requires, exposes=exposes,
                              mounts=tuple(f"{f} ({'rw' if w else 'ro'})" for w, f, _ in mounts)))
    return out


def runs_as_root(pod: Mapping[str, Any], container: Mapping[str, Any]) -> bool:
    """True when a container's effective ``runAsUser`` is explicitly 0 (container overrides pod).

    >>> runs_as_root({"spec": {"securityContext": {"runAsUser": 0}}}, {"securityContext": {"runAsUser": 1000}})
    False
    """
    uid = (container.get("securityContext") or {}).get("runAsUser")
    if uid is None:
        uid = ((pod.get("spec") or {}).get("securityContext") or {}).get("runAsUser")
    return uid == 0 and not isinstance(uid, bool)
