"""Hostile requests get an answer (400/408/413/431/501), never a dropped connection or a
crashed handler; the emulator's command checks its options before it serves."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcfg.emulator import EmulatorThread
from rtcfg.emulator.app import MAX_LOG, Emulator

KEY_EVENTS = "/audiences/1069935/realtime_key_events"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0, header_timeout=0.3, body_timeout=0.3) as thread:
        yield thread


def _connect(emu: EmulatorThread) -> socket.socket:
    host, port = emu.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _request(path: str, body: bytes, method: str = "POST", extra: str = "") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: TD1 1/k\r\n"
        f"Content-Type: application/json\r\n{extra}"
    )
    if "Content-Length" not in extra:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _answer(sock: socket.socket) -> tuple[int, dict[str, object]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an answer after {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[
            1
        ]
    )
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split(b" ")[1]), json.loads(rest[:length])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (KEY_EVENTS, b"[" * 5000 + b"]" * 5000),  # deeper than json.loads can recurse
        (KEY_EVENTS, b"[" * 100 + b"]" * 100),  # decodes, but deeper than any API body
        (KEY_EVENTS, b'{"name": ' + b"9" * 5000 + b"}"),  # past Python's int limit
        (KEY_EVENTS, b'{"name": 1' + b"0" * 40 + b"}"),
        (KEY_EVENTS, b'{"name": NaN}'),
        (KEY_EVENTS, b"\xff\xfe not utf-8"),
        ("/_emulator/faults", b'{"latency_ms": NaN}'),
        ("/_emulator/faults", b'{"latency_ms": 1e400}'),
        ("/_emulator/faults", b'{"rate_limit": 1e-300}'),
        ("/_emulator/faults", b'{"rate_limit": ' + b"9" * 400 + b"}"),
        ("/_emulator/faults", b'{"hang_seconds": -1}'),
        ("/_emulator/faults", b'{"jitter_ms": "5"}'),
    ],
    ids=lambda v: v if isinstance(v, str) else v[:16].decode("latin-1"),
)
def test_a_hostile_body_is_a_400_and_the_connection_stays(
    emu: EmulatorThread, path: str, body: bytes
) -> None:
    with _connect(emu) as sock:
        sock.sendall(_request(path, body))
        status, answer = _answer(sock)
        assert status == 400, answer
        sock.sendall(_request("/_emulator/faults", b"", method="GET"))  # same connection
        assert _answer(sock)[0] == 200
    assert emu.emulator.faults.snapshot()["latency_ms"] == 0.0


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ("Content-Length: 2\r\nContent-Length: 2\r\n", 400),
        ("Content-Length: +2\r\n", 400),
        ("Content-Length: -1\r\n", 400),
        ("Content-Length: 0x2\r\n", 400),
        ("Content-Length: 2, 2\r\n", 400),
        ("Content-Length: ٢\r\n", 400),
        ("Content-Length: 999999999999\r\n", 413),
        ("Transfer-Encoding: chunked\r\n", 501),
        ("X-Big: " + "a" * 70_000 + "\r\n", 431),
    ],
)
def test_a_request_that_cannot_be_framed_is_answered_then_closed(
    emu: EmulatorThread, extra: str, status: int
) -> None:
    with _connect(emu) as sock:
        sock.sendall(_request(KEY_EVENTS, b"{}", extra=extra))
        assert _answer(sock)[0] == status
        assert sock.recv(1) == b""  # then closed: the rest of the bytes cannot be trusted


def test_a_tls_handshake_gets_a_plain_answer_at_once(emu: EmulatorThread) -> None:
    with _connect(emu) as sock:
        sock.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00]) + b"\x01" * 64)
        status, answer = _answer(sock)
    assert status == 400 and "not TLS" in str(answer["message"])


@pytest.mark.parametrize(
    "partial", [b"GET /audiences HTTP/1.1\r\nHost", _request(KEY_EVENTS, b"")[:-2]]
)
def test_a_head_that_never_ends_times_out_with_408(emu: EmulatorThread, partial: bytes) -> None:
    with _connect(emu) as sock:
        sock.sendall(partial)
        assert _answer(sock)[0] == 408


def test_a_body_that_never_arrives_times_out_with_408(emu: EmulatorThread) -> None:
    with _connect(emu) as sock:
        sock.sendall(_request(KEY_EVENTS, b"{", extra="Content-Length: 10\r\n"))
        assert _answer(sock)[0] == 408


def test_the_request_log_is_bounded() -> None:
    emulator = Emulator(update_seconds=0.0)
    for _ in range(MAX_LOG + 5):
        emulator.record("GET", "/audiences", 200, None)
    assert len(emulator.requests()) == MAX_LOG


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "70000"], "--port 70000: a port is a number from 0 to 65535"),
        (["--port", "-1"], "--port -1"),
        (["--state", "{tmp}"], "is a folder"),
        (["--state", "{tmp}/missing/state.json"], "does not exist"),
        (["--state", "{tmp}/broken.json"], "--state {tmp}/broken.json: not JSON: Expecting"),
        (["--latency-ms", "nan"], "--latency-ms nan: must be a number from 0 to 600000"),
        (["--rate-limit", "1e-9"], "--rate-limit 1e-09: 0 (unlimited) or at least 0.01/s"),
        (["--update-seconds", "nan"], "--update-seconds nan: must be a number from 0 to 3600"),
        (["--update-seconds", "1e308"], "--update-seconds 1e+308: must be a number from 0"),
        (["--jitter-ms", "inf"], "--jitter-ms inf: must be a number from 0 to 600000"),
        (["--fault-rate", "-0.5"], "--fault-rate -0.5: must be a number from 0 to 1"),
    ],
)
def test_bad_start_up_options_are_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "broken.json").write_text("{")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "rtcfg.emulator", "--port", "0", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert says.replace("{tmp}", str(tmp_path)) in result.stderr
