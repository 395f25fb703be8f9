"""NET-* checks over a :class:`~kubesec_nb.network.analysis.NetworkAnalysis`.

Objects in platform namespaces (``kube-system``, the providers' own) are reported with
``Finding.platform`` (the runner applies the ``platform_findings`` option). Checks whose answer
depends on NetworkPolicy being enforced say so in their findings when the enforcement is
assumed, not seen (``NetworkProfile.unverified``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from kubesec_nb.checks import Evidence, Finding, NotAssessed, check
from kubesec_nb.model import Model
from kubesec_nb.network.addresses import parse_ip
from kubesec_nb.network.endpoints import Endpoint
from kubesec_nb.network.exposure import INTERNAL, PUBLIC, UNKNOWN, lb_scope
from kubesec_nb.network.policy import EGRESS, INGRESS, NETPOL, Policy, describe_selector

if TYPE_CHECKING:
    from kubesec_nb.network.analysis import EntryPoint, NetworkAnalysis

NP = "Network Policies"
IO = "Ingress and Egress Control"
REQ = (NETPOL, "pods", "namespaces")
#: An ipBlock narrower than this many addresses that holds a Service IP "names" it.
NARROW_BLOCK = 256


def _pod_namespaces(net: NetworkAnalysis) -> list[str]:
    """Namespaces with at least one non-hostNetwork pod."""
    return sorted({e.namespace for e in net.endpoints if not e.host_network})


def _unverified(net: NetworkAnalysis) -> tuple[Evidence, ...]:
    """Evidence that enforcement is assumed, for findings that rely on it (empty when it is known)."""
    return (Evidence("network plugin", "enforcement", net.profile.enforcement),) if net.profile.unverified else ()


def _note(net: NetworkAnalysis) -> str:
    return f" (assuming policies are enforced; {net.profile.enforcement})" if net.profile.unverified else ""


def _is_empty_selector(sel: object) -> bool:
    return isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions")


def _default_deny(net: NetworkAnalysis, direction: str) -> Iterator[Finding]:
    for ns in _pod_namespaces(net):
        pols = net.evaluator.by_ns.get(ns, [])
        if any(p.affects(direction) and _is_empty_selector(p.pod_selector) for p in pols):
            continue
        ev = [Evidence(f"NetworkPolicy {p.key}", "spec.podSelector / policyTypes",
                       f"{describe_selector(p.pod_selector)} / {','.join(p.types)}") for p in pols]
        yield Finding(namespace=ns, kind="Namespace", name=ns, platform=Model.platform_namespace(ns),
                      evidence=tuple(ev) or (Evidence(f"Namespace {ns}", "NetworkPolicies", "none"),),
                      message=f"no policy with podSelector {{}} isolates every pod of {ns} for {direction}"
                      + ("" if pols else " (the namespace has no NetworkPolicy)"))


@check("NET-NS-DEFAULT-DENY-INGRESS", title="Namespace without a default-deny ingress policy", severity="medium",
       category=NP, analyzer="network", requires=REQ,
       cis=("CIS Kubernetes 5.3.2", "CIS GKE 4.3.2", "CIS EKS 4.3.2", "CIS AKS 4.4.2"),
       remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress] to the namespace, then "
                   "allow the traffic each workload needs.",
       references=("kubescape C-0260", "CIS 5.3.2", "NSA/CISA hardening guide"))
def ns_default_deny_ingress(net: NetworkAnalysis) -> Iterable[Finding]:
    return _default_deny(net, INGRESS)


@check("NET-NS-DEFAULT-DENY-EGRESS", title="Namespace without a default-deny egress policy", severity="low",
       category=IO, analyzer="network", requires=REQ,
       remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Egress] (allowing DNS), then allow "
                   "the destinations each workload needs.",
       references=("kubescape C-0260", "NSA/CISA hardening guide"))
def ns_default_deny_egress(net: NetworkAnalysis) -> Iterable[Finding]:
    return _default_deny(net, EGRESS)


def _by_workload(net: NetworkAnalysis, eps: Iterable[Endpoint]) -> dict[tuple[str, str], list[Endpoint]]:
    out: dict[tuple[str, str], list[Endpoint]] = defaultdict(list)
    for e in eps:
        out[(e.namespace, net.model.owner_label(net.model.pod_by_key[e.id]))].append(e)
    return dict(sorted(out.items()))


@check("NET-POD-NO-INGRESS-POLICY", title="Pods that no NetworkPolicy isolates for ingress", severity="medium",
       category=NP, analyzer="network", requires=REQ,
       remediation="Select these pods with a NetworkPolicy (a namespace default-deny, or one for the workload) "
                   "that allows only their clients.",
       references=("kubescape C-0260", "np-guard netpol-analyzer exposure analysis"))
def pod_no_ingress_policy(net: NetworkAnalysis) -> Iterable[Finding]:
    # hostNetwork pods are left out: NetworkPolicy does not apply to them (NET-POLICY-HOSTNETWORK)
    eps = [e for e in net.endpoints if not e.host_network and not net.evaluator.isolating(e, INGRESS)]
    for (ns, wl), members in _by_workload(net, eps).items():
        kind, _, name = wl.partition("/")
        yield Finding(namespace=ns, kind=kind, name=name, platform=Model.platform_namespace(ns),
                      evidence=tuple(Evidence(f"Pod {e.id}", "metadata.labels",
                                              ",".join(f"{k}={v}" for k, v in sorted(e.labels.items())) or "none")
                                     for e in members[:5]),
                      message=f"{len(members)} pod(s) of {wl} accept ingress from every source: no policy in {ns} "
                      "selects them for Ingress")


@check("NET-POLICY-SELECTS-NOTHING", title="NetworkPolicy whose podSelector matches no pod", severity="low",
       category=NP, analyzer="network", requires=REQ,
       remediation="Fix the podSelector labels (a typo leaves the intended pods unprotected) or delete the policy.",
       references=("cyclonus lint CheckTargetAllIngressAllowedAndDenied", "NCA 'Rule selects no pods'"))
def policy_selects_nothing(net: NetworkAnalysis) -> Iterable[Finding]:
    per_ns = Counter(e.namespace for e in net.endpoints)
    for p in net.policies:
        if not net.selects(p):
            yield Finding(namespace=p.namespace, kind="NetworkPolicy", name=p.name,
                          platform=Model.platform_namespace(p.namespace),
                          evidence=(Evidence(f"NetworkPolicy {p.key}", "spec.podSelector",
                                             describe_selector(p.pod_selector)),),
                          message=f"spec.podSelector of {p.key} matches none of the "
                          f"{per_ns[p.namespace]} pod(s) in {p.namespace}")


@check("NET-POLICY-HOSTNETWORK", title="NetworkPolicy selecting hostNetwork pods (no effect on them)",
       severity="low", category=NP, analyzer="network", requires=REQ,
       remediation="hostNetwork pods share the node's network namespace and most plugins do not apply "
                   "NetworkPolicy to them: protect them with node firewalls, or avoid hostNetwork.",
       references=("Kubernetes docs: NetworkPolicy and hostNetwork pods", "ClusterNetworkPolicy API"))
def policy_hostnetwork(net: NetworkAnalysis) -> Iterable[Finding]:
    if net.profile.hostnetwork_selectable:
        return
    for p in net.policies:
        hosts = [e for e in net.selects(p) if e.host_network]
        if hosts:
            yield Finding(namespace=p.namespace, kind="NetworkPolicy", name=p.name,
                          platform=Model.platform_namespace(p.namespace),
                          evidence=(Evidence(f"NetworkPolicy {p.key}", "spec.podSelector",
                                             describe_selector(p.pod_selector)),
                                    *(Evidence(f"Pod {e.id}", "spec.hostNetwork", "true") for e in hosts[:5])),
                          message=f"{p.key} selects {len(hosts)} hostNetwork pod(s); under profile "
                          f"{net.profile.name} the policy has no effect on them")


@check("NET-IPBLOCK-SERVICE-IP", title="ipBlock naming a Service ClusterIP, load-balancer IP or pod IP",
       severity="medium", category=NP, analyzer="network", requires=(*REQ, "services"),
       remediation="Plugins judge Service traffic after DNAT, against the backend pods: select the backends with "
                   "podSelector/namespaceSelector instead of the Service address.",
       references=("projectcalico/calico#10664", "cilium/cilium#20550", "reference §1 rule 13"))
def ipblock_service_ip(net: NetworkAnalysis) -> Iterable[Finding]:
    svc_ips = [(parse_ip(ip), ip, who) for ip, who in net.services.cluster_ips().items()]
    pod_ips = {} if net.profile.ipblock_matches_pods else \
        {ip: f"Pod {e.id}" for e in net.endpoints if not e.host_network for ip in e.ips}
    for p in net.policies:
        for r in (*p.ingress, *p.egress):
            for pe in r.peers or ():
                b = pe.ipblock
                if b is None or b.invalid or b.hi - b.lo + 1 > NARROW_BLOCK:
                    continue
                hits = [f"{who} ({ip})" for addr, ip, who in svc_ips if b.contains(addr)]
                hits += [f"{who} (pod IP; profile {net.profile.name}: ipBlock does not match pods)"
                         for ip, who in pod_ips.items() if b.contains(ip)]
                if hits:
                    yield Finding(namespace=p.namespace, kind="NetworkPolicy", name=p.name,
                                  platform=Model.platform_namespace(p.namespace),
                                  evidence=(Evidence(f"NetworkPolicy {p.key}",
                                                     f"spec.{r.direction}[{r.index}].{r.peer_field}[{pe.index}].ipBlock",
                                                     str(b)), *(Evidence(h) for h in hits[:5])),
                                  message=f"{r.ref} names {hits[0]} by address: the rule is likely ineffective")


def _is_dns_pod(e: Endpoint) -> bool:
    """A cluster DNS server pod (kube-dns or CoreDNS in kube-system)."""
    return e.namespace == "kube-system" and e.labels.get("k8s-app") in ("kube-dns", "coredns")


def _dns_targets(net: NetworkAnalysis) -> list[tuple[Endpoint, int, str]]:
    """(endpoint, port, protocol) a pod must reach for DNS: kube-dns backends, else CoreDNS pods."""
    out: list[tuple[Endpoint, int, str]] = []
    for b in net.services.backends("kube-system/kube-dns"):
        ep = net.by_id.get(b.pod)
        if ep is not None:
            out.append((ep, b.target_port, b.protocol))
    if not out:
        for e in net.endpoints:
            if _is_dns_pod(e):
                out += [(e, 53, "UDP"), (e, 53, "TCP")]
    if not out:
        ns = {"kubernetes.io/metadata.name": "kube-system"}
        ghost = Endpoint("kube-system/coredns (assumed)", "pod", "kube-system", {"k8s-app": "kube-dns"}, ns,
                         named_ports={"dns": ("UDP", 53), "dns-tcp": ("TCP", 53)})
        out += [(ghost, 53, "UDP"), (ghost, 53, "TCP")]
    return out


@check("NET-EGRESS-BLOCKS-DNS", title="Egress policy that blocks DNS", severity="medium", category=IO,
       analyzer="network", requires=REQ,
       remediation="Allow egress to kube-dns (namespaceSelector kubernetes.io/metadata.name=kube-system, podSelector "
                   "k8s-app=kube-dns) on UDP and TCP port 53 in the namespace's egress policy.",
       references=("cyclonus lint CheckDNSBlockedOnUDP/CheckDNSBlockedOnTCP", "reference §1 rule 24"))
def egress_blocks_dns(net: NetworkAnalysis) -> Iterable[Finding]:
    if not net.profile.enforced:
        return
    targets = _dns_targets(net)
    blocked: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    seen: dict[tuple[str, frozenset[tuple[str, str]]], list[str]] = {}
    for e in net.endpoints:
        pols = net.evaluator.isolating(e, EGRESS)
        if not pols or _is_dns_pod(e):  # the DNS servers themselves need no DNS
            continue
        key = (e.namespace, frozenset(e.labels.items()))
        if key not in seen:
            bad = []
            for proto in ("UDP", "TCP"):
                tgts = [(t, port) for t, port, pr in targets if pr == proto]
                if tgts and not any(net.evaluator.side(e, t, EGRESS, proto, port).allowed for t, port in tgts):
                    bad.append(proto)
            seen[key] = bad
        if seen[key]:
            wl = net.model.owner_label(net.model.pod_by_key[e.id])
            blocked.setdefault((e.namespace, wl), (seen[key], sorted(p.key for p in pols)))
    for (ns, wl), (protos, names) in sorted(blocked.items()):
        kind, _, name = wl.partition("/")
        yield Finding(namespace=ns, kind=kind, name=name, platform=Model.platform_namespace(ns),
                      evidence=(*(Evidence(f"NetworkPolicy {p}", "spec.egress", "no rule allows "
                                           f"{'/'.join(protos)} 53 to kube-dns") for p in names), *_unverified(net)),
                      message=f"egress of {wl} is isolated by {', '.join(names)} and DNS over "
                      f"{' and '.join(protos)}/53 to kube-dns is not allowed{_note(net)}",
                      severity=None if "UDP" in protos else "low")


@check("NET-INTERNET-EXPOSED", title="Workload reachable from the internet", severity="high", category=IO,
       analyzer="network", requires=(*REQ, "services"),
       remediation="Make the entry point internal (internal load-balancer annotation or class, private nodes), "
                   "restrict its source ranges, or put the workload behind an authenticated ingress.",
       references=("reference §6", "kubescape C-0256 (exposure to internet)"))
def internet_exposed(net: NetworkAnalysis) -> Iterable[Finding]:
    # Unknown is not absent: when enforcement is assumed, an entry that only policy denies is reported too.
    groups: dict[tuple[str, str, str, str], list[EntryPoint]] = defaultdict(list)
    for r in net.entry_records:
        if r.exposed or (net.profile.unverified and r.scope in (PUBLIC, UNKNOWN)):
            groups[(r.namespace, r.workload, r.path, r.via)].append(r)
    for (ns, wl, path, via), rows in sorted(groups.items()):
        r0 = rows[0]
        ev = [Evidence(via, "scope", f"{r0.scope}: {r0.scope_reason}"),
              Evidence(via, "target", ",".join(sorted({r.target for r in rows})))]
        if r0.source_ranges:
            ev.append(Evidence(via, "source ranges", r0.source_ranges))
        ev.append(Evidence("NetworkPolicy", "decision", r0.policy))
        denied = not any(r.policy_allows for r in rows)
        kind, _, name = wl.partition("/")
        yield Finding(namespace=ns, kind=kind, name=name, evidence=(*ev, *_unverified(net)),
                      platform=Model.platform_namespace(ns),
                      message=f"{wl} is reachable from the internet via {path}: {via}"
                      + (f" (source ranges {r0.source_ranges})" if r0.restricted else "")
                      + (f"; NetworkPolicy denies it if enforced ({net.profile.enforcement})" if denied
                         else _note(net)),
                      severity="low" if denied else ("medium" if r0.restricted or r0.scope != PUBLIC else None))


@check("NET-LB-NO-SOURCE-RANGES", title="Internet-facing LoadBalancer without source ranges", severity="medium",
       category=IO, analyzer="network", requires=("services",),
       remediation="Set spec.loadBalancerSourceRanges to the client CIDRs, or make the load balancer internal.",
       references=("kubescape C-0256", "reference §6 item 8"))
def lb_no_source_ranges(net: NetworkAnalysis) -> Iterable[Finding]:
    for key, svc in sorted(net.services.by_key.items()):
        if (svc.get("spec") or {}).get("type") != "LoadBalancer":
            continue
        sc = lb_scope(svc, net.model.provider)
        if sc.scope == INTERNAL or sc.restricted:
            continue
        ns, name = key.split("/", 1)
        yield Finding(namespace=ns, kind="Service", name=name, platform=Model.platform_namespace(ns),
                      evidence=(Evidence(f"Service {key}", "scope", f"{sc.scope}: {sc.reason}"),
                                Evidence(f"Service {key}", "spec.loadBalancerSourceRanges",
                                         ",".join(sc.source_ranges) or "unset")),
                      message=f"{key} is an internet-facing load balancer open to every address")


@check("NET-NODEPORT", title="NodePort Service", severity="low", category=IO, analyzer="network",
       requires=("services",),
       remediation="Use ClusterIP behind an ingress or an internal load balancer; NodePorts listen on every node.",
       references=("kubescape C-0044 (container hostPort)", "reference §6 item 3"))
def nodeport(net: NetworkAnalysis) -> Iterable[Finding]:
    for key, svc in sorted(net.services.by_key.items()):
        spec = svc.get("spec") or {}
        if spec.get("type") != "NodePort":
            continue
        ns, name = key.split("/", 1)
        ports = ",".join(str(p.get("nodePort", "?")) for p in spec.get("ports") or [])
        public = any(r.scope == PUBLIC and r.via.startswith(f"Service {key} nodePort") for r in net.entry_records)
        yield Finding(namespace=ns, kind="Service", name=name, platform=Model.platform_namespace(ns),
                      evidence=(Evidence(f"Service {key}", "spec.type", "NodePort"),
                                Evidence(f"Service {key}", "spec.ports[*].nodePort", ports)),
                      message=f"{key} listens on every node (nodePort {ports})"
                      + (": nodes have public ExternalIPs" if public else ""),
                      severity="high" if public else None)


def _broad(p: Policy) -> Iterator[tuple[str, str, str]]:
    for r in p.ingress:
        if r.peers is None:
            yield (f"spec.ingress[{r.index}].from", "unset", "allows every source, the internet included")
            continue
        for pe in r.peers:
            where = f"spec.ingress[{r.index}].from[{pe.index}]"
            if pe.invalid and pe.pod_selector is None and pe.namespace_selector is None and pe.ipblock is None:
                yield (where, "{}", "empty peer: rejected by API validation (if a tool accepted it, it may "
                       "have meant 'everyone'); matches nothing here")
            elif pe.namespace_selector is not None and _is_empty_selector(pe.namespace_selector) and \
                    (pe.pod_selector is None or _is_empty_selector(pe.pod_selector)):
                yield (f"{where}.namespaceSelector", "{}", "allows every pod of every namespace")
            elif pe.ipblock is not None and pe.ipblock.lo == 0 and pe.ipblock.hi >= (1 << 32) - 1:
                yield (f"{where}.ipBlock", str(pe.ipblock), "allows every address")


@check("NET-BROAD-ALLOW", title="Ingress rule allowing every source or every namespace", severity="medium",
       category=NP, analyzer="network", requires=REQ,
       remediation="Name the client namespaces and pods (namespaceSelector with kubernetes.io/metadata.name, "
                   "podSelector) instead of allowing everyone.",
       references=("cyclonus lint", "NCA redundancy/emptiness queries"))
def broad_allow(net: NetworkAnalysis) -> Iterable[Finding]:
    for p in net.policies:
        platform = Model.platform_namespace(p.namespace)
        for fld, value, why in _broad(p):
            yield Finding(namespace=p.namespace, kind="NetworkPolicy", name=p.name, platform=platform,
                          evidence=(Evidence(f"NetworkPolicy {p.key}", fld, value),),
                          message=f"{p.key} {fld}: {why}", severity="high" if platform else None)


@check("NET-NOT-ENFORCED", title="NetworkPolicies present but no enforcing network plugin", severity="high",
       category=NP, analyzer="network", requires=(NETPOL,),
       cis=("CIS Kubernetes 5.3.1", "CIS GKE 4.3.1", "CIS EKS 4.3.1"),
       remediation="Enable policy enforcement: GKE Dataplane V2 or network policy; EKS VPC CNI network policy "
                   "(enableNetworkPolicy) or Calico/Cilium; AKS Azure NPM, Calico or Cilium.",
       references=("reference §1 rule 23",))
def not_enforced(net: NetworkAnalysis) -> Iterable[Finding]:
    if net.profile.unverified:
        raise NotAssessed(f"{net.profile.enforcement}: the snapshot cannot show whether a plugin enforces the "
                          f"{len(net.policies)} NetworkPolicies; set network_enforced or network_profile")
    if net.profile.enforced or not net.policies:
        return
    ev = [Evidence("network plugin", "detection", why) for why in net.profile.evidence] or \
        [Evidence("network plugin", "detection", "none found")]
    yield Finding(kind="Cluster", name=str(net.model.snapshot.metadata.get("cluster") or ""),
                  evidence=(*ev, Evidence("NetworkPolicies", "count", str(len(net.policies)))),
                  message=f"{len(net.policies)} NetworkPolicies have no effect: no enforcing plugin detected "
                  f"(profile {net.profile.name}); all traffic is allowed")


@check("NET-POLICY-NOT-MODELLED", title="Policy kinds present that this analysis does not model", severity="info",
       category=NP, analyzer="network",
       remediation="Review these policies by hand: reachability in the affected namespaces is computed from "
                   "NetworkPolicies only and may be wrong.",
       references=("AdminNetworkPolicy", "CiliumNetworkPolicy", "Calico GlobalNetworkPolicy"))
def not_modelled(net: NetworkAnalysis) -> Iterable[Finding]:
    for e in net.extras:
        yield Finding(namespace=e.namespace or None, kind=e.kind, name=e.name,
                      platform=Model.platform_namespace(e.namespace),
                      evidence=(Evidence(f"{e.kind} {e.name}", "affected namespaces", ", ".join(e.affected)),),
                      message=f"{e.kind} {e.name} present, not modelled ({e.reason}); confidence is low for "
                      f"{len(e.affected)} namespace(s)")
