"""`rtcfg segments` with hundreds of parent segments: bounded concurrent setting reads.

The Audience carries no RT flag, so ``segments`` reads each listed segment's
``realtime_setting``. Starts ``python -m rtcfg.emulator --port 0 --latency-ms 20`` with a seed
of 300 extra parent segments (every third one without RT 2.0) and times ``list_segments`` in
this process, median of 3 runs, with at most 1 and at most 16 (the default) reads in flight.
Reported as the ratio of the two and against the lower bound of (1 + segments / in-flight)
round trips.

Run: ``.venv/bin/python bench/bench_segments.py``
"""

from __future__ import annotations

import copy
import json
import statistics
import tempfile
import time
from pathlib import Path

from _emulator import ROOT, Emulator

from rtcfg.api.connection import Connection
from rtcfg.commands import segments
from rtcfg.commands.session import run_once

SEGMENTS = 300
LATENCY = 0.020


def seed_file(folder: Path) -> Path:
    seed = json.loads((ROOT / "rtcfg" / "emulator" / "seed.json").read_text())
    template = next(ps for ps in seed["parentSegments"] if ps["id"] == "1069944")
    for i in range(SEGMENTS):
        ps = copy.deepcopy(template)
        ps["id"], ps["name"] = str(2_000_000 + i), f"Bulk_{i:03d}"
        ps["realtimeEnabled"] = i % 3 != 0
        if ps["realtimeEnabled"]:
            ps["realtime"]["id"] = str(9000 + i)
        else:
            del ps["realtime"]
        seed["parentSegments"].append(ps)
    path = folder / "seed.json"
    path.write_text(json.dumps(seed))
    return path


def timed(url: str, in_flight: int) -> float:
    segments.SEGMENT_READS_IN_FLIGHT = in_flight
    conn = Connection(cdp_base=url, td_base=url, api_key="1/bench", site="us01")
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        run_once(conn, lambda api: segments.list_segments(api, None))
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        options = ["--latency-ms", str(LATENCY * 1000), "--seed", str(seed_file(Path(folder)))]
        with Emulator(options) as emu:
            one, bounded = timed(emu.url, 1), timed(emu.url, 16)
    total = SEGMENTS + 4
    floor = (1 + total / 16) * LATENCY
    print(f"segments: {total} parent segments, {LATENCY * 1000:.0f} ms latency per request")
    print(f"  1 read in flight:   {one:.2f} s")
    print(f"  16 reads in flight: {bounded:.2f} s ({one / bounded:.1f}x faster)")
    print(f"  16 in flight vs (1 + {total}/16) round trips: {bounded / floor:.2f}x")


if __name__ == "__main__":
    main()
