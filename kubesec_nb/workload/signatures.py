"""Evidence that image signatures are enforced, per namespace.

Mechanisms and what makes each one enforce in a namespace:

* **GKE Binary Authorization** (``gke-cluster`` attachment): ``binaryAuthorization.evaluationMode``
  ``PROJECT_SINGLETON_POLICY_ENFORCE`` (or ``POLICY_BINDINGS_AND_...``), or the legacy
  ``enabled: true``, enforces the project policy in every namespace; ``POLICY_BINDINGS`` alone
  is continuous validation (audit). The project policy itself is not in the description (its
  default allows every image), so the evidence says so.
* **Kyverno**: a ClusterPolicy (or a Policy in that namespace) with a ``verifyImages`` rule whose
  ``match`` selects pods (or pod controllers) in the namespace and whose ``exclude`` does not;
  the action is the rule's ``failureAction``, else ``validationFailureActionOverrides`` for the
  namespace, else ``spec.validationFailureAction`` (default ``Audit``).
* **Sigstore policy-controller**: a ClusterImagePolicy exists and the namespace opts in with
  the label ``policy.sigstore.dev/include=true``; ``spec.mode`` ``warn`` audits, anything
  else enforces.
* **Ratify with Gatekeeper**: a ``RatifyVerification`` constraint whose ``match`` selects the
  namespace (``namespaces``/``excludedNamespaces`` globs, ``namespaceSelector``), not in a
  namespace labelled ``admission.gatekeeper.sh/ignore``; ``enforcementAction`` ``deny``
  (default) enforces, ``warn``/``dryrun`` audit.

Each cell is ``enforce``, ``audit``, ``none``, ``not_assessed`` (its input is missing: no
cluster description, an API that could not be read) or ``n/a`` (Binary Authorization off GKE).
A filter that narrows by labels, names or subjects counts as ``audit``-strength partial
coverage only when nothing better applies, and the evidence says ``partial``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from kubesec_nb.model import Model, selector_matches

STATES = ("enforce", "audit", "none", "not_assessed", "n/a")
_RANK = {s: i for i, s in enumerate(STATES)}  # strongest first
_POD_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                        "ReplicationController", "*"})

KYVERNO = ("clusterpolicies.kyverno.io", "policies.kyverno.io")
SIGSTORE = "clusterimagepolicies.policy.sigstore.dev"
RATIFY = "ratifyverification.constraints.gatekeeper.sh"


def api_state(model: Model, resource: str) -> tuple[str, str]:
    """``("ok" | "absent" | "missing", reason)`` for an optional API.

    ``absent`` means the cluster does not serve it (the add-on is not installed: a fact);
    ``missing`` means it could not be read or was not collected (not assessable).
    """
    gap = model.snapshot.gap(resource)
    if gap is not None and gap.reason == "absent":
        return "absent", gap.describe()
    reason = model.missing(resource)
    if reason is None:
        return "ok", ""
    if gap is None and "not served" in reason:
        return "absent", reason
    return "missing", reason


def _best(states: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    if not states:
        return "none", []
    top = min(states, key=lambda s: _RANK[s[0]])[0]
    return top, [e for s, e in states if s == top]


def binary_authorization(model: Model) -> tuple[str, str]:
    """The cluster-wide Binary Authorization state and its evidence."""
    att = model.snapshot.attachment("gke-cluster")
    if att is None or not isinstance(att.data, dict):
        if model.provider == "gke":
            return "not_assessed", "no gke-cluster description attached (gcloud container clusters describe)"
        return "n/a", ""
    ba = att.data.get("binaryAuthorization") or {}
    mode = str(ba.get("evaluationMode") or "")
    if mode in ("PROJECT_SINGLETON_POLICY_ENFORCE", "POLICY_BINDINGS_AND_PROJECT_SINGLETON_POLICY_ENFORCE") or (
            not mode and ba.get("enabled") is True):
        what = f"evaluationMode = {mode}" if mode else "enabled = true"
        return "enforce", (f"{att.source}: binaryAuthorization.{what} (project policy not in the description; "
                           "its default allows all images)")
    if mode == "POLICY_BINDINGS":
        return "audit", f"{att.source}: binaryAuthorization.evaluationMode = POLICY_BINDINGS (continuous validation)"
    return "none", f"{att.source}: binaryAuthorization.evaluationMode = {mode or 'unset'}"


def _kyverno_filter(f: Mapping[str, Any], ns: str, labels: Mapping[str, str], exclude: bool) -> str:
    """``full``, ``partial`` or ``no``: does a Kyverno ResourceFilter select pods in ``ns``
    (an ``exclude`` filter without kinds applies to every kind)."""
    res = f.get("resources") or {}
    kinds = {str(k).rsplit("/", 1)[-1] for k in res.get("kinds") or ()}
    if (kinds or not exclude) and not kinds & _POD_KINDS:
        return "no"
    names = res.get("namespaces") or ()
    if names and not any(fnmatchcase(ns, str(p)) for p in names):
        return "no"
    if res.get("namespaceSelector") is not None and not selector_matches(res["namespaceSelector"], labels):
        return "no"
    narrowing = any(res.get(k) for k in ("selector", "names", "name", "annotations")) or any(
        f.get(k) for k in ("subjects", "roles", "clusterRoles"))
    return "partial" if narrowing else "full"


def _kyverno_block(block: Mapping[str, Any] | None, ns: str, labels: Mapping[str, str], exclude: bool = False) -> str:
    if not block:
        return "no"
    if block.get("any"):
        results = [_kyverno_filter(f or {}, ns, labels, exclude) for f in block["any"]]
        return "full" if "full" in results else ("partial" if "partial" in results else "no")
    if block.get("all"):
        results = [_kyverno_filter(f or {}, ns, labels, exclude) for f in block["all"]]
        return "no" if "no" in results else ("partial" if "partial" in results else "full")
    return _kyverno_filter(block, ns, labels, exclude)  # legacy ``match.resources`` form


def _kyverno_action(policy: Mapping[str, Any], rule: Mapping[str, Any], ns: str) -> str:
    for vi in rule.get("verifyImages") or ():
        if (vi or {}).get("failureAction"):
            return str(vi["failureAction"]).lower()
    spec = policy.get("spec") or {}
    for o in spec.get("validationFailureActionOverrides") or ():
        if any(fnmatchcase(ns, str(p)) for p in (o or {}).get("namespaces") or ()):
            return str((o or {}).get("action", "audit")).lower()
    return str(spec.get("validationFailureAction") or "Audit").lower()


def _image_refs(vi: Any) -> list[Any]:
    v = vi if isinstance(vi, dict) else {}
    return list(v.get("imageReferences") or ([v["image"]] if v.get("image") else []))


def kyverno(model: Model, ns: str) -> list[tuple[str, str]]:
    """``(state, evidence)`` for every Kyverno ``verifyImages`` rule that covers ``ns``."""
    labels = model.namespace_labels(ns)
    out: list[tuple[str, str]] = []
    for kind, res in (("ClusterPolicy", KYVERNO[0]), ("Policy", KYVERNO[1])):
        for pol in model.items(res):
            meta = pol.get("metadata") or {}
            if kind == "Policy" and meta.get("namespace") != ns:
                continue
            for rule in (pol.get("spec") or {}).get("rules") or ():
                rule = rule or {}
                if not rule.get("verifyImages"):
                    continue
                match = _kyverno_block(rule.get("match"), ns, labels)
                if match == "no" or _kyverno_block(rule.get("exclude"), ns, labels, exclude=True) == "full":
                    continue
                action = _kyverno_action(pol, rule, ns)
                state = "enforce" if action == "enforce" and match == "full" else "audit"
                refs = sorted({str(r) for vi in rule["verifyImages"] for r in _image_refs(vi)})
                name = f"{meta.get('namespace')}/{meta.get('name')}" if kind == "Policy" else meta.get("name")
                partial = ", partial match" if match == "partial" else ""
                out.append((state, f"{kind} {name} rule {rule.get('name', '')}: verifyImages ({action}{partial}) "
                                   f"images {', '.join(refs) or '*'}"))
    return out


def sigstore(model: Model, ns: str) -> list[tuple[str, str]]:
    """``(state, evidence)`` for sigstore ClusterImagePolicies in an opted-in namespace."""
    cips = model.items(SIGSTORE)
    if not cips or model.namespace_labels(ns).get("policy.sigstore.dev/include") != "true":
        return []
    out = []
    for cip in cips:
        mode = str((cip.get("spec") or {}).get("mode") or "enforce").lower()
        globs = sorted(str((i or {}).get("glob", "")) for i in (cip.get("spec") or {}).get("images") or ())
        out.append(("audit" if mode == "warn" else "enforce",
                    f"ClusterImagePolicy {(cip.get('metadata') or {}).get('name')} (mode {mode}) images "
                    f"{', '.join(globs) or '*'}; namespace label policy.sigstore.dev/include=true"))
    return out


def ratify(model: Model, ns: str) -> list[tuple[str, str]]:
    """``(state, evidence)`` for Ratify verification constraints that select ``ns``."""
    labels = model.namespace_labels(ns)
    if "admission.gatekeeper.sh/ignore" in labels:
        return []
    out = []
    for c in model.items(RATIFY):
        match = (c.get("spec") or {}).get("match") or {}
        kinds = {str(k) for m in match.get("kinds") or () for k in (m or {}).get("kinds") or ()}
        if kinds and not kinds & _POD_KINDS:
            continue
        if match.get("namespaces") and not any(fnmatchcase(ns, str(p)) for p in match["namespaces"]):
            continue
        if any(fnmatchcase(ns, str(p)) for p in match.get("excludedNamespaces") or ()):
            continue
        if match.get("namespaceSelector") is not None and not selector_matches(match["namespaceSelector"], labels):
            continue
        action = str((c.get("spec") or {}).get("enforcementAction") or "deny").lower()
        out.append(("enforce" if action == "deny" else "audit",
                    f"RatifyVerification {(c.get('metadata') or {}).get('name')} (enforcementAction {action})"))
    return out


#: The enforcement mechanisms, one column each.
MECHANISMS = ("binary_authorization", "kyverno", "sigstore", "ratify")


@dataclass(frozen=True)
class SignatureEnforcement:
    """Per namespace: the state of each mechanism of :data:`MECHANISMS` (``enforce``, ``audit``, ``none``,
    ``n/a`` or ``not_assessed``), ``enforced`` (``yes``, ``no`` or ``not_assessed``) and the evidence."""

    namespace: str
    binary_authorization: str
    kyverno: str
    sigstore: str
    ratify: str
    enforced: str
    evidence: tuple[str, ...]

    @property
    def states(self) -> dict[str, str]:
        """Mechanism → state, in the order of :data:`MECHANISMS`."""
        return {m: str(getattr(self, m)) for m in MECHANISMS}


def signatures(model: Model, namespaces: Sequence[str]) -> list[SignatureEnforcement]:
    """One record per namespace (see :class:`SignatureEnforcement`)."""
    ba_state, ba_evidence = binary_authorization(model)
    states: dict[str, tuple[str, str]] = {}
    for name, resources in (("kyverno", KYVERNO), ("sigstore", (SIGSTORE,)), ("ratify", (RATIFY,))):
        found = [api_state(model, r) for r in resources]
        ok = [s for s in found if s[0] == "ok"]
        missing = [s for s in found if s[0] == "missing"]
        states[name] = ("ok", "") if ok else (("not_assessed", missing[0][1]) if missing else ("none", ""))
    rows: list[SignatureEnforcement] = []
    for ns in namespaces:
        cells: dict[str, str] = {"binary_authorization": ba_state}
        evidence: list[str] = [ba_evidence] if ba_evidence else []
        for name, fn in (("kyverno", kyverno), ("sigstore", sigstore), ("ratify", ratify)):
            state, reason = states[name]
            if state != "ok":
                cells[name] = state
                if state == "not_assessed":
                    evidence.append(f"{name}: {reason}")
                continue
            cells[name], ev = _best(fn(model, ns))
            evidence.extend(ev)
        vals = list(cells.values())
        enforced = "yes" if "enforce" in vals else ("not_assessed" if "not_assessed" in vals else "no")
        rows.append(SignatureEnforcement(ns, **cells, enforced=enforced, evidence=tuple(evidence)))
    return rows
