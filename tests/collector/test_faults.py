"""Contract tests: how the collector meets a misbehaving API server (403, 404, 410, 429, 5xx, timeouts)."""

from __future__ import annotations

from collections.abc import Callable

from kubesec_nb.snapshot.document import Gap, Snapshot

from .cluster import SHOP_PODS
from .conftest import Sleeps
from .fakeapi import FakeApiServer

Run = Callable[..., Snapshot]


def test_410_restarts_the_list_from_the_beginning(fake: FakeApiServer, run: Run) -> None:
    fake.expire_continue("/api/v1/pods", times=1)
    snap = run()
    assert snap.gap("pods") is None
    names = [p["metadata"]["name"] for p in snap.items("pods")]
    assert len(names) == len(set(names)) == SHOP_PODS + 1  # nothing twice, nothing lost
    queries = fake.queries("/api/v1/pods")
    # page 1, page 2 -> 410, then page 1 again without a token, and the rest
    assert "continue" in queries[1] and "continue" not in queries[2]
    assert len(queries) == 2 + 3


def test_410_restarts_are_bounded(fake: FakeApiServer, run: Run) -> None:
    fake.expire_continue("/api/v1/pods", times=100)
    snap = run(list_restarts=2)
    gap = snap.gap("pods")
    assert gap is not None and (gap.reason, gap.status) == ("error", 410)
    assert "3 times" in gap.message
    assert not snap.has("pods")  # a list that could not be finished keeps nothing
    assert snap.has("services")


def test_403_on_one_resource_is_a_gap_and_collection_goes_on(fake: FakeApiServer, run: Run) -> None:
    msg = 'secrets is forbidden: User "system:serviceaccount:kubesec:collector" cannot list resource "secrets"'
    fake.fail("/api/v1/secrets", 403, times=None, message=msg)
    snap = run()
    assert snap.gap("secrets") == Gap("secrets", "list", "forbidden", status=403, message=msg)
    assert not snap.has("secrets")
    assert snap.counts()["pods"] == SHOP_PODS + 1
    assert snap.has("customresourcedefinitions.apiextensions.k8s.io")
    assert fake.paths("/api/v1/secrets") == ["/api/v1/secrets"]  # 403 is not retried


def test_403_per_namespace(fake: FakeApiServer, run: Run) -> None:
    fake.fail("/api/v1/namespaces/default/pods", 403, times=None)
    snap = run(namespaces=["default", "shop"])
    gap = snap.gap("pods")
    assert gap is not None and (gap.reason, gap.namespace, gap.status) == ("forbidden", "default", 403)
    assert len(snap.items("pods")) == SHOP_PODS
    assert snap.has("pods")


def test_403_in_every_namespace_leaves_no_list(fake: FakeApiServer, run: Run) -> None:
    fake.fail("/api/v1/namespaces/[^/]+/configmaps", 403, times=None)
    snap = run(namespaces=["default", "shop"])
    assert not snap.has("configmaps")
    assert sorted(g.namespace or "" for g in snap.gaps if g.resource == "configmaps") == ["default", "shop"]


def test_429_then_success_honours_retry_after(fake: FakeApiServer, run: Run, sleeps: Sleeps) -> None:
    fake.fail("/api/v1/services", 429, times=2, headers={"Retry-After": "3"})
    snap = run(retries=4, backoff=0.1)
    assert snap.gap("services") is None and snap.counts()["services"] == 1
    assert sleeps == [3.0, 3.0]
    assert len(fake.paths("/api/v1/services")) == 3


def test_retry_after_is_capped(fake: FakeApiServer, run: Run, sleeps: Sleeps) -> None:
    fake.fail("/api/v1/services", 429, times=1, headers={"Retry-After": "3600"})
    run(max_backoff=5.0)
    assert sleeps == [5.0]


def test_5xx_is_retried_with_exponential_backoff(fake: FakeApiServer, run: Run, sleeps: Sleeps) -> None:
    fake.fail("/apis/apps/v1/daemonsets", 503, times=3)
    snap = run(retries=3, backoff=0.5)
    assert snap.counts()["daemonsets.apps"] == 1
    assert sleeps == [0.5, 1.0, 2.0]


def test_5xx_retry_exhaustion_is_a_gap(fake: FakeApiServer, run: Run, sleeps: Sleeps) -> None:
    fake.fail("/apis/rbac.authorization.k8s.io/v1/roles", 500, times=None, message="etcdserver: leader changed")
    snap = run(retries=2, backoff=0.25, max_backoff=0.3)
    gap = snap.gap("roles.rbac.authorization.k8s.io")
    assert gap is not None and (gap.reason, gap.status) == ("error", 500)
    assert gap.message == "etcdserver: leader changed (after 3 attempts)"
    assert len(fake.paths("/apis/rbac.authorization.k8s.io/v1/roles")) == 3
    assert sleeps == [0.25, 0.3]
    assert snap.has("rolebindings.rbac.authorization.k8s.io")


def test_timeout_is_a_gap_and_collection_goes_on(fake: FakeApiServer, run: Run) -> None:
    fake.stall("/api/v1/configmaps", 5.0)
    snap = run(timeout=0.3, retries=1, backoff=0.0)
    gap = snap.gap("configmaps")
    assert gap is not None and gap.reason == "timeout"
    assert "0.3 s" in gap.message
    assert len(fake.paths("/api/v1/configmaps")) == 2
    assert snap.counts()["secrets"] == 2


def test_timeout_mid_pagination_keeps_nothing(fake: FakeApiServer, run: Run) -> None:
    fake.stall("/api/v1/pods", 5.0, times=None)
    fake.faults[-1].when = lambda request: "continue" in request.args
    snap = run(timeout=0.3, retries=0)
    assert snap.gap("pods") is not None and not snap.has("pods")


def test_401_mid_collection_is_a_gap(fake: FakeApiServer, run: Run) -> None:
    fake.fail("/api/v1/nodes", 401, times=None)
    gap = run().gap("nodes")
    assert gap is not None and (gap.reason, gap.status) == ("unauthorized", 401)


def test_other_client_errors_are_error_gaps_without_retry(fake: FakeApiServer, run: Run) -> None:
    fake.fail("/api/v1/services", 400, times=None, message="bad request")
    gap = run().gap("services")
    assert gap is not None and (gap.reason, gap.status, gap.message) == ("error", 400, "bad request")
    assert len(fake.paths("/api/v1/services")) == 1
