"""Discovery of a large catalog: `rtcfg discover` against start-up plus round trips.

Starts ``python -m rtcfg.emulator --port 0 --latency-ms 50`` in a subprocess with the package
seed plus 6 databases of 100 tables of 30 columns each (600 tables, 18,000 columns), then,
medians of 3 runs:

* ``rtcfg --version``: the CLI's start-up, and importing what discover loads (httpx, jinja2);
* ``rtcfg discover 1069944 --json`` over every database: the requests the emulator logged
  for one run, set against the tables and columns read, and the time as the ratio measured /
  (start-up + 2 round trips). Two round trips are the floor: the database list comes first,
  then every table list at once (at most 16 in flight), each carrying its tables' schemas;
* the guide's way (4.3: one ``table show`` per table, one after another) as the figure it
  would cost at this latency: tables * latency.

Run: ``.venv/bin/python bench/bench_discover.py``
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _bytecode import compile_rtcfg
from _emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
PS_ID = "1069944"
LATENCY_MS = 50
RUNS = 3
DATABASES = 6
TABLES_PER_DATABASE = 100
COLUMNS = 30
IMPORTS = (
    "import rtcfg.cli, rtcfg.commands.discover, rtcfg.setup.discover, rtcfg.render, jinja2, json"
)
KINDS = ("pageviews", "cart_events", "orders", "clicks", "user_activity", "daily_stats")


def large_seed() -> dict[str, Any]:
    """The package seed plus DATABASES * TABLES_PER_DATABASE tables of COLUMNS columns."""
    seed: dict[str, Any] = json.loads((ROOT / "rtcfg" / "emulator" / "seed.json").read_text())
    for d in range(DATABASES):
        tables = []
        for t in range(TABLES_PER_DATABASE):
            schema = [["td_client_id", "string"], ["email", "string"], ["time", "long"]]
            schema += [[f"col_{c}", "double" if c % 3 else "string"] for c in range(COLUMNS - 3)]
            name = f"{KINDS[t % len(KINDS)]}_{t:03d}"
            tables.append({"name": name, "count": 1000 * (t + 1), "schema": schema})
        seed["databases"].append({"name": f"bench_db_{d}", "tables": tables})
    return seed


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def main() -> None:
    compile_rtcfg()
    rtcfg = str(Path(sys.executable).with_name("rtcfg"))
    with tempfile.TemporaryDirectory() as tmp:
        seed_file = Path(tmp) / "seed.json"
        seed_file.write_text(json.dumps(large_seed()))
        with Emulator(["--latency-ms", str(LATENCY_MS), "--seed", str(seed_file)]) as emu:
            env = {**os.environ, "RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": "1/bench"}
            startup = statistics.median(timed([rtcfg, "--version"], env) for _ in range(RUNS))
            imports = [sys.executable, "-c", IMPORTS]
            loading = statistics.median(timed(imports, env) for _ in range(RUNS))
            emu.reset()
            timed([rtcfg, "discover", PS_ID, "--json"], env)
            log = emu.requests()
            times = [timed([rtcfg, "discover", PS_ID, "--json"], env) for _ in range(RUNS)]
    report(startup, loading, statistics.median(times), log)


def report(startup: float, loading: float, discover: float, log: list[dict[str, object]]) -> None:
    tables = DATABASES * TABLES_PER_DATABASE + 14  # and the seed's own 14
    columns = DATABASES * TABLES_PER_DATABASE * COLUMNS
    paths = Counter(
        str(r["path"]).split("/")[2] if str(r["path"]).startswith("/v3") else "cdp" for r in log
    )
    floor = startup + 2 * LATENCY_MS / 1000
    own_floor = loading + 2 * LATENCY_MS / 1000
    one_by_one = tables * LATENCY_MS / 1000
    print(f"catalog: {DATABASES + 3} databases, {tables} tables, {columns} columns")
    print(f"rtcfg --version (start-up): {startup:.2f} s")
    print(
        f"requests of one discover: {len(log)} ({dict(paths)}) = "
        f"{len(log) / tables:.3f} per table, {len(log) / columns:.4f} per column"
    )
    print(
        f"rtcfg discover --json: {discover:.2f} s = {discover / floor:.2f}x "
        f"(start-up + 2 round trips = {floor:.2f} s), {discover / own_floor:.2f}x "
        f"(its own imports {loading:.2f} s + 2 round trips)"
    )
    print(
        f"the guide's one table show at a time: {one_by_one:.1f} s at {LATENCY_MS} ms "
        f"= {one_by_one / discover:.0f}x slower"
    )


if __name__ == "__main__":
    main()
