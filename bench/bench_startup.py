"""Start-up cost of the CLI: `rtcfg --version` and `rtcfg validate examples/large.yaml`
against the floor of starting Python at all (`python -c pass`), as ratios in one run.

Run: python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys

from _harness import compile_rtcfg, environment_line, median_seconds, rtcfg


def main() -> None:
    compile_rtcfg()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    floor = median_seconds([sys.executable, "-c", "pass"], runs)
    cases = {
        "rtcfg --version": rtcfg("--version"),
        "rtcfg validate examples/large.yaml": rtcfg("validate", "examples/large.yaml"),
    }
    print(f"median of {runs} runs; {environment_line()}")
    print(f"python -c pass                       {floor * 1000:7.1f} ms  (floor)")
    for label, argv in cases.items():
        seconds = median_seconds(argv, runs)
        print(f"{label:36s} {seconds * 1000:7.1f} ms  {seconds / floor:5.1f}x the floor")


if __name__ == "__main__":
    main()
