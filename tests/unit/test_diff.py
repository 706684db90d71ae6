"""diff_states: which objects change, how, and why, on plain data.

``emulated_live`` (tests/builders.py) builds the live state the emulator would hand back after
creating a desired state (its own normalisation, server defaults, ids, reordered lists), read
through ``live.build_live_state``, so "no changes" is proven against the server's shapes.
"""

from __future__ import annotations

from typing import Any

import pytest

from rtcfg.engine.diff import FieldChange, diff_states, field_changes
from rtcfg.model.state import State
from tests.builders import ATTRIBUTES, EVENTS, desired, emulated_live


def changes_by_address(want: State, have: State) -> dict[str, Any]:
    return {c.address: c for c in diff_states(want, have)}


def test_no_changes_against_what_the_emulator_stores() -> None:
    want = desired()
    assert diff_states(want, emulated_live(want)) == []


def test_no_changes_when_server_defaults_are_spelled_out_or_left_out() -> None:
    want = desired()
    have = emulated_live(want)
    have.attributes["last_pv"].body.pop("backfill")
    have.attributes["pv_24h"].body["subDurations"] = []
    have.attributes["seen"].body["description"] = None
    have.key_events["page_view"].body["description"] = None
    assert diff_states(want, have) == []


def test_everything_is_created_against_an_empty_segment() -> None:
    want = desired()
    changes = diff_states(want, State("1"))
    assert [(c.address, c.action) for c in changes] == [
        ("setting", "update"),
        ("key_event.page_view", "create"),
        ("key_event.purchase", "create"),
        ("attribute.last_pv", "create"),
        ("attribute.pv_24h", "create"),
        ("attribute.seen", "create"),
    ]
    last_pv = changes[3]
    assert last_pv.reference == "page_view" and last_pv.before is None
    assert last_pv.after == want.attributes["last_pv"].body
    assert FieldChange("realtimeKeyEventId", None, "page_view") in last_pv.fields
    assert FieldChange("valueColumn", None, "p") in last_pv.fields


def test_objects_not_in_the_configuration_are_deleted_with_a_reason() -> None:
    have = emulated_live(desired())
    changes = diff_states(desired(events=EVENTS[:1], attributes=ATTRIBUTES[1:]), have)
    deletes = [(c.address, c.reasons, c.destructive) for c in changes if c.action == "delete"]
    assert deletes == [
        ("key_event.purchase", ["not in the configuration"], True),
        ("attribute.last_pv", ["not in the configuration"], True),
    ]
    last_pv = next(c for c in changes if c.address == "attribute.last_pv")
    assert last_pv.after is None and last_pv.reference == "page_view"
    assert FieldChange("valueColumn", "p", None) in last_pv.fields


def test_setting_changes_have_identity_addressed_field_paths() -> None:
    have = emulated_live(desired())
    keys = {"stitching_keys": [{"name": "td_client_id"}, {"name": "email"}]}
    tables = [{"database": "events_db", "table": "clicks"}]
    (change,) = diff_states(desired(id_stitching=keys, event_tables=tables), have)
    assert (change.address, change.action, change.destructive) == ("setting", "update", False)
    assert change.fields == [
        FieldChange("eventTables[events_db.clicks]", None, tables[0]),
        FieldChange("keyColumns[email].validRegexp", "^(?!.*(?:^test_)).*$", None),
    ]
    assert change.before == have.setting and change.after is not None


def test_key_event_changes_are_updates_never_replacements() -> None:
    have = emulated_live(desired())
    events = [{**EVENTS[0], "table": "views2", "filter": {"field": "f", "pattern": "x"}}]
    changes = changes_by_address(desired(events=[*events, EVENTS[1]]), have)
    change = changes["key_event.page_view"]
    assert change.action == "update" and not change.destructive
    assert FieldChange("tableName", "pageviews", "views2") in change.fields
    assert FieldChange(
        "filterRule.conditions[0]", None, change.after["filterRule"]["conditions"][0]
    ) in (change.fields)


def test_rename_is_an_update_that_keeps_attributes_in_place() -> None:
    have = emulated_live(desired())
    events = [{**EVENTS[0], "name": "page_viewed", "renamed_from": "page_view"}, EVENTS[1]]
    attributes = [
        {**a, "source_event": "page_viewed"} if "source_event" in a else a for a in ATTRIBUTES
    ]
    changes = diff_states(desired(events=events, attributes=attributes), have)
    assert [(c.address, c.action) for c in changes] == [("key_event.page_viewed", "update")]
    (rename,) = changes
    assert rename.reasons == ["renamed from page_view"]
    assert rename.fields == [FieldChange("name", "page_view", "page_viewed")]


def test_rename_is_ignored_when_the_new_name_already_exists_live() -> None:
    have = emulated_live(desired())
    events = [{**EVENTS[1], "renamed_from": "page_view"}]
    changes = changes_by_address(desired(events=events, attributes=[]), have)
    assert changes["key_event.page_view"].action == "delete"
    assert "key_event.purchase" not in changes


def single(**fields: Any) -> dict[str, Any]:
    return {**ATTRIBUTES[0], **fields}


@pytest.mark.parametrize(
    ("fields", "reasons"),
    [
        ({"source_field": "q"}, ["source_field (valueColumn) cannot be patched"]),
        ({"data_type": "number"}, ["data_type (dataType) cannot be patched"]),
        ({"sensitivity": "sensitive"}, ["sensitivity (sensitive) cannot be patched"]),
        (
            {"filter_rule": {"type": "Or", "conditions": []}},
            ["filter_rule (filterRule) cannot be patched"],
        ),
        (
            {"source_event": "purchase"},
            [
                "source_event (realtimeKeyEventId) cannot be patched "
                "(key event page_view → purchase)"
            ],
        ),
        (
            {"source_field": "q", "source_event": "purchase"},
            [
                "source_field (valueColumn) cannot be patched",
                "source_event (realtimeKeyEventId) cannot be patched "
                "(key event page_view → purchase)",
            ],
        ),
        (
            {"type": "counter", "source_field": None, "window_duration": "1h"},
            ["type changed (single → counter)"],
        ),
    ],
)
def test_each_replace_reason(fields: dict[str, Any], reasons: list[str]) -> None:
    have = emulated_live(desired())
    attr = {k: v for k, v in single(**fields).items() if v is not None}
    change = changes_by_address(desired(attributes=[attr]), have)["attribute.last_pv"]
    assert (change.action, change.reasons, change.destructive) == ("replace", reasons, True)


@pytest.mark.parametrize(
    ("attr", "reasons"),
    [
        ({**ATTRIBUTES[1], "aggregation": "last"}, []),
        ({**ATTRIBUTES[1], "source_field": "q"}, ["source_field (idColumn) cannot be patched"]),
        (
            {**ATTRIBUTES[2], "counter_type": "total"},
            ["counter_type (counterType) cannot be patched"],
        ),
        (
            {**ATTRIBUTES[2], "aggregation": "sum", "source_field": "v"},
            ["aggregation/source_field (increment) cannot be patched"],
        ),
    ],
)
def test_list_and_counter_fields(attr: dict[str, Any], reasons: list[str]) -> None:
    have = emulated_live(desired())
    identifier = attr["name"]
    change = changes_by_address(desired(attributes=[attr]), have)[f"attribute.{identifier}"]
    assert change.reasons == reasons
    assert change.action == ("replace" if reasons else "update")


def test_backfill_cannot_be_patched() -> None:
    want = desired()
    have = emulated_live(want)
    want.attributes["last_pv"].body["backfill"] = {
        "attributeIdentifier": "a",
        "timestampIdentifier": "t",
    }
    change = changes_by_address(want, have)["attribute.last_pv"]
    assert change.reasons == ["backfill cannot be patched"]


def test_patchable_fields_are_updates_with_field_level_changes() -> None:
    have = emulated_live(desired())
    attrs = [
        {**ATTRIBUTES[0], "name": "Last PV", "identifier": "last_pv", "description": "d"},
        {**ATTRIBUTES[1], "max_items": 10, "expiry_days": 30},
        {**ATTRIBUTES[2], "window_duration": "2d"},
    ]
    changes = changes_by_address(desired(attributes=attrs), have)
    assert {c.action for c in changes.values()} == {"update"}
    assert changes["attribute.last_pv"].fields == [
        FieldChange("description", None, "d"),
        FieldChange("name", "last_pv", "Last PV"),
    ]
    assert changes["attribute.seen"].fields == [
        FieldChange("duration.value", 60, 30),
        FieldChange("maxItems", 100, 10),
    ]
    assert changes["attribute.pv_24h"].fields == [
        FieldChange("duration.unit", "hour", "day"),
        FieldChange("duration.value", 24, 2),
    ]


def test_list_actions_compare_key_events_through_a_rename() -> None:
    want = desired()
    want.attributes["seen"].body["actions"] = [
        {
            "action": "clear",
            "realtimeKeyEventId": "purchase",
            "filterRule": {"type": "And", "conditions": []},
        }
    ]
    have = emulated_live(want)
    want.key_events["bought"] = want.key_events.pop("purchase")
    want.key_events["bought"].body["name"] = want.key_events["bought"].name = "bought"
    want.renames = {"key_event": {"bought": "purchase"}}
    want.attributes["seen"].body["actions"][0]["realtimeKeyEventId"] = "bought"
    assert [c.address for c in diff_states(want, have)] == ["key_event.bought"]
    want.attributes["seen"].body["actions"][0]["realtimeKeyEventId"] = "page_view"
    change = changes_by_address(want, have)["attribute.seen"]
    assert change.action == "update"
    assert change.fields == [FieldChange("actions[0].realtimeKeyEventId", "bought", "page_view")]


def test_an_attribute_reading_a_dangling_key_event_is_replaced() -> None:
    want = desired()
    have = emulated_live(want)
    have.attributes["last_pv"].key_event = "#999"
    change = changes_by_address(want, have)["attribute.last_pv"]
    assert change.reasons == [
        "source_event (realtimeKeyEventId) cannot be patched (key event #999 → page_view)"
    ]


def test_field_changes_of_lists_without_identity_are_positional() -> None:
    assert field_changes({"a": [1, 2]}, {"a": [1]}) == [FieldChange("a[1]", 2, None)]
    assert field_changes({"keyColumns": [{"name": "x"}, {"name": "x"}]}, {"keyColumns": []}) == [
        FieldChange("keyColumns[0]", {"name": "x"}, None),
        FieldChange("keyColumns[1]", {"name": "x"}, None),
    ]
    assert field_changes(1, 1) == []


def test_changes_do_not_share_bodies_with_the_states() -> None:
    want = desired()
    (change, *_) = [c for c in diff_states(want, State("1")) if c.address == "key_event.page_view"]
    want.key_events["page_view"].body["tableName"] = "other"
    assert change.after is not None and change.after["tableName"] == "pageviews"
