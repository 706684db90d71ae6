"""When a failed attempt is retried, how long the client waits, and what it raises instead.

The policy itself is described in ``rtcfg.api.client``'s module docstring (which failures are
transient, backoff with full jitter, ``Retry-After``, the POST rule, the deadline). This module
holds it as code that knows no HTTP library: an attempt's outcome arrives here as a
:class:`Failure` (built from an answer in ``rtcfg.api.responses`` or from a transport error in
``rtcfg.api.client``), and :class:`Retries` decides, for one request, whether to raise now or
how long to wait before the next attempt. Time and chance come from a :class:`Clock` and a
``random.Random`` that the client is given, so tests can record the waits instead of sleeping.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from rtcfg.api.connection import shown_url
from rtcfg.errors import ApiError, AttemptFailed, ConflictError, TransportError, WriteOutcomeUnknown

_FINAL_STATUS_5XX = (501,)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how long to retry transient failures (see ``rtcfg.api.client``)."""

    max_attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    max_throttled_attempts: int = 30


@dataclass(frozen=True)
class Clock:
    """Where the client reads the time and how it waits: the real ones unless a test gives
    others (a clock that records each wait and moves its time on without sleeping)."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


DEFAULT_RETRY = RetryPolicy()  # frozen, so one shared default is safe
REAL_CLOCK = Clock()


@dataclass
class Attempt:
    """One request as the retry loop resends it."""

    method: str
    url: str
    path: str  # without query: what logs and messages show
    params: Mapping[str, Any] | None
    content: bytes | None

    @property
    def shown(self) -> str:
        """``METHOD url`` as a message may show it (no query, no userinfo)."""
        return f"{self.method} {shown_url(self.url)}"


@dataclass
class Failure:
    """Why an attempt gave no usable answer."""

    reason: str  # "HTTP 503", "ReadTimeout: ...", "body is not JSON"
    reached: bool  # the request may have reached the server (and been acted on)
    transient: bool = True
    retry_after: float | None = None
    error: ApiError | None = None  # the error to raise when it is final
    throttled: bool = False  # answered 429: refused before it was acted on


def is_transient_status(status: int) -> bool:
    """408, 429 and 5xx except 501: an answer that may be different next time."""
    return status in (408, 429) or (status >= 500 and status not in _FINAL_STATUS_5XX)


@dataclass
class Retries:
    """The retry budget of one request: call :meth:`after` with each failure."""

    policy: RetryPolicy
    attempt: Attempt
    retry: bool = True  # False: one attempt, the caller resends it itself
    failed: int = 0  # attempts that failed
    throttled: int = 0  # of those, the ones answered 429
    maybe_applied: bool = False  # an earlier attempt may have been acted on

    def after(self, failure: Failure) -> None:
        """Count ``failure``; raise when it is final, unsafe to resend, or the budget is spent."""
        _raise_if_final(self.attempt, failure, self.maybe_applied)
        if not self.retry:
            _raise_single(self.attempt, failure)
        self.maybe_applied = self.maybe_applied or failure.reached
        self.failed += 1
        self.throttled += failure.throttled
        policy = self.policy
        if self.throttled >= policy.max_throttled_attempts or (
            self.failed - self.throttled >= policy.max_attempts
        ):
            _raise_exhausted(self.attempt, failure, self.failed)

    def delay(self, failure: Failure, chance: random.Random) -> float:
        """Seconds to wait before the next attempt (:func:`backoff`)."""
        return backoff(self.policy, self.failed, failure.retry_after, chance)


def backoff(
    policy: RetryPolicy, failed: int, retry_after: float | None, chance: random.Random
) -> float:
    """Seconds to wait after ``failed`` failed attempts: full jitter, or the server's
    Retry-After plus up to ``base_delay`` (so requests refused together do not return
    together), capped at ``max_retry_after``. Also what apply waits between setting PATCHes."""
    if retry_after is None:
        ceiling = min(policy.max_delay, policy.base_delay * 2 ** (failed - 1))
        return chance.uniform(0, ceiling)
    jitter = chance.uniform(0, policy.base_delay)
    return min(retry_after + jitter, policy.max_retry_after)


def _raise_if_final(attempt: Attempt, failure: Failure, maybe_applied: bool) -> None:
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
            failure.reason if "://" in failure.reason else f"{attempt.shown}: {failure.reason}"
        )
    if attempt.method == "POST" and failure.reached:
        raise WriteOutcomeUnknown(
            f"POST {attempt.path}: the outcome is unknown ({failure.reason}); the object may "
            "have been created: look it up before creating it again"
        )


def _raise_single(attempt: Attempt, failure: Failure) -> NoReturn:
    """A transient failure of a request its caller resends itself."""
    if failure.reached:
        raise WriteOutcomeUnknown(
            f"{attempt.method} {attempt.path}: the outcome is unknown ({failure.reason})"
        )
    raise AttemptFailed(f"{attempt.method} {attempt.path}: {failure.reason}", failure.retry_after)


def _raise_exhausted(attempt: Attempt, failure: Failure, attempts: int) -> NoReturn:
    """The last failure after ``attempts`` tries: the API's own error if it answered one."""
    if failure.error is not None:
        info = failure.error.info
        message = f"{info.message} (after {attempts} attempts)".strip()
        raise type(failure.error)(replace(info, message=message))
    raise TransportError(
        f"{attempt.method} {attempt.path}: no usable answer after {attempts} attempts; "
        f"last failure: {failure.reason}"
    )
