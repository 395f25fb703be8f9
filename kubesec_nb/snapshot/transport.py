"""HTTP for the collector: one ``GET`` with a timeout, bounded retries and backoff; JSON in, dict out.

Requests go through the official client's generic path (``ApiClient.param_serialize``
then ``call_api``), so its authentication (bearer tokens refreshed by exec plugins and
in-cluster token rotation), client certificates, TLS and proxy settings all apply,
while the response stays the server's raw JSON. Failures become :class:`RequestError`
with the gap reason the snapshot records.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3

from kubesec_nb.snapshot.connect import one_line

log = logging.getLogger(__name__)

ACCEPT_JSON = "application/json"
#: Responses worth another try: throttling and server-side trouble.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class RequestError(Exception):
    """A request that failed for good: the gap reason, a message and the HTTP status.

    ``connection`` marks failures where the server did not answer at all (refused,
    reset, TLS, connect timeout), as opposed to an HTTP error or a slow response.
    """

    def __init__(self, reason: str, message: str, status: int | None = None, *, connection: bool = False) -> None:
        super().__init__(message)
        self.reason, self.message, self.status, self.connection = reason, message, status, connection


class ExpiredError(RequestError):
    """410 Gone: the continue token (or resourceVersion) is too old."""


def retry_after_seconds(value: str | None) -> float | None:
    """The delay a ``Retry-After`` header asks for (seconds form; the API server sends seconds).

    >>> retry_after_seconds("3"), retry_after_seconds(None), retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT")
    (3.0, None, None)
    """
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


def status_failure(status: int, body: bytes, path: str) -> RequestError:
    """Map a non-2xx response to a failure, with the server's ``Status.message`` when it sent one.

    >>> e = status_failure(403, b'{"kind": "Status", "message": "pods is forbidden"}', "/api/v1/pods")
    >>> (e.reason, e.status, e.message)
    ('forbidden', 403, 'pods is forbidden')
    >>> status_failure(502, b"<html>", "/api/v1/pods").message
    'GET /api/v1/pods: HTTP 502'
    """
    message = ""
    try:
        doc = json.loads(body)
        if isinstance(doc, dict) and doc.get("kind") == "Status":
            message = str(doc.get("message") or doc.get("reason") or "")
    except ValueError:
        pass
    message = one_line(message) or f"GET {path}: HTTP {status}"
    if status == 410:
        return ExpiredError("error", message, status)
    reason = {401: "unauthorized", 403: "forbidden", 404: "absent", 408: "timeout", 504: "timeout"}.get(
        status, "error")
    return RequestError(reason, message, status)


@dataclass
class Http:
    """``GET`` with a timeout, bounded retries and exponential backoff; JSON in, dict out.

    ``retries`` more attempts follow a 429, a 500/502/503/504, a timeout or a connection
    failure, after ``backoff * 2**n`` seconds (capped at ``max_backoff``), or after what
    ``Retry-After`` asks (also capped). Other HTTP errors are final at once. Once the
    server has stopped answering (a connection failure survived all retries), each
    request gets one attempt; after :attr:`GIVE_UP_AFTER` such requests in a row, the
    rest fail without being sent, so that a dead cluster ends the snapshot in seconds,
    not after a timeout per resource.
    """

    GIVE_UP_AFTER = 3

    api: Any
    timeout: float
    retries: int
    backoff: float
    max_backoff: float
    sleep: Callable[[float], None]
    down: int = 0  # requests in a row that found the server not answering
    last_error: str = ""

    def get(self, path: str, query: Sequence[tuple[str, Any]] = (), accept: str = ACCEPT_JSON) -> dict[str, Any]:
        """The JSON object at ``path``, or :class:`RequestError`."""
        if self.down >= self.GIVE_UP_AFTER:
            raise RequestError("error", f"not requested: the API server stopped answering ({self.last_error})",
                               connection=True)
        attempt = 0
        while True:
            try:
                status, headers, body = self._once(path, query, accept)
            except RequestError as exc:
                failure, wait = exc, self._delay(attempt, None)
            else:
                self.down = 0  # it answered, whatever it said
                if 200 <= status < 300:
                    return self._json(body, path)
                failure = status_failure(status, body, path)
                if status not in RETRY_STATUS:
                    raise failure
                wait = self._delay(attempt, retry_after_seconds(headers.get("Retry-After")))
            if attempt >= self.retries or (failure.connection and self.down):
                if failure.connection:
                    self.down += 1
                    self.last_error = failure.message
                if attempt:
                    failure.message = f"{failure.message} (after {attempt + 1} attempts)"
                raise failure
            log.debug("GET %s failed (%s); retry %d in %.2fs", path, failure.message, attempt + 1, wait)
            self.sleep(wait)
            attempt += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.max_backoff, retry_after)
        return float(min(self.max_backoff, self.backoff * 2 ** attempt))

    def _once(self, path: str, query: Sequence[tuple[str, Any]], accept: str) -> tuple[int, Any, bytes]:
        from kubernetes.client.exceptions import ApiException

        try:
            method, url, headers, _, _ = self.api.param_serialize(
                "GET", path, query_params=list(query), header_params={"Accept": accept},
                auth_settings=["BearerToken"])
            resp = self.api.call_api(method, url, header_params=headers,
                                     _request_timeout=(self.timeout, self.timeout))
            body = resp.read()
        except ApiException as exc:  # the client reports TLS errors this way
            raise RequestError("error", f"TLS or connection error: {one_line(str(exc.reason))}",
                               connection=True) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._transport_failure(exc) from None
        return int(resp.status), resp.headers, body or b""

    def _transport_failure(self, exc: BaseException) -> RequestError:
        if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
            exc = exc.reason  # a caller's client with urllib3 retries wraps the real error
        # NewConnectionError subclasses ConnectTimeoutError, which subclasses TimeoutError: most specific first.
        if isinstance(exc, urllib3.exceptions.NewConnectionError):
            return RequestError("error", f"cannot connect: {one_line(str(exc).split(': ', 1)[-1])}", connection=True)
        if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
            return RequestError("timeout", f"no connection within {self.timeout:g} s", connection=True)
        if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
            return RequestError("timeout", f"no response within {self.timeout:g} s")
        return RequestError("error", f"connection failed: {one_line(str(exc))}", connection=True)

    @staticmethod
    def _json(body: bytes, path: str) -> dict[str, Any]:
        try:
            doc = json.loads(body)
        except ValueError:
            raise RequestError("error", f"GET {path}: the response is not JSON") from None
        if not isinstance(doc, dict):
            raise RequestError("error", f"GET {path}: the response is not a JSON object")
        return doc
