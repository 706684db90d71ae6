"""The command line as a newcomer meets it: --yes, saved plans known by their content, a failed
plan that still prints its comment, help texts in one style, each command's Ctrl-C message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread
from rtcfg.render import PLAN_MARKER
from tests.functional.emulator_support import example, rtcfg, writes

# every command but the emulator, whose help is its own parser's (tested below); a new command
# needs an epilog too (rtcfg.cli.texts.epilog)
COMMANDS = sorted(name for name in cli.commands if name != "emulator")


@pytest.fixture()
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.05) as thread:
        yield thread


def test_yes_is_an_alias_of_y(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path, "event_triggers.yaml")
    code, out, err = rtcfg(emu, "apply", config, "--yes")
    assert code == 0, err
    assert "Apply complete!" in out
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert code == 0 and "No changes." in out


def test_a_saved_plan_is_known_by_content_whatever_its_name(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = example(tmp_path, "cart_abandonment.yaml")
    saved = tmp_path / "reviewed.plan"  # not .json
    assert rtcfg(emu, "plan", config, "-o", str(saved))[0] == 0
    code, _, err = rtcfg(emu, "plan", str(saved))
    assert code == 1 and "is a plan saved by `rtcfg plan -o`" in err, err
    assert "unknown key" not in err
    before = len(writes(emu))
    code, _, err = rtcfg(emu, "apply", str(saved), "--yes")
    assert code == 0, err
    assert len(writes(emu)) > before


def test_a_yaml_config_named_json_is_a_config(emu: EmulatorThread, tmp_path: Path) -> None:
    config = tmp_path / "rt_config.json"
    config.write_text(Path(example(tmp_path, "product_recommendations.yaml")).read_text())
    code, out, err = rtcfg(emu, "plan", str(config))
    assert code == 0, err
    assert "to create" in out or "No changes." in out


def test_a_failed_plan_prints_its_markdown_and_json_and_exits_1(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('parent_segment_id: "1069944"\nattributes:\n  - {name: x, type: single}\n')
    code, out, err = rtcfg(emu, "plan", str(bad), "--format", "markdown")
    assert code == 1
    assert out.splitlines()[0] == PLAN_MARKER and "Plan failed" in out
    assert f"{bad}:3:5: error: missing required key" in out and f"{bad}:3:5" in err
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text('parent_segment_id: "4242"\n')
    code, out, err = rtcfg(emu, "plan", str(unknown), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["status"] == "failed" and "4242" in document["errors"][0]["message"]


def test_a_failed_plan_document_cannot_be_applied(emu: EmulatorThread, tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text('parent_segment_id: "4242"\n')
    failed = tmp_path / "plan.json"
    failed.write_text(rtcfg(emu, "plan", str(unknown), "--format", "json")[1])
    code, _, err = rtcfg(emu, "apply", str(failed), "--yes")
    assert code == 1 and "could not be made" in err


def test_exclude_that_hides_every_change_says_how_many(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path, "product_recommendations.yaml")
    code, out, _ = rtcfg(emu, "plan", config, "--exclude", "*")
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith("No changes among the selected objects. ")
    assert "change(s) left out by --target/--exclude." in last


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_has_environment_exit_codes_and_examples(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"], terminal_width=100)
    assert result.exit_code == 0
    text = result.output
    for section in ("Environment:", "Exit codes:", "Examples:"):
        assert section in text, (command, text)
    assert f"rtcfg {command} " in text.split("Examples:")[1]


def test_the_emulator_help_reads_like_rtcfg(capsys: pytest.CaptureFixture[str]) -> None:
    from rtcfg.emulator.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--help"], prog="rtcfg emulator")
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("Usage: rtcfg emulator [OPTIONS]")
    for section in ("Options:", "Environment:", "Exit codes:", "Examples:"):
        assert section in text
    assert "python -m" not in text


def test_ctrl_c_during_plan_speaks_of_plan(tmp_path: Path) -> None:
    from rtcfg.cli import texts as cli_help

    config = example(tmp_path, "event_triggers.yaml")
    with EmulatorThread(latency_ms=20_000) as slow:  # plan waits on its first GETs
        env = {**os.environ, "RTCFG_ENDPOINT": slow.url, "TDX_API_KEY": "1/k"}
        env["RTCFG_PS_ID"] = "1069944"
        process = subprocess.Popen(
            [sys.executable, "-m", "rtcfg", "plan", config],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        give_up = time.monotonic() + 60
        while not slow.stats()["in_flight"] and process.poll() is None:
            assert time.monotonic() < give_up, "plan never reached the emulator"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert err.strip().splitlines()[-1] == cli_help.INTERRUPTED["plan"], err
    assert "apply" not in err and "Traceback" not in err


def test_import_writes_the_schema_its_first_line_names(emu: EmulatorThread, tmp_path: Path) -> None:
    target = tmp_path / "rt_config.yaml"
    code, _, err = rtcfg(emu, "import", "1069935", "-o", str(target))
    assert code == 0, err
    schema_line = target.read_text().splitlines()[0]
    name = schema_line.split("$schema=")[1]
    written = json.loads((tmp_path / name).read_text())
    assert written["title"] == "rtcfg rt_config.yaml" and f"Wrote {tmp_path / name}" in err
    (tmp_path / name).write_text('{"title": "my own schema"}')
    code, _, err = rtcfg(emu, "import", "1069935", "-o", str(target), "--force")
    assert code == 0 and "the schema its first line names" not in err
    assert json.loads((tmp_path / name).read_text()) == {"title": "my own schema"}


def test_no_command_summary_is_cut_at_80_columns() -> None:
    text = CliRunner().invoke(cli, ["--help"], terminal_width=80).output
    commands = text.split("Commands:\n")[1].split("\n\n")[0].splitlines()
    assert len(commands) == len(cli.commands)
    assert not [line for line in commands if line.rstrip().endswith("...")], commands
