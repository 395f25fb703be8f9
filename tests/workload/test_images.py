"""Image references, hygiene, the registry allowlist and the Trivy join."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubesec_nb.workload.images import allowed_registry, default_allowlist, parse_image, running_image_id
from kubesec_nb.workload.trivy import parse_report
from tests.workload.conftest import analysis, c0, deployment, namespace, owner_ref, pod

D1, D2, D3 = "sha256:" + "1" * 64, "sha256:" + "2" * 64, "sha256:" + "3" * 64


@pytest.mark.parametrize(("ref", "registry", "repo", "tag", "digest"), [
    ("nginx", "docker.io", "library/nginx", None, None),
    ("nginx:1.27", "docker.io", "library/nginx", "1.27", None),
    ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", None),
    ("index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1", None),
    ("localhost/app", "localhost", "app", None, None),
    ("registry:5000/team/app", "registry:5000", "team/app", None, None),
    (f"ghcr.io/acme/app@{D1}", "ghcr.io", "acme/app", None, D1),
    (f"gcr.io/p/app:v2@{D1}", "gcr.io", "p/app", "v2", D1),
])
def test_parse_image(ref: str, registry: str, repo: str, tag: str | None, digest: str | None) -> None:
    r = parse_image(ref)
    assert (r.registry, r.repository, r.tag, r.digest) == (registry, repo, tag, digest)


def test_latest_and_default_pull_policy() -> None:
    assert parse_image("nginx").latest and parse_image("nginx:latest").latest
    assert not parse_image(f"nginx@{D1}").latest and not parse_image("nginx:1").latest
    assert parse_image("nginx").default_pull_policy == "Always"
    assert parse_image(f"nginx@{D1}").default_pull_policy == "IfNotPresent"


def test_allowlist_patterns() -> None:
    ecr = parse_image("111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1")
    assert allowed_registry(ecr, default_allowlist("eks"))
    assert not allowed_registry(ecr, default_allowlist("gke"))
    assert allowed_registry(parse_image("europe-docker.pkg.dev/p/r/app:1"), default_allowlist("gke"))
    assert allowed_registry(parse_image("ghcr.io/acme/app:1"), ["ghcr.io/acme/*"])
    assert not allowed_registry(parse_image("docker.io/acme/app:1"), ["ghcr.io"])
    assert "registry.k8s.io" in default_allowlist("unknown")


def test_running_image_id_strips_runtime_prefixes() -> None:
    assert running_image_id(f"docker-pullable://nginx@{D1}") == (D1, None)
    assert running_image_id(f"docker.io/library/nginx@{D1}") == (D1, None)
    assert running_image_id(f"docker://{D1}") == (None, D1)
    assert running_image_id("") == (None, None)


def test_images_table_and_allowlist_option() -> None:
    def m(p: dict[str, Any]) -> None:
        c0(p)["image"] = "ghcr.io/acme/app:1.2"
        p["status"] = {"containerStatuses": [{"name": "app", "imageID": f"ghcr.io/acme/app@{D1}"}]}
    wa = analysis(namespace("shop"), pod("a", mutate=m))
    row = wa.images.iloc[0]
    assert (row["registry"], row["tag"], row["digest"], row["running_digest"], row["pull_policy"],
            row["allowed_registry"]) == ("ghcr.io", "1.2", "", D1, "IfNotPresent", False)
    wa = analysis(namespace("shop"), pod("a", mutate=m), registry_allowlist="ghcr.io/acme/*, quay.io")
    assert bool(wa.images.iloc[0]["allowed_registry"])
    assert wa.registry_allowlist == ("ghcr.io/acme/*", "quay.io")


# ---- Trivy ---------------------------------------------------------------------------------------

def _vuln(vid: str, sev: str, fixed: str = "") -> dict[str, Any]:
    return {"VulnerabilityID": vid, "PkgName": "pkg", "InstalledVersion": "1", "FixedVersion": fixed, "Severity": sev}


def _image_report(name: str, digest: str, vulns: list[dict[str, Any]], image_id: str = "") -> dict[str, Any]:
    md: dict[str, Any] = {"RepoTags": [name], "RepoDigests": [f"{name.rsplit(':', 1)[0]}@{digest}"]}
    if image_id:
        md["ImageID"] = image_id
    return {"SchemaVersion": 2, "ArtifactName": name, "ArtifactType": "container_image", "Metadata": md,
            "Results": [{"Target": f"{name} (debian 12.7)", "Class": "os-pkgs", "Type": "debian",
                         "Vulnerabilities": vulns},
                        {"Target": "app/app.jar", "Class": "lang-pkgs", "Type": "jar",
                         "Vulnerabilities": vulns[:1]}]}


def test_parse_report_dedupes_and_counts() -> None:
    img = parse_report(_image_report("nginx:1.27", D1, [_vuln("CVE-1", "CRITICAL", "2"), _vuln("CVE-2", "LOW")]))[0]
    # CVE-1 appears in two results of the same image: counted once
    assert img.counts() == {"critical": 1, "high": 0, "medium": 0, "low": 1, "unknown": 0, "total": 2, "fixable": 1}
    assert D1 in img.digests and "docker.io/library/nginx:1.27" in img.names


def _k8s_report(mode: str) -> dict[str, Any]:
    res = [{"Namespace": "shop", "Kind": "Deployment", "Name": "web",
            "Metadata": [{"RepoTags": ["web:9"], "RepoDigests": [f"docker.io/library/web@{D3}"]}],
            "Results": [{"Target": "web:9 (alpine 3.20)", "Class": "os-pkgs", "Type": "alpine",
                         "Vulnerabilities": [_vuln("CVE-9", "HIGH")]}]},
           {"Namespace": "shop", "Kind": "Deployment", "Name": "web",
            "Results": [{"Target": "Deployment/web", "Class": "config", "Type": "kubernetes",
                         "Misconfigurations": [{"ID": "KSV-0001"}]}]}]
    return {"ClusterName": "c", "Resources" if mode == "all" else "Findings": res}


def _running(name: str, image: str, image_id: str, owner: dict[str, Any] | None = None) -> dict[str, Any]:
    def m(p: dict[str, Any]) -> None:
        c0(p)["image"] = image
        p["status"] = {"containerStatuses": [{"name": "app", "imageID": image_id}]}
    return pod(name, owner=owner, mutate=m)


@pytest.mark.parametrize("mode", ["all", "summary"])
def test_join_by_digest_image_id_tag_and_workload(tmp_path: Path, mode: str) -> None:
    from kubesec_nb.assessment import assess
    from tests.workload.conftest import snapshot

    rs = owner_ref("ReplicaSet", "web-1", "rs")
    objs = [namespace("shop"), *deployment("web", "web-1", uid="d", rs_uid="rs"),
            _running("by-digest", "nginx:1.27", f"docker-pullable://nginx@{D1}"),
            _running("by-id", "local/build:dev", f"docker://{D2}"),
            _running("by-tag", "redis:7", ""),
            _running("web-1-x", "docker.io/library/web:10", "", owner=rs),
            _running("unscanned", "busybox:1", f"docker.io/library/busybox@{'sha256:' + '9' * 64}")]
    snap = snapshot(*objs)
    docs = {"nginx.json": _image_report("nginx:1.27", D1, [_vuln("CVE-1", "CRITICAL")]),
            "build.json": _image_report("other:1", "sha256:" + "8" * 64, [_vuln("CVE-3", "MEDIUM")], image_id=D2),
            "redis.json": _image_report("redis:7", "sha256:" + "7" * 64, [_vuln("CVE-4", "LOW")]),
            "k8s.json": _k8s_report(mode)}
    for name, doc in docs.items():
        (tmp_path / name).write_text(json.dumps(doc))
        snap.attach("auto", tmp_path / name)
    v = assess(snap).workloads.vulnerabilities.set_index("workload")
    assert v.loc["Pod/by-digest", ["match", "critical"]].tolist() == ["digest", 1]
    assert v.loc["Pod/by-id", ["match", "medium"]].tolist() == ["image-id", 1]
    assert v.loc["Pod/by-tag", ["match", "low"]].tolist() == ["tag", 1]
    assert v.loc["Deployment/web", ["match", "high"]].tolist() == ["workload", 1]
    assert v.loc["Pod/unscanned", "match"] == "not in report"
    assert v.loc["Pod/unscanned", ["critical"]].isna().all()


def test_vulnerabilities_without_a_report_are_not_assessed() -> None:
    wa = analysis(namespace("shop"), pod("a"))
    assert wa.vulnerabilities.empty and "trivy" in wa.not_assessed
