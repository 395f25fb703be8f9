"""Offline loaders on real-world-shaped inputs: kubectl dumps, Helm output, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubesec_nb.errors import SnapshotError
from kubesec_nb.model import Model
from kubesec_nb.snapshot import Snapshot
from tests.conftest import leaked


def test_kubectl_lists_and_single_objects(kubectl_dump: Path) -> None:
    s = Snapshot.from_kubectl(kubectl_dump)
    assert s.counts() == {"deployments.apps": 1, "namespaces": 1, "nodes": 1, "pods": 2, "replicasets.apps": 1,
                          "secrets": 1}
    assert s.metadata["source"] == "kubectl" and s.metadata["provider"] == "eks"
    assert s.metadata["skipped"] == {"v1/Event": 1}
    m = Model(s)
    assert m.owner(m.pod_by_key["web/front-5d9f-abcde"]) == ("Deployment", "web", "front")
    pod = m.pod_by_key["web/front-5d9f-abcde"]
    assert "managedFields" not in pod["metadata"]
    assert pod["spec"]["containers"][0]["env"][0]["value"] == "<redacted:key-name>"
    assert not leaked(json.dumps(s.to_dict()))
    # not declared complete: what the dump lacks is "not in snapshot", not an empty list
    assert not s.has("networkpolicies.networking.k8s.io")
    assert Snapshot.from_kubectl(kubectl_dump, complete=True).has("networkpolicies.networking.k8s.io")


def test_typed_list_items_get_apiversion_and_kind(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": [
        {"metadata": {"name": "p", "namespace": "a"}, "spec": {}}]}))
    assert Snapshot.from_kubectl(tmp_path).items("pods")[0]["kind"] == "Pod"


def test_helm_output_with_comments_empty_documents_and_defaults(helm_shop: Path) -> None:
    s = Snapshot.from_manifests(helm_shop)
    m = Model(s)
    assert sorted(m.namespaces) == ["default", "shop-jobs"]
    assert m.namespaces["shop-jobs"]["metadata"]["annotations"]["kubesec-nb.io/synthesized"]
    assert m.namespace_labels("default")["kubernetes.io/metadata.name"] == "default"
    assert {"default/default", "default/shop-web", "shop-jobs/default"} <= set(m.service_accounts)
    # representative pods, owner recorded, defaults applied
    web = m.pod_by_key["default/shop-web-0"]
    assert m.owner(web) == ("Deployment", "default", "shop-web")
    c = web["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "Always" and c["ports"][0]["protocol"] == "TCP"
    assert any(v["name"] == "kube-api-access" for v in web["spec"]["volumes"])
    assert web["status"]["podIP"].startswith("10.254.")
    cron = m.pod_by_key["shop-jobs/shop-cleanup-0"]
    assert m.owner(cron) == ("CronJob", "shop-jobs", "shop-cleanup")
    assert cron["metadata"]["labels"] == {"app": "cleanup"}
    # NetworkPolicy defaulting: egress: [] does not make an egress policy
    np = s.items("networkpolicies.networking.k8s.io")[0]
    assert np["spec"]["policyTypes"] == ["Ingress"]
    assert np["spec"]["ingress"][0]["ports"][0] == {"port": "http", "protocol": "TCP"}
    # Service defaults and an EndpointSlice resolving the named target port
    svc = s.items("services")[0]["spec"]
    assert svc["clusterIP"].startswith("10.96.") and svc["ports"][0]["nodePort"] >= 30000
    eps = s.items("endpointslices.discovery.k8s.io")
    assert eps[0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert eps[0]["endpoints"][0]["targetRef"]["name"] == "shop-web-0"
    # bootstrap RBAC and aggregation: edit includes the chart's widgets rule, and so does admin
    roles = {r["metadata"]["name"]: r for r in s.items("clusterroles.rbac.authorization.k8s.io")}
    widgets = {"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["*"]}
    assert widgets in roles["edit"]["rules"] and widgets in roles["admin"]["rules"]
    assert widgets not in roles["view"]["rules"]
    assert s.metadata["skipped"] == {"policy/v1/PodDisruptionBudget": 1}
    assert s.gap("nodes") is not None and s.has("networkpolicies.networking.k8s.io")
    assert not leaked(json.dumps(s.to_dict()))


def test_options_namespace_no_bootstrap_no_expand(helm_shop: Path) -> None:
    s = Snapshot.from_manifests(helm_shop, namespace="shop", bootstrap_rbac=False, expand=False)
    assert {p["metadata"]["namespace"] for p in s.items("pods")} == set()
    assert not any(r["metadata"]["name"] == "cluster-admin" for r in s.items("clusterroles.rbac.authorization.k8s.io"))
    assert s.items("deployments.apps")[0]["metadata"]["namespace"] == "shop"


def test_existing_pods_are_not_duplicated(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("""
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: x, uid: sts-1}
spec: {template: {spec: {containers: [{name: c, image: postgres:16}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: x, ownerReferences: [{kind: StatefulSet, name: db, uid: sts-1, controller: true}]}
spec: {containers: [{name: c, image: postgres:16}]}
""")
    assert [p["metadata"]["name"] for p in Snapshot.from_manifests(tmp_path).items("pods")] == ["db-0"]


@pytest.mark.parametrize(("text", "message"), [
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\n---\nkind: [unclosed\n",
     r"bad.yaml: document #1: invalid YAML at line \d+ column \d+"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n data: 1\n", r"bad.yaml: document #0: invalid YAML at line"),
    ("- 1\n- 2\n", r"bad.yaml: document #0 item #0: expected a mapping \(a Kubernetes object\), got number"),
    ("just a string\n", r"bad.yaml: document #0: expected a mapping \(a Kubernetes object\), got str"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {namespace: b}\n", r"bad.yaml: document #0 \(Pod\): metadata.name"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {x: 1}}\n",
     r"bad.yaml: document #0 \(Pod default/a\): metadata.labels\['x'\]: expected string, got integer \(1\)"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: [1]\n", r"spec: expected object, got array \(\['<redacted:invalid>'\]\)"),
    ("metadata: {name: a}\n", r"document #0: not a Kubernetes object"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7)),
     r"bad.yaml: document #0: YAML aliases expand beyond 1000000 nodes"),
])
def test_malformed_yaml_names_file_and_document(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(SnapshotError, match=message):
        Snapshot.from_manifests(tmp_path / "bad.yaml")


def test_malformed_json_and_paths(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"kind": "List", "items": [}')
    with pytest.raises(SnapshotError, match=r"bad.json: document #0: invalid JSON at line 1 column 28"):
        Snapshot.from_kubectl(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text('{"kind": "List", "items": 3}')
    with pytest.raises(SnapshotError, match=r"list.json: document #0: items: expected a list"):
        Snapshot.from_kubectl(tmp_path / "list.json")
    with pytest.raises(SnapshotError, match="no such file or folder"):
        Snapshot.from_manifests(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SnapshotError, match="folder has no"):
        Snapshot.from_manifests(tmp_path / "empty")


def test_strict_mode_refuses_unknown_kinds(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    assert Snapshot.from_manifests(tmp_path).metadata["skipped"] == {"example.com/v1/Widget": 1}
    with pytest.raises(SnapshotError, match=r"w.yaml: document #0 \(Widget w\): kind: unknown kind Widget"):
        Snapshot.from_manifests(tmp_path, strict=True)
