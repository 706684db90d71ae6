"""Config loading: the seed's examples, interpolation, durations, problems in one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcfg.checks.validate import validate_file
from rtcfg.config.models import parse_duration

FIXTURES = Path(__file__).parent.parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rt_config.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["phase5_template.yaml", "step48_examples.yaml"])
def test_seed_examples_with_placeholders_filled_load(name: str) -> None:
    config, _, problems = validate_file(FIXTURES / "seed" / name, env={})
    assert config is not None, [p.format() for p in problems]


def test_seed_single_with_sum_says_what_to_write_instead() -> None:
    config, _, problems = validate_file(FIXTURES / "seed" / "step48_cart_value_sum.yaml", env={})
    assert config is None
    (error,) = [p for p in problems if p.severity == "error"]
    assert (error.line, error.col) == (12, 18)
    assert error.hint and "type: counter, aggregation: sum" in error.hint


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_is_valid_without_warnings(path: Path) -> None:
    config, _, problems = validate_file(path, env={})
    if path.name == "large.yaml":  # the API's filter budget leaves most of its events unfiltered
        problems = [p for p in problems if "has no filter" not in p.message]
    assert config is not None and problems == [], [p.format() for p in problems]


def test_variables_are_interpolated_with_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, 'parent_segment_id: "${PS:-7}"\nparent_segment_name: "${N}-x"\n')
    config, _, _ = validate_file(path, env={"N": "shop"})
    assert config is not None
    assert (config.parent_segment_id, config.parent_segment_name) == ("7", "shop-x")


def test_an_unset_variable_is_an_error_at_its_value(tmp_path: Path) -> None:
    path = write(tmp_path, 'parent_segment_id: "1"\nparent_segment_name: "${MISSING}"\n')
    config, _, problems = validate_file(path, env={})
    assert config is None
    assert [(p.line, p.col, "MISSING" in p.message) for p in problems] == [(2, 22, True)]


def test_dollar_dollar_escapes_a_dollar(tmp_path: Path) -> None:
    path = write(tmp_path, 'parent_segment_id: "1"\nparent_segment_name: "$${X}"\n')
    config, _, _ = validate_file(path, env={})
    assert config is not None and config.parent_segment_name == "${X}"


def test_every_problem_of_a_file_is_reported_in_one_run(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                'parent_segment_id: "1"',
                "events:",
                "  - {name: a, database: d, tabel: t}",
                "  - {name: b, database: d, table: t, filter: {field: f, pattern: '(['}}",
                "attributes:",
                "  - {name: x, type: single, source_event: nope, source_field: p}",
                "  - {name: y, type: list, source_event: b, source_field: p, max_items: 500}",
                "id_stitching: {primary_key: k, stitching_keys: [{name: j}]}",
                "",
            ]
        ),
    )
    _, _, problems = validate_file(path, env={})
    messages = " | ".join(p.message for p in problems if p.severity == "error")
    for fragment in (
        "unknown key 'tabel'",
        "invalid regular expression",
        "names no event",
        "max_items 500",
        "primary_key 'k'",
    ):
        assert fragment in messages


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30m", (30, "minute")),
        ("1h", (1, "hour")),
        ("7d", (7, "day")),
        (60, (60, "day")),
        ("2 hours", (2, "hour")),
        ("15 minutes", (15, "minute")),
    ],
)
def test_durations_parse(value: str | int, expected: tuple[int, str]) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["2w", "0h", "h", "1.5d", "-3d", True])
def test_bad_durations_are_refused(value: str | int) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)
