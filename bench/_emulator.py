"""The API emulator as a subprocess for benchmarks (so client and server do not share a GIL).

``with Emulator(["--latency-ms", "50"]) as emu:`` starts ``python -m rtcfg.emulator --port 0``
with the given options, and offers its control API: :meth:`Emulator.reset` (state, faults and
request log back to the start) and :meth:`Emulator.requests` (the log since the last reset).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Emulator:
    """``python -m rtcfg.emulator --port 0 [options]``, stopped with SIGINT on exit."""

    def __init__(self, options: list[str]) -> None:
        self.options = options
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Emulator:
        argv = [sys.executable, "-m", "rtcfg.emulator", "--port", "0", *self.options]
        self._proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("rtcfg emulator listening on "):
            self._proc.kill()
            raise SystemExit(f"emulator did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGINT)
            self._proc.wait(timeout=10)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process used so far; NaN off Linux."""
        assert self._proc is not None
        try:
            stat = Path(f"/proc/{self._proc.pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _control(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        """Seed state, configured faults (a full token bucket) and an empty request log."""
        self._control("POST", "reset")

    def requests(self) -> list[dict[str, Any]]:
        """``[{method, path, status, fault}]`` since the last reset (control calls excluded)."""
        log: list[dict[str, Any]] = self._control("GET", "requests")
        return log


def count_requests(log: list[dict[str, Any]]) -> str:
    """A log summarized as ``232 (216 POST, 15 GET, 1 PATCH)``, plus the 429s if any."""
    methods = Counter(str(r["method"]) for r in log)
    parts = ", ".join(f"{n} {m}" for m, n in methods.most_common())
    limited = sum(1 for r in log if r["status"] == 429)
    return f"{len(log)} ({parts})" + (f", {limited} x 429" if limited else "")
