"""rtcfg's only door to the API: sites, credentials, retries, pagination and error mapping.

Connection
    Resolved in ``rtcfg.api.connection`` (sites, endpoints, keys); the client refuses to send the
    key over plain http to anything but loopback.

Retry policy (:class:`RetryPolicy`)
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
    naming the last failure.

The POST rule
    GET, PATCH (always a complete body) and DELETE are idempotent and retried. A POST creates
    an object, so it is resent only when it surely never reached the server: the connection
    could not be made (or no pooled connection came free), or the server answered 429. Any
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
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx

from rtcfg import __version__
from rtcfg.api.answers import (
    decode_json,
    describe_body,
    is_api_error_body,
    is_tls_failure,
    page_of,
    parse_error,
    proxy_problem,
    retry_after_seconds,
    unwrap,
    wrong_endpoint_hint,
)
from rtcfg.api.connection import Connection, check_key_may_be_sent, is_loopback, shown_url
from rtcfg.errors import (
    ApiError,
    ApiErrorInfo,
    AttemptFailed,
    ConflictError,
    NotFoundError,
    TransportError,
    WriteOutcomeUnknown,
)
from rtcfg.safe_text import mask_secrets, redact, safe

log = logging.getLogger("rtcfg.http")

# The /entities/... endpoints speak JSON:API, whose media type TD names
# application/vnd.treasuredata.v1+json (cdp-openapi.yml, e.g. l.3266); their list answers are
# declared application/json (l.6505 personalizations, l.6083 journeys), so both are accepted.
JSON_API_ACCEPT = "application/vnd.treasuredata.v1+json, application/json"
CONNECT_TIMEOUT = 10.0  # seconds for TCP connect and TLS handshake
MAX_PAGES = 10_000  # a guard: 10 million objects at the largest page size
TEXT_LIMIT = 300  # characters of an exception's text kept in a message


# The largest page TD's OpenAPI allows (partial_pagination.yaml: page[size] 1..1000, default
# 100): a parent segment's attributes then come in one round trip instead of one per hundred.
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how long to retry transient failures (see the module docstring)."""

    max_attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    max_throttled_attempts: int = 30


# --- one attempt and its outcome ----------------------------------------------------------------


@dataclass
class _Failure:
    """Why an attempt gave no usable answer."""

    reason: str  # "HTTP 503", "ReadTimeout: ...", "body is not JSON"
    reached: bool  # the request may have reached the server (and been acted on)
    transient: bool = True
    retry_after: float | None = None
    error: ApiError | None = None  # the error to raise when it is final
    throttled: bool = False  # answered 429: refused before it was acted on


@dataclass
class _Attempt:
    method: str
    url: str
    path: str  # without query: what logs and messages show
    params: Mapping[str, Any] | None
    content: bytes | None


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_FINAL_STATUS_5XX = (501,)


def _is_transient_status(status: int) -> bool:
    return status in (408, 429) or (status >= 500 and status not in _FINAL_STATUS_5XX)


# --- the client ---------------------------------------------------------------------------------


class ApiClient:
    """Async JSON client of the CDP and TD APIs; use as ``async with ApiClient(conn) as api``."""

    def __init__(
        self,
        connection: Connection,
        *,
        retry: RetryPolicy = RetryPolicy(),  # frozen, so one shared default is safe
        timeout: float = 30.0,
        deadline: float | None = 600.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 64,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        check_key_may_be_sent(connection)
        self.connection = connection
        self.retry = retry
        self.timeout = timeout
        self.deadline = deadline
        self.page_size = page_size
        self._transport = transport
        self._max_connections = max_connections
        self._http: httpx.AsyncClient | None = None
        self._deadline_at: float | None = None
        self._random = random.Random()

    def __repr__(self) -> str:
        return f"ApiClient(cdp_base={self.connection.cdp_base!r})"

    def _tls(self) -> ssl.SSLContext | bool:
        """The verifying TLS context, built only when a base URL is https (it costs ~50 ms);
        plain http is allowed only to loopback (check_key_may_be_sent), where TLS never runs."""
        bases = (self.connection.cdp_base, self.connection.td_base)
        return _ssl_context() if any(urlsplit(b).scheme == "https" for b in bases) else False

    async def __aenter__(self) -> ApiClient:
        limits = httpx.Limits(
            max_connections=self._max_connections,
            max_keepalive_connections=self._max_connections,
        )
        headers = {
            "Authorization": f"TD1 {self.connection.api_key}",
            "Accept": "application/json",
            "User-Agent": f"rtcfg/{__version__}",
        }
        try:
            self._http = httpx.AsyncClient(
                headers=headers,
                limits=limits,
                transport=self._transport,
                follow_redirects=False,
                verify=self._tls(),
                # Proxies from the environment (HTTPS_PROXY, ALL_PROXY, NO_PROXY) serve https
                # only: that is a CONNECT tunnel, and the proxy sees nothing but TLS. A plain
                # http request through a proxy would hand it the key in clear, so plain http
                # (loopback only) always goes straight to its peer.
                mounts={"http://": None},
            )
        except (ValueError, ImportError, httpx.InvalidURL) as exc:  # a bad proxy variable
            raise TransportError(proxy_problem(exc)) from None
        self.set_deadline(self.deadline)
        return self

    def set_deadline(self, seconds: float | None) -> None:
        """From now, give up on requests (and their retries) after ``seconds``; None: never.
        A client kept open across several phases of a command gets one deadline per phase."""
        self.deadline = seconds
        self._deadline_at = None if seconds is None else time.monotonic() + seconds

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (idempotent)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

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
        attempt = _Attempt(method, base + path, _strip(path), params, content)
        maybe_applied = False  # an earlier attempt of this write may have been acted on
        last: _Failure | None = None
        failed = throttled = 0  # attempts that failed, and those of them answered 429
        while True:
            result = await self._once(attempt, self._attempt_timeout(attempt, last))
            if not isinstance(result, _Failure):
                return result
            last = result
            _raise_if_final(attempt, result, maybe_applied)
            if not retry:
                _raise_single(attempt, result)
            maybe_applied = maybe_applied or result.reached
            failed += 1
            throttled += result.throttled
            if throttled >= self.retry.max_throttled_attempts or (
                failed - throttled >= self.retry.max_attempts
            ):
                _raise_exhausted(attempt, result, failed)
            await self._wait(attempt, result, failed)

    async def _wait(self, attempt: _Attempt, failure: _Failure, number: int) -> None:
        delay = failure.retry_after
        if delay is None:
            ceiling = min(self.retry.max_delay, self.retry.base_delay * 2 ** (number - 1))
            delay = self._random.uniform(0, ceiling)
        else:  # at least what the server asked for, never over the cap
            jitter = self._random.uniform(0, self.retry.base_delay)
            delay = min(delay + jitter, self.retry.max_retry_after)
        if self._deadline_at is not None and time.monotonic() + delay > self._deadline_at:
            raise self._deadline_error(attempt, failure)
        log.info(
            "%s %s retry in %.2fs (%s), attempt %d",
            attempt.method,
            attempt.path,
            delay,
            failure.reason,
            number + 1,
        )
        await asyncio.sleep(delay)

    def _attempt_timeout(self, attempt: _Attempt, last: _Failure | None) -> float:
        """The client timeout, shortened so that no attempt outlives the deadline."""
        if self._deadline_at is None:
            return self.timeout
        left = self._deadline_at - time.monotonic()
        if left <= 0:
            raise self._deadline_error(attempt, last)
        return min(self.timeout, left)

    def _deadline_error(self, attempt: _Attempt, last: _Failure | None) -> TransportError:
        reason = f"; last failure: {last.reason}" if last else ""
        return TransportError(
            f"{attempt.method} {attempt.path}: the deadline of {self.deadline:g}s was reached"
            + reason
        )

    async def _once(self, attempt: _Attempt, timeout: float) -> Any:
        """One attempt: the decoded JSON body, or a :class:`_Failure`."""
        if self._http is None:
            raise RuntimeError("use ApiClient as 'async with ApiClient(...) as api'")
        headers = {"Content-Type": "application/json"} if attempt.content is not None else {}
        if attempt.path.startswith("/entities/"):
            headers["Accept"] = JSON_API_ACCEPT
        started = time.monotonic()
        try:
            response = await self._http.request(
                attempt.method,
                attempt.url,
                params=attempt.params,
                content=attempt.content,
                headers=headers,
                # a connection (TCP and TLS handshake) that takes longer is not coming: a
                # server that speaks no TLS would otherwise hold each attempt for the full time
                timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            )
        except httpx.HTTPError as exc:
            failure = self._transport_failure(exc, attempt)
            _log_attempt(attempt, type(exc).__name__, started)
            return failure
        _log_attempt(attempt, str(response.status_code), started)
        return self._interpret(attempt, response)

    def _transport_failure(self, exc: httpx.HTTPError, attempt: _Attempt) -> _Failure:
        # Only the type and text of httpx's exception are kept: the exception itself holds the
        # request, whose headers carry the key, so it is never chained to ours.
        host = _host_of(attempt.url)
        detail = _clean_text(self._redact(str(exc))) or "no detail"
        reason = f"{type(exc).__name__}: {detail} (talking to {host})"
        https = attempt.url.startswith("https:")
        loopback_stall = isinstance(exc, httpx.ConnectTimeout) and is_loopback(attempt.url)
        if https and (is_tls_failure(exc) or loopback_stall):
            # not transient: retrying a handshake with a server that speaks no TLS only waits
            return _Failure(
                f"the TLS handshake with {host} failed ({detail}): does this endpoint speak "
                "TLS? The emulator speaks plain http (http://127.0.0.1:8765)",
                reached=False,
                transient=False,
            )
        if isinstance(exc, _NOT_SENT):
            return _Failure(reason, reached=False)
        if isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)):
            return _Failure(reason, reached=True)
        if isinstance(exc, httpx.DecodingError):
            return _Failure(reason, reached=True)
        return _Failure(reason, reached=False, transient=False)  # invalid URL, local protocol

    def _interpret(self, attempt: _Attempt, response: httpx.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            if not response.content.strip():
                return None
            try:
                return decode_json(response.content)
            except ValueError:
                what = describe_body(response.content, response.headers.get("content-type", ""))
                return _Failure(
                    f"{_shown(attempt)} answered HTTP {status} with {what}, not JSON: "
                    + wrong_endpoint_hint(),
                    reached=True,
                )
        if not is_api_error_body(response.content) and status < 500 and status != 429:
            what = describe_body(response.content, response.headers.get("content-type", ""))
            reason = (
                f"{_shown(attempt)} answered HTTP {status} with {what}: {wrong_endpoint_hint()}"
            )
            return _Failure(reason, reached=True, transient=False)
        error = self._api_error(attempt, response)
        if not _is_transient_status(status):
            return _Failure(f"HTTP {status}", reached=True, transient=False, error=error)
        cap = self.retry.max_retry_after
        wait = retry_after_seconds(response.headers.get("Retry-After"), cap)
        reached = status != 429  # a 429 says the request was refused before it was acted on
        return _Failure(
            f"HTTP {status}", reached=reached, retry_after=wait, error=error, throttled=not reached
        )

    def _api_error(self, attempt: _Attempt, response: httpx.Response) -> ApiError:
        code, message, details = parse_error(
            response.content, response.reason_phrase, lambda text: redact(self._redact(text))
        )
        if response.status_code in (401, 403):
            message += self._key_hint()
        info = ApiErrorInfo(
            response.status_code,
            code,
            message,
            attempt.method,
            attempt.path,
            details,
            shown_url(attempt.url),
        )
        kind = {404: NotFoundError, 409: ConflictError}.get(response.status_code, ApiError)
        return kind(info)

    def _key_hint(self) -> str:
        conn = self.connection
        source = conn.key_source or "the API key"
        return f" (check {source}: it must be a master API key of site {conn.site})"

    def _redact(self, text: str) -> str:
        """Servers may echo what they were sent; the key (and its secret half) never passes."""
        key = self.connection.api_key
        secrets = [s for s in (key, key.partition("/")[2]) if len(s) >= 4]
        return mask_secrets(text, secrets)  # also a cut-short or re-cased copy

    def _relative(self, next_page: str) -> str:
        """``nextPage`` is "the path part of the URL"; accept a full URL and a base with a path."""
        parts = urlsplit(next_page)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        prefix = urlsplit(self.connection.cdp_base).path
        if prefix and target.startswith(prefix + "/"):
            target = target[len(prefix) :]
        return target


# --- helpers ------------------------------------------------------------------------------------


def _raise_if_final(attempt: _Attempt, failure: _Failure, maybe_applied: bool) -> None:
    """Raise now when retrying cannot help or could do harm."""
    if not failure.transient:
        error = failure.error
        if isinstance(error, ConflictError) and maybe_applied and attempt.method == "PATCH":
            raise WriteOutcomeUnknown(
                f"PATCH {attempt.path}: an earlier attempt may have been applied (its answer "
                f"was lost) and the retry was refused: {error.info.message}; re-read it"
            )
        if error is not None:
            raise error
        raise TransportError(
            failure.reason if "://" in failure.reason else f"{_shown(attempt)}: {failure.reason}"
        )
    if attempt.method == "POST" and failure.reached:
        raise WriteOutcomeUnknown(
            f"POST {attempt.path}: the outcome is unknown ({failure.reason}); the object may "
            "have been created: look it up before creating it again"
        )


def _raise_single(attempt: _Attempt, failure: _Failure) -> NoReturn:
    """A transient failure of a request its caller resends itself."""
    if failure.reached:
        raise WriteOutcomeUnknown(
            f"{attempt.method} {attempt.path}: the outcome is unknown ({failure.reason})"
        )
    raise AttemptFailed(f"{attempt.method} {attempt.path}: {failure.reason}", failure.retry_after)


def _raise_exhausted(attempt: _Attempt, failure: _Failure, attempts: int) -> NoReturn:
    """The last failure after ``attempts`` tries: the API's own error if it answered one."""
    if failure.error is not None:
        info = failure.error.info
        message = f"{info.message} (after {attempts} attempts)".strip()
        raise type(failure.error)(replace(info, message=message))
    raise TransportError(
        f"{attempt.method} {attempt.path}: no usable answer after {attempts} attempts; "
        f"last failure: {failure.reason}"
    )


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


def _log_attempt(attempt: _Attempt, outcome: str, started: float) -> None:
    elapsed = time.monotonic() - started
    log.info("%s %s %s %.3fs", attempt.method, attempt.path, outcome, elapsed)


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return safe(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}")


def _shown(attempt: _Attempt) -> str:
    return f"{attempt.method} {shown_url(attempt.url)}"


def _clean_text(text: str) -> str:
    return safe(text[:TEXT_LIMIT])


def _strip(path: str) -> str:
    """The path without its query: queries stay out of logs and messages."""
    return path.partition("?")[0]


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
