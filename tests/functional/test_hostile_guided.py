"""Guided setup (discover, init, report) holds to the hardening of the older commands: a PS_ID
is checked before any request, and hostile live names (ESC, newline, CR, U+202E, NUL) in the
segment name, tables, columns, batch attributes, key events and attributes reach no output raw;
init leaves out what rtcfg would refuse, so the file it writes validates."""

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
from tests.functional.emulator_support import reset
from tests.functional.hostile_support import assert_inert, hostile_seed, outside_fences

KEY = "1/hostile-guided-KEY"
FRESH = "1069944"  # RT 2.0 on, nothing configured: what init is for
CONFIGURED = "1069935"
BAD = "pv\x1b[2K\rPlan: 0 to create, 0 to update, 0 to replace, 0 to delete.\n\u202e\x00x"
MERMAID = 'x"]) --> evil[("`pwn`'


def guided_seed() -> dict[str, Any]:
    """The hostile seed of test_hostile_live_state, and hostile names in the catalog and in
    the batch attributes of the fresh segment too."""
    seed = copy.deepcopy(hostile_seed())
    fresh = next(p for p in seed["parentSegments"] if p["id"] == FRESH)
    fresh["name"] = "Retail\x1b]0;pwned\x07\u202e"
    fresh["attributes"].append({"name": f"tier{BAD}", "type": "string\x1b[31m"})
    events_db = next(d for d in seed["databases"] if d["name"] == "events_db")
    events_db["tables"].append({**copy.deepcopy(events_db["tables"][0]), "name": f"pageviews{BAD}"})
    events_db["tables"][0]["schema"].append([f"email{BAD}", "string"])
    events_db["tables"][0]["schema"].append([MERMAID, "string"])
    configured = next(p for p in seed["parentSegments"] if p["id"] == CONFIGURED)
    configured["realtime"]["attributes"][1]["identifier"] = MERMAID
    configured["realtime"]["attributes"][2]["identifier"] = f"qty{BAD}"
    configured["realtime"]["eventTables"] = [  # a table of no key event, listed on its own
        *configured["realtime"]["eventTables"],
        {"database": "events_db", "table": f"clicks{BAD}"},
    ]
    configured["realtime"]["batchAttributes"][0]["name"] = f"Tier{BAD}{MERMAID}"
    return seed


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(guided_seed(), update_seconds=0.0) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str) -> tuple[int, str, str]:
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "NO_COLOR": "1", "TD_API_KEY": ""}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def requests_seen(emu: EmulatorThread) -> int:
    return len(emu.emulator.requests())


# --- PS_ID ---------------------------------------------------------------------------------

HOSTILE_IDS = [
    "1069935/../1069944",
    "0x10",
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\uff11\uff12\uff13",  # full-width digits
    "+123",
    "1e3",
    "",
    "1" * 29,
    "12\n3",
    "123\x1b[2J",
    "12 3",
]
COMMANDS = [
    ["status"],
    ["import", "-o", "-"],
    ["discover"],
    ["discover", "--json"],
    ["init", "--use-case", "cart", "-y", "-o", "-"],
    ["report", "-o", "-"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("ps_id", HOSTILE_IDS, ids=repr)
def test_every_command_checks_its_ps_id_before_any_request(
    emu: EmulatorThread, command: list[str], ps_id: str
) -> None:
    before = requests_seen(emu)
    code, out, err = rtcfg(emu, command[0], ps_id, *command[1:])
    assert code == 1, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert_inert(err)
    assert out == ""
    assert requests_seen(emu) == before


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_trailing_newline_is_read_as_status_reads_it(
    emu: EmulatorThread, command: list[str]
) -> None:
    """`$'1069944\\n'` (from `$(cat file)`-like input): the id stripped, as status does."""
    code, _, err = rtcfg(emu, command[0], FRESH + "\n", *command[1:])
    expected, _, _ = rtcfg(emu, command[0], FRESH, *command[1:])
    assert code == expected and "InvalidURL" not in err


# --- hostile live names --------------------------------------------------------------------


def test_discover_shows_every_hostile_name_escaped(emu: EmulatorThread) -> None:
    code, out, err = rtcfg(emu, "discover", FRESH)
    assert code == 0, err
    assert_inert(out + err)
    assert "pageviewspv\\u001b[2K\\u000dPlan" in out and "tierpv\\u001b" in out  # shown, escaped
    code, out, _ = rtcfg(emu, "discover", FRESH, "--json")
    assert code == 0
    assert_inert(out)
    names = [t["table"] for t in json.loads(out)["event_tables"]]
    assert f"pageviews{BAD}" in names  # JSON keeps the data, escaped


@pytest.mark.parametrize("ps_id", [CONFIGURED, FRESH])
def test_report_markdown_and_mermaid_are_inert(
    emu: EmulatorThread, tmp_path: Path, ps_id: str
) -> None:
    target = tmp_path / "summary.md"
    code, _, err = rtcfg(emu, "report", ps_id, "-o", str(target))
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert_inert(text)
    assert "<img" not in outside_fences(text) and "</code>" not in outside_fences(text)
    graph = re.search(r"```mermaid\n(.*?)\n```", text, re.S)
    assert graph is not None
    for line in graph.group(1).splitlines()[1:]:
        labels = re.findall(r'"([^"]*)"', line)  # every label stays one quoted label
        assert all("-->" not in label and "[" not in label for label in labels), line
        assert line.count('"') in (0, 2, 4), line


def test_init_writes_a_file_that_validates_and_says_what_it_left_out(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    reset(emu)
    config = tmp_path / "rt_config.yaml"
    code, _, err = rtcfg(emu, "init", FRESH, "--use-case", "both", "-y", "-o", str(config))
    assert code == 0, err
    assert_inert(err)
    assert "left out" in err
    text = config.read_text(encoding="utf-8")
    assert_inert(text)
    assert "Left out: live names with a control or format character" in text
    assert (
        "table in events_db 'pageviewspv\\u001b[2K\\u000dPlan" in text
    )  # named, escaped, in a comment
    code, out, _ = rtcfg(emu, "validate", str(config))
    assert code == 0, out
    code, out, _ = rtcfg(emu, "validate", "--online", str(config))
    assert code == 0, out


def test_import_of_hostile_state_warns_instead_of_promising_no_changes(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    target = tmp_path / "imported.yaml"
    code, _, err = rtcfg(emu, "import", CONFIGURED, "-o", str(target))
    assert code == 0, err
    assert_inert(err)
    assert "shows no changes" not in err
    assert f"Warning: {target} does not validate (" in err
    assert re.search(r"imported\.yaml:\d+:\d+: error: name: the value holds", err), err


def test_import_of_a_clean_segment_still_promises_no_changes(tmp_path: Path) -> None:
    seed = json.loads(resources.files("rtcfg.emulator").joinpath("seed.json").read_text())
    with EmulatorThread(seed, update_seconds=0.0) as clean:
        code, _, err = rtcfg(clean, "import", CONFIGURED, "-o", str(tmp_path / "a.yaml"))
    assert code == 0 and "does not validate" not in err
    assert "shows no changes" in err or "not imported" in err


def test_the_csm_request_names_a_hostile_segment_escaped(tmp_path: Path) -> None:
    seed = json.loads(resources.files("rtcfg.emulator").joinpath("seed.json").read_text())
    disabled = next(p for p in seed["parentSegments"] if not p["realtimeEnabled"])
    disabled["name"] = BAD
    request = tmp_path / "csm.md"
    with EmulatorThread(seed, update_seconds=0.0) as hostile:
        code, out, err = rtcfg(
            hostile, "status", disabled["id"], "--csm-request", str(request),
            "--use-case", "cart abandonment\nand triggers",
        )  # fmt: skip
    assert code == 0, err
    text = request.read_text(encoding="utf-8")
    assert_inert(text + out + err)
    assert "Name: pv\\u001b[2K\\u000dPlan" in text and "delete.\\u000a" in text
    assert "cart abandonment\nand triggers" in text  # the user's own lines kept
