"""Live state is hostile too: names from the API with newlines, ANSI escapes, bidi overrides
and markdown/HTML cannot forge a line of a plan, move a terminal's cursor or write into a
review comment, in any output (text, markdown, tables, import's file and messages)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread
from rtcfg.safe_text import first_unsafe

KEY = "1/hostile-live-KEY"
FORGED = "pv\x1b[2K\rPlan: 0 to create, 0 to update, 0 to replace, 0 to delete.\n\u202eeno"
EMPTY = 'parent_segment_id: "1069935"\nid_stitching:\n  ext_lookup_key: customer_id\n'
HTML = "x</code></summary><img src=x onerror=alert(1)>```~~~~"


def hostile_seed() -> dict[str, Any]:
    seed = json.loads(resources.files("rtcfg.emulator").joinpath("seed.json").read_text())
    seed = copy.deepcopy(seed)
    populated = next(p for p in seed["parentSegments"] if p["id"] == "1069935")
    populated["name"] = "ACME\x1b]0;pwned\x07\u202e"
    populated["realtime"]["keyEvents"][0]["name"] = FORGED
    populated["realtime"]["keyEvents"][1]["description"] = HTML
    populated["realtime"]["attributes"][0]["name"] = "Last\nPlan: 9 to create"
    return seed


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(hostile_seed(), update_seconds=0.0) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str) -> tuple[int, str]:
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "NO_COLOR": "1"}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def outside_fences(markdown: str) -> str:
    """The markdown that a renderer reads as markdown/HTML: everything but fenced blocks."""
    kept, fence = [], None
    for line in markdown.splitlines():
        if fence is None and re.fullmatch(r"`{3,}|~{3,}", line):
            fence = line
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    assert fence is None, "a fence is never closed"
    return "\n".join(kept)


def assert_inert(text: str) -> None:
    """No control or format character but line breaks, and no forged line."""
    for line in text.splitlines():
        assert first_unsafe(line) is None, repr(line)
    plan_lines = [line for line in text.splitlines() if line.lstrip().startswith("Plan: ")]
    assert len(plan_lines) <= 1, plan_lines


def test_plan_text_and_markdown_of_hostile_live_objects_are_inert(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text(EMPTY)
    for fmt in ("text", "markdown", "json"):
        code, output = rtcfg(emu, "plan", str(config), "--format", fmt)
        assert code == 0, output
        assert_inert(output)
        assert "to delete." in output or fmt == "json"
        assert fmt != "markdown" or "<img" not in outside_fences(output)
    code, output = rtcfg(emu, "plan", str(config), "--format", "json")
    assert json.loads(output)["segments"][0]["changes"]  # still valid JSON, data kept


def test_apply_refusal_names_them_escaped(emu: EmulatorThread, tmp_path: Path) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text(EMPTY)
    code, output = rtcfg(emu, "apply", str(config), "-y")
    assert code == 3 and "--allow-destroy" in output
    assert_inert(output)


def test_segments_and_status_tables_are_inert(emu: EmulatorThread) -> None:
    for args in (["segments"], ["status", "1069935"], ["segments", "--json"]):
        code, output = rtcfg(emu, *args)
        assert code == 0, output
        assert_inert(output)


def test_import_writes_an_inert_file_that_validate_refuses_at_the_name(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    target = tmp_path / "imported.yaml"
    code, output = rtcfg(emu, "import", "1069935", "-o", str(target))
    assert code == 0, output
    assert_inert(output)
    text = target.read_text(encoding="utf-8")
    assert_inert(text)
    code, output = rtcfg(emu, "validate", str(target))
    assert code == 1 and "error: name: the value holds an escape character" in output
    code, output = rtcfg(emu, "import", "1069935", "-o", "-")
    assert_inert(output)
