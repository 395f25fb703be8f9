"""Fixtures: one threaded fake API server per session, a fresh fake cluster and kubeconfig per test."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_httpserver import HTTPServer

from kubesec_nb.snapshot.document import Snapshot

from .cluster import cluster_objects
from .fakeapi import FakeApiServer, kubeconfig

#: Small pages, so that the shop namespace's pods take three pages.
PAGE = 3


@pytest.fixture(scope="session")
def apiserver() -> Iterator[HTTPServer]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    # Threaded: a stalled response (timeout tests) must not hold up the retry that follows it.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


class Sleeps(list[float]):
    """A ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_fake(apiserver: HTTPServer) -> Iterator[Callable[..., FakeApiServer]]:
    fakes: list[FakeApiServer] = []

    def make(objects: Any = None, **kwargs: Any) -> FakeApiServer:
        fake = FakeApiServer(cluster_objects() if objects is None else objects, **kwargs)
        apiserver.clear()
        apiserver.clear_all_handlers()
        apiserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
        fakes.append(fake)
        return fake

    yield make
    for fake in fakes:
        fake.release.set()
    apiserver.clear_all_handlers()


@pytest.fixture
def fake(make_fake: Callable[..., FakeApiServer]) -> FakeApiServer:
    return make_fake()


@pytest.fixture
def write_kubeconfig(apiserver: HTTPServer, tmp_path: Path) -> Callable[..., Path]:
    def write(**kwargs: Any) -> Path:
        path = tmp_path / "kubeconfig"
        server = kwargs.pop("server", f"http://127.0.0.1:{apiserver.port}")
        path.write_text(yaml.safe_dump(kubeconfig(server, **kwargs)), encoding="utf-8")
        return path
    return write


@pytest.fixture
def kubeconfig_path(write_kubeconfig: Callable[..., Path]) -> Path:
    return write_kubeconfig()


@pytest.fixture
def run(kubeconfig_path: Path, sleeps: Sleeps) -> Callable[..., Snapshot]:
    """``collect`` against the fake with test-friendly defaults (short timeout, no real waits)."""
    def run_collect(**kwargs: Any) -> Snapshot:
        opts: dict[str, Any] = {"kubeconfig": kubeconfig_path, "timeout": 2.0, "retries": 2, "backoff": 0.1,
                                "page_size": PAGE, "progress": False, "sleep": sleeps}
        opts.update(kwargs)
        return Snapshot.collect(**opts)
    return run_collect
