"""Helpers for tests that speak HTTP to the emulator over a real socket (no mocks)."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rtcfg.api.client import ApiClient, RetryPolicy
from rtcfg.api.connection import Connection
from rtcfg.emulator import EmulatorThread

T = TypeVar("T")

POPULATED = "1069935"  # the seed's configured parent segment
EMPTY = "1069944"  # RT enabled, nothing configured
KEY = "1/test-key"
# Tiny waits so that retries cost milliseconds; Retry-After is capped to match.
FAST = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.01, max_retry_after=0.05)


def connection(url: str, key: str = KEY) -> Connection:
    return Connection(cdp_base=url, td_base=url, api_key=key, site="us01", key_source="TEST_KEY")


def call(
    url: str,
    action: Callable[[ApiClient], Awaitable[T]],
    *,
    key: str = KEY,
    **options: Any,
) -> T:
    """Run ``action(api)`` with a fresh client (FAST retries unless ``retry=`` is given)."""
    options.setdefault("retry", FAST)

    async def main() -> T:
        async with ApiClient(connection(url, key), **options) as api:
            return await action(api)

    return asyncio.run(main())


def reset(emu: EmulatorThread) -> None:
    """Seed state, no faults, empty request log (``POST /_emulator/reset`` on its own loop)."""
    with urllib.request.urlopen(urllib.request.Request(emu.url + "/_emulator/reset", b"{}")):
        pass


def attempts(emu: EmulatorThread, method: str, path: str, expected: int = 1) -> int:
    """How many requests the emulator logged for ``method path`` (query not included).

    The emulator logs a request after it has written the answer, so the client can be done
    before the last entry appears: wait (up to 2 s) for ``expected`` entries, then a little
    longer so that an unexpected extra one would be counted too.
    """

    def count() -> int:
        return sum(1 for r in emu.requests() if r["method"] == method and r["path"] == path)

    give_up = time.monotonic() + 2.0
    while count() < expected and time.monotonic() < give_up:
        time.sleep(0.005)
    time.sleep(0.02)
    return count()


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def key_event_body(name: str, table: str = "pageviews") -> dict[str, Any]:
    return {
        "name": name,
        "databaseName": "events_db",
        "tableName": table,
        "filterRule": {"type": "And", "conditions": []},
    }


def single_attribute_body(identifier: str, key_event_id: str = "810") -> dict[str, Any]:
    return {
        "name": identifier.replace("_", " "),
        "identifier": identifier,
        "type": "single",
        "realtimeKeyEventId": key_event_id,
        "valueColumn": "td_url",
        "dataType": "string",
        "duration": {"value": 1, "unit": "day"},
    }
