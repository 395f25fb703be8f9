"""Network profiles: every implementation-defined NetworkPolicy behaviour as a named option.

The NetworkPolicy API leaves some behaviour to the network plugin (reference §1, rules
tagged [IMPL]). A :class:`NetworkProfile` names each choice; :data:`PROFILES` holds the
documented default per plugin, and :func:`detect_plugin` finds the enforcing plugin from
the snapshot (DaemonSets, pods, ConfigMaps and the attached cloud description).

=========================  ==========================================================================
option                     meaning
=========================  ==========================================================================
``enforced``               an enforcing plugin is present; when False every connection is allowed
``ipblock_matches_pods``   ``ipBlock`` rules match pod IPs (Calico, EKS VPC CNI, upstream e2e) or
                           only cluster-external addresses (Cilium, GKE Dataplane V2, Azure NPM)
``ipblock_matches_nodes``  ``ipBlock`` rules match node IPs (hostNetwork pods, the nodes themselves)
``endport``                ``endPort`` ranges are honoured; when False only ``port`` is allowed
``hostnetwork_selectable`` selectors select hostNetwork pods (else they are node endpoints)
=========================  ==========================================================================

Unknown is not absent: when the snapshot cannot show the plugin (a manifests import, which
describes applications and not the cluster's node agents; no kube-system DaemonSets or pods;
or neither could be read), ``auto`` applies the upstream semantics (policies enforced) and
labels the profile ``unverified`` with the reason. ``none`` needs evidence of absence: the
node agents seen without an enforcing plugin among them, the EKS network-policy agent
switched off, or a cloud description (GKE, AKS) whose network-policy setting is off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kubesec_nb.errors import OptionError
from kubesec_nb.model import Model, iter_containers, object_key, pod_specs


@dataclass(frozen=True)
class NetworkProfile:
    """The implementation-defined choices applied when evaluating NetworkPolicies.

    >>> PROFILES["cilium"].ipblock_matches_pods, PROFILES["calico"].ipblock_matches_pods
    (False, True)
    """

    name: str
    enforced: bool = True
    ipblock_matches_pods: bool = True
    ipblock_matches_nodes: bool = True
    endport: bool = True
    hostnetwork_selectable: bool = False
    plugin: str = ""
    description: str = ""
    evidence: tuple[str, ...] = field(default=(), compare=False)
    #: Why enforcement is assumed rather than seen ("" when a plugin was detected, its absence was seen,
    #: or the profile was chosen): the snapshot cannot show the plugin.
    unverified: str = field(default="", compare=False)

    @property
    def enforcement(self) -> str:
        """``enforced``, ``not enforced``, or ``enforcement not verified: <why>``.

        >>> PROFILES["none"].enforcement, replace(PROFILES["upstream"], unverified="no kube-system").enforcement
        ('not enforced', 'enforcement not verified: no kube-system')
        """
        if self.unverified:
            return f"enforcement not verified: {self.unverified}"
        return "enforced" if self.enforced else "not enforced"

    def assumptions(self) -> dict[str, Any]:
        """The options as a plain dict (for reports and notebooks)."""
        return {"profile": self.name, "plugin": self.plugin or "none", "enforced": self.enforced,
                "enforcement_verified": not self.unverified,
                "ipblock_matches_pods": self.ipblock_matches_pods,
                "ipblock_matches_nodes": self.ipblock_matches_nodes, "endport": self.endport,
                "hostnetwork_selectable": self.hostnetwork_selectable}


def _p(name: str, plugin: str, description: str, **kw: Any) -> NetworkProfile:
    return replace(NetworkProfile(name=name, plugin=plugin, description=description), **kw)


#: Documented profiles. ``upstream`` is what the Kubernetes e2e conformance suite expects.
PROFILES: dict[str, NetworkProfile] = {p.name: p for p in (
    _p("upstream", "", "what the upstream e2e suite asserts: ipBlock matches pod IPs, endPort honoured"),
    _p("calico", "calico", "Calico: ipBlock matches pod and node IPs, endPort honoured"),
    _p("cilium", "cilium", "Cilium: CIDR rules do not match cluster endpoints or nodes",
       ipblock_matches_pods=False, ipblock_matches_nodes=False),
    _p("gke-dataplane-v2", "gke-dataplane-v2", "GKE Dataplane V2 (Cilium-based anetd)",
       ipblock_matches_pods=False, ipblock_matches_nodes=False),
    _p("eks-vpc-cni", "eks-vpc-cni", "EKS VPC CNI network-policy agent (eBPF on VPC IPs)"),
    _p("azure-npm", "azure-npm", "Azure NPM: ipBlock cannot match pod or node IPs; endPort unsupported",
       ipblock_matches_pods=False, ipblock_matches_nodes=False, endport=False),
    _p("ipblock-external", "", "ipBlock matches only cluster-external addresses (as NCA and "
       "netpol-analyzer assume); policies enforced",
       ipblock_matches_pods=False, ipblock_matches_nodes=False),
    _p("none", "", "no enforcing plugin: NetworkPolicies have no effect", enforced=False),
)}

#: Named options of the network analyzer that override single profile fields.
PROFILE_OPTIONS = {
    "network_enforced": "enforced",
    "network_ipblock_matches_pods": "ipblock_matches_pods",
    "network_ipblock_matches_nodes": "ipblock_matches_nodes",
    "network_endport": "endport",
    "network_hostnetwork_selectable": "hostnetwork_selectable",
}


@dataclass(frozen=True)
class Detection:
    """The enforcing plugin found in a snapshot (``plugin`` is ``""`` when none) and why; ``unknown`` says
    why the snapshot cannot show whether one runs (then no plugin found is not "no plugin")."""

    plugin: str
    evidence: tuple[str, ...]
    unknown: str = ""


def _ds_and_pods(model: Model) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    """``(label, name, pod spec)`` of every DaemonSet, and of every pod whose controller is not in the
    snapshot (bare pods, and pods of DaemonSets that could not be read)."""
    for ds in model.items("daemonsets.apps"):
        for spec in pod_specs(ds):
            yield f"DaemonSet {object_key(ds)}", ds["metadata"]["name"], spec
    for pod in model.pods:
        owner = model.owner(pod)
        if owner is None or owner not in model.workloads:
            name = owner[2] if owner is not None else pod["metadata"]["name"]
            yield f"Pod {object_key(pod)}", name, pod.get("spec") or {}


def _unknown(model: Model) -> str:
    """Why the snapshot cannot show the network plugin, or "" when it shows the node agents."""
    if str(model.snapshot.metadata.get("source", "")) == "manifests":
        return "imported from manifests, which do not show the cluster's network plugin"
    if model.missing("daemonsets.apps") and model.missing("pods"):
        return "neither DaemonSets nor pods could be read"
    if not any(o["metadata"].get("namespace") == "kube-system"
               for o in (*model.items("daemonsets.apps"), *model.pods_in("kube-system"))):
        return "the snapshot holds no kube-system DaemonSets or pods, where network plugins run"
    return ""


def _eks_agent_enabled(container: Mapping[str, Any]) -> bool | None:
    args = [str(a) for a in (container.get("args") or []) + (container.get("command") or [])]
    for a in args:
        if a.startswith("--enable-network-policy="):
            return a.split("=", 1)[1].lower() == "true"
    return None


def detect_plugin(model: Model) -> Detection:
    """Find the plugin that enforces NetworkPolicy, from workloads and the cloud description.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> snap = Snapshot.from_objects([{"apiVersion": "apps/v1", "kind": "DaemonSet",
    ...     "metadata": {"name": "anetd", "namespace": "kube-system"},
    ...     "spec": {"template": {"spec": {"containers": [{"name": "cilium-agent"}]}}}}])
    >>> detect_plugin(Model(snap)).plugin
    'gke-dataplane-v2'
    """
    found: dict[str, list[str]] = {}
    disabled: list[str] = []

    def add(plugin: str, why: str) -> None:
        found.setdefault(plugin, []).append(why)

    for obj, name, spec in _ds_and_pods(model):
        for _, _, c in iter_containers(spec):
            cname, image = str(c.get("name", "")), str(c.get("image", ""))
            if name == "anetd" or (cname == "cilium-agent" and "gke" in image):
                add("gke-dataplane-v2", f"{obj} (Dataplane V2 agent)")
            elif name == "azure-npm" or "azure-npm" in image:
                add("azure-npm", f"{obj}: container {cname}")
            elif name.startswith("calico-node") or "calico/node" in image:
                add("calico", f"{obj}: container {cname}")
            elif name == "cilium" or cname == "cilium-agent" or "cilium/cilium" in image:
                add("cilium", f"{obj}: container {cname}")
            elif cname in ("aws-eks-nodeagent", "aws-network-policy-agent") or "aws-network-policy-agent" in image:
                enabled = _eks_agent_enabled(c)
                why = f"{obj}: container {cname} args --enable-network-policy={str(enabled).lower()}"
                if enabled:
                    add("eks-vpc-cni", why)
                else:
                    disabled.append(why)
            elif name in ("kube-router", "antrea-agent", "weave-net") or cname in ("kube-router", "antrea-agent"):
                add("upstream", f"{obj}: container {cname}")
    cm = model.configmap("kube-system", "amazon-vpc-cni")
    if cm is not None and str((cm.get("data") or {}).get("enable-network-policy-controller", "")).lower() == "true":
        add("eks-vpc-cni", "ConfigMap kube-system/amazon-vpc-cni: enable-network-policy-controller = true")
    _from_cloud(model, add, disabled.append)
    for plugin in ("gke-dataplane-v2", "azure-npm", "calico", "cilium", "eks-vpc-cni", "upstream"):
        if plugin in found:
            return Detection(plugin, tuple(sorted(set(found[plugin]))))
    return Detection("", tuple(disabled), "" if disabled else _unknown(model))


def _from_cloud(model: Model, add: Callable[[str, str], None], off: Callable[[str], None]) -> None:
    """The provider's policy engine from the attached cluster description: ``add`` it when on, say so with
    ``off`` when the description shows it off."""
    snap = model.snapshot
    gke = snap.attachment("gke-cluster")
    if gke is not None and isinstance(gke.data, dict):
        datapath = (gke.data.get("networkConfig") or {}).get("datapathProvider")
        if datapath == "ADVANCED_DATAPATH":
            add("gke-dataplane-v2", f"attachment {gke.source}: networkConfig.datapathProvider = ADVANCED_DATAPATH")
        elif (gke.data.get("networkPolicy") or {}).get("enabled"):
            add("calico", f"attachment {gke.source}: networkPolicy.enabled = true")
        else:
            off(f"attachment {gke.source}: networkPolicy.enabled unset or false, networkConfig.datapathProvider = "
                f"{datapath or 'unset (legacy)'}")
    aks = snap.attachment("aks-cluster")
    if aks is not None and isinstance(aks.data, dict):
        props: dict[str, Any] = aks.data["properties"] if isinstance(aks.data.get("properties"), dict) \
            else aks.data
        prof = props.get("networkProfile") or {}
        pol = str(prof.get("networkPolicy") or "").lower()
        plug = {"azure": "azure-npm", "calico": "calico", "cilium": "cilium"}.get(pol)
        if plug:
            add(plug, f"attachment {aks.source}: networkProfile.networkPolicy = {pol}")
        else:
            off(f"attachment {aks.source}: networkProfile.networkPolicy = {pol or 'unset'}")


def resolve_profile(model: Model, network_profile: str | NetworkProfile | None = None,
                    **overrides: Any) -> NetworkProfile:
    """The profile to apply: a name from :data:`PROFILES`, a profile object, or ``auto``.

    ``auto`` (the default) picks the profile of the detected plugin; ``none`` (policies not
    enforced) when the snapshot shows the node agents and no enforcing plugin among them; and
    ``upstream``, marked ``unverified``, when it cannot show them (see the module docstring).
    ``overrides`` are the ``network_*`` options of :data:`PROFILE_OPTIONS`; ``network_enforced``
    settles the question.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> p = resolve_profile(Model(Snapshot()), "calico", network_endport=False)
    >>> p.name, p.endport
    ('calico', False)
    >>> p = resolve_profile(Model(Snapshot()))
    >>> p.name, p.enforced, p.unverified
    ('upstream', True, 'neither DaemonSets nor pods could be read')
    """
    if isinstance(network_profile, NetworkProfile):
        prof = network_profile
    elif network_profile in (None, "auto"):
        det = detect_plugin(model)
        base = PROFILES.get(det.plugin) if det.plugin else None
        if base is not None:
            prof = replace(base, evidence=det.evidence)
        elif det.unknown:
            prof = replace(PROFILES["upstream"], unverified=det.unknown,
                           evidence=(f"enforcement not verified: {det.unknown}; upstream semantics assumed",
                                     *det.evidence))
        else:
            prof = replace(PROFILES["none"], evidence=("no enforcing network plugin detected", *det.evidence))
    elif isinstance(network_profile, str) and network_profile in PROFILES:
        prof = PROFILES[network_profile]
    else:
        raise OptionError(f"network_profile must be 'auto', a NetworkProfile or one of "
                          f"{', '.join(sorted(PROFILES))}; got {network_profile!r}")
    changes: dict[str, Any] = {}
    for opt, value in overrides.items():
        if opt not in PROFILE_OPTIONS:
            raise OptionError(f"unknown network option {opt!r}")
        if value is None:
            continue
        if not isinstance(value, bool):
            raise OptionError(f"{opt} must be true or false, got {value!r}")
        changes[PROFILE_OPTIONS[opt]] = value
    if "enforced" in changes:
        changes["unverified"] = ""  # the user settled it
    return replace(prof, **changes) if changes else prof
