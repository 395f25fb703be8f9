"""Service mesh mTLS: which pods are in a mesh, and the Istio mTLS mode each one accepts.

Istio ``PeerAuthentication`` semantics follow istiod (istio/istio
pilot/pkg/security/authn/policy_applier.go ``ComposePeerAuthentication`` and
pilot/pkg/model/authentication.go):

- a policy without a selector (nil, or no ``matchLabels``) is mesh-wide in the root namespace
  (option ``istio_root_namespace``, default ``istio-system``) and namespace-wide elsewhere;
  a policy with a selector in the root namespace is ignored; elsewhere it is workload-level
  and applies to pods whose labels contain its ``matchLabels``;
- at each level the oldest policy wins (creation time, then name, as istiod sorts configs);
- the workload's mode is the narrowest level's mode that is not ``UNSET``: workload, then
  namespace, then mesh, and ``PERMISSIVE`` when none sets one (also when there is no policy);
- ``portLevelMtls`` of the workload-level policy overrides per port; ``UNSET`` there
  inherits the workload's mode.

A pod is in the Istio mesh when it has an ``istio-proxy`` container (sidecar, or native
sidecar init container) or runs in ambient mode (``istio.io/dataplane-mode: ambient`` on the
pod or its namespace). A representative pod made from a manifest (no injection ran) counts
when its namespace enables injection (``istio-injection: enabled`` or ``istio.io/rev``) and
the pod does not opt out (``sidecar.istio.io/inject: "false"``). Linkerd: a ``linkerd-proxy``
container, or for representative pods ``linkerd.io/inject: enabled`` on the pod or namespace;
Linkerd encrypts meshed-to-meshed traffic by default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, iter_containers, labels_of, object_key

PEER_AUTHENTICATIONS = "peerauthentications.security.istio.io"
ROOT_NAMESPACE = "istio-system"
REPRESENTATIVE = "kubesec-nb.io/representative"
MODES = ("STRICT", "PERMISSIVE", "DISABLE", "UNSET")


@dataclass(frozen=True)
class MeshMembership:
    """How a pod is (or is not) in a mesh: ``istio``, ``istio-ambient``, ``linkerd`` or ``none``."""

    pod: str
    mesh: str
    evidence: Evidence


@dataclass(frozen=True)
class PeerMode:
    """The mTLS mode a meshed pod's proxy accepts, per port overrides, and the policies that decided it."""

    pod: str
    mode: str
    ports: tuple[tuple[int, str], ...]
    evidence: tuple[Evidence, ...]

    @property
    def weak(self) -> list[str]:
        """Where plaintext is accepted: the workload mode and/or ``port N``."""
        out = [f"all ports ({self.mode})"] if self.mode != "STRICT" else []
        return out + [f"port {p} ({m})" for p, m in self.ports if m != "STRICT"]


def _containers(pod: Mapping[str, Any]) -> set[str]:
    return {str(c.get("name")) for _, _, c in iter_containers(pod.get("spec") or {})}


def membership(model: Model, pod: Mapping[str, Any]) -> MeshMembership:
    """Whether and how ``pod`` is in a service mesh (see the module docstring).

    >>> from kubesec_nb.snapshot import Snapshot
    >>> pod = {"metadata": {"name": "p", "namespace": "a"}, "spec": {"containers": [{"name": "istio-proxy"}]}}
    >>> membership(Model(Snapshot()), pod).mesh
    'istio'
    """
    key = object_key(pod)
    meta = pod.get("metadata") or {}
    ns = str(meta.get("namespace", ""))
    labels, ann = labels_of(pod), meta.get("annotations") or {}
    ns_labels = model.namespace_labels(ns)
    names = _containers(pod)
    if "istio-proxy" in names:
        return MeshMembership(key, "istio", Evidence(f"Pod {key}", "containers", "istio-proxy sidecar"))
    if "linkerd-proxy" in names:
        return MeshMembership(key, "linkerd", Evidence(f"Pod {key}", "containers", "linkerd-proxy sidecar"))
    for where, lab in (("pod", labels), ("namespace", ns_labels)):
        if lab.get("istio.io/dataplane-mode") == "ambient":
            return MeshMembership(key, "istio-ambient", Evidence(f"{where.title()} {key if where == 'pod' else ns}",
                                                                 "metadata.labels[istio.io/dataplane-mode]", "ambient"))
    if REPRESENTATIVE in ann:  # made from a manifest: injection would run at admission
        injected = (ns_labels.get("istio-injection") == "enabled" or "istio.io/rev" in ns_labels) and \
            str(ann.get("sidecar.istio.io/inject", "")).lower() != "false" and \
            labels.get("sidecar.istio.io/inject", "") != "false"
        if injected:
            return MeshMembership(key, "istio", Evidence(f"Namespace {ns}", "metadata.labels[istio-injection]",
                                                         ns_labels.get("istio-injection") or
                                                         ns_labels.get("istio.io/rev", "")))
        if "enabled" in (ann.get("linkerd.io/inject"), (model.namespaces.get(ns, {}).get("metadata") or {}).get(
                "annotations", {}).get("linkerd.io/inject")):
            return MeshMembership(key, "linkerd", Evidence(f"Pod {key}", "annotations[linkerd.io/inject]", "enabled"))
    return MeshMembership(key, "none", Evidence(f"Pod {key}", "containers", ", ".join(sorted(names)) or "none"))


def _order(pa: Mapping[str, Any]) -> tuple[str, str]:
    meta = pa.get("metadata") or {}
    return str(meta.get("creationTimestamp") or ""), str(meta.get("name") or "")


def _mode(pa: Mapping[str, Any] | None) -> str:
    if pa is None:
        return "UNSET"
    mode = ((pa.get("spec") or {}).get("mtls") or {}).get("mode")
    return str(mode) if mode in MODES else "UNSET"


def _selector(pa: Mapping[str, Any]) -> Mapping[str, str]:
    return ((pa.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}


def peer_mode(pod: Mapping[str, Any], policies: Sequence[Mapping[str, Any]],
              root_namespace: str = ROOT_NAMESPACE) -> PeerMode:
    """The effective PeerAuthentication of ``pod`` (``ComposePeerAuthentication``).

    >>> def pa(ns, mode, **sel):
    ...     spec = {"mtls": {"mode": mode}, **({"selector": {"matchLabels": sel}} if sel else {})}
    ...     return {"metadata": {"name": "p", "namespace": ns}, "spec": spec}
    >>> pod = {"metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}}}
    >>> peer_mode(pod, [pa("istio-system", "STRICT"), pa("shop", "UNSET")]).mode
    'STRICT'
    >>> peer_mode(pod, [pa("istio-system", "STRICT"), pa("shop", "PERMISSIVE", app="web")]).mode
    'PERMISSIVE'
    >>> peer_mode(pod, []).mode
    'PERMISSIVE'
    """
    meta = pod.get("metadata") or {}
    ns, labels = str(meta.get("namespace", "")), labels_of(pod)
    mesh: Mapping[str, Any] | None = None
    namespace: Mapping[str, Any] | None = None
    workload: Mapping[str, Any] | None = None
    for pa in sorted(policies, key=_order):
        pa_ns = (pa.get("metadata") or {}).get("namespace")
        sel = _selector(pa)
        if not sel:
            if pa_ns == root_namespace and mesh is None:
                mesh = pa
            elif pa_ns == ns and pa_ns != root_namespace and namespace is None:
                namespace = pa
        elif pa_ns == ns and pa_ns != root_namespace and workload is None and \
                all(labels.get(k) == v for k, v in sel.items()):
            workload = pa
    mode, ev = "PERMISSIVE", []
    for level, chosen in (("mesh-wide", mesh), ("namespace-wide", namespace), ("workload", workload)):
        if chosen is None:
            continue
        m = _mode(chosen)
        ev.append(Evidence(f"PeerAuthentication {object_key(chosen)} ({level})", "spec.mtls.mode", m))
        if m != "UNSET":
            mode = m
    if not ev:
        ev.append(Evidence(f"Pod {object_key(pod)}", "PeerAuthentication", "none applies: Istio's default is "
                                                                            "PERMISSIVE"))
    ports: list[tuple[int, str]] = []
    if workload is not None:
        for port, setting in ((workload.get("spec") or {}).get("portLevelMtls") or {}).items():
            if not str(port).isdigit():
                continue
            m = str(setting.get("mode")) if isinstance(setting, Mapping) and setting.get("mode") in MODES else "UNSET"
            ports.append((int(port), mode if m == "UNSET" else m))
            ev.append(Evidence(f"PeerAuthentication {object_key(workload)} (workload)",
                               f"spec.portLevelMtls[{port}].mode", m))
    ports.sort()
    return PeerMode(object_key(pod), mode, tuple(ports), tuple(ev))
