"""Add-ons the hardening guide asks about, found in the cluster: runtime detection and log
shipping agents (and the nodes they cover), backup (Velero), admission policy engines.

Agents are recognised by DaemonSet name or container image repository (the tables below);
coverage is computed with :mod:`kubesec_nb.platform.scheduling`, never assumed. Fargate
nodes run no DaemonSets, so they are reported separately rather than counted as covered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, iter_containers, labels_of, object_key, pod_specs
from kubesec_nb.platform.provider import COMPUTE_TYPE
from kubesec_nb.platform.scheduling import daemonset_coverage
from kubesec_nb.workload.images import parse_image

#: Runtime threat-detection agents: name → (DaemonSet name prefixes, image repository fragments).
RUNTIME_AGENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Falco": (("falco",), ("falcosecurity/falco",)),
    "Sysdig": (("sysdig-agent", "sysdig-host-shield", "sysdig-shield"), ("sysdig/agent", "sysdig/host-shield")),
    "Microsoft Defender": (("microsoft-defender-",), ("azuredefender/", "microsoft-defender")),
    "Amazon GuardDuty": (("aws-guardduty-agent",), ("aws-guardduty-agent",)),
    "Tetragon": (("tetragon",), ("cilium/tetragon",)),
    "CrowdStrike Falcon": (("falcon-node-sensor", "falcon-sensor"), ("falcon-sensor", "falcon-node-sensor")),
}
#: Log shipping agents: name → (DaemonSet name prefixes, image repository fragments).
LOG_AGENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Fluent Bit": (("fluent-bit", "fluentbit"), ("fluent/fluent-bit", "fluent-bit", "aws-for-fluent-bit")),
    "Fluentd": (("fluentd",), ("fluent/fluentd", "fluentd")),
    "Vector": (("vector",), ("timberio/vector",)),
    "Filebeat": (("filebeat",), ("beats/filebeat",)),
    "Promtail": (("promtail",), ("grafana/promtail",)),
    "Grafana Alloy": (("alloy",), ("grafana/alloy",)),
    "Azure Monitor agent": (("ama-logs", "omsagent"), ("azuremonitor/containerinsights",)),
    "CloudWatch agent": (("cloudwatch-agent",), ("cloudwatch-agent",)),
    "Datadog agent": (("datadog",), ("datadog/agent",)),
    "OpenTelemetry collector": (("otel-collector", "opentelemetry-collector"),
                                ("opentelemetry-collector", "otel/opentelemetry-collector")),
}
#: Helper images that carry an agent's name but are not the agent.
_NOT_AGENTS = ("falcosidekick", "falco-exporter", "falcoctl")


def repositories(spec: Mapping[str, Any]) -> list[str]:
    """``registry/repository`` of every container image of a pod spec (tags and digests dropped)."""
    return [parse_image(str(c.get("image", ""))).name for _, _, c in iter_containers(spec) if c.get("image")]


def matches(obj: Mapping[str, Any], names: Sequence[str], images: Sequence[str]) -> tuple[str, str] | None:
    """Why ``obj`` (a workload) is this agent, as ``(field, value)``: its name or an image repository.

    >>> ds = {"kind": "DaemonSet", "metadata": {"name": "logs"}, "spec": {"template": {"spec": {"containers": [
    ...     {"name": "fb", "image": "cr.fluentbit.io/fluent/fluent-bit:3.1"}]}}}}
    >>> matches(ds, ("fluent-bit",), ("fluent/fluent-bit",))
    ('image', 'cr.fluentbit.io/fluent/fluent-bit')
    """
    name = str((obj.get("metadata") or {}).get("name", ""))
    if any(bad in name for bad in _NOT_AGENTS):
        return None
    if any(name.startswith(n) for n in names):
        return "metadata.name", name
    for spec in pod_specs(obj):
        for repo in repositories(spec):
            if any(i in repo for i in images) and not any(bad in repo for bad in _NOT_AGENTS):
                return "image", repo
    return None


@dataclass(frozen=True)
class Agent:
    """A DaemonSet running an agent, the nodes it covers and why it misses the others."""

    kind: str
    daemonset: str
    why: str
    covered: tuple[str, ...]
    missed: tuple[tuple[str, str], ...]


def fargate_nodes(model: Model) -> list[str]:
    """Nodes labelled ``eks.amazonaws.com/compute-type: fargate`` (DaemonSets do not run there)."""
    return sorted(n for n, o in model.nodes.items() if labels_of(o).get(COMPUTE_TYPE) == "fargate")


def agents(model: Model, table: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> list[Agent]:
    """Every DaemonSet that runs an agent of ``table``, with its node coverage (Fargate nodes left out)."""
    fargate = set(fargate_nodes(model))
    nodes = {n: o for n, o in model.nodes.items() if n not in fargate}
    out: list[Agent] = []
    for ds in model.items("daemonsets.apps"):
        for kind, (names, images) in table.items():
            why = matches(ds, names, images)
            if why is None:
                continue
            coverage = daemonset_coverage(ds, nodes)
            out.append(Agent(kind, object_key(ds), f"{why[0]} = {why[1]}",
                             tuple(n for n, r in coverage.items() if r is None),
                             tuple((n, r) for n, r in coverage.items() if r is not None)))
            break
    return sorted(out, key=lambda a: (a.kind, a.daemonset))


def uncovered(model: Model, found: Sequence[Agent]) -> dict[str, list[str]]:
    """Nodes (Fargate left out) no agent covers → each agent's reason."""
    fargate = set(fargate_nodes(model))
    covered = {n for a in found for n in a.covered}
    out: dict[str, list[str]] = {}
    for name in sorted(model.nodes):
        if name in fargate or name in covered:
            continue
        out[name] = [f"{a.daemonset}: {dict(a.missed).get(name, 'not scheduled')}" for a in found]
    return out


# ---- backup ---------------------------------------------------------------------------------------------
SCHEDULES = "schedules.velero.io"
LOCATIONS = "backupstoragelocations.velero.io"


def velero(model: Model) -> Evidence | None:
    """Evidence that Velero is installed (its Deployment, image, or objects), else None."""
    for dep in model.items("deployments.apps"):
        why = matches(dep, ("velero",), ("velero/velero",))
        if why is not None:
            return Evidence(f"Deployment {object_key(dep)}", *why)
    for res in (SCHEDULES, LOCATIONS):
        objs = model.items(res)
        if objs:
            return Evidence(f"{objs[0]['kind']} {object_key(objs[0])}", "kind", res)
    return None


def schedule_covers(schedule: Mapping[str, Any], namespace: str) -> bool:
    """Whether a Velero Schedule's backup template includes ``namespace``.

    ``includedNamespaces`` empty or ``*`` means every namespace; ``excludedNamespaces`` wins
    (Velero docs, "Resource filtering").

    >>> schedule_covers({"spec": {"template": {"includedNamespaces": ["*"], "excludedNamespaces": ["dev"]}}}, "dev")
    False
    """
    tmpl = (schedule.get("spec") or {}).get("template") or {}
    included = [str(n) for n in tmpl.get("includedNamespaces") or []]
    excluded = [str(n) for n in tmpl.get("excludedNamespaces") or []]
    if namespace in excluded or "*" in excluded:
        return False
    return not included or "*" in included or namespace in included


# ---- admission policy engines ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """An admission policy and what it does on a violation: ``enforce``, ``audit``, ``warn``, ``inactive`` or
    ``unknown``."""

    engine: str
    name: str
    action: str
    evidence: Evidence


def _kyverno_action(pol: Mapping[str, Any]) -> tuple[str, str, str]:
    spec = pol.get("spec") or {}
    actions = []
    for i, rule in enumerate(spec.get("rules") or []):
        action = ((rule.get("validate") or {}).get("failureAction")) if isinstance(rule, Mapping) else None
        if action:
            actions.append((str(action).lower(), f"spec.rules[{i}].validate.failureAction", str(action)))
    if not actions:
        action = spec.get("validationFailureAction") or "Audit"  # Kyverno's default is Audit
        actions.append((str(action).lower(), "spec.validationFailureAction", str(action)))
    overrides = [o for o in spec.get("validationFailureActionOverrides") or [] if isinstance(o, Mapping)]
    if any(str(o.get("action", "")).lower() == "enforce" for o in overrides):
        actions.append(("enforce", "spec.validationFailureActionOverrides", "Enforce (some namespaces)"))
    best = next((a for a in actions if a[0] == "enforce"), actions[0])
    return ("enforce" if best[0] == "enforce" else "audit"), best[1], best[2]


def admission_policies(model: Model, azure_policy: Evidence | None = None) -> list[Policy]:
    """Kyverno, Gatekeeper, ValidatingAdmissionPolicy and Azure Policy objects with their action."""
    out: list[Policy] = []
    for res in ("clusterpolicies.kyverno.io", "policies.kyverno.io"):
        for pol in model.items(res):
            action, field, value = _kyverno_action(pol)
            out.append(Policy("Kyverno", f"{pol['kind']} {object_key(pol)}", action,
                              Evidence(f"{pol['kind']} {object_key(pol)}", field, value)))
    bindings = model.items("validatingadmissionpolicybindings.admissionregistration.k8s.io")
    for vap in model.items("validatingadmissionpolicies.admissionregistration.k8s.io"):
        name = vap["metadata"]["name"]
        mine = [b for b in bindings if (b.get("spec") or {}).get("policyName") == name]
        actions = sorted({str(a) for b in mine for a in (b.get("spec") or {}).get("validationActions") or []})
        action = "enforce" if "Deny" in actions else ("warn" if "Warn" in actions else
                                                      ("audit" if actions else "inactive"))
        where = (f"ValidatingAdmissionPolicyBinding {object_key(mine[0])}" if mine
                 else f"ValidatingAdmissionPolicy {name}")
        out.append(Policy("ValidatingAdmissionPolicy", f"ValidatingAdmissionPolicy {name}", action,
                          Evidence(where, "spec.validationActions" if mine else "bindings",
                                   ",".join(actions) if mine else "none (the policy is not bound)")))
    for tmpl in model.items("constrainttemplates.templates.gatekeeper.sh"):
        kind = (((tmpl.get("spec") or {}).get("crd") or {}).get("spec") or {}).get("names", {}).get("kind", "")
        out.append(Policy("Gatekeeper", f"ConstraintTemplate {object_key(tmpl)}", "unknown",
                          Evidence(f"ConstraintTemplate {object_key(tmpl)}", "constraints",
                                   f"{kind or 'constraint'} objects are not collected: enforcementAction "
                                   "(deny, dryrun, warn) unknown")))
    if azure_policy is not None:
        out.append(Policy("Azure Policy", "add-on azurepolicy", "unknown", azure_policy))
    return sorted(out, key=lambda p: (p.engine, p.name))
