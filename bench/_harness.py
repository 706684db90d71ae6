"""What every benchmark shares: commands, timed runs, medians, a row printer, the environment.

* :func:`rtcfg` and :func:`environment`: ``python -m rtcfg ...`` pointed at an emulator;
* :func:`run` (one subprocess, each stderr line time-stamped as it arrives, CPU time),
  :func:`median_seconds` and :func:`median_command` (medians after a warm-up run);
* :func:`row` prints ``label  value  note`` aligned; :func:`environment_line` says where the
  figures come from (Python, CPUs, load), since benchmarks report ratios measured in one run;
* :func:`emulator` starts ``python -m rtcfg.emulator`` as a subprocess (``_emulator.py``).
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from _bytecode import compile_rtcfg
from _emulator import ROOT, Emulator

__all__ = [
    "ROOT",
    "Emulator",
    "Run",
    "compile_rtcfg",
    "emulator",
    "environment",
    "environment_line",
    "median",
    "median_command",
    "median_seconds",
    "row",
    "rtcfg",
    "run",
]


def rtcfg(*args: str) -> list[str]:
    """The argv of ``python -m rtcfg ARGS`` with this interpreter."""
    return [sys.executable, "-m", "rtcfg", *args]


def environment(url: str, ps_id: str = "1069944") -> dict[str, str]:
    """This process's environment, with rtcfg pointed at ``url`` and nothing else choosing."""
    env = {**os.environ, "RTCFG_ENDPOINT": url, "TDX_API_KEY": "bench", "RTCFG_PS_ID": ps_id}
    env["NO_COLOR"] = "1"
    for name in ("TDX_PROFILE", "RTCFG_TD_ENDPOINT", "RTCFG_SITE", "TDX_SITE"):
        env.pop(name, None)
    return env


def emulator(*options: str) -> Emulator:
    """``with emulator("--latency-ms", "50") as emu:``: the emulator as a subprocess."""
    return Emulator(list(options))


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Run:
    """One subprocess run: wall time, exit code, output, stderr lines with their arrival time."""

    seconds: float
    returncode: int
    stdout: str
    lines: list[tuple[float, str]] = field(default_factory=list)
    cpu: float = 0.0  # user + system seconds of the command
    log: list[dict[str, Any]] = field(default_factory=list)  # the emulator's, if recorded
    server_cpu: float = 0.0  # the emulator's CPU seconds during the run, if measured


def run(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a command from the repository root, time-stamping each stderr line as it arrives."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout = proc.stdout
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stdout.read()))
    reader.start()
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stderr]
    returncode = proc.wait()
    reader.join()
    wall = time.perf_counter() - start
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
    return Run(wall, returncode, "".join(out), lines, cpu)


def median_seconds(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``runs`` runs of a command that must succeed (after a warm-up)."""
    subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return median(times)


def median_command(emu: Emulator, argv: list[str], env: dict[str, str], runs: int) -> Run:
    """The run of median wall time among ``runs`` runs after a warm-up (no reset), with the
    requests the emulator logged for it."""
    run(argv, env)
    results = []
    for _ in range(runs):
        before = len(emu.requests())
        result = run(argv, env)
        result.log = emu.requests()[before:]
        results.append(result)
    results.sort(key=lambda r: r.seconds)
    return results[len(results) // 2]


def row(label: str, value: str, note: str = "", width: int = 50) -> None:
    """One aligned line of a report: ``  label  value  note``."""
    print(f"  {label:<{width}} {value:>9}  {note}".rstrip())


def environment_line() -> str:
    """Python, platform, CPUs and load average: the conditions of this one run."""
    try:
        load = "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load unknown"
    return (
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {load}"
    )
