"""Bad inputs: `rtcfg validate` reports each failure mode at its line and column, never crashes.

Every file in tests/fixtures/bad/ is one failure mode. Its first line says what must be
reported, machine-readably::

    # expect: LINE:COL message fragment
    # expect: LINE:COL message fragment | hint: hint fragment
    # expect-warning: LINE:COL message fragment      (warnings only: exit 0, --strict exit 1)

Files that cannot carry a comment (empty, not UTF-8, binary) are listed in ``UNCOMMENTED``.
Most cases run the CLI in-process through click's CliRunner (fast); a few run
``python -m rtcfg`` in a subprocess to check the real exit code and that no traceback escapes.
Validation is offline: an API key and endpoint are set in the environment, and the tests check
that the key never shows up in the output and that no socket is opened.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from rtcfg.cli import cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bad"
REPO = FIXTURES.parent.parent.parent
SECRET = "secret-test-key"
ENV = {
    "RTCFG_ENDPOINT": "http://127.0.0.1:9",
    "TDX_API_KEY": SECRET,
    "NO_COLOR": "1",
}
# variables the unset_variable* fixtures rely on being unset
UNSET_VARS = ("RTCFG_TEST_UNSET_EVENTS_DB", "RTCFG_TEST_UNSET_PS_ID")

_HEADER = re.compile(
    r"^# expect(?P<warning>-warning)?: (?P<line>\d+):(?P<col>\d+) (?P<message>.+?)"
    r"(?: \| hint: (?P<hint>.+))?$"
)


@dataclass(frozen=True)
class Expect:
    line: int
    col: int
    message: str
    hint: str | None = None
    severity: str = "error"


# Files whose expectation cannot live in a comment.
UNCOMMENTED = {
    "empty_file.yaml": Expect(1, 1, "the file is empty"),
    "non_utf8.yaml": Expect(7, 21, "not UTF-8 text (byte 0xe9)", "save the file as UTF-8"),
    "binary_garbage.yaml": Expect(2, 118, "not UTF-8 text (byte 0x80)"),
    "nul_byte.yaml": Expect(3, 20, "character '\\x00' is not allowed"),
}

# Known bugs in rtcfg/: the fixture's expectation is right, the tool is not (yet).
XFAIL: dict[str, str] = {}

# Fixtures with one failure that report more than one error (cascades / duplicates).
XFAIL_ONE_ERROR: dict[str, str] = {}


def _expectation(path: Path) -> Expect:
    if path.name in UNCOMMENTED:
        return UNCOMMENTED[path.name]
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    match = _HEADER.match(first)
    assert match, f"{path.name}: first line must be '# expect: LINE:COL fragment', got {first!r}"
    return Expect(
        int(match["line"]),
        int(match["col"]),
        match["message"],
        match["hint"],
        "warning" if match["warning"] else "error",
    )


ALL_FIXTURES = sorted(FIXTURES.glob("*.yaml"))
EXPECT = {path.name: _expectation(path) for path in ALL_FIXTURES}
ERROR_FIXTURES = [p for p in ALL_FIXTURES if EXPECT[p.name].severity == "error"]
WARNING_FIXTURES = [p for p in ALL_FIXTURES if EXPECT[p.name].severity == "warning"]


def _params(paths: list[Path], xfail: dict[str, str]) -> list[Any]:
    return [
        pytest.param(
            p,
            id=p.stem,
            marks=[pytest.mark.xfail(strict=True, reason=xfail[p.name])] if p.name in xfail else [],
        )
        for p in paths
    ]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Record (and refuse) every outgoing connection attempt made in this process."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in test_bad_inputs")

    monkeypatch.setattr(socket.socket, "connect", lambda self, *a: refuse(*a))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, *a: refuse(*a))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], f"validate opened a connection: {attempts}"


def _invoke(*args: str) -> Result:
    runner = CliRunner(env={**ENV, **dict.fromkeys(UNSET_VARS)})
    result = runner.invoke(cli, ["validate", *args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"validate raised {result.exception!r}") from result.exception
    assert SECRET not in result.output
    assert SECRET not in result.stderr
    return result


def _text_lines(result: Result, path: Path, expect: Expect) -> list[str]:
    """The problem line for ``expect`` (and its hint line, if any) in the text output."""
    prefix = f"{path}:{expect.line}:{expect.col}: {expect.severity}: "
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(prefix) and expect.message in line:
            return lines[i : i + 2]
    raise AssertionError(
        f"no line starting {prefix!r} containing {expect.message!r} in:\n{result.stdout}"
    )


def _json_problems(result: Result) -> list[dict[str, Any]]:
    problems = json.loads(result.stdout)
    assert isinstance(problems, list)
    for problem in problems:
        assert set(problem) == {"file", "line", "column", "severity", "message", "hint"}
    return problems


def _json_match(problems: list[dict[str, Any]], path: Path, expect: Expect) -> dict[str, Any]:
    for problem in problems:
        if (
            problem["file"] == str(path)
            and (problem["line"], problem["column"]) == (expect.line, expect.col)
            and problem["severity"] == expect.severity
            and expect.message in problem["message"]
        ):
            return problem
    raise AssertionError(f"no JSON problem matching {expect} in {problems}")


def test_fixture_set_is_complete() -> None:
    assert len(ERROR_FIXTURES) >= 35
    assert WARNING_FIXTURES, "the --strict test needs a warnings-only fixture"
    assert set(UNCOMMENTED) | set(XFAIL) | set(XFAIL_ONE_ERROR) <= set(EXPECT)
    assert (FIXTURES / "empty_file.yaml").stat().st_size == 0


@pytest.mark.parametrize("path", _params(ERROR_FIXTURES, XFAIL))
def test_text_output_locates_the_error(path: Path) -> None:
    expect = EXPECT[path.name]
    result = _invoke(str(path))
    assert result.exit_code == 1, result.output
    _problem_line, *rest = _text_lines(result, path, expect)
    if expect.hint:
        assert rest and rest[0].startswith("  hint: "), result.stdout
        assert expect.hint in rest[0]
    assert re.search(r": \d+ error\(s\), \d+ warning\(s\)$", result.stdout.rstrip("\n"))


@pytest.mark.parametrize("path", _params(ERROR_FIXTURES, XFAIL))
def test_json_output_locates_the_error(path: Path) -> None:
    expect = EXPECT[path.name]
    result = _invoke("--format", "json", str(path))
    assert result.exit_code == 1, result.output
    problem = _json_match(_json_problems(result), path, expect)
    if expect.hint:
        assert expect.hint in (problem["hint"] or "")


@pytest.mark.parametrize(
    "path",
    _params(
        [p for p in ERROR_FIXTURES if p.name != "many_problems.yaml"],
        {
            **XFAIL,
            **XFAIL_ONE_ERROR,
        },
    ),
)
def test_one_failure_mode_gives_one_error(path: Path) -> None:
    problems = _json_problems(_invoke("--format", "json", str(path)))
    errors = [p for p in problems if p["severity"] == "error"]
    assert len(errors) == 1, json.dumps(errors, indent=2)


def test_all_problems_of_a_file_come_in_one_run() -> None:
    path = FIXTURES / "many_problems.yaml"
    expected = [
        (9, 16, "invalid regular expression '^/product/(.*'"),
        (13, 19, "source_event 'page_veiw' names no event"),
        (19, 16, "max_items 500 is out of range"),
        (20, 18, "expiry of 90 days is too long"),
        (24, 22, "'2w' is not a duration"),
        (29, 18, "a single attribute cannot aggregate with 'max'"),
        (31, 16, "primary_key 'user_id' is not a stitching key"),
        (34, 22, "invalid regular expression '^test_[a-z'"),
        (35, 13, "duplicate stitching key 'td_client_id'"),
    ]
    text = _invoke(str(path))
    assert text.exit_code == 1
    for line, col, message in expected:
        _text_lines(text, path, Expect(line, col, message))
    assert f"{path}: {len(expected)} error(s), 0 warning(s)" in text.stdout
    problems = _json_problems(_invoke("--format", "json", str(path)))
    found = [(p["line"], p["column"], p["message"]) for p in problems]
    assert len(found) == len(expected)
    for (line, col, message), (got_line, got_col, got_message) in zip(expected, found, strict=True):
        assert (got_line, got_col) == (line, col)
        assert message in got_message


@pytest.mark.parametrize("path", _params(WARNING_FIXTURES, {}))
def test_strict_turns_warnings_into_failure(path: Path) -> None:
    expect = EXPECT[path.name]
    relaxed = _invoke(str(path))
    assert relaxed.exit_code == 0, relaxed.output
    _text_lines(relaxed, path, expect)
    assert f"{path}: valid (1 warning(s))" in relaxed.stdout
    strict = _invoke("--strict", str(path))
    assert strict.exit_code == 1, strict.output
    assert f"{path}: 1 warning(s) treated as errors (--strict)" in strict.stdout
    _text_lines(strict, path, expect)
    strict_json = _invoke("--strict", "--format", "json", str(path))
    assert strict_json.exit_code == 1
    _json_match(_json_problems(strict_json), path, expect)


# A few cases through the real entry point: exit code and stderr of the process itself.
SUBPROCESS_CASES = [
    "syntax_unclosed_bracket.yaml",
    "alias_bomb.yaml",
    "binary_garbage.yaml",
    "recursive_alias.yaml",
]


@pytest.mark.parametrize("path", _params([FIXTURES / name for name in SUBPROCESS_CASES], XFAIL))
def test_subprocess_exit_code_and_no_traceback(path: Path) -> None:
    expect = EXPECT[path.name]
    env = {k: v for k, v in os.environ.items() if k not in UNSET_VARS}
    env.update(ENV)
    proc = subprocess.run(
        [sys.executable, "-m", "rtcfg", "validate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert SECRET not in proc.stdout + proc.stderr
    prefix = f"{path}:{expect.line}:{expect.col}: error: "
    assert any(
        line.startswith(prefix) and expect.message in line for line in proc.stdout.splitlines()
    ), proc.stdout
