"""Fuzz: hostile YAML through `rtcfg validate` and `rtcfg plan` (in-process, CliRunner).

A valid config is cut at random places and hostile fragments are spliced in: merge keys and
aliases (also recursive ones), YAML 1.1 numbers, 5,000-digit integers, unbalanced ``${``,
control and bidi characters, tags, documents, a BOM, bad dates, deep nesting. Whatever comes
out: no traceback, an exit code of 0 or 1, every error located at FILE:LINE:COL, and when
validate fails, plan fails the same way without a byte reaching the API.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtcfg.cli import cli
from tests.functional.raw_server import RecordingServer, answer

VALID = """parent_segment_id: "1069944"
events:
  - name: page_view
    database: events_db
    table: pageviews
    filter: {field: td_url, pattern: "^/product/"}
attributes:
  - name: last_url
    type: single
    source_event: page_view
    source_field: td_url
    duration: 24h
id_stitching:
  stitching_keys:
    - name: td_client_id
"""
FRAGMENTS = [
    "<<: *a",
    "&a ",
    "*a",
    "a: &a\n  <<: *a\n",
    "${",
    "${X",
    "${1BAD}",
    "${A:-${B}}",
    "$${",
    "0x10",
    "01234567",
    "1:30",
    "-5",
    "1_000",
    "9" * 5000,
    "1e400",
    ".nan",
    "2001-13-45",
    "\x1b[2J",
    "\u202e",
    "\u2066",
    "\x00",
    "\t",
    "\r",
    "\ufeff",
    "\u2028",
    "- ",
    ": ",
    "[",
    "{",
    "]",
    "}",
    '"',
    "'",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "!!set {a}",
    "~",
    "[" * 300 + "]" * 300,
    "\n  - name: x\n",
    "parent_segment_id: ١٢٣\n",
    "TDX_API_KEY",
    "${TDX_API_KEY}",
    "${FUZZ_KEY_COPY}",
]
# Values a scalar slot can hold: each parses, and reaches a constructor, the model or a check.
VALUES = [
    *(f for f in FRAGMENTS if "\n" not in f and f[:1] not in "[{]}-:?'\"!<&*%"),
    "*a",
    "!!binary AAAA",
    "2001-02-03",
    "1e5",
    "0o17",
    "0b101",
    "+12",
    "-0",
    "yes",
    "null",
    '"1069944\\u0000"',
    '"a\\u202eb"',
    '"a\\nPlan: 0 to create"',
    '"${TDX_API_KEY:-x}"',
]
LOCATED = re.compile(r"^\S.*:\d+:\d+: (error|warning): ")
KEY = "1/fuzz-key-0123456789"


# The same config with each value a slot, so that hostile values reach the model and the
# semantic checks, not only the YAML parser.
TEMPLATE = """parent_segment_id: {1}
events:
  - name: {2}
    database: {3}
    table: {4}
    description: {5}
    filter: &a {{field: {6}, pattern: {7}}}
    renamed_from: {0}
attributes:
  - name: {8}
    type: single
    source_event: {2}
    source_field: {6}
    duration: {9}
id_stitching:
  stitching_keys:
    - name: {10}
      invalid_texts: [{11}]
"""
NORMAL = [
    "old_view",
    '"1069944"',
    "page_view",
    "events_db",
    "pageviews",
    "Views",
    "td_url",
    '"^/p/"',
]
NORMAL += ["last_url", "24h", "td_client_id", '""']


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


@st.composite
def templated_yaml(draw: st.DrawFn) -> str:
    """One to three slots hostile, the others normal: most files parse, so the hostile
    value reaches the constructors, the model and the checks."""
    values = list(NORMAL)
    for _ in range(draw(st.integers(1, 3))):
        fragment = draw(st.sampled_from(VALUES))
        hostile = st.sampled_from([fragment, _quoted(fragment), _quoted(draw(st.text(max_size=6)))])
        values[draw(st.integers(0, len(values) - 1))] = draw(hostile)
    return TEMPLATE.format(*values)


@st.composite
def hostile_yaml(draw: st.DrawFn) -> str:
    text = draw(st.one_of(st.just(VALID), templated_yaml(), templated_yaml()))
    for _ in range(draw(st.integers(0, 3) if text != VALID else st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)))
        cut = draw(st.integers(0, 12))
        text = text[:at] + piece + text[at + cut :]
    return text


@pytest.fixture(scope="module")
def server() -> Iterator[RecordingServer]:
    with RecordingServer(answer("502 Bad Gateway", b"")) as recording:
        yield recording


def run(*args: str, endpoint: str) -> Result:
    env = {
        "RTCFG_ENDPOINT": endpoint,
        "TDX_API_KEY": KEY,
        "FUZZ_KEY_COPY": KEY,
        "NO_COLOR": "1",
    }
    return CliRunner().invoke(cli, list(args), env=env)


def check_located(result: Result) -> None:
    assert result.exit_code in (0, 1), result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    assert "Traceback" not in result.output and KEY not in result.output
    for line in result.output.splitlines():
        assert (
            LOCATED.match(line)
            or line.startswith(("  hint: ", "Error: "))
            or line.endswith(("error(s), 0 warning(s)", "warning(s)", "valid", "warning(s))"))
        ), line


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_yaml())
def test_hostile_yaml_never_crashes_validate_or_plan(server: RecordingServer, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rt_config.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        checked = run("validate", str(path), endpoint=server.url)
        check_located(checked)
        if checked.exit_code == 0:
            return
        assert any(LOCATED.match(line) for line in checked.output.splitlines())
        planned = run("plan", str(path), endpoint=server.url)
    assert planned.exit_code == 1 and "Traceback" not in planned.output
    assert any(LOCATED.match(line) for line in planned.output.splitlines()), planned.output
    assert server.received == b""  # nothing sent for a config with errors
