"""The API key appears nowhere: stdout, stderr, logs, written files, with -v, on API and
network errors, and in the traceback of an unexpected failure (every command, as a process)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcfg.emulator import EmulatorThread
from tests.functional.emulator_support import closed_port_url

ROOT = Path(__file__).parents[2]
KEY = "1/LEAKCANARY0123456789abcdef"
EXAMPLE = "examples/cart_abandonment.yaml"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


def run(url: str, cwd: Path, *args: str, code: str | None = None) -> tuple[int, str]:
    env = {
        **os.environ,
        "RTCFG_ENDPOINT": url,
        "TDX_API_KEY": KEY,
        "RTCFG_PS_ID": "1069944",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "rtcfg"]
    result = subprocess.run(
        command if code else [*command, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def files_under(path: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in path.rglob("*") if p.is_file())


def commands(tmp: Path) -> list[tuple[list[str], int]]:
    """Every command that talks to the API, with -v, and the exit code it should end with."""
    example = str(ROOT / EXAMPLE)
    return [
        (["-v", "segments"], 0),
        (["-v", "status", "1069935", "--json"], 0),
        (["-v", "status", "1053580", "--csm-request", str(tmp / "csm.md")], 0),
        (["-v", "validate", "--online", example], 0),
        (["-v", "plan", example, "-o", str(tmp / "plan.json"), "--format", "markdown"], 0),
        (["-v", "apply", str(tmp / "plan.json"), "-y"], 0),
        (["-v", "apply", example, "-y"], 0),
        (["-v", "import", "1069935", "-o", str(tmp / "imported.yaml")], 0),
        (["-v", "status", "424242"], 1),  # unknown parent segment: an API error
        (["-v", "plan", str(tmp / "imported.yaml"), "--detailed-exitcode"], 0),
    ]


def test_no_command_prints_or_writes_the_key(emu: EmulatorThread, tmp_path: Path) -> None:
    for args, expected in commands(tmp_path):
        code, output = run(emu.url, tmp_path, *args)
        assert KEY not in output, args
        assert (code, "Traceback" in output) == (expected, False), (args, output[-1500:])
    assert KEY not in files_under(tmp_path)
    assert (tmp_path / "plan.json").exists() and (tmp_path / "imported.yaml").exists()


def test_a_rejected_key_and_a_dead_server_do_not_echo_it(tmp_path: Path) -> None:
    with EmulatorThread(api_key="1/another-key") as locked:
        code, output = run(locked.url, tmp_path, "-v", "plan", str(ROOT / EXAMPLE))
    assert code == 1 and "401" in output and KEY not in output
    code, output = run(closed_port_url(), tmp_path, "-v", "status", "1069935")
    assert code == 1 and KEY not in output and "Traceback" not in output


def test_an_unexpected_failure_shows_a_traceback_without_the_key(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    # a bug deep inside, raised while the client (and its key) are live on the stack
    boom = (
        "import sys, rtcfg.api.live as live\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError(f'bug while reading: {args!r}')\n"
        "live.state_from_answers = broken\n"
        "from rtcfg.cli import main\n"
        "sys.argv = ['rtcfg', *sys.argv[1:]]\n"
        "main()\n"
    )
    code, output = run(emu.url, tmp_path, "-v", "status", "1069935", code=boom)
    assert code != 0 and "RuntimeError: bug while reading" in output
    assert KEY not in output
