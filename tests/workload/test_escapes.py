"""Host escapes: techniques, impacts, host path rules, the node compromised, evidence."""

from __future__ import annotations

from typing import Any

import pytest

from kubesec_nb.workload.escapes import HostEscape, classify_path, normalize_capability, pod_escapes
from tests.workload.conftest import analysis, c0, owner_ref, pod


def _host(path: str, *, read_only: bool = False, sub: str | None = None, mounted: bool = True) -> Any:
    def m(p: dict[str, Any]) -> None:
        p["spec"]["volumes"] = [{"name": "h", "hostPath": {"path": path}}]
        if mounted:
            mount: dict[str, Any] = {"name": "h", "mountPath": "/h", "readOnly": read_only}
            if sub:
                mount["subPath"] = sub
            c0(p)["volumeMounts"] = [mount]
    return m


def _one(p: dict[str, Any]) -> HostEscape:
    found = pod_escapes(p)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("path", "writable", "impact", "requires"), [
    ("/", True, "root", ()),
    ("/", False, "root", ()),  # read-only "/" still reaches the runtime sockets under /run
    ("/var/run", False, "root", ()),
    ("/run/containerd/containerd.sock", False, "root", ()),
    ("/etc", True, "root", ()),
    ("/etc", False, "node-credentials", ()),  # parent of /etc/kubernetes
    ("/etc/passwd", True, "root", ()),
    ("/etc/cron.d", True, "root", ()),
    ("/etc/kubernetes", False, "node-credentials", ()),
    ("/var/lib/kubelet", False, "node-credentials", ()),
    ("/var/lib/kubelet/pods", False, "tokens", ()),
    ("/var/lib/kubelet/pods/abc/volumes", False, "tokens", ()),
    ("/var/log", True, "node-credentials", ("rbac:get pods/log in the pod's namespace",)),
    ("/var/log/pods", False, "read", ("rbac:get pods/log in the pod's namespace",)),
    ("/var", False, "root", ()),  # parent of /var/run
    ("/proc", True, "root", ()),
    ("/proc/sys/kernel", True, "root", ()),
    ("/sys/fs/cgroup", True, "root", ()),
    ("/root/.ssh", True, "root", ()),
])
def test_classify_sensitive_paths(path: str, writable: bool, impact: str, requires: tuple[str, ...]) -> None:
    found = classify_path(path, writable)
    assert found is not None
    assert (found[0], found[2]) == (impact, requires)


@pytest.mark.parametrize("path", ["/etc/ssl/certs", "/opt/cni/bin", "/sys/fs/bpf", "/var/lib/app", "/home/x"])
def test_classify_harmless_read_only_paths(path: str) -> None:
    assert classify_path(path, False) is None


def test_pod_level_techniques_and_node() -> None:
    p = pod("p", node="ip-10-0-0-1", mutate=lambda p: p["spec"].update(hostPID=True, hostIPC=True, hostNetwork=True))
    found = {e.technique: e for e in pod_escapes(p)}
    assert set(found) == {"hostPID", "hostIPC", "hostNetwork"}
    assert {e.node for e in found.values()} == {"node:ip-10-0-0-1"}
    assert found["hostPID"].field == "spec.hostPID" and found["hostPID"].value == "true"
    assert not any(e.compromises_node for e in found.values())
    assert _one(pod("p", node=None, mutate=lambda p: p["spec"].update(hostPID=True))).node is None


def test_privileged_and_nsenter() -> None:
    p = pod("p", mutate=lambda p: (c0(p)["securityContext"].update(privileged=True), p["spec"].update(hostPID=True)))
    found = [(e.technique, e.impact, e.container, e.field) for e in pod_escapes(p)]
    assert ("privileged", "root", "app", "spec.containers[0].securityContext.privileged") in found
    assert ("nsenter", "root", "app", "spec.containers[0].securityContext.privileged") in found


@pytest.mark.parametrize(("caps", "host_pid", "host_net", "expected"), [
    (["SYS_ADMIN"], False, False, [("SYS_ADMIN", "root")]),
    (["cap_sys_module"], False, False, [("SYS_MODULE", "root")]),
    (["SYS_PTRACE"], False, False, [("SYS_PTRACE", "processes")]),
    (["SYS_PTRACE"], True, False, [("SYS_PTRACE", "root")]),
    (["NET_ADMIN"], False, False, [("NET_ADMIN", "pod-network")]),
    (["NET_ADMIN"], False, True, [("NET_ADMIN", "network")]),
    (["DAC_READ_SEARCH", "CHOWN", "ALL"], False, False, [("DAC_READ_SEARCH", "node-credentials"), ("ALL", "root")]),
])
def test_capabilities(caps: list[str], host_pid: bool, host_net: bool, expected: list[tuple[str, str]]) -> None:
    p = pod("p", mutate=lambda p: (c0(p)["securityContext"]["capabilities"].update(add=caps),
                                   p["spec"].update(hostPID=host_pid, hostNetwork=host_net)))
    got = [(e.detail, e.impact) for e in pod_escapes(p) if e.technique == "capability"]
    assert got == expected


def test_dangerous_capabilities_option() -> None:
    p = pod("p", mutate=lambda p: c0(p)["securityContext"]["capabilities"].update(add=["BPF", "SYS_ADMIN"]))
    wa = analysis(p, dangerous_capabilities=["BPF"])
    assert wa.escapes[["technique", "detail", "impact"]].values.tolist() == [["capability", "BPF", "root"]]
    wa = analysis(p, dangerous_capabilities={"BPF": "read"})
    assert wa.escapes["impact"].tolist() == ["read"]


def test_host_path_mounts() -> None:
    e = _one(pod("p", mutate=_host("/run/containerd/containerd.sock", read_only=True)))
    assert (e.technique, e.writable, e.impact, e.compromises_node) == ("runtime-socket", False, "root", True)
    assert e.field == "spec.volumes[0].hostPath.path" and e.mounts == ("spec.containers[0].volumeMounts[0] (ro)",)
    e = _one(pod("p", mutate=_host("/", sub="var/log")))  # subPath narrows the exposed host path
    assert (e.detail, e.value, e.impact, e.requires) == ("/var/log", "/", "node-credentials",
                                                        ("rbac:get pods/log in the pod's namespace",))
    assert not e.compromises_node
    e = _one(pod("p", mutate=_host("/data")))
    assert (e.technique, e.impact, e.exposes, e.label) == ("hostPath", "write", (), "hostPath /data (writable)")
    assert pod_escapes(pod("p", mutate=_host("/data", read_only=True))) == []
    assert pod_escapes(pod("p", mutate=_host("/", mounted=False))) == []  # declared but never mounted


def test_windows_host_process() -> None:
    p = pod("p", mutate=lambda p: p["spec"]["securityContext"].update(windowsOptions={"hostProcess": True}))
    assert (_one(p).technique, _one(p).impact) == ("windowsHostProcess", "root")


def test_normalize_capability() -> None:
    assert normalize_capability(" Cap_Net_Raw ") == "NET_RAW"


def test_escapes_table_has_owner_and_evidence() -> None:
    wa = analysis(pod("agent-1", owner=owner_ref("DaemonSet", "agent", "u1"), mutate=_host("/var/run/docker.sock")))
    row = wa.escapes.iloc[0]
    assert (row["owner"], row["technique"], row["node"], row["value"]) == (
        "DaemonSet/agent", "runtime-socket", "node:n1", "/var/run/docker.sock")
    assert wa.host_escapes[0].pod == "shop/agent-1"
