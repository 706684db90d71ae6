"""validate catches what TD's API or its documented limits would refuse (rtcfg.checks.contract)."""

from __future__ import annotations

from pathlib import Path

from rtcfg.checks.validate import validate_file
from rtcfg.errors import Problem

HEAD = """parent_segment_id: "1"
events:
  - name: pv
    database: events_db
    table: pageviews
    filter: {field: td_url, pattern: "^/"}
"""


def problems_of(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "rt_config.yaml"
    path.write_text(text)
    return validate_file(path, env={})[2]


def only(problems: list[Problem], severity: str = "error") -> Problem:
    (problem,) = [p for p in problems if p.severity == severity]
    return problem


def single(i: int) -> str:
    return f"  - {{name: a{i}, type: single, source_event: pv, source_field: td_url}}\n"


def test_more_than_600_objects_is_an_error_at_the_601st(tmp_path: Path) -> None:
    keys = "".join(f"    - name: k{i}\n" for i in range(100))  # stitching keys count too
    text = HEAD + "attributes:\n" + "".join(single(i) for i in range(501))
    text += "  - {name: batch, type: imported_batch}\n"  # imported ones do not count
    text += "id_stitching:\n  stitching_keys:\n" + keys
    problem = only(problems_of(tmp_path, text))
    assert problem.message.startswith("601 real-time configuration objects")
    assert problem.line == text.splitlines().index("    - name: k99") + 1
    fewer = text.replace(single(500), "")
    assert [p for p in problems_of(tmp_path, fewer) if "configuration objects" in p.message] == []


def test_more_than_200_attributes_is_a_warning_at_the_201st(tmp_path: Path) -> None:
    text = HEAD + "attributes:\n" + "".join(single(i) for i in range(201))
    problem = only(problems_of(tmp_path, text), "warning")
    assert "201 attributes; TD supports at most 200" in problem.message
    assert problem.line == text.splitlines().index(single(200).rstrip("\n")) + 1


def test_exclude_regex_warns_that_it_relies_on_look_ahead(tmp_path: Path) -> None:
    text = (
        HEAD + 'id_stitching:\n  stitching_keys:\n    - {name: td_client_id, exclude_regex: "^t"}\n'
    )
    problem = only(problems_of(tmp_path, text), "warning")
    assert "negative look-ahead" in problem.message and (problem.line, problem.col) == (9, 43)
    assert problem.hint is not None and "invalid_texts" in problem.hint
    assert "valid_regexp" in problem.hint


def test_backfill_must_name_an_imported_attribute_of_the_file(tmp_path: Path) -> None:
    text = HEAD + (
        "attributes:\n"
        "  - name: spend\n"
        "    type: counter\n"
        "    source_event: pv\n"
        "    window_duration: 1d\n"
        "    counter_type: total\n"
        "    backfill: {attribute: total_spend, timestamp: updated_at}\n"
        "  - {name: loyalty_tier, type: imported_batch}\n"
    )
    problem = only(problems_of(tmp_path, text))
    assert problem.message.startswith("backfill.attribute 'total_spend' is not an imported_batch")
    assert (problem.line, problem.col) == (13, 27) and "loyalty_tier" in str(problem.hint)
    fixed = text.replace("loyalty_tier", "total_spend")
    assert [p for p in problems_of(tmp_path, fixed) if "backfill" in p.message] == []


def test_whitespace_only_names_are_errors(tmp_path: Path) -> None:
    text = (
        HEAD.replace("name: pv", 'name: "   "') + 'event_tables:\n  - {database: " ", table: t}\n'
    )
    found = [(p.line, p.message) for p in problems_of(tmp_path, text) if "blank" in p.message]
    assert found == [
        (3, "name is blank (only whitespace)"),
        (8, "database is blank (only whitespace)"),
    ]


def test_raw_filter_rule_conditions_must_be_objects_and_keys_known(tmp_path: Path) -> None:
    text = HEAD.replace(
        '    filter: {field: td_url, pattern: "^/"}\n',
        "    filter_rule:\n      type: And\n      conditions: [td_url]\n      column: td_url\n",
    )
    found = sorted((p.line, p.col, p.message) for p in problems_of(tmp_path, text))
    assert found == [
        (8, 20, "each filter_rule condition must be an object"),
        (9, 7, "filter_rule has an unknown key 'column'"),
    ]


def _raw_rule(conditions: str) -> str:
    return HEAD.replace(
        '    filter: {field: td_url, pattern: "^/"}\n',
        f"    filter_rule:\n      type: Or\n      conditions:\n{conditions}",
    )


def test_every_operator_shape_of_the_grammar_is_accepted(tmp_path: Path) -> None:
    conditions = [
        '{type: Column, column: td_url, operator: {type: Regexp, not: false, rightValue: "^/"}}',
        "{type: Column, column: n, operator: {type: Between, not: true, minValue: 1, maxValue: 2}}",
        "{type: Column, column: c, operator: {type: In, not: false, rightValues: [a, b]}}",
        "{type: Column, column: t, arrayMatching: any, operator: {type: TimeToday}}",
        "{type: Column, column: t, operator: {type: TimeWithinPast, value: 1, unit: day}}",
        "{type: And, conditions: [{type: Or, conditions: []}]}",
        '{type: Column, column: td_url, operator: {type: Equal, not: false, rightValue: "\\t"}}',
    ]
    text = _raw_rule("".join(f"        - {c}\n" for c in conditions))
    assert [p for p in problems_of(tmp_path, text) if p.severity == "error"] == []


def test_each_problem_of_a_deep_rule_is_at_its_own_place(tmp_path: Path) -> None:
    deep = (
        "        - type: And\n"
        "          conditions:\n"
        "            - {type: Column, column: a, operator: {type: In, not: 1, rightValues: x}}\n"
        "            - {type: Or, conditions: [{type: Value}], expr: x}\n"
    )
    problems = problems_of(tmp_path, _raw_rule(deep))
    assert [(p.line, p.col, p.message) for p in problems if p.severity == "error"] == [
        (11, 67, "operator not must be true or false"),
        (11, 83, "rightValues must be a list"),
        (12, 46, "unknown filter_rule condition type 'Value'"),
        (12, 55, "a nested group has an unknown key 'expr'"),
    ]


def test_a_rule_nested_past_the_limit_is_one_error(tmp_path: Path) -> None:
    nested = "{type: And, conditions: []}"
    for _ in range(25):
        nested = f"{{type: And, conditions: [{nested}]}}"
    problems = [
        p
        for p in problems_of(tmp_path, _raw_rule(f"        - {nested}\n"))
        if p.severity == "error"
    ]
    assert [p.message for p in problems] == ["filter_rule nests deeper than 20 groups"]
