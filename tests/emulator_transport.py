"""An httpx transport into the emulator application, in the same process (no socket).

Thousands of requests per second instead of hundreds, so property tests can run hundreds of
apply cycles. Faults are decided by the emulator's own fault engine and acted out by the same
function the socket server uses (``rtcfg.emulator.acting.act_out``); this module only puts the
result on httpx's side of the wire: an answer is a response, a closed or spoiled connection is
a ``ReadError``, a hang is a ``ReadTimeout`` at once. Latency is not simulated here.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import httpx

from rtcfg.emulator.acting import HTML, Act, act_out
from rtcfg.emulator.app import Emulator
from rtcfg.emulator.faults import Decision
from rtcfg.emulator.http import Request


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
        decision, act = Decision(), Act(None, wire="close")
        try:
            decision = self.emulator.faults.decide(req.method, path)
            act = act_out(self.emulator, req, decision)  # a write is committed here
        finally:
            self.emulator.record(req.method, path, act.status, decision.fault)
        return _response(act, request)


def _response(act: Act, request: httpx.Request) -> httpx.Response:
    if act.wire == "answer":
        return _json(act.status or 200, act.payload, request, act.headers)
    if act.wire == "non_json":
        headers = {"Content-Type": "text/html; charset=utf-8"}
        return httpx.Response(200, text=HTML, headers=headers, request=request)
    if act.hang:
        raise httpx.ReadTimeout("injected hang: no answer", request=request)
    raise httpx.ReadError(f"injected {act.wire}: the connection closed", request=request)


def _json(
    status: int, payload: object, request: httpx.Request, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return httpx.Response(status, content=content, headers=all_headers, request=request)
