"""Contract tests: the collector against the fake API server, the happy paths."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from kubesec_nb.snapshot.collector import DATA_KEY_COUNT
from kubesec_nb.snapshot.document import Gap, Snapshot
from kubesec_nb.snapshot.resources import RESOURCES

from .cluster import SHOP_PODS, cluster_objects
from .conftest import PAGE
from .fakeapi import DEFAULT_ABSENT, FakeApiServer

Run = Callable[..., Snapshot]


def test_every_resource_is_collected_or_a_gap(fake: FakeApiServer, run: Run) -> None:
    snap = run()
    for spec in RESOURCES:
        gr = spec.group_resource
        gap = snap.gap(gr)
        if spec.group in DEFAULT_ABSENT:
            assert gap is not None and gap.reason == "absent", gr
            assert not snap.has(gr)
        else:
            assert gap is None, gap
            assert snap.has(gr), gr


def test_objects_are_server_json_with_api_version_and_kind(fake: FakeApiServer, run: Run) -> None:
    snap = run()
    assert snap.counts()["pods"] == SHOP_PODS + 1
    for key, objs in snap.objects.items():
        for obj in objs:
            assert obj["apiVersion"] == key.rsplit("/", 1)[0]
            assert obj["kind"] and obj["metadata"]["name"]
            assert "managedFields" not in obj["metadata"]
    deploy = snap.items("deployments.apps")[0]
    assert deploy["spec"]["selector"] == {"matchLabels": {"app": "web"}}  # camelCase, as served
    node = snap.items("nodes")[0]
    assert node["spec"]["providerID"].startswith("aws://")
    assert snap.items("gateways.gateway.networking.k8s.io")[0]["apiVersion"] == "gateway.networking.k8s.io/v1"


def test_same_document_shape_as_offline_loaders(fake: FakeApiServer, run: Run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    snap = run()
    again = Snapshot.load(snap.save(tmp_path / "live.json"))
    assert again.to_dict() == snap.to_dict()
    offline = Snapshot.from_objects([o for o in cluster_objects() if o["kind"] != "Secret"])
    assert set(offline.objects) <= set(snap.objects)


def test_metadata(fake: FakeApiServer, run: Run) -> None:
    m = run().metadata
    assert m["source"] == "live"
    assert m["context"] == "test"
    assert m["cluster"] == "shop"  # from the EKS ARN of the kubeconfig cluster entry
    assert m["provider"] == "eks"
    assert m["serverVersion"]["gitVersion"] == "v1.30.4-eks-a737599"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["collectedAt"])
    assert re.fullmatch(r"kubesec-nb \S+", m["collector"])
    assert m["secrets"] == "metadata"
    assert m["discovery"] == "aggregated"
    assert m["resourceVersions"]["v1/pods"].isdigit()
    assert "namespaces" not in m


def test_cluster_name_override(fake: FakeApiServer, run: Run) -> None:
    assert run(cluster_name="prod-eu").metadata["cluster"] == "prod-eu"


def test_pagination_follows_continue_tokens(fake: FakeApiServer, run: Run) -> None:
    snap = run()
    queries = fake.queries("/api/v1/pods")
    pages = -(-(SHOP_PODS + 1) // PAGE)
    assert len(queries) == pages
    assert all(q["limit"] == str(PAGE) for q in queries)
    assert "continue" not in queries[0] and all(q["continue"] for q in queries[1:])
    names = [p["metadata"]["name"] for p in snap.items("pods")]
    assert len(names) == len(set(names)) == SHOP_PODS + 1


@pytest.mark.parametrize("aggregated", [True, False])
def test_discovery_marks_absent_groups_without_listing_them(make_fake: Callable[..., FakeApiServer], run: Run,
                                                            aggregated: bool) -> None:
    fake = make_fake(aggregated=aggregated)
    snap = run()
    assert snap.metadata["discovery"] == ("aggregated" if aggregated else "legacy")
    gap = snap.gap("ciliumnetworkpolicies.cilium.io")
    assert gap == Gap("ciliumnetworkpolicies.cilium.io", "list", "absent",
                      message="API group cilium.io is not served")
    assert not fake.paths(r"/apis/cilium\.io.*")
    assert snap.has("gateways.gateway.networking.k8s.io")
    if not aggregated:  # one APIResourceList per group/version needed, none for groups not served
        assert "/apis/apps/v1" in fake.paths()
        assert not fake.paths(r"/apis/velero\.io.*")


def test_first_served_version_in_spec_order(make_fake: Callable[..., FakeApiServer], run: Run) -> None:
    objs = [o for o in cluster_objects() if o["kind"] != "Gateway"]
    objs.append({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "Gateway",
                 "metadata": {"name": "old", "namespace": "shop"}, "spec": {"gatewayClassName": "x"}})
    make_fake(objs, versions={"gateways.gateway.networking.k8s.io": "v1beta1"})
    snap = run()
    assert "gateway.networking.k8s.io/v1beta1/gateways" in snap.objects
    assert [g["apiVersion"] for g in snap.items("gateways.gateway.networking.k8s.io")] == \
        ["gateway.networking.k8s.io/v1beta1"]


def test_resource_missing_from_a_served_version_is_absent(make_fake: Callable[..., FakeApiServer], run: Run) -> None:
    # The group is served, but only at a version kubesec-nb does not read.
    make_fake(versions={"tlsroutes.gateway.networking.k8s.io": "v1alpha3"})
    gap = run().gap("tlsroutes.gateway.networking.k8s.io")
    assert gap is not None and gap.reason == "absent"
    assert "v1alpha2" in gap.message


def test_404_on_a_list_is_absent(fake: FakeApiServer, run: Run) -> None:
    # Discovery said yes, the list says no (a CRD deleted meanwhile, a stale aggregated document).
    fake.fail("/apis/gateway.networking.k8s.io/v1/httproutes", 404, times=None)
    snap = run()
    gap = snap.gap("httproutes.gateway.networking.k8s.io")
    assert gap is not None and (gap.reason, gap.status) == ("absent", 404)
    assert snap.has("gateways.gateway.networking.k8s.io")


def test_discovery_unavailable_tries_versions_in_order(make_fake: Callable[..., FakeApiServer], run: Run) -> None:
    fake = make_fake(discovery_status=403)
    snap = run()
    assert snap.metadata["discovery"] == "unavailable"
    assert snap.counts()["pods"] == SHOP_PODS + 1
    gap = snap.gap("ciliumnetworkpolicies.cilium.io")
    assert gap is not None and (gap.reason, gap.status) == ("absent", 404)
    # v1 first, then v1beta1, for a resource the fake does not serve at all
    assert fake.paths(r"/apis/external-secrets\.io/v1(beta1)?/externalsecrets") == [
        "/apis/external-secrets.io/v1/externalsecrets", "/apis/external-secrets.io/v1beta1/externalsecrets"]


def test_namespaces_limit_namespaced_lists(fake: FakeApiServer, run: Run) -> None:
    snap = run(namespaces=["shop", "default"])
    assert snap.metadata["namespaces"] == ["default", "shop"]
    assert {p["metadata"]["namespace"] for p in snap.items("pods")} == {"shop"}
    assert sorted(n["metadata"]["name"] for n in snap.items("namespaces")) == ["default", "shop"]
    assert "/api/v1/pods" not in fake.paths()
    assert "/api/v1/namespaces/shop/pods" in fake.paths()
    assert "/api/v1/nodes" in fake.paths()  # cluster-scoped: read in full
    assert snap.metadata["resourceVersions"]["v1/pods@shop"]


def test_unknown_namespace_is_a_gap(fake: FakeApiServer, run: Run) -> None:
    snap = run(namespaces="nope")
    gap = snap.gap("namespaces")
    assert gap is not None and (gap.verb, gap.reason, gap.namespace, gap.status) == ("get", "not_found", "nope", 404)


def test_crds_are_read_as_metadata(fake: FakeApiServer, run: Run) -> None:
    snap = run()
    crd = snap.items("customresourcedefinitions.apiextensions.k8s.io")[0]
    assert crd["metadata"]["name"] == "gateways.gateway.networking.k8s.io"
    assert crd["kind"] == "CustomResourceDefinition" and "spec" not in crd
    accept = fake.headers("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")[0]["accept"]
    assert "as=PartialObjectMetadataList" in accept


def test_secret_type_and_key_count(fake: FakeApiServer, run: Run) -> None:
    secrets = {s["metadata"]["name"]: s for s in run().items("secrets")}
    assert secrets["web-tls"]["type"] == "kubernetes.io/tls"
    assert secrets["db"]["metadata"]["annotations"][DATA_KEY_COUNT] == "2"
    assert "data" not in secrets["db"]


def test_progress_bar_only_when_asked(fake: FakeApiServer, run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    run(progress=None)  # auto: stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""
    run(progress=True)
    assert "kubesec-nb snapshot" in capsys.readouterr().err


def test_passing_a_client(fake: FakeApiServer, run: Run, kubeconfig_path) -> None:  # type: ignore[no-untyped-def]
    from kubernetes import config

    api = config.new_client_from_config(str(kubeconfig_path), persist_config=False)
    snap = run(kubeconfig=None, client=api, context=None)
    assert snap.counts()["pods"] == SHOP_PODS + 1
    assert snap.metadata["provider"] == "eks"
