"""Acting out a fault decision: the one place that says what a faulted request does.

The socket server (:mod:`.server`) and the in-process httpx transport of the test suite both
call :func:`act_out` and only put its :class:`Act` on their wire, so they cannot disagree on
what a fault answers, whether the write was committed, or what the request log records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, Protocol

from .faults import AFTER_COMMIT, STATUS_AFTER_COMMIT, STATUS_KINDS, Decision
from .http import WRITE_METHODS, Request

# How the answer reaches the client:
#   answer     the status, headers and JSON body, connection kept
#   non_json   200 with an HTML page (a proxy's error page), connection kept
#   reset      the head and half the body, then the connection is closed
#   truncated  a Content-Length larger than the body, then the connection is closed
#   close      no answer at all: the connection is closed (after ``hang`` seconds)
Wire = Literal["answer", "non_json", "reset", "truncated", "close"]
HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
_NOT_DONE = ("drop", "hang_before_commit")
_MANGLED = ("reset", "truncated", "non_json")


class Answering(Protocol):
    """What acting needs of the emulator: its API and how long a hang lasts."""

    def api(self, req: Request) -> tuple[int, Any]: ...

    @property
    def hang_seconds(self) -> float: ...


@dataclass(frozen=True)
class Act:
    """What one request gets: ``status`` is the status produced (what the request log records,
    also when the answer is lost; None when nothing was produced)."""

    status: int | None
    payload: Any = None
    wire: Wire = "answer"
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before closing without an answer
    committed: bool = False  # a write was done (its answer may still be lost)


def injected_error(code: int, message: str | None = None) -> dict[str, Any]:
    """The OAS ServerError body of an injected status fault."""
    body: dict[str, Any] = {
        "status": code,
        "error": HTTPStatus(code).phrase,
        "details": "injected fault",
    }
    if message is not None:
        body["message"] = message
    return body


def act_out(emulator: Answering, req: Request, decision: Decision) -> Act:
    """Answer ``req`` as ``decision`` says (the write, if any, is committed here)."""
    fault = decision.fault
    if fault in STATUS_KINDS:
        code = int(fault)
        return Act(code, injected_error(code, decision.message))
    if fault == "429":
        headers = {"Retry-After": decision.retry_after} if decision.retry_after else {}
        body = {"code": "too_many_requests", "message": "rate limit exceeded; retry later"}
        return Act(429, body, headers=headers)
    if fault in _NOT_DONE:
        hang = emulator.hang_seconds if fault == "hang_before_commit" else 0.0
        return Act(None, wire="close", hang=hang)
    if fault in _MANGLED:
        return _mangled(emulator, req, fault)
    status, payload = emulator.api(req)
    committed = req.method in WRITE_METHODS and status < 300
    if fault in AFTER_COMMIT:
        hang = emulator.hang_seconds if fault == "hang_after_commit" else 0.0
        return Act(status, wire="close", hang=hang, committed=committed)
    if fault in STATUS_AFTER_COMMIT:
        code = STATUS_AFTER_COMMIT[fault]
        return Act(code, injected_error(code, decision.message), committed=committed)
    return Act(status, payload, committed=committed)


def _mangled(emulator: Answering, req: Request, fault: str) -> Act:
    """A spoiled answer. A write fails before doing anything; a read is answered, spoiled."""
    if req.method in WRITE_METHODS:
        status, payload = 200, {"code": "injected_fault", "message": fault}
    else:
        status, payload = emulator.api(req)
    if fault == "non_json":
        return Act(200, HTML, wire="non_json")
    return Act(status, payload, wire="reset" if fault == "reset" else "truncated")
