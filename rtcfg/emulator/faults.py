"""Fault injection: latency with jitter, token-bucket rate limit, scripted and random faults.

Thread-safe: :class:`Faults` may be reconfigured from another thread (``EmulatorThread``).
"""

from __future__ import annotations

import fnmatch
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from .errors import bad_request

# answered with this status before anything is done (501 is final for a client, the rest not)
STATUS_KINDS = ("408", "500", "501", "502", "503", "504")
KINDS = (
    *STATUS_KINDS,
    "429",
    "drop",
    "lost_response",
    "reset",
    "truncated",
    "non_json",
    "hang_before_commit",
    "hang_after_commit",
    "504_after_commit",
)
MAX_MS = 600_000.0  # latency and jitter: at most ten minutes a request
MAX_MESSAGE = 4096  # characters of a scripted error text
MIN_RATE = 0.01  # requests/s; a smaller rate would ask clients to wait for days
MAX_RATE_LIMIT = 1e6  # requests/s
DEFAULT_KINDS = ("500", "502", "503", "drop", "lost_response")
# committed first, then the answer is lost (a closed connection) or replaced: a gateway that
# timed out while the write went through answers 504
AFTER_COMMIT = ("lost_response", "hang_after_commit")
STATUS_AFTER_COMMIT = {"504_after_commit": 504}
RETRY_AFTER_MODES = ("seconds", "http-date", "none")
CONFIG_KEYS = (
    "rate",
    "kinds",
    "seed",
    "latency_ms",
    "jitter_ms",
    "rate_limit",
    "retry_after",
    "hang_seconds",
    "script",
)


@dataclass
class Decision:
    """What to do with one request: sleep ``delay`` s, then answer normally or apply ``fault``."""

    delay: float = 0.0
    fault: str | None = None
    retry_after: str | None = None
    message: str | None = None  # a scripted status fault's error text (e.g. one echoing the key)


class TokenBucket:
    """``rate`` tokens per second, burst ``max(1, rate)``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def take(self) -> float:
        """Take a token: 0.0 if granted, else the seconds until one is available."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class Faults:
    """The fault configuration and the seeded random generator."""

    def __init__(self, **cfg: Any) -> None:
        self._lock = threading.Lock()
        self.configure(replace=True, **cfg)

    def configure(self, replace: bool = False, **cfg: Any) -> dict[str, Any]:
        """Apply ``cfg`` (keys of CONFIG_KEYS); ``replace`` resets everything else first."""
        for key in cfg:
            if key not in CONFIG_KEYS:
                raise bad_request(f"faults: unknown key '{key}'")
        with self._lock:
            if replace:
                self.rate = 0.0
                self.kinds: tuple[str, ...] = DEFAULT_KINDS
                self.seed: int | None = None
                self.latency_ms = 0.0
                self.jitter_ms = 0.0
                self.rate_limit: float | None = None
                self.retry_after = "seconds"
                self.hang_seconds = 30.0
                self.script: list[dict[str, Any]] = []
                self.rng = random.Random(None)
                self.bucket: TokenBucket | None = None
            self._apply(cfg)
            return self.snapshot()

    def _apply(self, cfg: dict[str, Any]) -> None:
        if "rate" in cfg:
            self.rate = _number(cfg["rate"], "rate", 0.0, 1.0)
        if "kinds" in cfg:
            kinds = cfg["kinds"]
            if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
                raise bad_request(f"faults: kinds must be a non-empty list of {', '.join(KINDS)}")
            self.kinds = tuple(kinds)
        if "seed" in cfg:
            seed = cfg["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise bad_request("faults: seed must be an integer or null")
            self.seed = seed
            self.rng = random.Random(seed)
        for key, high in (("latency_ms", MAX_MS), ("jitter_ms", MAX_MS), ("hang_seconds", 3600)):
            if key in cfg:
                setattr(self, key, _number(cfg[key], key, 0.0, high))
        if "rate_limit" in cfg:
            limit = cfg["rate_limit"]
            off = limit is None or (limit == 0 and not isinstance(limit, bool))
            self.rate_limit = (
                None if off else _number(limit, "rate_limit", MIN_RATE, MAX_RATE_LIMIT)
            )
            self.bucket = TokenBucket(self.rate_limit) if self.rate_limit else None
        if "retry_after" in cfg:
            if cfg["retry_after"] not in RETRY_AFTER_MODES:
                raise bad_request("faults: retry_after must be seconds, http-date or none")
            self.retry_after = cfg["retry_after"]
        if "script" in cfg:
            self.script = [_script_entry(e) for e in _as_list(cfg["script"])]

    def snapshot(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "seed": self.seed,
            "latency_ms": self.latency_ms,
            "jitter_ms": self.jitter_ms,
            "rate_limit": self.rate_limit,
            "retry_after": self.retry_after,
            "hang_seconds": self.hang_seconds,
            "script": [dict(e) for e in self.script],
        }

    def decide(self, method: str, path: str) -> Decision:
        """Choose latency and fault for one request (never called for ``/_emulator``)."""
        with self._lock:
            delay = self.latency_ms / 1000.0
            if self.jitter_ms:
                delay += self.rng.uniform(-self.jitter_ms, self.jitter_ms) / 1000.0
            decision = Decision(delay=max(0.0, delay))
            if self.bucket is not None:
                wait = self.bucket.take()
                if wait > 0:
                    decision.fault = "429"
                    decision.retry_after = self._retry_after(wait)
                    return decision
            for entry in self.script:
                if entry["times"] > 0 and _matches(entry, method, path):
                    entry["times"] -= 1
                    decision.fault = entry["fault"]
                    decision.message = entry.get("message")
                    break
            else:
                if self.rate > 0 and self.rng.random() < self.rate:
                    decision.fault = self.rng.choice(self.kinds)
            if decision.fault == "429":
                decision.retry_after = self._retry_after(1.0)
            return decision

    def _retry_after(self, wait: float) -> str | None:
        if self.retry_after == "none":
            return None
        if self.retry_after == "http-date":
            return formatdate(time.time() + math.ceil(wait), usegmt=True)
        return str(max(1, math.ceil(wait)))


def _number(value: Any, key: str, low: float, high: float) -> float:
    """A finite number in [low, high]; anything else (NaN, inf, 1e300, text) is a 400."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"faults: {key} must be a number")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number) or not low <= number <= high:
        raise bad_request(f"faults: {key} must be a number from {low:g} to {high:g}")
    return number


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise bad_request("faults: script must be a list")
    return value


def _script_entry(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict) or entry.get("fault") not in KINDS:
        raise bad_request(f"faults: script entries need a fault among {', '.join(KINDS)}")
    extra = set(entry) - {"method", "path", "fault", "times", "message"}
    if extra:
        raise bad_request(f"faults: unknown script keys {sorted(extra)}")
    times = entry.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise bad_request("faults: script times must be a positive integer")
    message = entry.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE):
        raise bad_request(f"faults: script message must be a text of at most {MAX_MESSAGE}")
    return {
        **({"message": message} if message is not None else {}),
        "method": str(entry.get("method", "*")).upper(),
        "path": str(entry.get("path", "*")),
        "fault": entry["fault"],
        "times": times,
    }


def _matches(entry: dict[str, Any], method: str, path: str) -> bool:
    return fnmatch.fnmatchcase(method, entry["method"]) and fnmatch.fnmatchcase(path, entry["path"])
