"""Namespace Pod Security labels, the pod_security table and the enforcement dry run."""

from __future__ import annotations

import pytest

from kubesec_nb.errors import OptionError
from kubesec_nb.model import LATEST_VERSION
from kubesec_nb.workload import psa, pss
from tests.workload.conftest import analysis, c0, namespace, pod, psa_labels


def test_resolve_follows_policy_to_evaluate() -> None:
    p = psa.resolve("a", {"pod-security.kubernetes.io/enforce": "nonsense",
                          "pod-security.kubernetes.io/enforce-version": "1.30",
                          "pod-security.kubernetes.io/audit": "nonsense",
                          "pod-security.kubernetes.io/warn": "baseline",
                          "pod-security.kubernetes.io/warn-version": "v1.27"})
    # invalid enforce level fails closed, invalid audit/warn fail open, an invalid version is latest
    assert (p.enforce, p.enforce_version, p.audit, p.warn, p.warn_version) == (
        "restricted", None, "privileged", "baseline", (1, 27))
    assert len(p.errors) == 3
    assert psa.resolve("a", {}).enforce == "privileged"
    assert psa.resolve("a", {}, default_level="baseline").enforce == "baseline"
    assert psa.parse_version("v1.05") == (None, 'must be "latest" or "v1.x"')


def test_pod_security_table_and_enforcement() -> None:
    wa = analysis(
        namespace("shop", **psa_labels("baseline")),
        namespace("dev"),
        pod("web"),
        pod("priv", mutate=lambda p: c0(p)["securityContext"].update(privileged=True)),
        pod("loose", "dev", mutate=lambda p: p["spec"]["securityContext"].pop("runAsNonRoot")),
    )
    ps = wa.pod_security.set_index("pod")
    assert list(wa.pod_security["pod"]) == ["loose", "priv", "web"]  # sorted by namespace, name
    assert ps.loc["web", ["baseline", "restricted"]].tolist() == ["pass", "pass"]
    assert ps.loc["priv", ["baseline", "restricted"]].tolist() == ["fail", "fail"]
    assert ps.loc["priv", "baseline_checks"] == ("privileged",)
    assert ps.loc["loose", ["baseline", "restricted", "restricted_checks"]].tolist() == [
        "pass", "fail", ("runAsNonRoot",)]
    assert ps.loc["priv", "violates_enforce"] and not ps.loc["loose", "violates_enforce"]
    assert "privileged: spec.containers[0].securityContext.privileged = true" in ps.loc["priv", "violations"]
    assert set(ps["version"]) == {"v1.30"}

    ns = wa.namespaces.set_index("namespace")
    assert ns.loc["dev", "enforces_nothing"] and not ns.loc["shop", "enforces_nothing"]
    assert ns.loc["shop", ["violating_enforce", "reject_baseline", "reject_restricted"]].tolist() == [1, 1, 1]
    assert ns.loc["dev", ["reject_baseline", "reject_restricted"]].tolist() == [0, 1]

    dr = wa.dry_run
    assert dr[["namespace", "level", "pod"]].values.tolist() == [
        ["dev", "restricted", "loose"], ["shop", "baseline", "priv"], ["shop", "restricted", "priv"]]


def test_dry_run_uses_the_pinned_enforce_version() -> None:
    # container_engine_t is allowed from v1.31: a namespace pinned to v1.30 would reject it
    def engine(p: dict) -> None:  # type: ignore[type-arg]
        c0(p)["securityContext"]["seLinuxOptions"] = {"type": "container_engine_t"}
    wa = analysis(namespace("old", **psa_labels("baseline", "v1.30")), namespace("new", **psa_labels("baseline")),
                  pod("a", "old", mutate=engine), pod("b", "new", mutate=engine), version="v1.33.1")
    dr = wa.dry_run
    assert dr[dr["level"] == "baseline"][["namespace", "version"]].values.tolist() == [["old", "v1.30"]]
    ns = wa.namespaces.set_index("namespace")
    assert ns.loc["old", "violating_enforce"] == 1 and ns.loc["new", "violating_enforce"] == 0
    assert ns.loc["old", "dry_run_version"] == "v1.30" and ns.loc["new", "dry_run_version"] == "v1.33"


def test_exempt_namespaces_and_default_level_options() -> None:
    objs = (namespace("shop"), pod("priv", mutate=lambda p: c0(p)["securityContext"].update(privileged=True)))
    wa = analysis(*objs, psa_default_level="baseline")
    assert wa.namespaces.set_index("namespace").loc["shop", "enforce"] == "baseline"
    assert bool(wa.pod_security["violates_enforce"].iloc[0])
    wa = analysis(*objs, psa_default_level="baseline", psa_exempt_namespaces=["shop"])
    row = wa.namespaces.set_index("namespace").loc["shop"]
    assert row["exempt"] and row["enforces_nothing"]
    assert not bool(wa.pod_security["violates_enforce"].iloc[0])
    with pytest.raises(OptionError):
        analysis(*objs, psa_default_level="strict")


def test_k8s_version_option_selects_the_policy_version() -> None:
    objs = (namespace("shop"), pod("web", mutate=lambda p: p["spec"]["securityContext"].update(
        sysctls=[{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}])))
    assert analysis(*objs, k8s_version="1.31").pod_security["baseline"].tolist() == ["fail"]
    assert analysis(*objs, k8s_version="1.32").pod_security["baseline"].tolist() == ["pass"]
    assert analysis(*objs, k8s_version="latest").version == pss.policy_version(None, LATEST_VERSION)


def test_missing_pods_are_not_assessed() -> None:
    from kubesec_nb.assessment import assess
    from kubesec_nb.snapshot.document import Gap, Snapshot

    snap = Snapshot(metadata={"serverVersion": {"gitVersion": "v1.30.0"}})
    snap.add_gap(Gap("pods", "list", "forbidden", status=403))
    a = assess(snap)
    assert "pods" in a.workloads.not_assessed
    f = a.findings
    assert set(f[f["check_id"] == "PSS-PRIVILEGED"]["status"]) == {"not_assessed"}
    assert "forbidden" in f[f["check_id"] == "PSS-PRIVILEGED"]["message"].iloc[0]
