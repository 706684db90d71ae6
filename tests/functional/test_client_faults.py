"""rtcfg.api.client under faults: which failures are retried, which raise what, and the POST rule.

Each case scripts one fault (``times: 1``, then the emulator answers normally) for one kind of
request and checks the outcome and, from the emulator's request log, how many attempts were
made. Every request goes over a real socket to the emulator, except in the test of a request
that waits for a connection (the emulator application in process, behind a transport that holds
the first request). Tests of the waits between attempts record them with the clock the client
is given (``RecordedWaits``) instead of sleeping and reading the -v log; one test checks that
log line itself.

Not covered because the emulator cannot produce them: a real TCP RST ("reset" closes after half
the body, the same as "truncated" on the wire), and a nextPage loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from rtcfg.api.client import ApiClient, RetryPolicy
from rtcfg.emulator import EmulatorThread
from rtcfg.emulator.app import Emulator
from rtcfg.errors import (
    ApiError,
    ConflictError,
    NotFoundError,
    TransportError,
    WriteOutcomeUnknown,
)
from tests.emulator_transport import EmulatorTransport

from .emulator_support import (
    FAST,
    KEY,
    POPULATED,
    RecordedWaits,
    attempts,
    call,
    closed_port_url,
    connection,
    key_event_body,
    reset,
)

RO_KEY = "1/read-only-key"
KE = f"/audiences/{POPULATED}/realtime_key_events"
PAGE_VIEW = f"{KE}/810"  # used by attributes: cannot be deleted (409)
SETTING = f"/audiences/{POPULATED}/realtime_setting"
PAGE_VIEW_BODY = {**key_event_body("page_view"), "description": "Every page view"}
NEW = "fresh_event"
BEFORE_COMMIT = ("408", "500", "502", "503", "504", "drop", "reset", "truncated", "non_json")
AFTER_COMMIT = ("lost_response", "hang_after_commit")
HANG = 0.4  # seconds the emulator hangs; it logs the request only when that ends
HANG_TIMEOUT = 0.2  # client timeout for the hang faults

Action = Callable[[ApiClient], Awaitable[Any]]


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(api_key=KEY, read_only_key=RO_KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "emu" in request.fixturenames:
        reset(request.getfixturevalue("emu"))


def request_for(emu: EmulatorThread, method: str) -> tuple[str, Action]:
    """(logged path, action) of a typical request of each kind; DELETE gets its own object."""
    if method == "GET":
        return PAGE_VIEW, lambda api: api.get(PAGE_VIEW)
    if method == "PATCH":
        return PAGE_VIEW, lambda api: api.patch(PAGE_VIEW, PAGE_VIEW_BODY)
    if method == "POST":
        return KE, lambda api: api.post(KE, key_event_body(NEW))
    made = call(emu.url, lambda api: api.post(KE, key_event_body("doomed")))
    path = f"{KE}/{made['id']}"
    return path, lambda api: api.delete(path)


def names(emu: EmulatorThread) -> list[str]:
    return [k["name"] for k in call(emu.url, lambda api: api.list_all(KE))]


class Extreme(random.Random):
    """A random source whose jitter is always the top (or the bottom) of its range."""

    def __init__(self, top: bool) -> None:
        super().__init__()
        self.top = top

    def uniform(self, a: float, b: float) -> float:
        return b if self.top else a


def recorded(
    url: str, action: Action, retry: RetryPolicy, *, top: bool = True, **options: Any
) -> list[float]:
    """The waits of ``action`` between its attempts, with the jitter at the top of its range."""
    waits = RecordedWaits()
    call(url, action, retry=retry, clock=waits.clock(), chance=Extreme(top), **options)
    return waits.waits


# --- the matrix ---------------------------------------------------------------------------------

# (fault, retry_after mode) → {method: (outcome, attempts)}; outcome "ok" = the normal answer,
# "done" = DELETE found the object already gone (None), "unknown" = WriteOutcomeUnknown.
RETRIED = {"GET": ("ok", 2), "PATCH": ("ok", 2), "POST": ("unknown", 1), "DELETE": ("ok", 2)}
MATRIX: list[tuple[str, str, str, str, int]] = []
for _fault in (*BEFORE_COMMIT, "hang_before_commit"):
    MATRIX += [(_fault, "seconds", m, *RETRIED[m]) for m in RETRIED]
for _fault in AFTER_COMMIT:
    expected = {**RETRIED, "DELETE": ("done", 2)}
    MATRIX += [(_fault, "seconds", m, *expected[m]) for m in expected]
for _mode in ("seconds", "http-date", "none"):
    MATRIX += [("429", _mode, m, "ok", 2) for m in RETRIED]


@pytest.mark.parametrize(
    ("fault", "retry_after", "method", "outcome", "tries"),
    MATRIX,
    ids=[f"{f}-{r}-{m}" if f == "429" else f"{f}-{m}" for f, r, m, _, _ in MATRIX],
)
def test_fault_matrix(
    emu: EmulatorThread, fault: str, retry_after: str, method: str, outcome: str, tries: int
) -> None:
    path, action = request_for(emu, method)
    script = [{"method": method, "path": path, "fault": fault, "times": 1}]
    emu.set_faults(script=script, retry_after=retry_after, hang_seconds=HANG)
    timeout = HANG_TIMEOUT if fault.startswith("hang") else 5.0
    if outcome == "unknown":
        with pytest.raises(WriteOutcomeUnknown, match=f"POST {KE}: the outcome is unknown"):
            call(emu.url, action, timeout=timeout)
    else:
        result = call(emu.url, action, timeout=timeout)
        assert (result is None) == (outcome == "done")
        if outcome == "ok":
            assert result["name"] in (NEW, "page_view", "doomed")
    assert attempts(emu, method, path, tries) == tries
    if method == "POST":  # created exactly once, or not at all if the fault came first
        assert names(emu).count(NEW) == (0 if fault in BEFORE_COMMIT or "before" in fault else 1)


@pytest.mark.parametrize("method", ["GET", "PATCH", "POST", "DELETE"])
def test_connection_refused_is_retried_then_a_transport_error_even_for_post(method: str) -> None:
    url = closed_port_url()
    actions: dict[str, Action] = {
        "GET": lambda api: api.get(PAGE_VIEW),
        "PATCH": lambda api: api.patch(PAGE_VIEW, PAGE_VIEW_BODY),
        "POST": lambda api: api.post(KE, key_event_body(NEW)),  # never reached: safe to resend
        "DELETE": lambda api: api.delete(PAGE_VIEW),
    }
    waits = RecordedWaits()
    with pytest.raises(TransportError) as err:
        call(url, actions[method], clock=waits.clock())
    assert not isinstance(err.value, WriteOutcomeUnknown)
    assert "after 6 attempts" in str(err.value) and "ConnectError" in str(err.value)
    assert len(waits.waits) == 5  # a wait between each two of the 6 attempts


# (method, path, body, key) → (exception, status): answered once, never retried.
ERRORS: list[tuple[str, str, Any, str, type[ApiError], int]] = [
    ("GET", KE + "?bogus=1", None, KEY, ApiError, 400),
    ("PATCH", PAGE_VIEW, {"name": 1}, KEY, ApiError, 400),
    ("POST", KE, {}, KEY, ApiError, 400),
    ("DELETE", f"/audiences/{POPULATED}/realtime_attributes/2335", None, KEY, ApiError, 400),
    ("GET", PAGE_VIEW, None, "1/bad", ApiError, 401),
    ("PATCH", PAGE_VIEW, PAGE_VIEW_BODY, "1/bad", ApiError, 401),
    ("POST", KE, key_event_body(NEW), "1/bad", ApiError, 401),
    ("DELETE", PAGE_VIEW, None, "1/bad", ApiError, 401),
    ("PATCH", PAGE_VIEW, PAGE_VIEW_BODY, RO_KEY, ApiError, 403),
    ("POST", KE, key_event_body(NEW), RO_KEY, ApiError, 403),
    ("DELETE", PAGE_VIEW, None, RO_KEY, ApiError, 403),
    ("GET", f"{KE}/999999", None, KEY, NotFoundError, 404),
    ("PATCH", f"{KE}/999999", PAGE_VIEW_BODY, KEY, NotFoundError, 404),
    ("POST", "/audiences/999/realtime_key_events", key_event_body(NEW), KEY, NotFoundError, 404),
    ("DELETE", PAGE_VIEW, None, KEY, ConflictError, 409),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "key", "kind", "status"),
    ERRORS,
    ids=[f"{s}-{m}" + ("-ro" if k == RO_KEY else "") for m, _, _, k, _, s in ERRORS],
)
def test_error_answers_raise_at_once_with_method_path_status_and_message(
    emu: EmulatorThread,
    method: str,
    path: str,
    body: Any,
    key: str,
    kind: type[ApiError],
    status: int,
) -> None:
    async def act(api: ApiClient) -> Any:
        if method == "GET":
            return await api.get(path)
        if method == "DELETE":
            return await api.delete(path)
        return await (api.post if method == "POST" else api.patch)(path, body)

    with pytest.raises(kind) as err:
        call(emu.url, act, key=key)
    bare = path.partition("?")[0]
    assert type(err.value) is kind and err.value.status == status
    assert str(err.value).startswith(f"{method} {bare} failed: HTTP {status} ")
    assert err.value.info.message and "bogus=1" not in str(err.value)
    assert attempts(emu, method, bare) == 1


@pytest.mark.parametrize("method", ["GET", "PATCH", "POST", "DELETE"])
def test_a_501_is_final_for_every_method(emu: EmulatorThread, method: str) -> None:
    # 501 Not Implemented will not change on a retry, so it is raised at once, also for a POST
    # (which the server refused, so no lookup is needed)
    path, action = request_for(emu, method)
    emu.set_faults(script=[{"method": method, "path": path, "fault": "501", "times": 1}])
    with pytest.raises(ApiError) as err:
        call(emu.url, action)
    assert err.value.status == 501 and not isinstance(err.value, WriteOutcomeUnknown)
    assert attempts(emu, method, path) == 1


def test_patch_of_the_setting_while_updating_is_a_conflict(emu: EmulatorThread) -> None:
    async def patch_twice(api: ApiClient) -> None:
        live = await api.get(SETTING)
        body = {
            k: live[k] for k in ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")
        }
        await api.patch(SETTING, body)
        await api.patch(SETTING, body)

    with pytest.raises(ConflictError, match="HTTP 409"):
        call(emu.url, patch_twice)


def test_patch_whose_lost_first_attempt_causes_a_409_is_an_unknown_outcome(
    emu: EmulatorThread,
) -> None:
    # The first PATCH is applied (status becomes "updating"), its answer is lost, and the
    # retry is refused with 409: the caller must re-read the setting, not report a conflict.
    emu.set_faults(script=[{"method": "PATCH", "path": SETTING, "fault": "lost_response"}])

    async def patch(api: ApiClient) -> Any:
        live = await api.get(SETTING)
        body = {
            k: live[k] for k in ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")
        }
        return await api.patch(SETTING, body)

    with pytest.raises(WriteOutcomeUnknown, match="earlier attempt may have been applied"):
        call(emu.url, patch)
    assert attempts(emu, "PATCH", SETTING, 2) == 2


# --- limits: attempts, Retry-After and the deadline ---------------------------------------------


def test_a_persistent_5xx_gives_up_after_max_attempts_with_the_api_error(
    emu: EmulatorThread,
) -> None:
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "503", "times": 99}])
    with pytest.raises(ApiError, match=r"HTTP 503: .*\(after 6 attempts\)") as err:
        call(emu.url, lambda api: api.get(PAGE_VIEW))
    assert err.value.status == 503
    assert attempts(emu, "GET", PAGE_VIEW, 6) == 6


def test_a_persistent_bad_body_gives_up_with_a_transport_error(emu: EmulatorThread) -> None:
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "non_json", "times": 9}])
    with pytest.raises(
        TransportError,
        match=r"after 3 attempts; last failure: GET http.* answered HTTP 200 with an HTML page",
    ):
        call(
            emu.url,
            lambda api: api.get(PAGE_VIEW),
            retry=RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.001),
        )
    assert attempts(emu, "GET", PAGE_VIEW, 3) == 3


def test_backoff_doubles_from_base_delay_up_to_max_delay(emu: EmulatorThread) -> None:
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "503", "times": 5}])
    policy = RetryPolicy(max_attempts=6, base_delay=0.25, max_delay=1.0)
    waits = recorded(emu.url, lambda api: api.get(PAGE_VIEW), policy)
    assert waits == [0.25, 0.5, 1.0, 1.0, 1.0]  # the ceilings of full jitter
    assert attempts(emu, "GET", PAGE_VIEW, 6) == 6


def test_full_jitter_may_wait_nothing(emu: EmulatorThread) -> None:
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "503", "times": 2}])
    policy = RetryPolicy(base_delay=0.25, max_delay=1.0)
    assert recorded(emu.url, lambda api: api.get(PAGE_VIEW), policy, top=False) == [0.0, 0.0]


def test_the_deadline_stops_retrying_and_names_the_last_failure(emu: EmulatorThread) -> None:
    # waits of 0.4 s against a deadline of 1 s: two fit, the third would pass it
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "502", "times": 999}])
    steady = RetryPolicy(max_attempts=100, base_delay=0.4, max_delay=0.4)
    waits = RecordedWaits()
    with pytest.raises(TransportError, match=r"deadline of 1s was reached; last failure: HTTP 502"):
        call(
            emu.url,
            lambda api: api.get(PAGE_VIEW),
            retry=steady,
            deadline=1.0,
            clock=waits.clock(),
            chance=Extreme(top=True),
        )
    assert waits.waits == [0.4, 0.4]
    assert attempts(emu, "GET", PAGE_VIEW, 3) == 3


@pytest.mark.parametrize(("mode", "low", "high"), [("seconds", 1.0, 1.0), ("http-date", 0.0, 1.0)])
def test_retry_after_is_honoured(emu: EmulatorThread, mode: str, low: float, high: float) -> None:
    # the least wait is the server's; the jitter on top of it is at most base_delay (0.001)
    patient = RetryPolicy(base_delay=0.001, max_delay=0.001, max_retry_after=30.0)
    for top in (False, True):
        reset(emu)
        emu.set_faults(
            script=[{"method": "GET", "path": PAGE_VIEW, "fault": "429"}], retry_after=mode
        )
        waits = recorded(emu.url, lambda api: api.get(PAGE_VIEW), patient, top=top)
        assert len(waits) == 1 and low <= waits[0] <= high + 0.001


@pytest.mark.parametrize(("cap", "expected"), [(30.0, 1.3), (1.0, 1.0)])
def test_retry_after_gets_jitter_but_stays_at_least_the_wait_and_within_the_cap(
    emu: EmulatorThread, cap: float, expected: float
) -> None:
    # Retry-After: 1 and up to base_delay (0.3 s) of jitter on each wait, cut at the cap
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "429", "times": 3}])
    jittery = RetryPolicy(base_delay=0.3, max_delay=0.3, max_retry_after=cap)
    waits = recorded(emu.url, lambda api: api.get(PAGE_VIEW), jittery)
    assert waits == pytest.approx([expected] * 3)
    reset(emu)
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "429", "times": 3}])
    lowest = recorded(emu.url, lambda api: api.get(PAGE_VIEW), jittery, top=False)
    assert lowest == [1.0] * 3  # never less than the server asked for


def test_retry_after_is_capped(emu: EmulatorThread) -> None:
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "429"}])
    assert recorded(emu.url, lambda api: api.get(PAGE_VIEW), FAST) == [0.05]  # FAST's cap


def test_the_verbose_retry_line_shows_the_wait_it_makes(
    emu: EmulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    # users read this line (-v): it names the wait, the failure and the next attempt's number
    caplog.set_level(logging.INFO, logger="rtcfg.http")
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "429"}])
    policy = RetryPolicy(base_delay=0.3, max_retry_after=30.0)
    assert recorded(emu.url, lambda api: api.get(PAGE_VIEW), policy) == pytest.approx([1.3])
    assert f"GET {PAGE_VIEW} retry in 1.30s (HTTP 429), attempt 2" in caplog.text


class HoldFirst(httpx.AsyncBaseTransport):
    """Into the emulator application in process; the first request is held until released."""

    def __init__(self, emulator: Emulator) -> None:
        self.inner = EmulatorTransport(emulator)
        self.release = asyncio.Event()
        self.held = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.held:
            self.held = True
            await self.release.wait()
        return await self.inner.handle_async_request(request)


def test_a_post_that_found_no_free_connection_in_time_is_sent_once_one_is_free() -> None:
    # One connection, held by a GET: the POST's wait for it times out, and since it was never
    # sent it is tried again (no WriteOutcomeUnknown), then created exactly once.
    emulator = Emulator()
    transport = HoldFirst(emulator)
    waits = RecordedWaits()

    async def main() -> tuple[Any, Any]:
        async with ApiClient(
            connection("http://127.0.0.1:9"),
            transport=transport,
            max_connections=1,
            timeout=0.05,
            retry=FAST,
            clock=waits.clock(),
        ) as api:
            get = asyncio.create_task(api.get(PAGE_VIEW))
            await asyncio.sleep(0)  # the GET has the connection
            post = asyncio.create_task(api.post(KE, key_event_body(NEW)))
            while not waits.waits:  # the POST has given up waiting once
                await asyncio.sleep(0.01)
            transport.release.set()
            return await get, await post

    read, created = asyncio.run(main())
    assert read["id"] == "810" and created["name"] == NEW
    assert [r["method"] for r in emulator.requests() if r["path"] == KE] == ["POST"]


# --- random faults and the key ------------------------------------------------------------------

TRANSIENT = [*BEFORE_COMMIT, *AFTER_COMMIT, "429", "hang_before_commit"]


def test_a_hundred_gets_all_succeed_through_ten_percent_random_faults(emu: EmulatorThread) -> None:
    emu.set_faults(rate=0.1, kinds=TRANSIENT, seed=20260705, hang_seconds=HANG)

    async def many(api: ApiClient) -> list[Any]:
        return [await api.get(SETTING) for _ in range(100)]

    results = call(emu.url, many, timeout=HANG_TIMEOUT)
    assert all(r["id"] == "291" for r in results)
    faults = [r for r in emu.requests() if r["fault"]]
    assert len(faults) >= 5 and len({f["fault"] for f in faults}) >= 3


def test_the_key_appears_in_no_log_record_exception_or_repr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "1/SECRET-KEY-abc123"
    caplog.set_level(logging.DEBUG)  # every logger, httpx's and httpcore's included
    failures: list[BaseException] = []

    def attempt(url: str, action: Action, **options: Any) -> None:
        try:
            call(url, action, key=secret, timeout=0.1, **options)
        except Exception as exc:
            failures.append(exc)

    with EmulatorThread(api_key=secret) as server:
        server.set_faults(rate=0.6, kinds=TRANSIENT, seed=7, hang_seconds=0.2)
        for n in range(8):
            attempt(server.url, lambda api, n=n: api.get(f"{KE}/{n}"))
            attempt(server.url, lambda api, n=n: api.post(KE, key_event_body(f"leak_{n}")))
            attempt(server.url, lambda api: api.delete(PAGE_VIEW))
        attempt(server.url, lambda api: api.get(PAGE_VIEW), retry=RetryPolicy(max_attempts=1))
    with EmulatorThread(api_key=KEY) as other:  # the secret is the wrong key here: 401s
        attempt(other.url, lambda api: api.get(PAGE_VIEW))
        attempt(other.url, lambda api: api.post(KE, {}))
    attempt(closed_port_url(), lambda api: api.get(PAGE_VIEW))

    assert len(failures) >= 12
    assert {type(f) for f in failures} >= {WriteOutcomeUnknown, ApiError, TransportError}
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.exc_info)]
    for exc in failures:
        chain: BaseException | None = exc
        while chain is not None:
            texts += [str(chain), repr(chain), repr(chain.args), repr(vars(chain))]
            chain = chain.__cause__ or chain.__context__
    assert len(caplog.records) > 100  # httpcore's DEBUG trace was on
    leaks = [t for t in texts if "SECRET-KEY" in t]
    assert not leaks


def test_a_post_refused_with_429_more_times_than_max_attempts_still_goes_through(
    emu: EmulatorThread,
) -> None:
    # A rate limit shared by concurrent requests can refuse one of them many times in a row;
    # a 429 was not acted on, so it has its own budget and the POST is sent once it passes.
    path, action = request_for(emu, "POST")
    emu.set_faults(script=[{"method": "POST", "path": path, "fault": "429"}] * 8)
    call(emu.url, action)
    assert attempts(emu, "POST", path, 9) == 9
    assert names(emu).count(NEW) == 1


def test_throttled_attempts_have_a_budget_of_their_own(emu: EmulatorThread) -> None:
    emu.set_faults(script=[{"method": "GET", "path": PAGE_VIEW, "fault": "429"}] * 5)
    stingy = RetryPolicy(max_attempts=6, max_throttled_attempts=3, base_delay=0.001)
    with pytest.raises(ApiError, match=r"after 3 attempts"):
        call(emu.url, lambda api: api.get(PAGE_VIEW), retry=stingy)
