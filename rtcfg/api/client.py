"""rtcfg's only door to the API: sites, credentials, retries, pagination and error mapping.

Connection
    Resolved in ``rtcfg.api.connection`` (sites, endpoints, keys); the client refuses to send the
    key over plain http to anything but loopback.

Connections (``rtcfg.api.slots``)
    Each request in flight has a connection of its own: the client keeps up to
    ``max_connections`` one-connection httpx clients and lends one to each request, because
    httpcore's shared pool spends CPU per request in proportion to its connections (above 32
    of them ``apply --parallelism`` got slower as it grew). Every one of them is built the same
    way (``_new_http``), so the TLS and proxy rules below hold for all.

Retry policy (:class:`RetryPolicy`, ``rtcfg.api.retry``; answers: ``rtcfg.api.responses``)
    Only transient failures are retried: connection errors, timeouts, a dropped or truncated
    response, a body that is not JSON, and HTTP 408, 429 and 5xx except 501. Other 4xx are
    final. Waits are exponential backoff with full jitter (``uniform(0, min(max_delay,
    base_delay * 2**n))``); a ``Retry-After`` header (delta-seconds or HTTP date) replaces the
    jitter's ceiling as the least wait (plus up to ``base_delay`` of jitter, so that requests
    refused together do not all come back at the same instant), capped at ``max_retry_after``.
    A 429 says the request was refused before it was acted on, so throttled attempts have their
    own, larger budget (``max_throttled_attempts``): under a rate limit shared by several
    concurrent requests one of them can be refused many times in a row. One deadline covers
    the client's whole lifetime: a wait that would pass it raises :class:`TransportError`
    naming the last failure. Time, waits and jitter come from the ``clock`` and ``chance``
    the client is given (the real ones by default), so tests record the waits.

The POST rule
    GET, PATCH (always a complete body) and DELETE are idempotent and retried. A POST creates
    an object, so it is resent only when it surely never reached the server: the connection
    could not be made (or no connection came free in time), or the server answered 429. Any
    other failure of a POST (timeout, dropped connection, 5xx, truncated or non-JSON body)
    raises :class:`WriteOutcomeUnknown`: the caller looks the object up by name/identifier
    before creating it again. Likewise a PATCH retried after an attempt that may have been
    applied and then refused with 409 raises :class:`WriteOutcomeUnknown` (the setting answers
    409 while it is ``updating``, which the lost first attempt may have started).
    A DELETE answered 404 counts as done (an earlier attempt, or someone else, deleted it).

The key never leaves this module except in the ``Authorization`` header: it is kept out of
reprs (``Connection.api_key`` has ``repr=False``), exceptions (server texts are redacted and
httpx exceptions are not chained, since their ``request`` carries the headers) and logs. The
``rtcfg.http`` logger writes one INFO line per attempt (method, path without query, status,
time) and one per retry. httpx's own INFO line carries the URL but no headers, and httpcore's
DEBUG trace shows requests as ``<Request [b'GET']>`` and only *response* headers; a test runs
failing requests with DEBUG on for every logger and checks that the key appears nowhere.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from rtcfg import __version__
from rtcfg.api.answers import is_tls_failure, page_of, proxy_problem, unwrap
from rtcfg.api.connection import Connection, check_key_may_be_sent, is_loopback
from rtcfg.api.responses import Answer, interpret, redact_key
from rtcfg.api.retry import (
    DEFAULT_RETRY,
    REAL_CLOCK,
    Attempt,
    Clock,
    Failure,
    Retries,
    RetryPolicy,
)
from rtcfg.api.slots import Slots, SlotTimeout
from rtcfg.errors import NotFoundError, TransportError
from rtcfg.safe_text import safe

__all__ = ["MAX_PAGE_SIZE", "ApiClient", "Clock", "RetryPolicy", "quiet_cancelled_reads"]

log = logging.getLogger("rtcfg.http")

# The /entities/... endpoints speak JSON:API, whose media type TD names
# application/vnd.treasuredata.v1+json (cdp-openapi.yml, e.g. l.3266); their list answers are
# declared application/json (l.6505 personalizations, l.6083 journeys), so both are accepted.
JSON_API_ACCEPT = "application/vnd.treasuredata.v1+json, application/json"
CONNECT_TIMEOUT = 10.0  # seconds for TCP connect and TLS handshake
MAX_PAGES = 10_000  # a guard: 10 million objects at the largest page size
TEXT_LIMIT = 300  # characters of an exception's text kept in a message
# One connection per request slot; --parallelism goes up to 64, and a pool no larger than
# what runs at once is what keeps the cost per request flat (rtcfg.api.slots).
MAX_CONNECTIONS = 64


# The largest page TD's OpenAPI allows (partial_pagination.yaml: page[size] 1..1000, default
# 100): a parent segment's attributes then come in one round trip instead of one per hundred.
MAX_PAGE_SIZE = 1000

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MAYBE_SENT = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
)


class ApiClient:
    """Async JSON client of the CDP and TD APIs; use as ``async with ApiClient(conn) as api``.

    ``max_connections`` requests run at once, each on a connection of its own (more wait for
    one to come free); ``clock`` and ``chance`` are where time, waits and jitter come from."""

    def __init__(
        self,
        connection: Connection,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: float = 30.0,
        deadline: float | None = 600.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = MAX_CONNECTIONS,
        page_size: int = MAX_PAGE_SIZE,
        clock: Clock = REAL_CLOCK,
        chance: random.Random | None = None,
    ) -> None:
        check_key_may_be_sent(connection)
        self.connection = connection
        self.retry = retry
        self.timeout = timeout
        self.deadline = deadline
        self.page_size = page_size
        self.clock = clock
        self._transport = transport
        self._max_connections = max_connections
        self._slots: Slots[httpx.AsyncClient] | None = None
        self._deadline_at: float | None = None
        self.chance = chance if chance is not None else random.Random()

    def __repr__(self) -> str:
        return f"ApiClient(cdp_base={self.connection.cdp_base!r})"

    def _tls(self) -> ssl.SSLContext | bool:
        """The verifying TLS context, built only when a base URL is https (it costs ~50 ms);
        plain http is allowed only to loopback (check_key_may_be_sent), where TLS never runs."""
        bases = (self.connection.cdp_base, self.connection.td_base)
        return _ssl_context() if any(urlsplit(b).scheme == "https" for b in bases) else False

    async def __aenter__(self) -> ApiClient:
        verify = self._tls()
        self._slots = Slots(lambda: self._new_http(verify), self._max_connections)
        self._slots.prepare()  # the first slot now: a bad proxy variable is reported here
        self.set_deadline(self.deadline)
        return self

    def _new_http(self, verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
        """One request slot's client: one connection, the key in its headers."""
        headers = {
            "Authorization": f"TD1 {self.connection.api_key}",
            "Accept": "application/json",
            "User-Agent": f"rtcfg/{__version__}",
        }
        transport = None if self._transport is None else _Shared(self._transport)
        try:
            return httpx.AsyncClient(
                headers=headers,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                transport=transport,
                follow_redirects=False,
                verify=verify,
                # Proxies from the environment (HTTPS_PROXY, ALL_PROXY, NO_PROXY) serve https
                # only: that is a CONNECT tunnel, and the proxy sees nothing but TLS. A plain
                # http request through a proxy would hand it the key in clear, so plain http
                # (loopback only) always goes straight to its peer.
                mounts={"http://": None},
            )
        except (ValueError, ImportError, httpx.InvalidURL) as exc:  # a bad proxy variable
            raise TransportError(proxy_problem(exc)) from None

    def set_deadline(self, seconds: float | None) -> None:
        """From now, give up on requests (and their retries) after ``seconds``; None: never.
        A client kept open across several phases of a command gets one deadline per phase."""
        self.deadline = seconds
        self._deadline_at = None if seconds is None else self.clock.monotonic() + seconds

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every slot's connection (idempotent)."""
        slots, self._slots = self._slots, None
        if slots is None:
            return
        for http in slots.take_all():
            await http.aclose()
        if self._transport is not None:
            await self._transport.aclose()

    # --- public requests ------------------------------------------------------------------------

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, td: bool = False
    ) -> Any:
        """GET JSON; a single object wrapped in ``{"data": {...}}`` is unwrapped."""
        return unwrap(await self._request("GET", path, params=params, td=td))

    async def list_all(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list, following ``pagination.nextPage`` until null."""
        query = dict(params or {})
        query.setdefault("page[size]", self.page_size)
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        body = await self._request("GET", path, params=query)
        for _ in range(MAX_PAGES):
            data, next_page = page_of(body, path)
            items.extend(data)
            if not next_page:
                return items
            if next_page in seen:
                raise TransportError(f"GET {_strip(path)}: pagination loops (nextPage repeats)")
            seen.add(next_page)
            body = await self._request("GET", self._relative(next_page))
        raise TransportError(f"GET {_strip(path)}: more than {MAX_PAGES} pages")

    async def post(self, path: str, body: Any) -> Any:
        """POST JSON; see the module docstring for when a POST is retried."""
        return unwrap(await self._request("POST", path, body=body))

    async def patch(self, path: str, body: Any, *, retry: bool = True) -> Any:
        """PATCH with a complete body (so that resending it is harmless). ``retry=False``:
        one attempt; a transient failure raises WriteOutcomeUnknown when it may have been
        acted on, else AttemptFailed (the setting is re-planned before it is resent)."""
        return unwrap(await self._request("PATCH", path, body=body, retry=retry))

    async def delete(self, path: str) -> Any | None:
        """DELETE; None when the object was already gone (404)."""
        try:
            return unwrap(await self._request("DELETE", path))
        except NotFoundError:
            return None

    # --- the retry loop -------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        td: bool = False,
        retry: bool = True,
    ) -> Any:
        base = self.connection.td_base if td else self.connection.cdp_base
        content = None if body is None else _encode(body)
        attempt = Attempt(method, base + path, _strip(path), params, content)
        retries = Retries(self.retry, attempt, retry)
        last: Failure | None = None
        while True:
            result = await self._once(attempt, self._attempt_timeout(attempt, last))
            if not isinstance(result, Failure):
                return result
            last = result
            retries.after(result)  # raises when the failure is final or the budget spent
            await self._wait(attempt, result, retries.delay(result, self.chance), retries.failed)

    async def _wait(self, attempt: Attempt, failure: Failure, delay: float, failed: int) -> None:
        if self._deadline_at is not None and self.clock.monotonic() + delay > self._deadline_at:
            raise self._deadline_error(attempt, failure)
        log.info(
            "%s %s retry in %.2fs (%s), attempt %d",
            attempt.method,
            attempt.path,
            delay,
            failure.reason,
            failed + 1,
        )
        await self.clock.sleep(delay)

    def _attempt_timeout(self, attempt: Attempt, last: Failure | None) -> float:
        """The client timeout, shortened so that no attempt outlives the deadline."""
        if self._deadline_at is None:
            return self.timeout
        left = self._deadline_at - self.clock.monotonic()
        if left <= 0:
            raise self._deadline_error(attempt, last)
        return min(self.timeout, left)

    def _deadline_error(self, attempt: Attempt, last: Failure | None) -> TransportError:
        reason = f"; last failure: {last.reason}" if last else ""
        return TransportError(
            f"{attempt.method} {attempt.path}: the deadline of {self.deadline:g}s was reached"
            + reason
        )

    async def _once(self, attempt: Attempt, timeout: float) -> Any:
        """One attempt on a slot of its own: the decoded JSON body, or a :class:`Failure`."""
        if self._slots is None:
            raise RuntimeError("use ApiClient as 'async with ApiClient(...) as api'")
        headers = {"Content-Type": "application/json"} if attempt.content is not None else {}
        if attempt.path.startswith("/entities/"):
            headers["Accept"] = JSON_API_ACCEPT
        started = self.clock.monotonic()
        try:
            async with self._slots.lend(timeout) as http:
                response = await http.request(
                    attempt.method,
                    attempt.url,
                    params=attempt.params,
                    content=attempt.content,
                    headers=headers,
                    # a connection (TCP and TLS handshake) that takes longer is not coming: a
                    # server that speaks no TLS would otherwise hold each attempt the full time
                    timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
                )
        except SlotTimeout as exc:
            self._log_attempt(attempt, "SlotTimeout", started)
            return Failure(f"SlotTimeout: {exc}", reached=False)
        except httpx.HTTPError as exc:
            failure = self._transport_failure(exc, attempt)
            self._log_attempt(attempt, type(exc).__name__, started)
            return failure
        self._log_attempt(attempt, str(response.status_code), started)
        answer = Answer(
            response.status_code,
            response.reason_phrase,
            response.content,
            response.headers.get("content-type", ""),
            response.headers.get("Retry-After"),
        )
        return interpret(attempt, answer, self.connection, self.retry.max_retry_after)

    def _transport_failure(self, exc: httpx.HTTPError, attempt: Attempt) -> Failure:
        # Only the type and text of httpx's exception are kept: the exception itself holds the
        # request, whose headers carry the key, so it is never chained to ours.
        host = _host_of(attempt.url)
        detail = _clean_text(redact_key(str(exc), self.connection)) or "no detail"
        reason = f"{type(exc).__name__}: {detail} (talking to {host})"
        https = attempt.url.startswith("https:")
        loopback_stall = isinstance(exc, httpx.ConnectTimeout) and is_loopback(attempt.url)
        if https and (is_tls_failure(exc) or loopback_stall):
            # not transient: retrying a handshake with a server that speaks no TLS only waits
            return Failure(
                f"the TLS handshake with {host} failed ({detail}): does this endpoint speak "
                "TLS? The emulator speaks plain http (http://127.0.0.1:8765)",
                reached=False,
                transient=False,
            )
        if isinstance(exc, _NOT_SENT):
            return Failure(reason, reached=False)
        if isinstance(exc, _MAYBE_SENT):
            return Failure(reason, reached=True)
        return Failure(reason, reached=False, transient=False)  # invalid URL, local protocol

    def _log_attempt(self, attempt: Attempt, outcome: str, started: float) -> None:
        elapsed = self.clock.monotonic() - started
        log.info("%s %s %s %.3fs", attempt.method, attempt.path, outcome, elapsed)

    def _relative(self, next_page: str) -> str:
        """``nextPage`` is "the path part of the URL"; accept a full URL and a base with a path."""
        parts = urlsplit(next_page)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        prefix = urlsplit(self.connection.cdp_base).path
        if prefix and target.startswith(prefix + "/"):
            target = target[len(prefix) :]
        return target


class _Shared(httpx.AsyncBaseTransport):
    """An injected transport seen by every slot; the client closes it once, at the end."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        """Nothing: the transport outlives each slot."""


# --- helpers ------------------------------------------------------------------------------------


def quiet_cancelled_reads(loop: asyncio.AbstractEventLoop) -> None:
    """Keep one known race of the HTTP stack out of the user's terminal.

    When a request is cancelled (Ctrl-C) while its answer is arriving, anyio's stream protocol
    sets an event whose waiter was already cancelled, and asyncio prints "Fatal error:
    protocol.data_received() call failed" with a traceback although nothing is wrong: the
    request is abandoned anyway. That case goes to the debug log; anything else keeps
    asyncio's default handling."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), asyncio.InvalidStateError) and str(
            context.get("message", "")
        ).startswith("Fatal error: protocol.data_received() call failed"):
            log.debug("answer of a cancelled request dropped")
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handle)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one loads the CA bundle (~50 ms).
    A CA bundle that cannot be loaded (SSL_CERT_FILE naming no file) is a message."""
    try:
        return httpx.create_ssl_context()
    except (OSError, ssl.SSLError) as exc:
        raise TransportError(
            "cannot load the TLS certificate authorities (check SSL_CERT_FILE and SSL_CERT_DIR): "
            + safe(exc.strerror or str(exc))
        ) from None


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return safe(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}")


def _clean_text(text: str) -> str:
    return safe(text[:TEXT_LIMIT])


def _strip(path: str) -> str:
    """The path without its query: queries stay out of logs and messages."""
    return path.partition("?")[0]


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
