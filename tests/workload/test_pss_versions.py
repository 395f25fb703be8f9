"""Every Pod Security check at both levels and at each of its version steps, from the upstream
semantics (pod-security-admission ``policy/check_*.go``): a pod that fails the check and one that
passes it, on both sides of every step where the behaviour changed.

Each case starts from upstream's restricted ``base`` pod (allowed at every level and version),
changes one thing, and says whether the named check reports it at that level and version.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kubesec_nb.workload import pss

Pod = dict[str, Any]

BASE: Pod = {
    "metadata": {"name": "base"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "initcontainer1", "image": "registry.k8s.io/pause", "securityContext": {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}],
        "containers": [{"name": "container1", "image": "registry.k8s.io/pause", "securityContext": {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}],
    },
}


def pod(*muts: Callable[[Pod], Any]) -> Pod:
    p = copy.deepcopy(BASE)
    for m in muts:
        m(p)
    return p


def spec(key: str, value: Any) -> Callable[[Pod], Any]:
    return lambda p: p["spec"].__setitem__(key, value)


def psc(key: str, value: Any) -> Callable[[Pod], Any]:
    return lambda p: p["spec"]["securityContext"].__setitem__(key, value)


def psc_del(key: str) -> Callable[[Pod], Any]:
    return lambda p: p["spec"]["securityContext"].pop(key)


def csc(key: str, value: Any, kind: str = "containers") -> Callable[[Pod], Any]:
    return lambda p: p["spec"][kind][0]["securityContext"].__setitem__(key, value)


def csc_del(key: str) -> Callable[[Pod], Any]:
    def m(p: Pod) -> None:
        for kind in ("initContainers", "containers"):
            p["spec"][kind][0]["securityContext"].pop(key, None)
    return m


def ann(key: str, value: str) -> Callable[[Pod], Any]:
    return lambda p: p["metadata"].setdefault("annotations", {}).__setitem__(key, value)


WINDOWS = spec("os", {"name": "windows"})
USERNS = spec("hostUsers", False)


def volume(v: dict[str, Any]) -> Callable[[Pod], Any]:
    return lambda p: p["spec"].setdefault("volumes", []).append({"name": f"v{len(p['spec'].get('volumes', []))}", **v})


def sysctl(name: str) -> Callable[[Pod], Any]:
    return psc("sysctls", [{"name": name, "value": "1"}])


def ephemeral(sc: dict[str, Any]) -> Callable[[Pod], Any]:
    return spec("ephemeralContainers", [{"name": "debug", "image": "busybox", "securityContext": sc}])


# (id, check, level, version, binary or None, pod, reported?)
CASES: list[tuple[str, str, str, pss.Version, pss.Version | None, Pod, bool]] = []


def case(cid: str, check: str, version: pss.Version, p: Pod, reported: bool, *, levels: tuple[str, ...] = (
        "baseline", "restricted"), binary: pss.Version | None = None) -> None:
    for level in levels:
        CASES.append((f"{cid}-{level}-v1.{version[1]}", check, level, version, binary, p, reported))


LATEST = pss.MAX_VERSION
# ---- baseline checks, at both levels --------------------------------------------------------------
case("hostnetwork", "hostNamespaces", (1, 0), pod(spec("hostNetwork", True)), True)
case("hostpid", "hostNamespaces", LATEST, pod(spec("hostPID", True)), True)
case("hostipc-false", "hostNamespaces", LATEST, pod(spec("hostIPC", False)), False)
case("privileged", "privileged", (1, 0), pod(csc("privileged", True, "initContainers")), True)
case("privileged-ephemeral", "privileged", LATEST, pod(ephemeral({"privileged": True})), True)
case("privileged-false", "privileged", LATEST, pod(csc("privileged", False)), False)
case("windows-hostprocess", "windowsHostProcess", (1, 0), pod(WINDOWS, psc("windowsOptions", {"hostProcess": True}),
                                                               spec("hostNetwork", True)), True)
case("windows-hostprocess-false", "windowsHostProcess", LATEST,
     pod(WINDOWS, csc("windowsOptions", {"hostProcess": False})), False)
case("hostports", "hostPorts", (1, 0), pod(lambda p: p["spec"]["containers"][0].__setitem__(
    "ports", [{"containerPort": 80, "hostPort": 80}])), True)
case("hostports-zero", "hostPorts", LATEST, pod(lambda p: p["spec"]["containers"][0].__setitem__(
    "ports", [{"containerPort": 80, "hostPort": 0}])), False)
case("apparmor-annotation", "appArmorProfile", (1, 0),
     pod(ann("container.apparmor.security.beta.kubernetes.io/container1", "unconfined")), True)
case("apparmor-annotation-localhost", "appArmorProfile", LATEST,
     pod(ann("container.apparmor.security.beta.kubernetes.io/container1", "localhost/custom")), False)
# the field check was added to the v1.0 function by the 1.30 API server: it depends on the binary
case("apparmor-field-binary-1.29", "appArmorProfile", (1, 25), pod(psc("appArmorProfile", {"type": "Unconfined"})),
     False, binary=(1, 29))
case("apparmor-field-binary-1.30", "appArmorProfile", (1, 25), pod(psc("appArmorProfile", {"type": "Unconfined"})),
     True, binary=(1, 30))
case("apparmor-field-container", "appArmorProfile", LATEST, pod(csc("appArmorProfile", {"type": "Unconfined"})), True)
case("apparmor-field-runtime-default", "appArmorProfile", LATEST,
     pod(csc("appArmorProfile", {"type": "RuntimeDefault"})), False)
case("selinux-user", "seLinuxOptions", (1, 0), pod(psc("seLinuxOptions", {"user": "system_u"})), True)
case("selinux-role", "seLinuxOptions", LATEST, pod(csc("seLinuxOptions", {"role": "system_r"})), True)
case("selinux-container-t", "seLinuxOptions", (1, 0), pod(csc("seLinuxOptions", {"type": "container_t"})), False)
case("selinux-engine-1.30", "seLinuxOptions", (1, 30), pod(csc("seLinuxOptions", {"type": "container_engine_t"})), True)
case("selinux-engine-1.31", "seLinuxOptions", (1, 31), pod(csc("seLinuxOptions", {"type": "container_engine_t"})),
     False)
case("seccomp-annotation-1.18", "seccompProfile_baseline", (1, 18),
     pod(psc_del("seccompProfile"), ann("seccomp.security.alpha.kubernetes.io/pod", "unconfined")), True,
     levels=("baseline", "restricted"))  # below 1.19 restricted has no seccompProfile_restricted to override it
case("seccomp-annotation-docker-default", "seccompProfile_baseline", (1, 18),
     pod(ann("container.seccomp.security.alpha.kubernetes.io/container1", "docker/default")), False)
case("seccomp-annotation-1.19", "seccompProfile_baseline", (1, 19),
     pod(ann("seccomp.security.alpha.kubernetes.io/pod", "unconfined")), False, levels=("baseline",))
case("seccomp-field-1.18", "seccompProfile_baseline", (1, 18), pod(psc("seccompProfile", {"type": "Unconfined"})),
     False, levels=("baseline",))
case("seccomp-field-1.19", "seccompProfile_baseline", (1, 19), pod(csc("seccompProfile", {"type": "Unconfined"})),
     True, levels=("baseline",))
for name, step in (("net.ipv4.ip_local_reserved_ports", 27), ("net.ipv4.tcp_keepalive_time", 29),
                   ("net.ipv4.tcp_fin_timeout", 29), ("net.ipv4.tcp_rmem", 32),
                   ("net.ipv4.tcp_slow_start_after_idle", 37), ("net.ipv4.tcp_notsent_lowat", 37)):
    case(f"sysctl-{name}-before", "sysctls", (1, step - 1), pod(sysctl(name)), True)
    case(f"sysctl-{name}-from", "sysctls", (1, step), pod(sysctl(name)), False)
case("sysctl-safe-1.0", "sysctls", (1, 0), pod(sysctl("kernel.shm_rmid_forced")), False)
case("sysctl-unsafe", "sysctls", LATEST, pod(sysctl("kernel.msgmax")), True)
case("probe-host-1.33", "hostProbesAndHostLifecycle", (1, 33), pod(lambda p: p["spec"]["containers"][0].__setitem__(
    "readinessProbe", {"tcpSocket": {"host": "10.0.0.1", "port": 80}})), False)
case("probe-host-1.34", "hostProbesAndHostLifecycle", (1, 34), pod(lambda p: p["spec"]["containers"][0].__setitem__(
    "readinessProbe", {"tcpSocket": {"host": "10.0.0.1", "port": 80}})), True)
case("lifecycle-host", "hostProbesAndHostLifecycle", LATEST, pod(lambda p: p["spec"]["initContainers"][0].__setitem__(
    "lifecycle", {"preStop": {"httpGet": {"host": "example.com", "port": 80}}})), True)
case("probe-empty-host", "hostProbesAndHostLifecycle", LATEST, pod(lambda p: p["spec"]["containers"][0].__setitem__(
    "livenessProbe", {"httpGet": {"host": "", "port": 80}})), False)
# procMount: baseline relaxed for user-namespace pods from 1.35; restricted overrides it with procMount_restricted
case("procmount", "procMount", (1, 0), pod(csc("procMount", "Unmasked")), True)
case("procmount-default", "procMount", LATEST, pod(csc("procMount", "Default")), False)
case("procmount-userns-1.34", "procMount", (1, 34), pod(USERNS, csc("procMount", "Unmasked")), True)
case("procmount-userns-1.35", "procMount", (1, 35), pod(USERNS, csc("procMount", "Unmasked")), False,
     levels=("baseline",))
# capabilities_baseline: restricted evaluates it until capabilities_restricted (1.22) overrides it
case("caps-net-raw", "capabilities_baseline", (1, 0), pod(csc("capabilities", {"add": ["NET_RAW"]})), True)
case("caps-lower-case", "capabilities_baseline", (1, 21), pod(csc("capabilities", {"add": ["chown"]})), True)
case("caps-cap-prefix", "capabilities_baseline", (1, 21), pod(csc("capabilities", {"add": ["CAP_CHOWN"]})), True)
case("caps-chown", "capabilities_baseline", (1, 21), pod(csc("capabilities", {"add": ["CHOWN"]})), False)
case("caps-net-raw-1.22", "capabilities_baseline", (1, 22), pod(csc("capabilities", {"add": ["NET_RAW"]})), True,
     levels=("baseline",))
# hostPathVolumes: restricted never runs it (restrictedVolumes overrides it at every version)
case("hostpath", "hostPathVolumes", (1, 0), pod(volume({"hostPath": {"path": "/dev/null"}})), True,
     levels=("baseline",))

# ---- restricted checks, and the baseline side of overrides ------------------------------------------
R = ("restricted",)
OVERRIDES = [("hostPathVolumes", "restrictedVolumes", (1, 0)), ("capabilities_baseline", "capabilities_restricted",
             (1, 22)), ("seccompProfile_baseline", "seccompProfile_restricted", (1, 19)),
             ("procMount", "procMount_restricted", (1, 35))]
case("volume-nfs", "restrictedVolumes", (1, 0), pod(volume({"nfs": {"server": "a", "path": "/"}})), True, levels=R)
case("volume-hostpath", "restrictedVolumes", LATEST, pod(volume({"hostPath": {"path": "/"}})), True, levels=R)
case("volume-allowed", "restrictedVolumes", LATEST, pod(volume({"configMap": {"name": "c"}}), volume({"csi": {
    "driver": "x"}}), volume({"ephemeral": {}}), volume({"projected": {"sources": []}}), volume({})), False, levels=R)
case("volume-image-binary-1.32", "restrictedVolumes", (1, 30), pod(volume({"image": {"reference": "a:1"}})), True,
     levels=R, binary=(1, 32))
case("volume-image-binary-1.33", "restrictedVolumes", (1, 30), pod(volume({"image": {"reference": "a:1"}})), False,
     levels=R, binary=(1, 33))
case("ape-1.7", "allowPrivilegeEscalation", (1, 7), pod(csc_del("allowPrivilegeEscalation")), False, levels=R)
case("ape-1.8", "allowPrivilegeEscalation", (1, 8), pod(csc_del("allowPrivilegeEscalation")), True, levels=R)
case("ape-true", "allowPrivilegeEscalation", LATEST, pod(csc("allowPrivilegeEscalation", True)), True, levels=R)
case("ape-windows-1.24", "allowPrivilegeEscalation", (1, 24), pod(WINDOWS, csc_del("allowPrivilegeEscalation")), True,
     levels=R)
case("ape-windows-1.25", "allowPrivilegeEscalation", (1, 25), pod(WINDOWS, csc_del("allowPrivilegeEscalation")),
     False, levels=R)
case("nonroot-unset", "runAsNonRoot", (1, 0), pod(psc_del("runAsNonRoot")), True, levels=R)
case("nonroot-containers", "runAsNonRoot", LATEST, pod(psc_del("runAsNonRoot"), csc("runAsNonRoot", True),
                                                       csc("runAsNonRoot", True, "initContainers")), False, levels=R)
case("nonroot-container-false", "runAsNonRoot", LATEST, pod(csc("runAsNonRoot", False)), True, levels=R)
case("nonroot-pod-false", "runAsNonRoot", LATEST, pod(psc("runAsNonRoot", False), csc("runAsNonRoot", True),
                                                      csc("runAsNonRoot", True, "initContainers")), True, levels=R)
case("nonroot-userns-1.34", "runAsNonRoot", (1, 34), pod(USERNS, psc_del("runAsNonRoot")), True, levels=R)
case("nonroot-userns-1.35", "runAsNonRoot", (1, 35), pod(USERNS, psc_del("runAsNonRoot")), False, levels=R)
case("runasuser-1.22", "runAsUser", (1, 22), pod(psc("runAsUser", 0)), False, levels=R)
case("runasuser-1.23", "runAsUser", (1, 23), pod(psc("runAsUser", 0)), True, levels=R)
case("runasuser-container", "runAsUser", LATEST, pod(csc("runAsUser", 0, "initContainers")), True, levels=R)
case("runasuser-nonzero", "runAsUser", LATEST, pod(psc("runAsUser", 1000)), False, levels=R)
case("runasuser-userns-1.34", "runAsUser", (1, 34), pod(USERNS, psc("runAsUser", 0)), True, levels=R)
case("runasuser-userns-1.35", "runAsUser", (1, 35), pod(USERNS, psc("runAsUser", 0)), False, levels=R)
case("seccomp-r-1.18", "seccompProfile_restricted", (1, 18), pod(psc_del("seccompProfile")), False, levels=R)
case("seccomp-r-1.19", "seccompProfile_restricted", (1, 19), pod(psc_del("seccompProfile")), True, levels=R)
case("seccomp-r-containers", "seccompProfile_restricted", LATEST, pod(
    psc_del("seccompProfile"), csc("seccompProfile", {"type": "Localhost"}),
    csc("seccompProfile", {"type": "RuntimeDefault"}, "initContainers")), False, levels=R)
case("seccomp-r-container-override", "seccompProfile_restricted", LATEST,
     pod(csc("seccompProfile", {"type": "Unconfined"})), True, levels=R)
case("seccomp-r-windows-1.24", "seccompProfile_restricted", (1, 24), pod(WINDOWS, psc_del("seccompProfile")), True,
     levels=R)
case("seccomp-r-windows-1.25", "seccompProfile_restricted", (1, 25), pod(WINDOWS, psc_del("seccompProfile")), False,
     levels=R)
case("caps-r-1.21", "capabilities_restricted", (1, 21), pod(csc_del("capabilities")), False, levels=R)
case("caps-r-1.22", "capabilities_restricted", (1, 22), pod(csc_del("capabilities")), True, levels=R)
case("caps-r-add", "capabilities_restricted", LATEST, pod(csc("capabilities", {"drop": ["ALL"], "add": ["CHOWN"]})),
     True, levels=R)
case("caps-r-net-bind", "capabilities_restricted", LATEST,
     pod(csc("capabilities", {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})), False, levels=R)
case("caps-r-lower-all", "capabilities_restricted", LATEST, pod(csc("capabilities", {"drop": ["all"]})), True, levels=R)
case("caps-r-windows-1.24", "capabilities_restricted", (1, 24), pod(WINDOWS, csc_del("capabilities")), True,
     levels=R)
case("caps-r-windows-1.25", "capabilities_restricted", (1, 25), pod(WINDOWS, csc_del("capabilities")), False,
     levels=R)
case("procmount-r-1.34", "procMount_restricted", (1, 34), pod(USERNS, csc("procMount", "Unmasked")), False,
     levels=R)
case("procmount-r-1.35", "procMount_restricted", (1, 35), pod(USERNS, csc("procMount", "Unmasked")), True, levels=R)


@pytest.mark.parametrize(("check", "level", "version", "binary", "p", "reported"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_step(check: str, level: str, version: pss.Version, binary: pss.Version | None, p: Pod,
              reported: bool) -> None:
    found = pss.run(p, version, binary=binary or pss.MAX_VERSION, level=level)
    assert (check in found) is reported, found
    if not reported:
        return
    # the violation names a field and the offending value
    assert all(v.field and v.value for v in found[check])


def test_base_pod_is_allowed_everywhere() -> None:
    for minor in range(0, pss.MAX_VERSION[1] + 1):
        for level in ("baseline", "restricted"):
            assert pss.run(BASE, (1, minor), level=level) == {}


def test_restricted_checks_do_not_run_at_baseline() -> None:
    p = pod(psc_del("runAsNonRoot"), csc_del("allowPrivilegeEscalation"), volume({"nfs": {"server": "a", "path": "/"}}))
    assert pss.run(p, LATEST, level="baseline") == {}
    assert pss.run(p, LATEST, level="privileged") == {}


@pytest.mark.parametrize(("baseline", "restricted", "since"), OVERRIDES)
def test_overrides(baseline: str, restricted: str, since: pss.Version) -> None:
    ids_before = {c for c, _ in pss.checks_at("restricted", (since[0], since[1] - 1))} if since[1] else set()
    ids_from = {c for c, _ in pss.checks_at("restricted", since)}
    assert baseline not in ids_from and restricted in ids_from
    if since[1] and baseline != "hostPathVolumes":
        assert baseline in ids_before
    assert baseline in {c for c, _ in pss.checks_at("baseline", since)}


def test_field_paths_and_values() -> None:
    p = pod(csc("privileged", True, "initContainers"), ephemeral({"capabilities": {"add": ["SYS_ADMIN"]}}))
    found = pss.run(p, LATEST, level="baseline")
    assert [str(v) for v in found["privileged"]] == [
        "privileged: spec.initContainers[0].securityContext.privileged = true"]
    assert [str(v) for v in found["capabilities_baseline"]] == [
        "capabilities_baseline: spec.ephemeralContainers[0].securityContext.capabilities.add[0] = SYS_ADMIN"]


def test_policy_version_clamping() -> None:
    # latest is the binary's newest version; a pinned version newer than the binary is the binary's
    assert pss.policy_version(None, (1, 29)) == (1, 29)
    assert pss.policy_version((1, 33), (1, 29)) == (1, 29)
    assert pss.policy_version(None, (1, 99)) == pss.MAX_VERSION
    assert pss.policy_version((1, 2), (1, 30)) == (1, 2)


def test_verdicts_match_separate_levels() -> None:
    for _, _check, _level, version, _binary, p, _ in CASES:
        b, r = pss.verdicts(p, version)
        assert b == pss.allowed(p, "baseline", version)
        assert r == pss.allowed(p, "restricted", version)
