"""Benchmark of the API emulator on this machine (standalone, < 60 s).

Starts ``python -m rtcfg.emulator --port 0`` in a subprocess (so client and server do not share
a GIL) and prints:
  * requests/s for sequential GETs on one keep-alive connection (a raw asyncio HTTP/1.1
    client, and httpx.Client for comparison);
  * requests/s for 64 concurrent clients (64 keep-alive connections, raw client);
  * the wall time of 64 concurrent GETs with 50 ms latency, as ratios to the 64 x 50 ms a
    serializing server would take and to the 50 ms lower bound.

Run: ``.venv/bin/python bench/bench_emulator.py``
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx
from _emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
PATH = "/audiences/1069935/realtime_key_events"
HEADERS = {"Authorization": "TD1 1/bench"}
CONCURRENCY = 64
LATENCY_MS = 50


REQUEST = (
    f"GET {PATH} HTTP/1.1\r\nHost: bench\r\nAuthorization: {HEADERS['Authorization']}\r\n\r\n"
).encode()


class RawConnection:
    """A minimal keep-alive HTTP/1.1 client, so the figures measure the server, not the client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> RawConnection:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        return cls(*await asyncio.open_connection(host, int(port)))

    async def get(self) -> int:
        self.writer.write(REQUEST)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            int(v)
            for k, _, v in (ln.partition(":") for ln in lines)
            if k.lower() == "content-length"
        )
        await self.reader.readexactly(length)
        return int(lines[0].split()[1])

    def close(self) -> None:
        self.writer.close()


def sequential_httpx(url: str, seconds: float) -> float:
    with httpx.Client(base_url=url, headers=HEADERS) as client:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            client.get(PATH).raise_for_status()
            n += 1
        return n / (time.perf_counter() - start)


async def rate(url: str, clients: int, seconds: float) -> float:
    conns = [await RawConnection.open(url) for _ in range(clients)]
    count = 0
    start = time.perf_counter()

    async def worker(conn: RawConnection) -> None:
        nonlocal count
        while time.perf_counter() - start < seconds:
            assert await conn.get() == 200
            count += 1

    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.close()
    return count / elapsed


async def burst_with_latency(url: str) -> float:
    conns = [await RawConnection.open(url) for _ in range(CONCURRENCY)]
    start = time.perf_counter()
    statuses = await asyncio.gather(*(c.get() for c in conns))
    wall = time.perf_counter() - start
    assert statuses == [200] * CONCURRENCY
    for conn in conns:
        conn.close()
    return wall


def main() -> int:
    with Emulator([]) as emulator:
        url = emulator.url
        seq_httpx = sequential_httpx(url, 3.0)
        seq = asyncio.run(rate(url, 1, 4.0))
        conc = asyncio.run(rate(url, CONCURRENCY, 5.0))
        httpx.post(f"{url}/_emulator/faults", json={"latency_ms": LATENCY_MS}).raise_for_status()
        wall = asyncio.run(burst_with_latency(url))
        stats = httpx.get(f"{url}/_emulator/stats").json()
    serial = CONCURRENCY * LATENCY_MS / 1000
    floor = LATENCY_MS / 1000
    print(f"emulator at {url} (python {sys.version.split()[0]})")
    rows = [
        ("sequential GETs, 1 connection (raw client)", f"{seq:9.0f} requests/s"),
        ("sequential GETs, 1 connection (httpx.Client)", f"{seq_httpx:9.0f} requests/s"),
        (f"{CONCURRENCY} concurrent clients (raw client)", f"{conc:9.0f} requests/s"),
        (
            f"{CONCURRENCY} concurrent GETs at {LATENCY_MS} ms latency",
            f"{wall * 1000:9.1f} ms wall",
        ),
        (
            f"  ratio to {CONCURRENCY} x {LATENCY_MS} ms = {serial * 1000:.0f} ms",
            f"{wall / serial:9.3f}",
        ),
        (f"  ratio to the {LATENCY_MS} ms lower bound", f"{wall / floor:9.2f}"),
        ("max requests in flight observed", f"{stats['max_in_flight']:9d}"),
    ]
    for label, value in rows:
        print(f"{label:<48} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
