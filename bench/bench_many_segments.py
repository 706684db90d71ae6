"""`rtcfg plan` of twenty parent segments in one command against one: about one segment's time.

Starts ``python -m rtcfg.emulator --port 0 --latency-ms 50`` with a seed of twenty configured
parent segments (copies of the bundled ``RT_Lab_ACME_Populated``), writes one rt_config.yaml
per segment with ``rtcfg import``, and times ``rtcfg plan`` as a subprocess (what a user runs,
start-up included), median of 3: one file, then all twenty files in one command. Reported: the
ratio of the two (acceptance: at most 1.5x), the requests each sent, and the round-trip lower
bound of the twenty-segment plan (its reads run in waves of ``PLAN_READS_IN_FLIGHT`` segments).

Run: ``.venv/bin/python bench/bench_many_segments.py``
"""

from __future__ import annotations

import copy
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _emulator import ROOT, Emulator, count_requests

from rtcfg.commands.plan import PLAN_READS_IN_FLIGHT

SEGMENTS = 20
LATENCY = 0.050
TEMPLATE = "1069935"  # the bundled seed's configured parent segment
FIRST_ID = 3_000_000


def seed_file(folder: Path) -> Path:
    """The bundled seed plus SEGMENTS configured copies of TEMPLATE."""
    seed = json.loads((ROOT / "rtcfg" / "emulator" / "seed.json").read_text())
    template = next(ps for ps in seed["parentSegments"] if ps["id"] == TEMPLATE)
    for i in range(SEGMENTS):
        ps = copy.deepcopy(template)
        ps["id"], ps["name"] = str(FIRST_ID + i), f"Many_{i:02d}"
        ps["realtime"]["id"] = str(8000 + i)
        seed["parentSegments"].append(ps)
    path = folder / "seed.json"
    path.write_text(json.dumps(seed))
    return path


def rtcfg(url: str, *args: str) -> None:
    """Run the installed CLI against the emulator; plan exits 0 (no changes) or 2."""
    env = {**os.environ, "TDX_API_KEY": "1/bench", "RTCFG_ENDPOINT": url, "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "rtcfg", *args]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 2):
        raise SystemExit(f"rtcfg {' '.join(args[:2])} failed: {done.stderr.strip()}")


def config_files(url: str, folder: Path) -> list[str]:
    """One imported rt_config.yaml per parent segment."""
    files = []
    for i in range(SEGMENTS):
        path = folder / f"rt_config_{i:02d}.yaml"
        rtcfg(url, "import", str(FIRST_ID + i), "-o", str(path), "--force", "-q")
        files.append(str(path))
    return files


def timed(emu: Emulator, files: list[str]) -> tuple[float, str]:
    """Median wall time of ``rtcfg plan FILES`` over 3 runs, and the requests of one run."""
    runs = []
    for _ in range(3):
        emu.reset()
        started = time.perf_counter()
        rtcfg(emu.url, "plan", *files)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), count_requests(emu.requests())


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        options = ["--latency-ms", str(LATENCY * 1000), "--seed", str(seed_file(folder))]
        with Emulator(options) as emu:
            files = config_files(emu.url, folder)
            one, one_requests = timed(emu, files[:1])
            many, many_requests = timed(emu, files)
    waves = math.ceil(SEGMENTS / PLAN_READS_IN_FLIGHT)
    print(f"plan of many segments: {LATENCY * 1000:.0f} ms latency per request")
    print(f"  1 segment:   {one:.2f} s, requests {one_requests}")
    print(f"  {SEGMENTS} segments: {many:.2f} s, requests {many_requests}")
    print(f"  ratio {many / one:.2f}x (acceptance: at most 1.5x)")
    print(
        f"  lower bound of the {SEGMENTS}-segment reads: {waves} wave(s) of "
        f"{PLAN_READS_IN_FLIGHT} segments x 1 round trip = {waves * LATENCY:.2f} s "
        f"(1 segment: {LATENCY:.2f} s)"
    )


if __name__ == "__main__":
    main()
