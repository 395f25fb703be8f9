"""``WorkloadAnalysis``: the tables ``a.workloads`` gives, each computed on first use."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import pandas as pd

from kubesec_nb.errors import OptionError
from kubesec_nb.model import Model
from kubesec_nb.workload import escapes as _escapes
from kubesec_nb.workload import images as _images
from kubesec_nb.workload import psa, pss
from kubesec_nb.workload import secrets as _secrets
from kubesec_nb.workload import signatures as _signatures
from kubesec_nb.workload import trivy as _trivy
from kubesec_nb.workload._common import PodRef, frame, pod_refs

Found = dict[str, list[pss.Violation]]

POD_SECURITY_COLUMNS = ["namespace", "pod", "owner", "node", "version", "baseline", "restricted", "baseline_checks",
                        "restricted_checks", "violations", "enforce", "violates_enforce"]
VIOLATION_COLUMNS = ["namespace", "pod", "owner", "check", "level", "field", "value"]
NAMESPACE_COLUMNS = ["namespace", "system", "pods", "enforce", "enforce_version", "audit", "audit_version", "warn",
                     "warn_version", "label_errors", "exempt", "enforces_nothing", "violating_enforce",
                     "dry_run_version", "reject_baseline", "reject_restricted"]
DRY_RUN_COLUMNS = ["namespace", "level", "version", "pod", "owner", "checks", "violations"]
ESCAPE_COLUMNS = ["namespace", "pod", "owner", "node", "technique", "detail", "container", "writable", "impact",
                  "compromises_node", "requires", "field", "value", "exposes", "mounts"]


#: Inputs read from the snapshot: area -> the resources it needs (Trivy reports are attachments).
INPUTS: dict[str, tuple[str, ...]] = {
    "pods": ("pods",), "namespaces": ("namespaces",), "serviceaccounts": ("serviceaccounts",),
    "bindings": ("rolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io"),
    "secrets": ("secrets",), "configmaps": ("configmaps",),
}


def _as_tuple(value: Any, option: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(str(v) for v in value)
    raise OptionError(f"{option} must be a list of strings or a comma-separated string, got {type(value).__name__}")


class WorkloadAnalysis:
    """Pod Security, host escapes, secrets handling and images of one model. Build with
    :func:`kubesec_nb.workload.analyze`; every table is computed on first use and sorted.

    ``version`` is the Pod Security policy version for the cluster-wide tables (the model's
    Kubernetes version clamped to the newest known step); ``binary`` the API server version.
    ``not_assessed`` maps an area to the reason its input is missing.
    """

    def __init__(self, model: Model, *, registry_allowlist: Any = "auto", dangerous_capabilities: Any = None,
                 api_access_service_accounts: Any = None, psa_default_level: str = "privileged",
                 psa_exempt_namespaces: Any = None) -> None:
        self.model = model
        self.binary: pss.Version = model.version
        self.version: pss.Version = pss.policy_version(None, model.version)
        if registry_allowlist in (None, "auto"):
            self.registry_allowlist = _images.default_allowlist(model.provider)
        else:
            self.registry_allowlist = _as_tuple(registry_allowlist, "registry_allowlist")
        self.capabilities = self._capabilities(dangerous_capabilities)
        self.api_access_service_accounts = _as_tuple(api_access_service_accounts, "api_access_service_accounts")
        if psa_default_level not in pss.LEVELS:
            raise OptionError(f"psa_default_level must be one of {', '.join(pss.LEVELS)}, got {psa_default_level!r}")
        self.psa_default_level = psa_default_level
        self.psa_exempt_namespaces = frozenset(_as_tuple(psa_exempt_namespaces, "psa_exempt_namespaces"))
        self._found: dict[pss.Version, dict[str, Found]] = defaultdict(dict)
        self._by_check: dict[pss.Version, dict[str, list[tuple[PodRef, list[pss.Violation]]]]] = {}

    @staticmethod
    def _capabilities(value: Any) -> dict[str, str]:
        if value is None:
            return dict(_escapes.DANGEROUS_CAPABILITIES)
        if isinstance(value, Mapping):
            bad = sorted(str(v) for v in value.values() if v not in _escapes.IMPACTS)
            if bad:
                raise OptionError(f"dangerous_capabilities impacts must be among {', '.join(_escapes.IMPACTS)}: {bad}")
            return {_escapes.normalize_capability(k): str(v) for k, v in value.items()}
        names = _as_tuple(value, "dangerous_capabilities")
        return {(n := _escapes.normalize_capability(c)): _escapes.DANGEROUS_CAPABILITIES.get(n, "root") for c in names}

    # ---- inputs ----------------------------------------------------------------------------
    @cached_property
    def pods(self) -> list[PodRef]:
        """Every pod with its top-level owner."""
        return pod_refs(self.model)

    def owner_of(self, pod: str) -> str:
        """``Kind/name`` of the top-level owner of pod ``ns/name`` (``Pod/name`` for a bare pod)."""
        return self.model.owner_label(self.model.pod_by_key[pod])

    @cached_property
    def not_assessed(self) -> dict[str, str]:
        """Area → why its input is missing (pods, namespaces, service accounts, bindings, secrets ...)."""
        out: dict[str, str] = {}
        for area, resources in INPUTS.items():
            reason = self.model.missing(*resources)
            if reason:
                out[area] = reason
        if not self.trivy_reports:
            out["trivy"] = "no Trivy report attached (trivy image / trivy k8s --format json)"
        return out

    # ---- Pod Security --------------------------------------------------------------------
    def found(self, ref: PodRef, version: pss.Version) -> Found:
        """The failed checks (baseline and restricted) of one pod at policy ``version``, cached."""
        cache = self._found[version]
        hit = cache.get(ref.key)
        if hit is None:
            hit = cache[ref.key] = pss.run(ref.pod, version, binary=self.binary, level="all")
        return hit

    def failing(self, check: str, version: pss.Version | None = None) -> list[tuple[PodRef, list[pss.Violation]]]:
        """The pods failing upstream check ``check`` at ``version`` (default :attr:`version`), with their
        violations; one pass over the pods serves every check."""
        v = version or self.version
        index = self._by_check.get(v)
        if index is None:
            index = self._by_check[v] = defaultdict(list)
            for ref in self.pods:
                for cid, vs in self.found(ref, v).items():
                    index[cid].append((ref, vs))
        return index.get(check, [])

    @cached_property
    def policies(self) -> dict[str, psa.NamespacePolicy]:
        """The Pod Security policy of every namespace (namespaces with pods included), sorted by name."""
        names = sorted(set(self.model.namespaces) | {r.namespace for r in self.pods})
        return {ns: psa.resolve(ns, self.model.namespace_labels(ns), default_level=self.psa_default_level,
                                exempt=ns in self.psa_exempt_namespaces) for ns in names}

    def enforce_version(self, policy: psa.NamespacePolicy) -> pss.Version:
        """The policy version a namespace's enforce level is evaluated at (its pinned version, clamped)."""
        return pss.policy_version(policy.enforce_version, self.binary)

    def enforce_violations(self, ref: PodRef) -> Found:
        """The failed checks of the level the pod's namespace enforces, at its enforce version, with their
        violations; empty when the namespace enforces nothing."""
        pol = self.policies[ref.namespace]
        if pol.enforces_nothing:
            return {}
        v = self.enforce_version(pol)
        found = self.found(ref, v)
        return {c: found[c] for c in pss.split(found, v)[0 if pol.enforce == "baseline" else 1]}

    @cached_property
    def pod_security(self) -> pd.DataFrame:
        """One row per pod: baseline and restricted verdicts at :attr:`version`, the failed checks, every
        violation (``check: field = value``), the namespace's enforce policy and whether the pod violates it."""
        rows = []
        vlabel = psa.version_label(self.version)
        for ref in self.pods:
            found = self.found(ref, self.version)
            b, r = pss.split(found, self.version)
            pol = self.policies[ref.namespace]  # every namespace with pods has a policy
            rows.append({"namespace": ref.namespace, "pod": ref.name, "owner": ref.owner,
                         "node": (ref.pod.get("spec") or {}).get("nodeName") or "", "version": vlabel,
                         "baseline": "fail" if b else "pass", "restricted": "fail" if r else "pass",
                         "baseline_checks": tuple(b), "restricted_checks": tuple(r),
                         "violations": tuple(str(v) for c in sorted(found) for v in found[c]),
                         "enforce": f"{pol.enforce}:{psa.version_label(pol.enforce_version)}",
                         "violates_enforce": bool(self.enforce_violations(ref))})
        return pd.DataFrame(rows, columns=POD_SECURITY_COLUMNS)

    @cached_property
    def pss_violations(self) -> pd.DataFrame:
        """One row per violation at :attr:`version`: pod, check, the level it belongs to, field and value."""
        rows = []
        for ref in self.pods:
            for cid, vs in sorted(self.found(ref, self.version).items()):
                for v in vs:
                    rows.append({"namespace": ref.namespace, "pod": ref.name, "owner": ref.owner, "check": cid,
                                 "level": pss.CHECKS[cid].level, "field": v.field, "value": v.value})
        return pd.DataFrame(rows, columns=VIOLATION_COLUMNS)

    @cached_property
    def dry_run(self) -> pd.DataFrame:
        """Pods that would be rejected if their namespace enforced ``baseline`` or ``restricted``, at the
        namespace's pinned ``enforce-version`` (else the cluster's), as a server-side dry run warns."""
        rows = []
        for ref in self.pods:
            pol = self.policies[ref.namespace]
            v = self.enforce_version(pol)
            found = self.found(ref, v)
            for level, ids in zip(("baseline", "restricted"), pss.split(found, v), strict=True):
                if ids:
                    rows.append({"namespace": ref.namespace, "level": level, "version": psa.version_label(v),
                                 "pod": ref.name, "owner": ref.owner, "checks": tuple(ids),
                                 "violations": tuple(str(x) for c in ids for x in found[c])})
        df = pd.DataFrame(rows, columns=DRY_RUN_COLUMNS)
        return df.sort_values(["namespace", "level", "pod"]).reset_index(drop=True) if not df.empty else df

    @cached_property
    def namespaces(self) -> pd.DataFrame:
        """One row per namespace: its Pod Security labels and their effective values, whether it
        enforces nothing, how many running pods violate its enforce level now, and how many the dry
        run would reject at baseline and restricted."""
        counts: dict[str, int] = defaultdict(int)
        for ref in self.pods:
            counts[ref.namespace] += 1
        ps = self.pod_security
        violating = ps[ps["violates_enforce"]].groupby("namespace").size().to_dict() if not ps.empty else {}
        dr = self.dry_run
        rej = dr.groupby(["namespace", "level"]).size().to_dict() if not dr.empty else {}
        rows = []
        for ns, pol in self.policies.items():
            rows.append({"namespace": ns, "system": self.model.is_system_namespace(ns), "pods": counts.get(ns, 0),
                         "enforce": pol.enforce, "enforce_version": psa.version_label(pol.enforce_version),
                         "audit": pol.audit, "audit_version": psa.version_label(pol.audit_version),
                         "warn": pol.warn, "warn_version": psa.version_label(pol.warn_version),
                         "label_errors": pol.errors, "exempt": pol.exempt,
                         "enforces_nothing": pol.enforces_nothing,
                         "violating_enforce": int(violating.get(ns, 0)),
                         "dry_run_version": psa.version_label(self.enforce_version(pol)),
                         "reject_baseline": int(rej.get((ns, "baseline"), 0)),
                         "reject_restricted": int(rej.get((ns, "restricted"), 0))})
        return pd.DataFrame(rows, columns=NAMESPACE_COLUMNS)

    # ---- host escapes -------------------------------------------------------------------------
    @cached_property
    def host_escapes(self) -> tuple[_escapes.HostEscape, ...]:
        """Every host escape (frozen dataclasses, sorted by pod), for the attack graph."""
        out: list[_escapes.HostEscape] = []
        for ref in self.pods:
            out.extend(_escapes.pod_escapes(ref.pod, capabilities=self.capabilities))
        return tuple(out)

    @cached_property
    def escapes(self) -> pd.DataFrame:
        """:attr:`host_escapes` as a table, with the pod's owner."""
        rows = [{"namespace": e.namespace, "pod": e.pod.split("/", 1)[1], "owner": self.owner_of(e.pod),
                 "node": e.node or "", "technique": e.technique, "detail": e.detail, "container": e.container or "",
                 "writable": e.writable, "impact": e.impact, "compromises_node": e.compromises_node,
                 "requires": e.requires, "field": e.field, "value": e.value, "exposes": e.exposes, "mounts": e.mounts}
                for e in self.host_escapes]
        return pd.DataFrame(rows, columns=ESCAPE_COLUMNS)

    # ---- secrets -----------------------------------------------------------------------------
    @cached_property
    def secret_ref_records(self) -> list[_secrets.SecretRef]:
        """Workload → Secret references (env, envFrom, volume, projected, imagePullSecrets)."""
        return _secrets.secret_refs(self.pods)

    @cached_property
    def secret_refs(self) -> pd.DataFrame:
        """:attr:`secret_ref_records` as a table."""
        return frame(self.secret_ref_records, _secrets.SecretRef)

    @cached_property
    def credential_records(self) -> list[_secrets.Credential]:
        """Literal credentials found at load time (env values, args, ConfigMap entries), by name and
        detector; values are never present."""
        return _secrets.credentials(self.pods, self.model.items("configmaps"))

    @cached_property
    def credentials(self) -> pd.DataFrame:
        """:attr:`credential_records` as a table."""
        return frame(self.credential_records, _secrets.Credential)

    @cached_property
    def configmap_consumers(self) -> dict[str, list[str]]:
        """``ns/configmap`` → workloads that read it."""
        return _secrets.configmap_consumers(self.pods)

    @cached_property
    def token_records(self) -> list[_secrets.TokenUse]:
        """Per workload: service account, token automount and who decided it, bindings, API need."""
        return _secrets.tokens(self.model, self.pods, self.api_access_service_accounts)

    @cached_property
    def tokens(self) -> pd.DataFrame:
        """:attr:`token_records` as a table."""
        return frame(self.token_records, _secrets.TokenUse)

    @cached_property
    def legacy_token_records(self) -> list[_secrets.LegacyToken]:
        """Long-lived service-account token Secrets."""
        return _secrets.legacy_tokens(self.model, self.secret_ref_records)

    @cached_property
    def legacy_tokens(self) -> pd.DataFrame:
        """:attr:`legacy_token_records` as a table."""
        return frame(self.legacy_token_records, _secrets.LegacyToken)

    @cached_property
    def secret_store_records(self) -> list[_secrets.SecretStoreUse]:
        """Per namespace: Secrets Store CSI and External Secrets use, and Secret consumers."""
        return _secrets.secret_stores(self.model, self.pods, self.secret_ref_records, list(self.policies))

    @cached_property
    def secret_stores(self) -> pd.DataFrame:
        """:attr:`secret_store_records` as a table."""
        return frame(self.secret_store_records, _secrets.SecretStoreUse)

    @cached_property
    def secret_manager_platform(self) -> dict[str, str]:
        """Cloud secret-manager add-ons switched on in attached cluster descriptions."""
        return _secrets.platform_secret_manager((a.kind, a.data) for a in self.model.snapshot.attachments)

    # ---- images ------------------------------------------------------------------------------
    @cached_property
    def image_records(self) -> list[_images.ImageUse]:
        """Per workload container: reference, registry, tag, digest, running digest, pull policy,
        whether the registry is in :attr:`registry_allowlist`."""
        return _images.images(self.pods, self.registry_allowlist)

    @cached_property
    def images(self) -> pd.DataFrame:
        """:attr:`image_records` as a table."""
        return frame(self.image_records, _images.ImageUse)

    @cached_property
    def trivy_reports(self) -> list[tuple[str, Any]]:
        """Attached Trivy documents as ``(source, data)``."""
        return [(a.source, a.data) for a in self.model.snapshot.attachments if a.kind == "trivy"]

    @cached_property
    def vulnerability_records(self) -> list[_trivy.VulnerabilityCount]:
        """Vulnerability counts by severity per workload container, joined from the Trivy reports
        (empty when none is attached; see :attr:`not_assessed`)."""
        return _trivy.vulnerabilities(self.image_records, self.trivy_reports) if self.trivy_reports else []

    @cached_property
    def vulnerabilities(self) -> pd.DataFrame:
        """:attr:`vulnerability_records` as a table (counts are nullable integers)."""
        df = frame(self.vulnerability_records, _trivy.VulnerabilityCount)
        return df.astype(dict.fromkeys(_trivy.COUNTS, "Int64")) if not df.empty else df

    @cached_property
    def signature_records(self) -> list[_signatures.SignatureEnforcement]:
        """Per namespace: which mechanisms enforce image signatures, with evidence."""
        return _signatures.signatures(self.model, list(self.policies))

    @cached_property
    def signatures(self) -> pd.DataFrame:
        """:attr:`signature_records` as a table."""
        return frame(self.signature_records, _signatures.SignatureEnforcement)

    # ---- summary -----------------------------------------------------------------------------
    def facts(self) -> pd.DataFrame:
        """Key figures of the analysis as a two-column table."""
        ps, ns = self.pod_security, self.namespaces
        takeover = {e.pod for e in self.host_escapes if e.compromises_node}
        rows = [
            ("Pod Security policy version", f"{psa.version_label(self.version)} (API server "
                                            f"{psa.version_label(self.binary)})"),
            ("pods", len(self.pods)),
            ("workloads", len({(r.namespace, r.owner) for r in self.pods})),
            ("pods failing baseline", int((ps["baseline"] == "fail").sum()) if not ps.empty else 0),
            ("pods failing restricted", int((ps["restricted"] == "fail").sum()) if not ps.empty else 0),
            ("namespaces enforcing nothing", int(ns["enforces_nothing"].sum()) if not ns.empty else 0),
            ("pods violating their namespace's enforce level", int(ps["violates_enforce"].sum()) if not ps.empty
             else 0),
            ("pods that take over their node (root or node credentials)", len(takeover)),
            ("literal credentials found (values redacted)", len(self.credentials)),
            ("Trivy reports", ", ".join(s for s, _ in self.trivy_reports) or "none"),
            ("registry allowlist", ", ".join(self.registry_allowlist)),
        ]
        return pd.DataFrame(rows, columns=["fact", "value"]).astype({"value": str})

    def coverage(self) -> pd.DataFrame:
        """Inputs of the workload analysis and whether they were available (``not_assessed`` with the reason)."""
        rows = [{"input": k, "status": "not_assessed" if k in self.not_assessed else "available",
                 "reason": self.not_assessed.get(k, "")} for k in (*INPUTS, "trivy")]
        return pd.DataFrame(rows, columns=["input", "status", "reason"])

    def pods_failing(self, level: str) -> pd.DataFrame:
        """Rows of :attr:`pod_security` failing ``level`` (``baseline`` or ``restricted``)."""
        if level not in ("baseline", "restricted"):
            raise OptionError(f"level must be baseline or restricted, got {level!r}")
        ps = self.pod_security
        cols = ["namespace", "pod", "owner", f"{level}_checks", "violations", "enforce"]
        return ps[ps[level] == "fail"][cols].reset_index(drop=True) if not ps.empty else ps[cols]

    def compliance(self) -> pd.DataFrame:
        """Pods per namespace passing and failing baseline and restricted at :attr:`version`."""
        ps = self.pod_security
        cols = ["namespace", "pods", "baseline_pass", "baseline_fail", "restricted_pass", "restricted_fail"]
        if ps.empty:
            return pd.DataFrame(columns=cols)
        g = ps.groupby("namespace")
        out = pd.DataFrame({
            "pods": g.size(),
            "baseline_pass": g["baseline"].apply(lambda s: int((s == "pass").sum())),
            "baseline_fail": g["baseline"].apply(lambda s: int((s == "fail").sum())),
            "restricted_pass": g["restricted"].apply(lambda s: int((s == "pass").sum())),
            "restricted_fail": g["restricted"].apply(lambda s: int((s == "fail").sum())),
        }).reset_index()
        return out[cols].sort_values("namespace").reset_index(drop=True)
