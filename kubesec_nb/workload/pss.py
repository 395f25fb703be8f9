"""Pod Security Standards exactly as upstream pod-security-admission evaluates them.

Every upstream check (``policy/check_*.go``) is one :class:`PSSCheck` with its
version steps: each :class:`VersionedCheck` applies from its minimum policy version
until the next step. A policy version picks one function per check; ``baseline`` runs
the baseline checks, ``restricted`` runs the baseline checks minus those a restricted
check *overrides* at that version, plus the restricted checks.

Semantics kept from upstream:

* containers are ``initContainers``, ``containers`` and ``ephemeralContainers``;
* a policy version newer than the newest step is evaluated as the newest
  (``latest`` is the newest), older policy versions skip checks that did not exist;
* the Windows exemptions (``spec.os.name == windows``) of ``allowPrivilegeEscalation``,
  ``seccompProfile_restricted`` and ``capabilities_restricted`` from v1.25;
* the ``hostUsers: false`` relaxations of ``procMount``, ``runAsNonRoot`` and
  ``runAsUser`` from v1.35 (``procMount_restricted`` is never relaxed);
* two behaviours were patched into the v1.0 functions rather than versioned, so they
  depend on the API server's *binary* version, not the policy version: ``image``
  volumes pass ``restrictedVolumes`` from binary 1.33, and the ``appArmorProfile``
  fields (not only the annotations) are checked from binary 1.30;
* a volume with no source is an ``emptyDir`` (the API server defaults it so).

>>> pod = {"metadata": {"name": "p"}, "spec": {"hostNetwork": True, "containers": [{"name": "c"}]}}
>>> [(v.check, v.field) for v in evaluate(pod, "baseline", (1, 30))]
[('hostNamespaces', 'spec.hostNetwork')]
>>> verdicts(pod, (1, 30))
(False, False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kubesec_nb.workload._common import containers

Version = tuple[int, int]
LEVELS = ("privileged", "baseline", "restricted")

_ANN_APPARMOR = "container.apparmor.security.beta.kubernetes.io/"
_ANN_SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
_ANN_SECCOMP_CONTAINER = "container.seccomp.security.alpha.kubernetes.io/"


@dataclass(frozen=True)
class Violation:
    """One reason a pod fails a check: the upstream check id, the field path and the offending value.

    >>> str(Violation("privileged", "spec.containers[0].securityContext.privileged", "true"))
    'privileged: spec.containers[0].securityContext.privileged = true'
    """

    check: str
    field: str
    value: str

    def __str__(self) -> str:
        return f"{self.check}: {self.field} = {self.value}"


class PodView:
    """A pod's metadata and spec with its containers and security contexts listed once, with their
    field paths (``contexts``: the pod's ``spec`` then each container, each with its securityContext)."""

    __slots__ = ("annotations", "containers", "contexts", "meta", "pod_sc", "spec", "user_ns", "windows")

    def __init__(self, pod: Mapping[str, Any]) -> None:
        self.meta: Mapping[str, Any] = pod.get("metadata") or {}
        self.spec: Mapping[str, Any] = pod.get("spec") or {}
        self.annotations: Mapping[str, Any] = self.meta.get("annotations") or {}
        self.containers: list[tuple[str, Mapping[str, Any]]] = containers(self.spec)
        self.pod_sc: Mapping[str, Any] = self.spec.get("securityContext") or {}
        self.contexts: list[tuple[str, Mapping[str, Any]]] = [("spec", self.pod_sc)] + [
            (path, _sc(c)) for path, c in self.containers]
        self.windows = ((self.spec.get("os") or {}).get("name")) == "windows"
        # relaxPolicyForUserNamespacePod: hostUsers explicitly false.
        self.user_ns = self.spec.get("hostUsers") is False


Found = list[tuple[str, str]]  # (field path, offending value)
CheckFn = Callable[[PodView, Version], Found]


@dataclass(frozen=True)
class VersionedCheck:
    """One step of a check: the function that applies from ``minimum`` and the baseline checks it overrides."""

    minimum: Version
    fn: CheckFn
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class PSSCheck:
    """An upstream check: id, level, description and its version steps (increasing)."""

    id: str
    level: str
    title: str
    fields: str
    versions: tuple[VersionedCheck, ...]

    def at(self, version: Version) -> VersionedCheck | None:
        """The step that applies at policy ``version`` (None before the check existed).

        >>> CHECKS["sysctls"].at((1, 28)).minimum, CHECKS["runAsUser"].at((1, 22))
        ((1, 27), None)
        """
        found = None
        for step in self.versions:
            if step.minimum <= version:
                found = step
        return found

    @property
    def steps(self) -> tuple[Version, ...]:
        """The minimum versions of the steps."""
        return tuple(s.minimum for s in self.versions)


def _sc(c: Mapping[str, Any]) -> Mapping[str, Any]:
    return c.get("securityContext") or {}


def _js(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


# ---- baseline ------------------------------------------------------------------------------

def _host_namespaces(p: PodView, _: Version) -> Found:
    return [(f"spec.{f}", "true") for f in ("hostNetwork", "hostPID", "hostIPC") if p.spec.get(f) is True]


def _privileged(p: PodView, _: Version) -> Found:
    return [(f"{path}.securityContext.privileged", "true")
            for path, c in p.containers if _sc(c).get("privileged") is True]


_CAPS_BASELINE = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                            "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})


def _capabilities_baseline(p: PodView, _: Version) -> Found:
    out: Found = []
    for path, c in p.containers:
        for i, cap in enumerate((_sc(c).get("capabilities") or {}).get("add") or ()):
            if cap not in _CAPS_BASELINE:  # exact, case-sensitive as upstream
                out.append((f"{path}.securityContext.capabilities.add[{i}]", _js(cap)))
    return out


def _host_path_volumes(p: PodView, _: Version) -> Found:
    return [(f"spec.volumes[{i}].hostPath.path", _js((v.get("hostPath") or {}).get("path", "")))
            for i, v in enumerate(p.spec.get("volumes") or ()) if isinstance(v, dict) and v.get("hostPath") is not None]


def _host_ports(p: PodView, _: Version) -> Found:
    out: Found = []
    for path, c in p.containers:
        for i, port in enumerate(c.get("ports") or ()):
            hp = (port or {}).get("hostPort")
            if hp not in (None, 0):
                out.append((f"{path}.ports[{i}].hostPort", _js(hp)))
    return out


def _apparmor_annotation_ok(value: Any) -> bool:
    v = str(value)
    return v == "" or v == "runtime/default" or v.startswith("localhost/")


def _apparmor(p: PodView, binary: Version) -> Found:
    out: Found = [(f"metadata.annotations[{k}]", _js(v)) for k, v in sorted(p.annotations.items())
                  if k.startswith(_ANN_APPARMOR) and not _apparmor_annotation_ok(v)]
    if binary >= (1, 30):  # the field-based check landed in the 1.0 function of the 1.30 binary
        out.extend(_bad_profile_types(p, "appArmorProfile"))
    return out


_PROFILE_OK = ("RuntimeDefault", "Localhost")


def _bad_profile_types(p: PodView, field: str) -> Found:
    """Pod and container ``securityContext.<field>.type`` set to anything but RuntimeDefault or Localhost."""
    out: Found = []
    for path, sc in p.contexts:
        prof = sc.get(field)
        if prof is not None and (prof or {}).get("type") not in _PROFILE_OK:
            out.append((f"{path}.securityContext.{field}.type", _js((prof or {}).get("type", ""))))
    return out


_SELINUX_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_1_31 = _SELINUX_1_0 | {"container_engine_t"}


def _selinux(types: frozenset[str]) -> CheckFn:
    def check(p: PodView, _: Version) -> Found:
        out: Found = []
        for path, sc in p.contexts:
            opts = sc.get("seLinuxOptions")
            if opts is None:
                continue
            opts = opts or {}
            if str(opts.get("type") or "") not in types:
                out.append((f"{path}.securityContext.seLinuxOptions.type", _js(opts.get("type"))))
            for f in ("user", "role"):
                if opts.get(f):
                    out.append((f"{path}.securityContext.seLinuxOptions.{f}", _js(opts[f])))
        return out
    return check


def _proc_mount(p: PodView, _: Version) -> Found:
    out: Found = []
    for path, c in p.containers:
        pm = _sc(c).get("procMount")
        if pm is not None and pm != "Default":
            out.append((f"{path}.securityContext.procMount", _js(pm)))
    return out


def _seccomp_annotation_ok(value: Any) -> bool:
    v = str(value)
    return v in ("runtime/default", "docker/default") or v.startswith("localhost/")


def _seccomp_baseline_1_0(p: PodView, _: Version) -> Found:
    out: Found = []
    if _ANN_SECCOMP_POD in p.annotations and not _seccomp_annotation_ok(p.annotations[_ANN_SECCOMP_POD]):
        out.append((f"metadata.annotations[{_ANN_SECCOMP_POD}]", _js(p.annotations[_ANN_SECCOMP_POD])))
    for _path, c in p.containers:
        key = _ANN_SECCOMP_CONTAINER + str(c.get("name", ""))
        if key in p.annotations and not _seccomp_annotation_ok(p.annotations[key]):
            out.append((f"metadata.annotations[{key}]", _js(p.annotations[key])))
    return out


def _seccomp_baseline_1_19(p: PodView, _: Version) -> Found:
    return _bad_profile_types(p, "seccompProfile")


_SYSCTLS_1_0 = frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                          "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"})
_SYSCTLS_1_27 = _SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS_1_29 = _SYSCTLS_1_27 | {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                                 "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
_SYSCTLS_1_32 = _SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
_SYSCTLS_1_37 = _SYSCTLS_1_32 | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def _sysctls(allowed: frozenset[str]) -> CheckFn:
    def check(p: PodView, _: Version) -> Found:
        return [(f"spec.securityContext.sysctls[{i}].name", _js((s or {}).get("name", "")))
                for i, s in enumerate(p.pod_sc.get("sysctls") or ()) if (s or {}).get("name") not in allowed]
    return check


def _windows_host_process(p: PodView, _: Version) -> Found:
    out: Found = []
    if (p.pod_sc.get("windowsOptions") or {}).get("hostProcess") is True:
        out.append(("spec.securityContext.windowsOptions.hostProcess", "true"))
    for path, c in p.containers:
        if (_sc(c).get("windowsOptions") or {}).get("hostProcess") is True:
            out.append((f"{path}.securityContext.windowsOptions.hostProcess", "true"))
    return out


def _host_probes(p: PodView, _: Version) -> Found:
    out: Found = []
    for path, c in p.containers:
        lifecycle = c.get("lifecycle") or {}
        handlers = [(probe, c.get(probe)) for probe in ("livenessProbe", "readinessProbe", "startupProbe")] + [
            (f"lifecycle.{hook}", lifecycle.get(hook)) for hook in ("postStart", "preStop")]
        for where, handler in handlers:
            for kind in ("httpGet", "tcpSocket"):
                host = ((handler or {}).get(kind) or {}).get("host")
                if host:
                    out.append((f"{path}.{where}.{kind}.host", _js(host)))
    return out


# ---- restricted ----------------------------------------------------------------------------

_VOLUMES_ALLOWED = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                              "projected", "secret"})


def _restricted_volumes(p: PodView, binary: Version) -> Found:
    allowed = _VOLUMES_ALLOWED | {"image"} if binary >= (1, 33) else _VOLUMES_ALLOWED
    out: Found = []
    for i, v in enumerate(p.spec.get("volumes") or ()):
        if not isinstance(v, dict):
            continue
        sources = sorted(k for k, val in v.items() if k != "name" and val is not None)
        if not sources:
            continue  # no source: the API server defaults it to emptyDir
        bad = [s for s in sources if s not in allowed]
        if bad and not any(s in allowed for s in sources):
            out.append((f"spec.volumes[{i}].{bad[0]}", bad[0]))
    return out


def _allow_privilege_escalation(p: PodView, _: Version) -> Found:
    out: Found = []
    for path, c in p.containers:
        ape = _sc(c).get("allowPrivilegeEscalation")
        if ape is not False:
            out.append((f"{path}.securityContext.allowPrivilegeEscalation", "unset" if ape is None else _js(ape)))
    return out


def _exempt_when(exempt: Callable[[PodView], bool]) -> Callable[[CheckFn], CheckFn]:
    def wrap(fn: CheckFn) -> CheckFn:
        def check(p: PodView, binary: Version) -> Found:
            return [] if exempt(p) else fn(p, binary)
        return check
    return wrap


_windows_exempt = _exempt_when(lambda p: p.windows)
_userns_relaxed = _exempt_when(lambda p: p.user_ns)


def _run_as_non_root(p: PodView, _: Version) -> Found:
    pod_value = p.pod_sc.get("runAsNonRoot")
    explicit: Found = []
    implicit: Found = []
    if pod_value is False:
        explicit.append(("spec.securityContext.runAsNonRoot", "false"))
    for path, c in p.containers:
        value = _sc(c).get("runAsNonRoot")
        if value is None:
            if pod_value is not True:
                implicit.append((f"{path}.securityContext.runAsNonRoot", "unset"))
        elif value is not True:
            explicit.append((f"{path}.securityContext.runAsNonRoot", _js(value)))
    # upstream reports the explicit false setters alone when there are any
    return explicit or implicit


def _is_zero(value: Any) -> bool:
    return value == 0 and not isinstance(value, bool)


def _run_as_user(p: PodView, _: Version) -> Found:
    out: Found = []
    if _is_zero(p.pod_sc.get("runAsUser")):
        out.append(("spec.securityContext.runAsUser", "0"))
    for path, c in p.containers:
        if _is_zero(_sc(c).get("runAsUser")):
            out.append((f"{path}.securityContext.runAsUser", "0"))
    return out


def _seccomp_restricted(p: PodView, _: Version) -> Found:
    explicit: Found = []
    implicit: Found = []
    prof = p.pod_sc.get("seccompProfile")
    pod_set = False
    if prof is not None:
        if (prof or {}).get("type") in _PROFILE_OK:
            pod_set = True
        else:
            explicit.append(("spec.securityContext.seccompProfile.type", _js((prof or {}).get("type", ""))))
    for path, c in p.containers:
        prof = _sc(c).get("seccompProfile")
        if prof is not None:
            if (prof or {}).get("type") not in _PROFILE_OK:
                explicit.append((f"{path}.securityContext.seccompProfile.type", _js((prof or {}).get("type", ""))))
        elif not pod_set:
            implicit.append((f"{path}.securityContext.seccompProfile.type", "unset"))
    return explicit or implicit


def _capabilities_restricted(p: PodView, _: Version) -> Found:
    out: Found = []
    for path, c in p.containers:
        caps = _sc(c).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or ()):
            out.append((f"{path}.securityContext.capabilities.drop", _js(list(caps.get("drop") or []))))
        for i, cap in enumerate(caps.get("add") or ()):
            if cap != "NET_BIND_SERVICE":
                out.append((f"{path}.securityContext.capabilities.add[{i}]", _js(cap)))
    return out


def _v(major: int, minor: int) -> Version:
    return (major, minor)


#: Every upstream check by id, in upstream's order (baseline first, then restricted, each by id).
CHECKS: dict[str, PSSCheck] = {c.id: c for c in (
    PSSCheck("appArmorProfile", "baseline", "AppArmor profile overridden or disabled",
             "AppArmor annotations; pod and container securityContext.appArmorProfile.type",
             (VersionedCheck(_v(1, 0), _apparmor),)),
    PSSCheck("capabilities_baseline", "baseline", "capabilities added beyond the default set",
             "containers securityContext.capabilities.add", (VersionedCheck(_v(1, 0), _capabilities_baseline),)),
    PSSCheck("hostNamespaces", "baseline", "host namespaces shared",
             "spec.hostNetwork, spec.hostPID, spec.hostIPC", (VersionedCheck(_v(1, 0), _host_namespaces),)),
    PSSCheck("hostPathVolumes", "baseline", "hostPath volumes", "spec.volumes[*].hostPath",
             (VersionedCheck(_v(1, 0), _host_path_volumes),)),
    PSSCheck("hostPorts", "baseline", "host ports", "containers ports[*].hostPort",
             (VersionedCheck(_v(1, 0), _host_ports),)),
    PSSCheck("hostProbesAndHostLifecycle", "baseline", "probe or lifecycle handler aimed at another host",
             "containers probes and lifecycle handlers httpGet.host / tcpSocket.host",
             (VersionedCheck(_v(1, 34), _host_probes),)),
    PSSCheck("privileged", "baseline", "privileged containers", "containers securityContext.privileged",
             (VersionedCheck(_v(1, 0), _privileged),)),
    PSSCheck("procMount", "baseline", "non-default /proc mount", "containers securityContext.procMount",
             (VersionedCheck(_v(1, 0), _proc_mount), VersionedCheck(_v(1, 35), _userns_relaxed(_proc_mount)))),
    PSSCheck("seLinuxOptions", "baseline", "custom SELinux type, user or role",
             "pod and container securityContext.seLinuxOptions",
             (VersionedCheck(_v(1, 0), _selinux(_SELINUX_1_0)), VersionedCheck(_v(1, 31), _selinux(_SELINUX_1_31)))),
    PSSCheck("seccompProfile_baseline", "baseline", "seccomp disabled (Unconfined)",
             "seccomp annotations (<1.19); pod and container securityContext.seccompProfile.type",
             (VersionedCheck(_v(1, 0), _seccomp_baseline_1_0), VersionedCheck(_v(1, 19), _seccomp_baseline_1_19))),
    PSSCheck("sysctls", "baseline", "unsafe sysctls", "spec.securityContext.sysctls[*].name",
             (VersionedCheck(_v(1, 0), _sysctls(_SYSCTLS_1_0)), VersionedCheck(_v(1, 27), _sysctls(_SYSCTLS_1_27)),
              VersionedCheck(_v(1, 29), _sysctls(_SYSCTLS_1_29)), VersionedCheck(_v(1, 32), _sysctls(_SYSCTLS_1_32)),
              VersionedCheck(_v(1, 37), _sysctls(_SYSCTLS_1_37)))),
    PSSCheck("windowsHostProcess", "baseline", "Windows HostProcess containers",
             "pod and container securityContext.windowsOptions.hostProcess",
             (VersionedCheck(_v(1, 0), _windows_host_process),)),
    PSSCheck("allowPrivilegeEscalation", "restricted", "privilege escalation allowed",
             "containers securityContext.allowPrivilegeEscalation",
             (VersionedCheck(_v(1, 8), _allow_privilege_escalation),
              VersionedCheck(_v(1, 25), _windows_exempt(_allow_privilege_escalation)))),
    PSSCheck("capabilities_restricted", "restricted", "capabilities not dropped to ALL (+NET_BIND_SERVICE)",
             "containers securityContext.capabilities.drop / add",
             (VersionedCheck(_v(1, 22), _capabilities_restricted, ("capabilities_baseline",)),
              VersionedCheck(_v(1, 25), _windows_exempt(_capabilities_restricted), ("capabilities_baseline",)))),
    PSSCheck("procMount_restricted", "restricted", "non-default /proc mount (no user-namespace relaxation)",
             "containers securityContext.procMount",
             (VersionedCheck(_v(1, 35), _proc_mount, ("procMount",)),)),
    PSSCheck("restrictedVolumes", "restricted", "volume types other than the restricted set",
             "spec.volumes[*] sources", (VersionedCheck(_v(1, 0), _restricted_volumes, ("hostPathVolumes",)),)),
    PSSCheck("runAsNonRoot", "restricted", "containers may run as root (runAsNonRoot not true)",
             "pod and container securityContext.runAsNonRoot",
             (VersionedCheck(_v(1, 0), _run_as_non_root),
              VersionedCheck(_v(1, 35), _userns_relaxed(_run_as_non_root)))),
    PSSCheck("runAsUser", "restricted", "runAsUser 0", "pod and container securityContext.runAsUser",
             (VersionedCheck(_v(1, 23), _run_as_user), VersionedCheck(_v(1, 35), _userns_relaxed(_run_as_user)))),
    PSSCheck("seccompProfile_restricted", "restricted", "seccomp profile not RuntimeDefault or Localhost",
             "pod and container securityContext.seccompProfile.type",
             (VersionedCheck(_v(1, 19), _seccomp_restricted, ("seccompProfile_baseline",)),
              VersionedCheck(_v(1, 25), _windows_exempt(_seccomp_restricted), ("seccompProfile_baseline",)))),
)}

#: The newest policy version any check has a step for; ``latest`` means this version.
MAX_VERSION: Version = max(s.minimum for c in CHECKS.values() for s in c.versions)


def policy_version(requested: Version | None, binary: Version) -> Version:
    """The policy version upstream evaluates: ``latest`` (None) and anything newer than the binary or the
    newest step are clamped.

    >>> policy_version(None, (1, 30)), policy_version((1, 25), (1, 30)), policy_version((1, 40), (1, 99))
    ((1, 30), (1, 25), (1, 37))
    """
    v = requested if requested is not None else binary
    return min(v, binary, MAX_VERSION)


@lru_cache(maxsize=256)
def checks_at(level: str, version: Version) -> tuple[tuple[str, VersionedCheck], ...]:
    """``(check id, step)`` evaluated for ``level`` at policy ``version`` (already clamped).

    >>> [c for c, _ in checks_at("restricted", (1, 21)) if "capabilities" in c]
    ['capabilities_baseline']
    >>> [c for c, _ in checks_at("restricted", (1, 22)) if "capabilities" in c]
    ['capabilities_restricted']
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r} (one of {', '.join(LEVELS)})")
    if level == "privileged":
        return ()
    active = {c.id: s for c in CHECKS.values() if (s := c.at(version)) is not None}
    baseline = [(cid, s) for cid, s in active.items() if CHECKS[cid].level == "baseline"]
    if level == "baseline":
        return tuple(sorted(baseline))
    restricted = [(cid, s) for cid, s in active.items() if CHECKS[cid].level == "restricted"]
    overridden = {o for _, s in restricted for o in s.overrides}
    return tuple(sorted([(cid, s) for cid, s in baseline if cid not in overridden])) + tuple(sorted(restricted))


def run(pod: Mapping[str, Any] | PodView, version: Version, *, binary: Version | None = None,
        level: str = "restricted") -> dict[str, list[Violation]]:
    """Every check of ``level`` at policy ``version`` that the pod fails, with its violations.

    ``binary`` is the API server's minor version (default: ``version``). ``level`` may be
    ``"all"`` to run the union of the baseline and restricted checks (overridden ones too), so
    that one pass serves both verdicts.
    """
    view = pod if isinstance(pod, PodView) else PodView(pod)
    b = binary if binary is not None else version
    steps = _all_at(version) if level == "all" else checks_at(level, version)
    out: dict[str, list[Violation]] = {}
    for cid, step in steps:
        found = step.fn(view, b)
        if found:
            out[cid] = [Violation(cid, f, v) for f, v in found]
    return out


@lru_cache(maxsize=64)
def _all_at(version: Version) -> tuple[tuple[str, VersionedCheck], ...]:
    seen = dict(checks_at("baseline", version))
    seen.update(dict(checks_at("restricted", version)))
    return tuple(sorted(seen.items()))


@lru_cache(maxsize=64)
def level_ids(level: str, version: Version) -> frozenset[str]:
    """Ids of the checks that decide ``level`` at ``version``."""
    return frozenset(cid for cid, _ in checks_at(level, version))


def evaluate(pod: Mapping[str, Any] | PodView, level: str, version: Version, *,
             binary: Version | None = None) -> list[Violation]:
    """The violations of ``pod`` against ``level`` at policy ``version``; empty means allowed."""
    found = run(pod, version, binary=binary, level=level)
    return [v for cid in sorted(found) for v in found[cid]]


def allowed(pod: Mapping[str, Any] | PodView, level: str, version: Version, *, binary: Version | None = None) -> bool:
    """True when the pod passes ``level`` at policy ``version``.

    >>> allowed({"spec": {"containers": [{"name": "c"}]}}, "restricted", (1, 30))
    False
    """
    return not run(pod, version, binary=binary, level=level)


def verdicts(pod: Mapping[str, Any] | PodView, version: Version, *,
             binary: Version | None = None) -> tuple[bool, bool]:
    """``(baseline allowed, restricted allowed)`` from one evaluation pass."""
    found = run(pod, version, binary=binary, level="all")
    return (not (found.keys() & level_ids("baseline", version)),
            not (found.keys() & level_ids("restricted", version)))


def split(found: Mapping[str, Sequence[Violation]], version: Version) -> tuple[list[str], list[str]]:
    """The failed check ids of a ``run(level="all")`` result, for baseline and for restricted."""
    b, r = level_ids("baseline", version), level_ids("restricted", version)
    return sorted(c for c in found if c in b), sorted(c for c in found if c in r)
