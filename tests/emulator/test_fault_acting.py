"""The socket server and the in-process transport act out every fault kind the same way.

Both call ``rtcfg.emulator.acting.act_out``; this proves that what each puts on its wire
agrees: for every kind the emulator knows, on a write and on a read, the answer (status, body,
or no answer at all), whether the write was committed, and the request log entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from rtcfg.emulator import Emulator, EmulatorThread
from rtcfg.emulator.faults import KINDS
from tests.builders import AUTH, POP_PATH, key_event
from tests.emulator_transport import EmulatorTransport

KEY_EVENTS = f"{POP_PATH}/realtime_key_events"
SETTING = f"{POP_PATH}/realtime_setting"
# (method, path, body): a create, whose commit shows in the list, and a read
REQUESTS = {"write": ("POST", KEY_EVENTS, key_event("acted")), "read": ("GET", SETTING, None)}
# the kinds whose write is committed (its answer is then lost or replaced)
WRITE_DONE = ("lost_response", "hang_after_commit", "504_after_commit")
Send = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


def _faults(kind: str | None, method: str, path: str) -> dict[str, Any]:
    """A script that faults this one request (``kind`` None: a script that never matches)."""
    # hang_seconds: a hang is acted out as a short wait then a closed connection (socket) or
    # a read timeout at once (transport); either way the client gets no answer
    entry = {"method": method, "path": path if kind else "/never", "fault": kind or "500"}
    return {"hang_seconds": 0.01, "script": [entry]}


def _answer(send: Send, method: str, path: str, body: Any) -> tuple[Any, ...]:
    request = httpx.Request(method, "http://emulator" + path, json=body, headers=AUTH)
    try:
        response = send(request)
    except httpx.TransportError:
        return ("no answer",)
    ctype = response.headers.get("content-type", "").split(";")[0]
    payload = response.json() if ctype == "application/json" else response.text
    return response.status_code, ctype, response.headers.get("retry-after"), payload


def _committed(send: Send) -> bool:
    listed = send(httpx.Request("GET", "http://emulator" + KEY_EVENTS, headers=AUTH)).json()
    return any(k["name"] == "acted" for k in listed["data"])


def _over_the_socket(emu: EmulatorThread, kind: str | None, case: str) -> tuple[Any, ...]:
    method, path, body = REQUESTS[case]
    with httpx.Client(base_url=emu.url, timeout=5.0) as control:
        control.post("/_emulator/reset").raise_for_status()
        control.post("/_emulator/faults", json=_faults(kind, method, path)).raise_for_status()

    def send(request: httpx.Request) -> httpx.Response:
        url = emu.url + request.url.raw_path.decode()
        with httpx.Client(timeout=5.0) as client:  # a fresh connection: a fault may close it
            return client.send(client.build_request(request.method, url, **_parts(request)))

    answer = _answer(send, method, path, body)
    log = emu.requests()[0]
    return answer, _committed(send), log


def _in_process(kind: str | None, case: str) -> tuple[Any, ...]:
    method, path, body = REQUESTS[case]
    emulator = Emulator(update_seconds=0.0)
    emulator.faults.configure(**_faults(kind, method, path))
    transport = EmulatorTransport(emulator)

    def send(request: httpx.Request) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as c:
                response = await c.send(
                    c.build_request(request.method, request.url, **_parts(request))
                )
                await response.aread()
                return response

        return asyncio.run(go())

    answer = _answer(send, method, path, body)
    log = emulator.requests()[0]
    return answer, _committed(send), log


def _parts(request: httpx.Request) -> dict[str, Any]:
    return {"headers": dict(request.headers), "content": request.content}


@pytest.mark.parametrize("case", list(REQUESTS))
@pytest.mark.parametrize("kind", [*KINDS, None])
def test_socket_and_transport_answer_every_fault_alike(
    emu: EmulatorThread, kind: str | None, case: str
) -> None:
    socket_side = _over_the_socket(emu, kind, case)
    assert _in_process(kind, case) == socket_side
    _, committed, log = socket_side
    assert log["fault"] == kind and log["method"] == REQUESTS[case][0]
    assert committed == (case == "write" and (kind is None or kind in WRITE_DONE))


def test_every_fault_kind_is_acted_out() -> None:
    """A kind added to faults.KINDS but not to act_out would answer as if no fault was drawn."""
    plain = _in_process(None, "write")
    for kind in KINDS:
        assert _in_process(kind, "write") != plain, kind
