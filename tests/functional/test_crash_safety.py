"""An apply killed (SIGKILL) at any point leaves nothing a second apply cannot finish."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcfg.emulator import EmulatorThread
from tests.builders import EMPTY_ID
from tests.functional.emulator_support import call, reset

ROOT = Path(__file__).parents[2]
WRITES = ("POST", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    # a little latency so that the kill lands in the middle of the apply
    with EmulatorThread(update_seconds=0.2, latency_ms=5) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start rtcfg; its output goes to ``log`` (a pipe nobody reads would fill and block it)."""
    env = {
        **os.environ,
        "RTCFG_ENDPOINT": emu.url,
        "TDX_API_KEY": "1/crash-test",
        "RTCFG_PS_ID": EMPTY_ID,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "rtcfg", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def writes(emu: EmulatorThread) -> int:
    return sum(1 for r in emu.requests() if r["method"] in WRITES)


def live_names(emu: EmulatorThread) -> tuple[list[str], list[str]]:
    async def read(api):
        base = f"/audiences/{EMPTY_ID}"
        key_events = await api.list_all(f"{base}/realtime_key_events")
        attributes = await api.list_all(f"{base}/realtime_attributes")
        return [k["name"] for k in key_events], [a["identifier"] for a in attributes]

    result: tuple[list[str], list[str]] = call(emu.url, read)
    return result


@pytest.mark.parametrize("kill_after_writes", [1, 8, 40, 150])
def test_a_killed_apply_is_finished_by_the_next(
    emu: EmulatorThread, kill_after_writes: int, tmp_path: Path
) -> None:
    reset(emu)
    process = rtcfg(emu, "apply", "examples/large.yaml", "-y", log=tmp_path / "killed.log")
    give_up = time.monotonic() + 30
    while writes(emu) < kill_after_writes and process.poll() is None:
        assert time.monotonic() < give_up, "apply never reached the kill point"
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "apply ended before it was killed"
    finish = rtcfg(emu, "apply", "examples/large.yaml", "-y", log=tmp_path / "finish.log")
    assert finish.wait(timeout=120) == 0, (tmp_path / "finish.log").read_text()[-2000:]
    check = rtcfg(emu, "plan", "examples/large.yaml", "--detailed-exitcode", log=tmp_path / "p")
    assert check.wait(timeout=60) == 0, (tmp_path / "p").read_text()[-2000:]
    key_events, attributes = live_names(emu)
    assert not [n for n, c in Counter(key_events).items() if c > 1]
    assert not [i for i, c in Counter(attributes).items() if c > 1]


@pytest.mark.parametrize("interrupt_after_writes", [1, 40])
def test_ctrl_c_stops_apply_with_exit_1_and_the_next_apply_finishes(
    emu: EmulatorThread, interrupt_after_writes: int, tmp_path: Path
) -> None:
    reset(emu)
    log = tmp_path / "interrupted.log"
    process = rtcfg(emu, "apply", "examples/large.yaml", "-y", log=log)
    give_up = time.monotonic() + 30
    while writes(emu) < interrupt_after_writes and process.poll() is None:
        assert time.monotonic() < give_up, "apply never reached the interrupt point"
        time.sleep(0.001)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 1
    output = log.read_text()
    assert "Interrupted" in output and "Traceback" not in output, output[-2000:]
    assert "Apply complete!" not in output
    stopped = re.search(r"Stopped with \d+ of 217 steps done and \d+ under way", output)
    assert stopped, output[-2000:]
    finish = rtcfg(emu, "apply", "examples/large.yaml", "-y", log=tmp_path / "finish.log")
    assert finish.wait(timeout=120) == 0, (tmp_path / "finish.log").read_text()[-2000:]
    check = rtcfg(emu, "plan", "examples/large.yaml", "--detailed-exitcode", log=tmp_path / "p")
    assert check.wait(timeout=60) == 0, (tmp_path / "p").read_text()[-2000:]
