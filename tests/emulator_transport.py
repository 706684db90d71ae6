"""An httpx transport into the emulator application, in the same process (no socket).

Thousands of requests per second instead of hundreds, so property tests can run hundreds of
apply cycles. Faults are decided by the emulator's own fault engine and acted out the way the
socket server acts them out: a 5xx or 429 is an answer; ``drop``, ``reset``, ``truncated`` and
``hang_before_commit`` fail before the write is done; ``lost_response`` and
``hang_after_commit`` do the write and then lose the answer; ``non_json`` answers 200 with an
HTML page (and, for a write, does nothing). Latency is not simulated here.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import unquote

import httpx

from rtcfg.emulator.app import Emulator
from rtcfg.emulator.routes import WRITE_METHODS, Request

NOT_DONE = ("drop", "reset", "truncated", "hang_before_commit")
DONE_THEN_LOST = ("lost_response", "hang_after_commit")


class EmulatorTransport(httpx.AsyncBaseTransport):
    """``ApiClient(..., transport=EmulatorTransport(emulator))``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        path = unquote(request.url.path)
        headers = {k.lower(): v for k, v in request.headers.items()}
        req = Request(request.method, path, request.url.query.decode(), headers, body)
        if path.startswith("/_emulator/"):
            status, payload = self.emulator.control(req)
            return _json(status, payload, request)
        decision = self.emulator.faults.decide(req.method, path)
        status: int | None = None
        try:
            status, response = self._answer(req, decision.fault, decision.retry_after, request)
        finally:
            self.emulator.record(req.method, path, status, decision.fault)
        return response

    def _answer(
        self, req: Request, fault: str | None, retry_after: str | None, request: httpx.Request
    ) -> tuple[int | None, httpx.Response]:
        if fault in ("500", "502", "503"):
            code = int(fault)
            payload = {"status": code, "error": HTTPStatus(code).phrase, "details": "injected"}
            return code, _json(code, payload, request)
        if fault == "429":
            headers = {"Retry-After": retry_after} if retry_after else {}
            payload = {"code": "too_many_requests", "message": "rate limit exceeded"}
            return 429, _json(429, payload, request, headers)
        if fault == "non_json" and req.method in WRITE_METHODS:
            return 200, httpx.Response(200, text="<html>proxy</html>", request=request)
        if fault in NOT_DONE:
            raise httpx.ReadError(f"injected {fault}", request=request)
        status, payload = self.emulator.api(req)  # a write is committed here
        if fault in DONE_THEN_LOST:
            raise httpx.ReadError(f"injected {fault}", request=request)
        if fault == "non_json":
            return status, httpx.Response(200, text="<html>proxy</html>", request=request)
        return status, _json(status, payload, request)


def _json(
    status: int, payload: object, request: httpx.Request, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return httpx.Response(status, content=content, headers=all_headers, request=request)
