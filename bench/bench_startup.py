"""Start-up cost of the CLI: `rtcfg --version` and `rtcfg validate examples/large.yaml`
against the floor of starting Python at all (`python -c pass`), as ratios in one run.

Run: python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _bytecode import compile_rtcfg

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(argv: list[str], runs: int) -> float:
    """Median wall time of ``runs`` runs of a command (one warm-up run first)."""
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    compile_rtcfg()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    python = [sys.executable]
    floor = median_seconds([*python, "-c", "pass"], runs)
    cases = {
        "rtcfg --version": [*python, "-m", "rtcfg", "--version"],
        "rtcfg validate examples/large.yaml": [
            *python,
            "-m",
            "rtcfg",
            "validate",
            "examples/large.yaml",
        ],
    }
    print(f"python -c pass                       {floor * 1000:7.1f} ms  (floor)")
    for label, argv in cases.items():
        seconds = median_seconds(argv, runs)
        print(f"{label:36s} {seconds * 1000:7.1f} ms  {seconds / floor:5.1f}x the floor")


if __name__ == "__main__":
    main()
