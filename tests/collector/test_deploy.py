"""The manifests in deploy/: a least-privilege, read-only role that covers exactly what the collector reads."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesec_nb.snapshot.discovery import group_version_path
from kubesec_nb.snapshot.resources import RESOURCES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
READ_VERBS = {"get", "list"}
SA = {"kind": "ServiceAccount", "name": "kubesec-nb", "namespace": "kubesec-nb"}


def _docs(*names: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        out += [d for d in yaml.safe_load_all((DEPLOY / name).read_text(encoding="utf-8")) if d]
    return out


def _roles() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _docs("rbac.yaml", "rbac-secrets.yaml") if d["kind"] == "ClusterRole"}


def _grants(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule.get("apiGroups", []):
            for res in rule.get("resources", []):
                out.setdefault((group, res), set()).update(rule["verbs"])
    return out


def test_every_collected_resource_is_readable_and_nothing_else() -> None:
    roles = _roles()
    grants = _grants(roles["kubesec-nb-reader"])
    secrets = _grants(roles["kubesec-nb-secret-metadata"])
    wanted = {(s.group, s.resource) for s in RESOURCES}
    assert set(grants) | set(secrets) == wanted
    for key in wanted - {("", "secrets")}:
        assert grants[key] == READ_VERBS, key
    # the optional role: list only (the collector never gets a single Secret), and nothing more
    assert secrets == {("", "secrets"): {"list"}}
    assert ("", "secrets") not in grants


def test_discovery_urls_are_exactly_those_the_collector_asks_for() -> None:
    rules = [r for r in _roles()["kubesec-nb-reader"]["rules"] if "nonResourceURLs" in r]
    assert len(rules) == 1 and rules[0]["verbs"] == ["get"]
    wanted = {"/version", "/api", "/apis"} | {group_version_path(s.group, v) for s in RESOURCES for v in s.versions}
    assert sorted(rules[0]["nonResourceURLs"]) == sorted(wanted)


@pytest.mark.parametrize("name", ["kubesec-nb-reader", "kubesec-nb-secret-metadata"])
def test_no_write_verbs_no_wildcards(name: str) -> None:
    for rule in _roles()[name]["rules"]:
        assert set(rule["verbs"]) <= READ_VERBS
        for field in ("apiGroups", "resources", "verbs", "nonResourceURLs", "resourceNames"):
            assert not any("*" in v for v in rule.get(field, [])), (field, rule)
        assert not any("/" in r for r in rule.get("resources", [])), "no subresources (pods/exec, ...)"


def test_roles_are_bound_to_the_collector_service_account() -> None:
    docs = _docs("rbac.yaml", "rbac-secrets.yaml")
    sas = [d for d in docs if d["kind"] == "ServiceAccount"]
    assert [(d["metadata"]["name"], d["metadata"]["namespace"]) for d in sas] == [("kubesec-nb", "kubesec-nb")]
    bindings = {d["roleRef"]["name"]: d for d in docs if d["kind"] == "ClusterRoleBinding"}
    assert set(bindings) == set(_roles())
    for b in bindings.values():
        assert b["roleRef"]["kind"] == "ClusterRole"
        assert b["subjects"] == [SA]


def test_cronjob_runs_snapshot_then_report_as_the_collector() -> None:
    (cron,) = [d for d in _docs("cronjob.yaml") if d["kind"] == "CronJob"]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == SA["name"] and cron["metadata"]["namespace"] == SA["namespace"]
    (container,) = pod["containers"]
    script = "\n".join(container["args"])
    assert script.index("kubesec-nb snapshot") < script.index("kubesec-nb report")
    assert {"mountPath": "/reports", "name": "reports"} in container["volumeMounts"]
    ctx = container["securityContext"]
    assert ctx["allowPrivilegeEscalation"] is False and ctx["readOnlyRootFilesystem"] is True
    assert ctx["capabilities"]["drop"] == ["ALL"] and pod["securityContext"]["runAsNonRoot"] is True


def test_cronjob_commands_parse_with_the_cli() -> None:
    from kubesec_nb.cli import build_parser

    (cron,) = [d for d in _docs("cronjob.yaml") if d["kind"] == "CronJob"]
    script = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    commands = [shlex.split(line.replace('"$out', '"/reports/x').replace('"$CLUSTER_NAME"', "prod"))[1:]
                for line in script.splitlines() if line.startswith("kubesec-nb ")]
    assert [c[0] for c in commands] == ["snapshot", "report"]
    parser = build_parser()
    assert [parser.parse_known_args(argv)[1] for argv in commands] == [[], []]


def test_kustomization_lists_every_manifest() -> None:
    (kust,) = _docs("kustomization.yaml")
    assert sorted(kust["resources"]) == sorted(p.name for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")


def _authorizer(*files: str) -> Any:
    """A request predicate: would the ClusterRoles in ``files`` allow this request? (RBAC, cluster-wide)."""
    roles = [d for d in _docs(*files) if d["kind"] == "ClusterRole"]
    grants: dict[tuple[str, str], set[str]] = {}
    urls: set[str] = set()
    for role in roles:
        for key, verbs in _grants(role).items():
            grants.setdefault(key, set()).update(verbs)
        for rule in role["rules"]:
            urls.update(rule.get("nonResourceURLs", []))

    def allowed(request: Any) -> bool:
        parts = request.path.strip("/").split("/")
        if parts[0] == "api":
            group, rest = "", parts[2:]
        else:
            group, rest = parts[1] if len(parts) > 1 else "", parts[3:]
        if not rest:
            return bool(request.path in urls)
        if rest[0] == "namespaces" and len(rest) == 2:  # GET /api/v1/namespaces/NAME
            return "get" in grants.get((group, "namespaces"), set())
        resource = rest[2] if rest[0] == "namespaces" and len(rest) == 3 else rest[0]
        return "list" in grants.get((group, resource), set())

    return allowed


@pytest.mark.parametrize(("files", "options", "aggregated"), [
    (("rbac.yaml", "rbac-secrets.yaml"), {}, True),
    (("rbac.yaml", "rbac-secrets.yaml"), {}, False),
    (("rbac.yaml",), {"secrets": "skip"}, True),
    (("rbac.yaml", "rbac-secrets.yaml"), {"namespaces": ["shop", "default"]}, True),
])
def test_the_role_is_enough_for_the_collector(make_fake: Any, run: Any, files: tuple[str, ...],
                                              options: dict[str, Any], aggregated: bool) -> None:
    """Against a fake API server that enforces exactly these roles, nothing is forbidden."""
    fake = make_fake(aggregated=aggregated)
    allowed = _authorizer(*files)
    fake.fail(".*", 403, times=None, when=lambda request: not allowed(request))
    snap = run(**options)
    assert [g for g in snap.gaps if g.reason not in ("absent", "not_collected")] == []
    assert snap.metadata["discovery"] == ("aggregated" if aggregated else "legacy")
    assert fake.faults[-1].hits == 0


def test_without_the_secrets_role_secrets_are_a_forbidden_gap(make_fake: Any, run: Any) -> None:
    fake = make_fake()
    allowed = _authorizer("rbac.yaml")
    fake.fail(".*", 403, times=None, when=lambda request: not allowed(request))
    gap = run().gap("secrets")
    assert gap is not None and (gap.reason, gap.status) == ("forbidden", 403)
