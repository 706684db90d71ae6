"""The JSON Schema accepts what `rtcfg validate` accepts, and refuses the structural failures.

Every example and fixture is held to both. ``validate`` accepts ⇒ the schema accepts (an editor
must never flag a file rtcfg takes). A bad fixture that the schema accepts must be one of
``SEMANTIC``: failures a JSON Schema cannot see (references between entries, duplicates,
regular expressions that do not compile, limits over the whole file, ``${VAR}`` values); every
other bad fixture is structural and the schema refuses it. A new fixture therefore either
is refused by the schema too or is added below with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from rtcfg.checks.validate import validate_file
from rtcfg.commands.schema import config_json_schema
from rtcfg.config.yamlio import YamlLoadError, load_config_text

ROOT = Path(__file__).parents[2]
FILES = sorted(
    [
        *(ROOT / "examples").rglob("*.yaml"),
        *(ROOT / "tests" / "fixtures" / "seed").glob("*.yaml"),
        *(ROOT / "tests" / "fixtures" / "bad").glob("*.yaml"),
    ]
)
FILES = [f for f in FILES if ".gitlab-ci" not in f.name and ".github" not in f.parts]
SEMANTIC = {
    # a regular expression that does not compile
    "bad_exclude_regex.yaml",
    "bad_filter_regex.yaml",
    "bad_valid_regexp.yaml",
    # one key's value decides whether another is needed (aggregation: sum / count)
    "counter_count_with_source_field.yaml",
    "counter_sum_without_source_field.yaml",
    # references between entries
    "dangling_source_event.yaml",
    "list_action_unknown_event.yaml",
    "primary_key_not_stitching_key.yaml",
    "renamed_from_existing_event.yaml",
    # duplicates
    "duplicate_attribute_name.yaml",
    "duplicate_event_name.yaml",
    "duplicate_identifier.yaml",
    "duplicate_imported_batch_column.yaml",
    "duplicate_stitching_key.yaml",
    # the inside of a raw API filterRule is passed through as is
    "filter_rule_not_a_rule.yaml",
    "filter_rule_column_without_operator.yaml",
    "filter_rule_condition_type_typo.yaml",
    "filter_rule_condition_unknown_key.yaml",
    "filter_rule_nested_condition_not_object.yaml",
    "filter_rule_operator_type_unknown.yaml",
    "filter_rule_operator_unknown_key.yaml",
    "filter_rule_operator_without_not.yaml",
    # a NUL inside a free value (filter values, invalid_texts): the schema leaves their
    # characters free, rtcfg.checks.text refuses only NUL
    "filter_rule_value_nul.yaml",
    "invalid_texts_nul.yaml",
    # limits over the whole file, or over a value's meaning
    "filters_over_1000_chars.yaml",
    "too_many_event_tables.yaml",
    "too_many_stitching_keys.yaml",
    "list_expiry_over_60_days.yaml",
    "list_expiry_over_60_days_in_hours.yaml",
    "name_not_identifier_no_identifier.yaml",
    # ${VAR}: only known once interpolated
    "interpolates_the_api_key.yaml",
    "unset_variable.yaml",
    "unset_variable_parent_segment_id.yaml",
}
VALIDATOR = jsonschema.Draft202012Validator(config_json_schema())


def _data(path: Path) -> Any:
    try:
        return load_config_text(path.read_text(encoding="utf-8"), str(path)).data
    except (YamlLoadError, UnicodeDecodeError, ValueError):
        return None  # not YAML at all: neither a schema nor the models get to see it


def _validate_ok(path: Path) -> bool:
    _, _, problems = validate_file(path, {})
    return not any(p.severity == "error" for p in problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_validate_and_the_schema_agree(path: Path) -> None:
    data = _data(path)
    if data is None or not isinstance(data, dict):
        assert not _validate_ok(path)
        return
    schema_ok = VALIDATOR.is_valid(data)
    if _validate_ok(path):
        errors = [e.message for e in VALIDATOR.iter_errors(data)]
        assert schema_ok, f"the schema refuses what validate accepts: {errors}"
    elif path.name in SEMANTIC:
        assert schema_ok, f"{path.name} is refused by the schema now: take it out of SEMANTIC"
    else:
        assert not schema_ok, f"{path.name}: a structural failure that the schema accepts"


def test_an_unquoted_integer_parent_segment_id_is_taken_by_both(tmp_path: Path) -> None:
    config = tmp_path / "rt.yaml"
    config.write_text("parent_segment_id: 1069944\n")
    assert _validate_ok(config)
    assert VALIDATOR.is_valid(_data(config))
    assert not VALIDATOR.is_valid({"parent_segment_id": "RT_Demo"})
    assert VALIDATOR.is_valid({"parent_segment_id": "${RTCFG_PS_ID:-1}"})
