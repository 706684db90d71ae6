"""Asyncio HTTP/1.1 server (keep-alive, Content-Length bodies, JSON) and ``EmulatorThread``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from .acting import HTML, Act, act_out
from .app import Emulator, SeedArg
from .faults import Decision
from .http import Auth, Request

MAX_HEADER = 64 * 1024
MAX_BODY = 8 * 1024 * 1024


IDLE_TIMEOUT = 75.0  # seconds a kept-alive connection may wait for its next request
HEADER_TIMEOUT = 10.0  # seconds from a request's first byte to the end of its head
BODY_TIMEOUT = 30.0  # seconds to receive a body
_TLS_HANDSHAKE = 0x16  # first byte of a TLS ClientHello record


class _Close(Exception):
    """Close the connection without (further) answer."""


class _Refuse(Exception):
    """Answer this status and message, then close: the request cannot be framed (or read)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_request(
    reader: asyncio.StreamReader,
    idle_timeout: float = IDLE_TIMEOUT,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
) -> tuple[Request, bool] | None:
    """Read one request; None at a clean EOF or an idle connection's timeout. Returns
    (request, keep_alive). A request that cannot be read raises _Refuse (answer, close)."""
    try:
        first = await asyncio.wait_for(reader.read(1), idle_timeout)
    except (asyncio.TimeoutError, ConnectionError):
        return None
    if not first:
        return None
    if first[0] == _TLS_HANDSHAKE:
        raise _Refuse(400, "this server speaks plain http, not TLS: use http:// in the URL")
    try:
        head = first + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), header_timeout)
    except asyncio.TimeoutError:
        raise _Refuse(408, "the request head did not arrive in time") from None
    except asyncio.IncompleteReadError as exc:
        raise _Close() from exc
    except asyncio.LimitOverrunError:
        raise _Refuse(431, f"the request head is larger than {MAX_HEADER} bytes") from None
    method, target, version, headers = _parse_head(head)
    length = _content_length(headers)
    try:
        body = await asyncio.wait_for(reader.readexactly(length), body_timeout) if length else b""
    except asyncio.TimeoutError:
        raise _Refuse(408, "the request body did not arrive in time") from None
    path, _, query = target.partition("?")
    conn = headers.get("connection", "").lower()
    keep = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
    return Request(method.upper(), unquote(path), query, headers, body), keep


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    """Request line and headers; a repeated Content-Length is refused, not overwritten."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        raise _Refuse(400, "malformed request line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        name = name.lower()
        if not colon or not name or name != name.strip():
            raise _Refuse(400, "malformed header line")
        if name in headers and name in ("content-length", "host", "authorization"):
            raise _Refuse(400, f"the {name} header is repeated")
        headers[name] = value.strip()
    if "transfer-encoding" in headers:
        raise _Refuse(501, "Transfer-Encoding is not supported: send a Content-Length")
    return parts[0], parts[1], parts[2], headers


def _content_length(headers: dict[str, str]) -> int:
    """Only plain ASCII digits: ``+5``, ``-1``, ``5, 5`` and ``0x10`` are refused (a server
    and a proxy that read one of them differently can be made to split requests)."""
    text = headers.get("content-length", "0") or "0"
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise _Refuse(400, "Content-Length must be a plain decimal number")
    length = int(text)
    if length > MAX_BODY:
        raise _Refuse(413, f"the body is larger than {MAX_BODY} bytes")
    return length


def render_head(status: int, ctype: str, extra: dict[str, str], keep: bool) -> bytes:
    """Status line and headers, with the blank line that ends them."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Status"
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {ctype}"]
    head += [f"{k}: {v}" for k, v in extra.items()]
    head.append("Connection: keep-alive" if keep else "Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")


class Server:
    """Serves one :class:`Emulator` on ``host:port`` (port 0 = any free port)."""

    def __init__(
        self,
        emulator: Emulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.emulator = emulator
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.host = host
        self.port = port
        self._server: asyncio.base_events.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, limit=MAX_HEADER, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._conns):
            task.cancel()
        if self._conns:
            await asyncio.gather(*self._conns, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                try:
                    got = await read_request(
                        reader,
                        header_timeout=self.header_timeout,
                        body_timeout=self.body_timeout,
                    )
                except _Refuse as refused:
                    await self._refuse(writer, refused)
                    break
                if got is None:
                    break
                req, keep = got
                if req.path.startswith("/_emulator/"):
                    status, payload = self.emulator.control(req)
                    await self._send(writer, status, payload, keep)
                else:
                    await self._api(req, writer, keep)
                if not keep:
                    break
        except (_Close, ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:  # server shutting down: end this connection quietly
            pass
        finally:
            self._conns.discard(task)
            writer.close()
            # the end of this task either way: a shutdown's cancellation that reaches this
            # wait (read_request's wait_for passes it on late) must not end it "cancelled"
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    async def _refuse(self, writer: asyncio.StreamWriter, refused: _Refuse) -> None:
        """Answer a request that cannot be read, then the caller closes the connection."""
        body = {"code": "bad_request", "message": refused.message}
        with contextlib.suppress(ConnectionError):
            await self._send(writer, refused.status, body, False)

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        payload: Any,
        keep: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        """Write one JSON response."""
        body = json.dumps(payload).encode()
        headers = {**(extra or {}), "Content-Length": str(len(body))}
        writer.write(render_head(status, "application/json; charset=utf-8", headers, keep) + body)
        await writer.drain()

    async def _api(self, req: Request, writer: asyncio.StreamWriter, keep: bool) -> None:
        emu = self.emulator
        emu.enter()
        decision, act = Decision(), Act(None, wire="close")
        try:
            try:
                decision = emu.faults.decide(req.method, req.path)
                if decision.delay:
                    await asyncio.sleep(decision.delay)
                act = act_out(emu, req, decision)  # a write is committed here
            finally:
                # logged before the answer goes out: a client holding its answer finds it
                emu.record(req.method, req.path, act.status, decision.fault)
            await self._put(writer, act, keep)
        finally:
            emu.leave()
        if act.wire not in ("answer", "non_json"):
            raise _Close()

    async def _put(self, writer: asyncio.StreamWriter, act: Act, keep: bool) -> None:
        """Put ``act`` on the wire; a spoiled answer is followed by closing (by the caller)."""
        if act.wire == "close":
            if act.hang:
                await asyncio.sleep(act.hang)
            return
        if act.wire == "answer":
            await self._send(writer, act.status or 200, act.payload, keep, act.headers)
            return
        if act.wire == "non_json":
            body, ctype, length = HTML.encode(), "text/html; charset=utf-8", len(HTML)
        else:
            body = json.dumps(act.payload).encode()
            ctype, length = "application/json; charset=utf-8", len(body)
            if act.wire == "truncated":
                length += 64
            else:  # reset: half the body, then the connection closes
                body = body[: len(body) // 2]
        head = render_head(act.status or 200, ctype, {"Content-Length": str(length)}, False)
        writer.write(head + body)
        await writer.drain()


class EmulatorThread:
    """The emulator on 127.0.0.1 (any free port) in a background thread with its own loop.

    Use as a context manager; ``.url``, ``.stop()``, ``.set_faults(**cfg)``, ``.requests()``.
    """

    def __init__(
        self,
        seed: SeedArg = None,
        *,
        latency_ms: float = 0.0,
        fault_rate: float = 0.0,
        rate_limit: float | None = None,
        fault_seed: int | None = None,
        api_key: str | None = None,
        read_only_key: str | None = None,
        update_seconds: float = 0.2,
        state_file: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        behaviours: dict[str, str] | None = None,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        faults: dict[str, Any] = {"latency_ms": latency_ms, "rate": fault_rate, "seed": fault_seed}
        if rate_limit:
            faults["rate_limit"] = rate_limit
        self.emulator = Emulator(
            seed,
            update_seconds=update_seconds,
            auth=Auth(api_key, read_only_key),
            faults=faults,
            state_file=state_file,
            behaviours=behaviours,
        )
        self._server = Server(
            self.emulator, host, port, header_timeout=header_timeout, body_timeout=body_timeout
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.url = ""

    def start(self) -> EmulatorThread:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="rtcfg-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            self._thread.join()
            raise RuntimeError(f"emulator failed to start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._server.start())
            self.url = self._server.url
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._server.close())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Stop serving and join the thread (idempotent)."""
        if self._thread is None:
            return
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None

    def set_faults(self, **cfg: Any) -> dict[str, Any]:
        """Same as ``POST /_emulator/faults`` (merges into the current configuration)."""
        return self.emulator.faults.configure(**cfg)

    def requests(self) -> list[dict[str, Any]]:
        """The request log: ``[{method, path, status, fault}]``."""
        return self.emulator.requests()

    def stats(self) -> dict[str, int]:
        return self.emulator.stats()

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
