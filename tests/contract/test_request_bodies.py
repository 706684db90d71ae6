"""The request-body check itself: what it lets through and what it catches.

tests/functional/conftest.py runs it on every body rtcfg sends in the functional tests."""

from __future__ import annotations

from typing import Any

from tests.contract.body_check import body_problems, operation

RULE: dict[str, Any] = {"type": "And", "conditions": [{"type": "Column", "column": "x"}]}


def test_operations_are_found_by_method_and_path() -> None:
    assert operation("PATCH", "/audiences/1/realtime_setting") == "setting_patch"
    assert operation("POST", "/audiences/1/realtime_attributes") == "attribute_create"
    assert operation("PATCH", "/audiences/1/realtime_key_events/5") == "key_event_patch"
    assert operation("DELETE", "/audiences/1/realtime_attributes/5") is None


def test_the_seed_guides_list_attribute_carries_undocumented_fields() -> None:
    body = {
        "name": "Browsed",
        "identifier": "browsed",
        "type": "list",
        "realtimeKeyEventId": "810",
        "valueColumn": "product_id",
        "dataType": "string",
        "idColumn": "product_id",
        "maxItems": 100,
        "aggregations": [{"name": "i", "identifier": "i", "column": "p", "aggregationType": "x"}],
    }
    problems = body_problems("attribute_create", body)
    assert "valueColumn: not documented" in problems and "dataType: not documented" in problems
    assert any("aggregations/0/aggregationType" in p for p in problems)


def test_snake_case_setting_fails_the_schema() -> None:
    problems = body_problems("setting_patch", {"event_tables": []})
    assert "(body): 'keyColumns' is a required property" in problems
    assert "event_tables: not documented" in problems


def test_the_named_exceptions_pass() -> None:
    event = {"name": "a", "databaseName": "d", "tableName": "t", "filterRule": RULE}
    assert body_problems("key_event_create", {**event, "description": "guide sends it"}) == []
    patch = {"subDurations": [{"value": 1, "unit": "hour", "name": "h", "identifier": "h"}]}
    assert body_problems("attribute_patch", patch) == []
    assert body_problems(
        "attribute_patch", {"subDurations": [{"value": 1, "unit": "hour", "x": 1}]}
    )
