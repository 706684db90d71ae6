"""Live state is hostile too: names from the API with newlines, ANSI escapes, bidi overrides
and markdown/HTML cannot forge a line of a plan, move a terminal's cursor or write into a
review comment, in any output (text, markdown, tables, import's file and messages)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread
from tests.functional.hostile_support import (
    EMPTY_CONFIG,
    assert_inert,
    hostile_seed,
    outside_fences,
)

KEY = "1/hostile-live-KEY"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(hostile_seed(), update_seconds=0.0) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str) -> tuple[int, str]:
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "NO_COLOR": "1"}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_plan_text_and_markdown_of_hostile_live_objects_are_inert(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text(EMPTY_CONFIG)
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
    config.write_text(EMPTY_CONFIG)
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
