"""Reading a large live configuration: `rtcfg status` against start-up plus round trips.

Starts ``python -m rtcfg.emulator --port 0 --latency-ms 50`` in a subprocess (so client and
server do not share a GIL) and creates on the empty parent segment 1069944, over HTTP and
untimed: a realtime setting with 5 event tables (then waits for status ok), 20 key events and
300 single attributes. Then, medians of 5 runs:

* ``rtcfg --version``: the CLI's start-up;
* ``rtcfg status 1069944``, as the ratio measured / (start-up + 3 round trips), and the
  requests the emulator logged for one run;
* ``read_live_state`` alone, in this process, against one and three round trips.

To explain the gap it also times importing what ``status`` loads (``python -c "import
rtcfg.cli, rtcfg.commands.status, rtcfg.api.live"``) and counts the round trips on the
critical path:
the parent segment is read first, then the setting, the key events and the attribute pages.

The 300 attributes take ceil(300 / page size) pages at the client's default page size, and
those pages are sequential: each ``nextPage`` cursor arrives with the page before it.

Run: ``.venv/bin/python bench/bench_live_read.py``
"""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import httpx
from _harness import ROOT, compile_rtcfg, emulator, environment_line, median, median_seconds

from rtcfg.api.client import ApiClient
from rtcfg.api.connection import Connection
from rtcfg.api.live import read_live_state

PS_ID = "1069944"
LATENCY_MS = 50
RUNS = 5
KEY_EVENTS = 20
ATTRIBUTES = 300
TABLES = ("pageviews", "formfills", "add_to_cart", "purchase", "clicks")
HEADERS = {"Authorization": "TD1 1/bench"}
SETUP_CONCURRENCY = 32
STATUS_IMPORTS = "import rtcfg.cli, rtcfg.commands.status, rtcfg.api.live"


async def create_config(url: str) -> None:
    """The setting (then status ok), 20 key events, 300 attributes: the untimed setup."""
    base = f"/audiences/{PS_ID}"
    setting = {
        "keyColumns": [{"name": "td_client_id", "validRegexp": None, "invalidTexts": []}],
        "eventTables": [{"database": "events_db", "table": t} for t in TABLES],
        "batchAttributes": [],
        "extLookupKey": None,
    }
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=30) as http:
        (await http.patch(f"{base}/realtime_setting", json=setting)).raise_for_status()
        while (await http.get(f"{base}/realtime_setting")).json()["status"] != "ok":
            await asyncio.sleep(0.05)
        gate = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def post(path: str, body: dict[str, Any]) -> Any:
            async with gate:
                response = await http.post(path, json=body)
                response.raise_for_status()
                return response.json()

        events = await asyncio.gather(
            *(post(f"{base}/realtime_key_events", key_event(i)) for i in range(KEY_EVENTS))
        )
        ids = [str(e["id"]) for e in events]
        await asyncio.gather(
            *(post(f"{base}/realtime_attributes", attribute(n, ids)) for n in range(ATTRIBUTES))
        )


def key_event(i: int) -> dict[str, Any]:
    return {
        "name": f"event_{i:02d}",
        "databaseName": "events_db",
        "tableName": TABLES[i % len(TABLES)],
        "filterRule": {"type": "And", "conditions": []},
    }


def attribute(n: int, key_event_ids: list[str]) -> dict[str, Any]:
    return {
        "name": f"attr {n:03d}",
        "identifier": f"attr_{n:03d}",
        "type": "single",
        "realtimeKeyEventId": key_event_ids[n % len(key_event_ids)],
        "valueColumn": "td_client_id",  # a string column of every table above
        "dataType": "string",
        "duration": {"value": 1, "unit": "day"},
    }


def requests_of_one_status_run(url: str, argv: list[str], env: dict[str, str]) -> Counter[str]:
    """Requests the emulator logged for one ``rtcfg status`` run, counted by path."""
    before = len(httpx.get(f"{url}/_emulator/requests").json())
    subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
    time.sleep(0.1)  # the emulator logs a request just after it has answered it
    log = httpx.get(f"{url}/_emulator/requests").json()[before:]
    return Counter(f"{r['method']} {r['path']}" for r in log)


async def median_live_read(url: str) -> tuple[float, int, int]:
    """(median seconds of read_live_state, attributes read, the client's default page size)."""
    connection = Connection(cdp_base=url, td_base=url, api_key="1/bench")
    async with ApiClient(connection) as api:
        state = await read_live_state(api, PS_ID)  # warm-up: connections opened
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            await read_live_state(api, PS_ID)
            times.append(time.perf_counter() - start)
        return median(times), len(state.attributes), api.page_size


def main() -> int:
    compile_rtcfg()
    # a short "updating" phase: the setup waits for it once, untimed
    options = ["--latency-ms", str(LATENCY_MS), "--update-seconds", "0.2"]
    with emulator(*options) as emu:
        url = emu.url
        env = {**os.environ, "RTCFG_ENDPOINT": url, "TDX_API_KEY": "dummy", "NO_COLOR": "1"}
        env.pop("TDX_PROFILE", None)
        rtcfg = [sys.executable, "-m", "rtcfg"]
        asyncio.run(create_config(url))
        startup = median_seconds([*rtcfg, "--version"], RUNS, env)
        imports = median_seconds([sys.executable, "-c", STATUS_IMPORTS], RUNS, env)
        status = median_seconds([*rtcfg, "status", PS_ID], RUNS, env)
        counts = requests_of_one_status_run(url, [*rtcfg, "status", PS_ID], env)
        live, read, page_size = asyncio.run(median_live_read(url))
    times = {"startup": startup, "imports": imports, "status": status, "live": live}
    report(times, counts, read, page_size)
    return 0


def report(seconds: dict[str, float], counts: Counter[str], read: int, page_size: int) -> None:
    rtt = LATENCY_MS / 1000
    startup, status, live = seconds["startup"], seconds["status"], seconds["live"]
    pages = math.ceil(read / page_size)
    attribute_pages = counts[f"GET /audiences/{PS_ID}/realtime_attributes"]
    critical = 1 + pages  # the parent segment, then the attribute pages one after another
    rows = [
        ("rtcfg --version (start-up)", f"{startup * 1000:8.1f} ms"),
        (f"rtcfg status {PS_ID}", f"{status * 1000:8.1f} ms"),
        (f"  measured / (start-up + 3 x {LATENCY_MS} ms)", f"{status / (startup + 3 * rtt):8.2f}"),
        ("  requests logged by the emulator", f"{sum(counts.values()):8d}"),
        ("  round trips on the critical path", f"{critical:8d}"),
        (
            "  import of cli, status and live (what status loads)",
            f"{seconds['imports'] * 1000:8.1f} ms",
        ),
        (
            f"  measured / (imports + {critical} x {LATENCY_MS} ms)",
            f"{status / (seconds['imports'] + critical * rtt):8.2f}",
        ),
        ("read_live_state in process", f"{live * 1000:8.1f} ms"),
        (f"  ratio to 1 x {LATENCY_MS} ms", f"{live / rtt:8.2f}"),
        (f"  ratio to 3 x {LATENCY_MS} ms", f"{live / (3 * rtt):8.2f}"),
        (f"attribute pages at page size {page_size}", f"{pages:8d}  (sequential)"),
    ]
    print(f"emulator at {LATENCY_MS} ms latency; {KEY_EVENTS} key events, {read} attributes;")
    print(f"median of {RUNS} runs; {environment_line()}")
    for label, value in rows:
        print(f"{label:<54} {value}")
    print("requests of one `rtcfg status` run:")
    for request, count in sorted(counts.items()):
        print(f"  {count:3d} x {request}")
    if attribute_pages != pages:
        print(f"note: {attribute_pages} attribute requests logged, {pages} pages expected")


if __name__ == "__main__":
    sys.exit(main())
