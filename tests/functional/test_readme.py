"""Every ```console block of README.md is run against the emulator and must print what the
README shows, so the README's examples ship (examples/readme/) and re-run.

How a block is run, so that new ones can be added:

* Lines starting with ``$ `` are commands; the lines after one, up to the next, are what it
  prints (stdout and stderr together, as on a terminal). A line ``...`` stands for any number
  of lines. The commands of one block run in one bash session (``export`` carries over), in a
  fresh copy of examples/readme/ (files they write do not touch the checkout; ``examples/``
  and ``schemas/`` of the checkout are linked into it, so ``examples/large.yaml`` works too),
  with ``rtcfg`` from this virtualenv and the emulator's state reset before the block.
* The emulator address of the README, ``http://127.0.0.1:8765``, stands for the test
  emulator's, in the commands and in what they print; ``RTCFG_ENDPOINT`` and a
  ``TDX_API_KEY`` are set already.
* Before comparing, both sides are normalised: colour codes go, ``done in 0.0s`` becomes
  ``done in N.Ns``, and the ``[k/n]`` progress lines of apply, whose order follows which of
  the parallel steps finished first, are compared as a set.
* An HTML comment on the line before the fence changes this:
  ``<!-- readme-test: skip -->`` (not run: make targets, servers, curl) or
  ``<!-- readme-test: setup="CMD" -->`` (CMD runs first, its output unchecked, e.g. to make
  live state what the block starts from).
* A block whose output has ``` fences of its own (a markdown plan) is fenced ``~~~console``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rtcfg.emulator import EmulatorThread
from tests.functional.emulator_support import reset

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
FILES = ROOT / "examples" / "readme"
README_URL = "http://127.0.0.1:8765"
_DIRECTIVE = re.compile(r"<!--\s*readme-test:(?P<text>.*?)-->")
_MARK = "@@rtcfg-readme-command@@"


@dataclass
class Block:
    line: int
    commands: list[str]
    expected: list[list[str]]
    skip: bool = False
    setup: str | None = None


def console_blocks(text: str) -> list[Block]:
    lines, blocks = text.splitlines(), []
    for number, line in enumerate(lines):
        if line.strip() not in ("```console", "~~~console"):
            continue
        fence = line.strip()[:3]
        before = next((x for x in reversed(lines[:number]) if x.strip()), "")
        options = _options(before)
        block = Block(number + 1, [], [], skip="skip" in options, setup=options.get("setup"))
        for body in lines[number + 1 :]:
            if body.strip() == fence:
                break
            if body.startswith("$ "):
                block.commands.append(body[2:].split("  #")[0].strip())
                block.expected.append([])
            elif block.expected:
                block.expected[-1].append(body)
        blocks.append(block)
    return blocks


def _options(line: str) -> dict[str, str]:
    match = _DIRECTIVE.search(line)
    if not match:
        return {}
    words = shlex.split(match["text"])
    return dict(w.partition("=")[::2] for w in words)


BLOCKS = console_blocks(README.read_text(encoding="utf-8"))


def normalise(lines: list[str]) -> list[str]:
    out, progress = [], []
    for line in lines:
        line = re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip()
        line = re.sub(r"done in \d+\.\d+s", "done in N.Ns", line)
        if re.match(r"^\[\d+/\d+\] ", line):
            progress.append(re.sub(r"^\[\d+/", "[k/", line))
            continue
        out += sorted(progress)
        progress = []
        out.append(line)
    return out + sorted(progress)


def matches(expected: list[str], actual: list[str]) -> bool:
    pattern = "".join("(?:.*\n)*?" if e == "..." else re.escape(e) + "\n" for e in expected)
    return re.fullmatch(pattern, "".join(a + "\n" for a in actual)) is not None


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.05) as thread:
        yield thread


def run_block(emu: EmulatorThread, block: Block, where: Path) -> list[list[str]]:
    script = ["set +e", "status=0"]
    if block.setup:
        script.append(f"{block.setup} >/dev/null 2>&1")
    for command in block.commands:
        # `$?` in a command is the status of the one before it, as in the README
        command = command.replace(README_URL, emu.url)
        script += [f"echo {_MARK}", "(exit $status)", f"{{ {command}; }} 2>&1", "status=$?"]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RTCFG_ENDPOINT": emu.url,
        "TDX_API_KEY": "1/readme-test",
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleaved as on a terminal
    }
    for name in ("TDX_PROFILE", "TD_API_KEY", "RTCFG_SITE", "RTCFG_TD_ENDPOINT", "RTCFG_PS_ID"):
        env.pop(name, None)
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = done.stdout.replace(emu.url, README_URL).split(_MARK + "\n")[1:]
    return [output.splitlines() for output in outputs]


def test_the_readme_has_console_blocks_that_run() -> None:
    assert sum(not b.skip for b in BLOCKS) >= 5


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if not b.skip], ids=lambda b: f"README.md:{b.line}"
)
def test_a_readme_console_block_prints_what_the_readme_shows(
    emu: EmulatorThread, block: Block, tmp_path: Path
) -> None:
    reset(emu)
    where = tmp_path / "readme"
    shutil.copytree(FILES, where)
    for name in ("examples", "schemas"):
        (where / name).symlink_to(ROOT / name)
    outputs = run_block(emu, block, where)
    assert len(outputs) == len(block.commands)
    for command, expected, actual in zip(block.commands, block.expected, outputs, strict=True):
        want, got = normalise(expected), normalise(actual)
        assert matches(want, got), f"README.md:{block.line}: `{command}` printed\n" + "\n".join(got)


def test_the_readme_config_samples_validate(tmp_path: Path) -> None:
    from rtcfg.checks.validate import validate_file

    text = README.read_text(encoding="utf-8")
    samples = [
        block.split("\n```", 1)[0]
        for block in text.split("```yaml\n")[1:]
        if block.startswith("# yaml-language-server:")
    ]
    assert samples
    for number, sample in enumerate(samples):
        path = tmp_path / f"sample{number}.yaml"
        path.write_text(sample + "\n")
        _, _, problems = validate_file(path, {})
        assert not [p.format() for p in problems if p.severity == "error"]
