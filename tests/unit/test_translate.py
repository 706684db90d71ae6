"""Every row of the YAML → API mapping table (spec/config-format.md) pinned by a test."""

from __future__ import annotations

from typing import Any

import pytest

from rtcfg.config.models import Config
from rtcfg.model.translate import desired_state

EMPTY_AND = {"type": "And", "conditions": []}


def state(**sections: Any) -> Any:
    return desired_state(Config.model_validate({"parent_segment_id": "1", **sections}))


EVENT = {"name": "page_view", "database": "events_db", "table": "pageviews"}


def attr(**fields: Any) -> dict[str, Any]:
    body = state(events=[EVENT], attributes=[{"source_event": "page_view", **fields}])
    (only,) = body.attributes.values()
    assert only.key_event == "page_view"
    return dict(only.body)


def test_event_tables_are_deduplicated_and_include_event_tables_section() -> None:
    s = state(
        events=[EVENT, {**EVENT, "name": "other"}],
        event_tables=[{"database": "events_db", "table": "clicks"}],
    )
    assert s.setting["eventTables"] == [
        {"database": "events_db", "table": "pageviews"},
        {"database": "events_db", "table": "clicks"},
    ]


def test_key_event_body_names_database_table_and_description() -> None:
    s = state(events=[{**EVENT, "description": "Views"}])
    assert s.key_events["page_view"].body == {
        "name": "page_view",
        "databaseName": "events_db",
        "tableName": "pageviews",
        "filterRule": EMPTY_AND,
        "description": "Views",
    }


def test_no_filter_is_the_empty_and_rule_never_null() -> None:
    assert state(events=[EVENT]).key_events["page_view"].body["filterRule"] == EMPTY_AND


def test_filter_sugar_becomes_a_column_regexp_condition() -> None:
    s = state(events=[{**EVENT, "filter": {"field": "td_path", "pattern": "^/p/"}}])
    assert s.key_events["page_view"].body["filterRule"] == {
        "type": "And",
        "conditions": [
            {
                "type": "Column",
                "column": "td_path",
                "operator": {"type": "Regexp", "not": False, "rightValue": "^/p/"},
            }
        ],
    }


def test_raw_filter_rule_passes_through() -> None:
    rule = {
        "type": "Or",
        "conditions": [
            {
                "type": "Column",
                "column": "x",
                "operator": {"type": "Equal", "not": True, "rightValue": 3},
            }
        ],
    }
    s = state(events=[{**EVENT, "filter_rule": rule}])
    assert s.key_events["page_view"].body["filterRule"] == rule


def test_identifier_defaults_to_name_and_sensitivity_maps_to_boolean() -> None:
    body = attr(
        name="last_pv",
        type="single",
        source_field="product_id",
        sensitivity="sensitive",
        description="d",
    )
    assert (body["name"], body["identifier"], body["sensitive"], body["description"]) == (
        "last_pv",
        "last_pv",
        True,
        "d",
    )
    assert attr(name="x", identifier="y", type="single", source_field="p")["identifier"] == "y"
    # sensitive is in no REST attribute schema: a file that does not ask for it sends none
    assert "sensitive" not in attr(name="x", type="single", source_field="p")
    assert "sensitive" not in attr(
        name="x", type="single", source_field="p", sensitivity="non-sensitive"
    )


def test_only_single_attributes_carry_sensitive() -> None:
    assert "sensitive" not in attr(name="l", type="list", source_field="p")
    assert "sensitive" not in attr(name="c", type="counter", window_duration="1h")


def test_single_maps_value_column_data_type_and_default_duration() -> None:
    body = attr(name="last_pv", type="single", source_field="product_id")
    assert body == {
        "name": "last_pv",
        "identifier": "last_pv",
        "type": "single",
        "filterRule": EMPTY_AND,
        "valueColumn": "product_id",
        "dataType": "string",
        "duration": {"value": 1, "unit": "day"},
    }
    body = attr(name="n", type="single", source_field="price", data_type="number", duration="12h")
    assert (body["dataType"], body["duration"]) == ("number", {"value": 12, "unit": "hour"})


def test_list_maps_fields_id_column_aggregations_and_duration() -> None:
    body = attr(
        name="seen",
        type="list",
        source_field="product_id",
        aggregation="last",
        max_items=20,
        expiry_days=30,
    )
    assert body == {
        "name": "seen",
        "identifier": "seen",
        "type": "list",
        "filterRule": EMPTY_AND,
        "fields": ["product_id"],
        "idColumn": "product_id",
        "aggregations": [
            {
                "name": "items",
                "identifier": "items",
                "column": "product_id",
                "aggregationType": "last",
            }
        ],
        "maxItems": 20,
        "duration": {"value": 30, "unit": "day"},
        "actions": [],
    }


def test_list_defaults_are_distinct_list_100_items_60_days() -> None:
    body = attr(name="seen", type="list", source_field="product_id")
    assert body["aggregations"][0]["aggregationType"] == "distinct_list"
    assert (body["maxItems"], body["duration"]) == (100, {"value": 60, "unit": "day"})


def test_counter_count_is_a_const_increment_and_sliding_by_default() -> None:
    body = attr(name="pv", type="counter", aggregation="count", window_duration="24h")
    assert body == {
        "name": "pv",
        "identifier": "pv",
        "type": "counter",
        "filterRule": EMPTY_AND,
        "counterType": "sliding",
        "increment": {"type": "const", "value": 1},
        "duration": {"value": 24, "unit": "hour"},
    }


def test_counter_sum_is_a_field_increment_and_counter_type_is_kept() -> None:
    body = attr(
        name="v",
        type="counter",
        aggregation="sum",
        source_field="price",
        window_duration="7d",
        counter_type="total",
    )
    assert body["increment"] == {"type": "field", "value": "price"}
    assert (body["counterType"], body["duration"]) == ("total", {"value": 7, "unit": "day"})


def test_counter_sub_durations_map_to_sub_durations() -> None:
    body = attr(
        name="v",
        type="counter",
        window_duration="1h",
        sub_durations=[{"name": "15m", "identifier": "m15", "duration": "15m"}],
    )
    assert body["subDurations"] == [
        {"value": 15, "unit": "minute", "name": "15m", "identifier": "m15"}
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", {"value": 30, "unit": "minute"}),
        ("24h", {"value": 24, "unit": "hour"}),
        ("7d", {"value": 7, "unit": "day"}),
        ("90 days", {"value": 90, "unit": "day"}),
    ],
)
def test_durations_map_to_value_and_unit(text: str, expected: dict[str, Any]) -> None:
    assert attr(name="c", type="counter", window_duration=text)["duration"] == expected


def test_imported_batch_becomes_batch_attributes_not_a_post() -> None:
    s = state(
        attributes=[
            {"name": "loyalty_tier", "type": "imported_batch", "source": "parent_segment"},
            {"name": "Total", "type": "imported", "column": "total_value"},
        ]
    )
    assert s.attributes == {}
    assert s.setting["batchAttributes"] == [
        {"column": "loyalty_tier", "name": "loyalty_tier"},
        {"column": "total_value", "name": "Total"},
    ]


def test_stitching_keys_map_to_key_columns_with_defaults() -> None:
    s = state(
        id_stitching={
            "primary_key": "td_client_id",
            "stitching_keys": [
                {"name": "td_client_id"},
                {"name": "email", "exclude_regex": "^test_", "invalid_texts": ["", "null"]},
                {"name": "user_id", "workflow_only": True},
                {"name": "raw", "valid_regexp": "^[0-9]+$", "internal": False},
            ],
        }
    )
    assert s.setting["keyColumns"] == [
        {"name": "td_client_id", "validRegexp": None, "invalidTexts": [], "internal": False},
        {
            "name": "email",
            "validRegexp": "^(?!.*(?:^test_)).*$",
            "invalidTexts": ["", "null"],
            "internal": False,
        },
        {"name": "user_id", "validRegexp": None, "invalidTexts": [], "internal": True},
        {"name": "raw", "validRegexp": "^[0-9]+$", "invalidTexts": [], "internal": False},
    ]


def test_exclude_regex_allow_pattern_rejects_exactly_the_excluded_values() -> None:
    import re

    s = state(id_stitching={"stitching_keys": [{"name": "k", "exclude_regex": "^test_.*"}]})
    allow = re.compile(s.setting["keyColumns"][0]["validRegexp"])
    assert allow.match("abc") and allow.match("a_test_b")
    assert not allow.match("test_1")


def test_primary_key_is_never_sent_and_ext_lookup_key_is() -> None:
    s = state(
        id_stitching={
            "primary_key": "k",
            "stitching_keys": [{"name": "k"}],
            "ext_lookup_key": "customer_id",
        }
    )
    assert set(s.setting) == {"keyColumns", "eventTables", "batchAttributes", "extLookupKey"}
    assert s.setting["extLookupKey"] == "customer_id"
    assert state().setting["extLookupKey"] is None


def test_renamed_from_is_recorded_as_a_rename() -> None:
    s = state(events=[{**EVENT, "renamed_from": "pv"}])
    assert s.renames == {"key_event": {"page_view": "pv"}}


def test_parent_segment_id_may_be_an_integer() -> None:
    assert state().parent_segment_id == "1"
    assert desired_state(Config.model_validate({"parent_segment_id": 42})).parent_segment_id == (
        "42"
    )
