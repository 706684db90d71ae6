"""Hostile config files: refused at their line and column, never a traceback, nothing sent.

Names with control, format or bidi characters; values that hold the API key; YAML 1.1
numbers and non-ASCII digits as ids; PS_ID arguments; huge numbers, bad dates, merge cycles
and chains; unbalanced ``${``; endless files and standard input. In-process (CliRunner)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rtcfg.cli import cli
from tests.functional.raw_server import RecordingServer, answer

KEY = "1/hostile-config-KEY-0123456789"
ROOT = Path(__file__).parents[2]
EVENT = """parent_segment_id: "1069944"
events:
  - name: {name}
    database: {database}
    table: pageviews
    description: {description}
    filter: {{field: td_url, pattern: ".+"}}
"""


def validate(tmp_path: Path, text: str, **env: str) -> Result:
    path = tmp_path / "rt_config.yaml"
    path.write_text(text, encoding="utf-8")
    environment = {"TDX_API_KEY": KEY, "NO_COLOR": "1", **env}
    result = CliRunner().invoke(cli, ["validate", str(path)], env=environment)
    assert "Traceback" not in result.output and KEY not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return result


def event(name: str = "page_view", database: str = "events_db", description: str = "x") -> str:
    return EVENT.format(name=name, database=database, description=description)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (r'"pv\e[2J"', "an escape character"),
        (r'"pv\nPlan: 0 to create"', "a newline"),
        (r'"pv\u202etxt"', "U+202E RIGHT-TO-LEFT OVERRIDE"),
        (r'"pv\u2066x"', "U+2066"),
        (r'"pv\0"', "a NUL character"),
        (r'"pv\u200bx"', "U+200B ZERO WIDTH SPACE"),
        (r'"pv\u2028x"', "U+2028"),
        (r'"pv\x85x"', "U+0085"),
        (r'"pv\tx"', "a tab"),
        (r'"\U000e0001x"', "U+E0001"),
    ],
)
def test_a_name_with_a_control_or_format_character_is_refused_at_its_place(
    tmp_path: Path, name: str, says: str
) -> None:
    result = validate(tmp_path, event(name=name))
    assert result.exit_code == 1
    assert f"rt_config.yaml:3:11: error: name: the value holds {says}" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output


def test_tables_databases_columns_and_keys_are_checked_too(tmp_path: Path) -> None:
    text = event(database=r'"db\e]0;title\a"') + '"\\e[31mkey": 1\n'
    result = validate(tmp_path, text)
    assert "rt_config.yaml:4:15: error: database: the value holds an escape" in result.output
    assert "rt_config.yaml:8:1: error: the key holds an escape" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_a_description_may_hold_line_breaks_but_no_escape(tmp_path: Path) -> None:
    assert validate(tmp_path, event(description=r'"line 1\nline 2\ttab"')).exit_code == 0
    result = validate(tmp_path, event(description=r'"x\e[2J"'))
    assert "6:18: error: description: the value holds an escape character" in result.output


@pytest.mark.parametrize(
    "value", [KEY, f"prefix-{KEY}", KEY.partition("/")[2], "${COPY}", "${TDX_API_KEY}"]
)
def test_a_value_that_holds_the_api_key_is_refused_unshown(tmp_path: Path, value: str) -> None:
    result = validate(tmp_path, event(database=f'"{value}"'), COPY=KEY)
    assert result.exit_code == 1 and "4:15: error:" in result.output
    assert "API key" in result.output


@pytest.mark.parametrize(
    "value",
    [
        "01234567",
        "0x10",
        "0o17",
        "0b101",
        "1:30",
        "1_000",
        "-5",
        "+1069935",
        '"\\u0661\\u0662"',
        '"\\uff11\\uff12"',
        '"1 2"',
    ],
)
def test_an_id_that_is_no_ascii_decimal_is_refused_with_quote_the_id(
    tmp_path: Path, value: str
) -> None:
    result = validate(tmp_path, f"parent_segment_id: {value}\n")
    assert result.exit_code == 1 and "rt_config.yaml:1:20: error:" in result.output
    assert "quote" in result.output


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("+1069935", "write it without the + (1069935)"),
        ('"+1069935"', 'quote the id: parent_segment_id: "1069935"'),
        ("1069935.0", 'quote the id: parent_segment_id: "1069935"'),
        ('"shop"', 'in quotes: parent_segment_id: "<digits>"'),
    ],
)
def test_the_id_hint_shows_the_users_own_value_never_another_id(
    tmp_path: Path, value: str, hint: str
) -> None:
    result = validate(tmp_path, f"parent_segment_id: {value}\n")
    assert result.exit_code == 1 and "rt_config.yaml:1:20: error:" in result.output
    assert hint in result.output and "1069944" not in result.output


def test_strict_with_errors_and_warnings_says_which_count_as_errors(tmp_path: Path) -> None:
    text = (
        'parent_segment_id: "1"\n'
        "events:\n  - {name: page_view, database: events_db, table: pageviews}\n"
        "attributes:\n  - {name: a, type: single, source_event: nowhere, source_field: x}\n"
        "  - {name: b, type: single, source_event: nowhere, source_field: y}\n"
    )
    path = tmp_path / "rt_config.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--strict", str(path)], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert (
        "rt_config.yaml: 2 error(s) and 1 warning(s) (warnings count as errors with --strict)"
        in result.output
    ), result.output


@pytest.mark.parametrize(
    ("text", "place", "says"),
    [
        ("parent_segment_id: " + "9" * 5000 + "\n", "1:20", "a number of 5000 characters"),
        ('parent_segment_id: "1"\nevents: 2001-13-45\n', "2:9", "cannot be read as a date"),
        ('a: &a\n  <<: *a\nparent_segment_id: "1"\n', "2:3", "merges a mapping into itself"),
        ('parent_segment_id: "${"\n', "1:20", "starts no valid variable"),
        ('parent_segment_id: "${PS"\n', "1:20", "starts no valid variable"),
        ('parent_segment_id: "${1PS}"\n', "1:20", "starts no valid variable"),
        ('parent_segment_id: "${A:-${B}}"\n', "1:20", "starts no valid variable"),
        ('parent_segment_id: "1"\nevents: ' + "[" * 1200 + "]" * 1200 + "\n", "2:", "nesting"),
    ],
    ids=["digits", "date", "merge-cycle", "open", "unclosed", "bad-name", "nested", "deep"],
)
def test_inputs_that_used_to_crash_are_located_errors(
    tmp_path: Path, text: str, place: str, says: str
) -> None:
    result = validate(tmp_path, text)
    assert result.exit_code == 1 and f"rt_config.yaml:{place}" in result.output
    assert says in result.output


def test_a_long_merge_chain_is_a_located_error(tmp_path: Path) -> None:
    lines = ['parent_segment_id: "1"', "events:", "  - &m0 {name: a}"]
    lines += [f"  - &m{i} {{<<: *m{i - 1}, x{i}: 1}}" for i in range(1, 1500)]
    result = validate(tmp_path, "\n".join(lines) + "\n")
    assert result.exit_code == 1 and "deep" in result.output


def test_an_endless_file_is_capped(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "/dev/zero"], env={"NO_COLOR": "1"})
    assert result.exit_code == 1 and "larger than 4 MiB" in result.output


def test_standard_input_is_read_for_a_dash(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(cli, ["validate", "-"], input=event())
    assert good.exit_code == 0 and "-: valid" in good.output
    bad = runner.invoke(cli, ["validate", "-"], input='parent_segment_id: "${"\n')
    assert bad.exit_code == 1 and "-:1:20: error:" in bad.output


@pytest.mark.parametrize("ps_id", ["0x10", "\u0661\u0662", "+1", "1/../2", "1?x=1", " ", "9" * 30])
@pytest.mark.parametrize("command", ["status", "import"])
def test_a_ps_id_argument_is_checked_before_any_request(command: str, ps_id: str) -> None:
    with RecordingServer(answer("502 Bad Gateway", b"")) as server:
        args = [command, ps_id, "--endpoint", server.url]
        result = CliRunner().invoke(
            cli, [*args, *(["-o", "-"] if command == "import" else [])], env={"TDX_API_KEY": KEY}
        )
    assert result.exit_code == 1 and "PS_ID:" in result.output, result.output
    assert server.received == b""


@pytest.mark.parametrize("encoding", ["ascii", "cp1252", "latin-1"])
def test_output_on_a_stream_that_is_not_utf8_falls_back_to_ascii(
    tmp_path: Path, encoding: str
) -> None:
    config = tmp_path / "config-é.yaml"
    config.write_text(event().replace('    filter: {field: td_url, pattern: ".+"}\n', ""))
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "rtcfg", "validate", str(config)],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    output = (result.stdout + result.stderr).decode(encoding)
    assert result.returncode == 0 and "Traceback" not in output
    assert "has no filter" in output
    # what the stream cannot encode became ASCII ("…" is in cp1252, not in ascii or latin-1)
    assert "{field: ..., pattern: ...}" in output or "\u2026" in output.encode(encoding).decode(
        encoding
    )


@pytest.mark.parametrize(
    "redirect",
    ['"$@" >&-', '"$@" >/dev/full', 'set -o pipefail; "$@" | head -1 >/dev/null'],
    ids=["closed", "disk-full", "broken-pipe"],
)
def test_standard_output_that_cannot_be_written_is_no_traceback(
    tmp_path: Path, redirect: str
) -> None:
    config = tmp_path / "rt_config.yaml"
    config.write_text(event())
    command = [
        sys.executable,
        "-m",
        "rtcfg",
        "validate",
        *[str(config)] * 1500,
    ]  # more than a pipe holds
    result = subprocess.run(
        ["bash", "-c", redirect, "bash", *command],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in stderr, stderr
