"""The collector's HTTP layer with a stub client: failures the fake server cannot produce (refused, TLS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from kubesec_nb.snapshot.transport import Http, RequestError

from .conftest import Sleeps


@dataclass
class Resp:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)

    def read(self) -> bytes:
        return self.body


class StubApi:
    """Answers ``call_api`` with the next outcome (the last one repeats); counts the calls."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes, self.calls = list(outcomes), 0

    def param_serialize(self, method: str, path: str, **kwargs: Any) -> tuple[Any, ...]:
        return method, path, kwargs.get("header_params") or {}, None, []

    def call_api(self, method: str, url: str, **kwargs: Any) -> Resp:
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        assert isinstance(outcome, Resp)
        return outcome


def _http(api: StubApi, sleeps: Sleeps, retries: int = 2) -> Http:
    return Http(api, timeout=1.5, retries=retries, backoff=1.0, max_backoff=10.0, sleep=sleeps)


def refused() -> urllib3.exceptions.NewConnectionError:
    conn = urllib3.connection.HTTPSConnection("10.0.0.1", 443)
    return urllib3.exceptions.NewConnectionError(conn, "Failed to establish a new connection: [Errno 111] "
                                                 "Connection refused")


def test_connection_refused_then_the_server_is_given_up(sleeps: Sleeps) -> None:
    api = StubApi(refused())
    http = _http(api, sleeps)
    with pytest.raises(RequestError) as exc:
        http.get("/api/v1/pods")
    assert (exc.value.reason, exc.value.connection) == ("error", True)
    assert exc.value.message == ("cannot connect: Failed to establish a new connection: [Errno 111] Connection refused"
                                 " (after 3 attempts)")
    assert api.calls == 3 and sleeps == [1.0, 2.0]
    for _ in range(Http.GIVE_UP_AFTER - 1):  # down: one attempt each
        with pytest.raises(RequestError):
            http.get("/api/v1/services")
    assert api.calls == 3 + Http.GIVE_UP_AFTER - 1
    with pytest.raises(RequestError, match="not requested: the API server stopped answering"):
        http.get("/api/v1/configmaps")
    assert api.calls == 3 + Http.GIVE_UP_AFTER - 1  # nothing sent


def test_an_answer_ends_the_down_state(sleeps: Sleeps) -> None:
    api = StubApi(refused(), refused(), refused(), Resp(body=b'{"kind": "PodList"}'))
    http = _http(api, sleeps)
    with pytest.raises(RequestError):
        http.get("/api/v1/pods")
    assert http.get("/api/v1/pods") == {"kind": "PodList"}
    assert http.down == 0


def test_wrapped_errors_of_a_callers_client(sleeps: Sleeps) -> None:
    api = StubApi(urllib3.exceptions.MaxRetryError(None, "/version", refused()))  # type: ignore[arg-type]
    with pytest.raises(RequestError, match=r"^cannot connect"):
        _http(api, sleeps, retries=0).get("/version")


@pytest.mark.parametrize(("error", "reason", "connection", "message"), [
    (urllib3.exceptions.ConnectTimeoutError("connect timed out"), "timeout", True, "no connection within 1.5 s"),
    (urllib3.exceptions.ReadTimeoutError(None, "/x", "read timed out"), "timeout", False,  # type: ignore[arg-type]
     "no response within 1.5 s"),
    (urllib3.exceptions.ProtocolError("Connection aborted."), "error", True, "connection failed: Connection aborted."),
    (ApiException(status=0, reason="SSLError\ncertificate verify failed"), "error", True,
     "TLS or connection error: SSLError certificate verify failed"),
])
def test_transport_errors(sleeps: Sleeps, error: BaseException, reason: str, connection: bool, message: str) -> None:
    with pytest.raises(RequestError) as exc:
        _http(StubApi(error), sleeps, retries=0).get("/x")
    assert (exc.value.reason, exc.value.connection, exc.value.message) == (reason, connection, message)


def test_read_timeouts_are_retried(sleeps: Sleeps) -> None:
    api = StubApi(urllib3.exceptions.ReadTimeoutError(None, "/x", "t"), Resp(body=b"{}"))  # type: ignore[arg-type]
    assert _http(api, sleeps).get("/x") == {}
    assert api.calls == 2 and sleeps == [1.0]


@pytest.mark.parametrize("body", [b"<html>login</html>", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object(sleeps: Sleeps, body: bytes) -> None:
    with pytest.raises(RequestError, match="GET /x: the response is not"):
        _http(StubApi(Resp(body=body)), sleeps).get("/x")


def test_503_with_retry_after_then_success(sleeps: Sleeps) -> None:
    api = StubApi(Resp(503, b"", {"Retry-After": "7"}), Resp(body=b'{"ok": true}'))
    assert _http(api, sleeps).get("/x") == {"ok": True}
    assert sleeps == [7.0]
