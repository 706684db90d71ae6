"""build_segment_plan and friends: steps, order, refs, safety, targeting, fingerprint, JSON."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtcfg.config.models import Config
from rtcfg.engine.plan import (
    Plan,
    drifted_addresses,
    live_fingerprint,
)
from rtcfg.engine.planfile import plan_from_json, plan_to_json
from rtcfg.errors import PlanError
from rtcfg.model.state import State
from rtcfg.model.translate import desired_state
from tests.builders import (
    ATTRIBUTES,
    EVENTS,
    busy_plan,
    clear_on,
    desired,
    emulated_live,
    outline,
    plan,
    step,
)

EMPTY_AND = {"type": "And", "conditions": []}
PS = "/audiences/1"


def test_no_changes_no_steps() -> None:
    want = desired()
    segment = plan(want, emulated_live(want))
    assert segment.empty and segment.steps == [] and segment.destructive == []
    assert segment.summary == {"create": 0, "update": 0, "replace": 0, "delete": 0}


def test_an_empty_segment_gets_setting_then_key_events_then_attributes() -> None:
    segment = plan(desired(), State("1"))
    assert outline(segment) == [
        (1, 3, "PATCH", "setting", []),
        (2, 4, "POST", "key_event.page_view", [1]),
        (3, 4, "POST", "key_event.purchase", [1]),
        (4, 5, "POST", "attribute.last_pv", [1, 2]),
        (5, 5, "POST", "attribute.pv_24h", [1, 2]),
        (6, 5, "POST", "attribute.seen", [1, 2]),
    ]
    assert segment.summary == {"create": 5, "update": 1, "replace": 0, "delete": 0}


def test_the_setting_patch_is_the_complete_object() -> None:
    segment = plan(desired(), State("1"))
    setting = step(segment, "setting")
    assert setting.path == f"{PS}/realtime_setting"
    assert setting.body == desired().setting
    assert set(setting.body or {}) == {
        "keyColumns",
        "eventTables",
        "batchAttributes",
        "extLookupKey",
    }


def test_new_key_events_are_refs_with_a_lookup() -> None:
    segment = plan(desired(), State("1"))
    key_event = step(segment, "key_event.page_view")
    assert (key_event.path, key_event.body) == (
        f"{PS}/realtime_key_events",
        desired().key_events["page_view"].body,
    )
    assert key_event.lookup == {
        "collection": "realtime_key_events",
        "field": "name",
        "value": "page_view",
    }
    attribute = step(segment, "attribute.last_pv")
    assert attribute.refs == {"realtimeKeyEventId": "key_event.page_view"}
    assert attribute.body is not None and attribute.body["realtimeKeyEventId"] is None
    assert attribute.lookup == {
        "collection": "realtime_attributes",
        "field": "identifier",
        "value": "last_pv",
    }


def test_an_attribute_on_a_live_key_event_gets_its_id() -> None:
    have = emulated_live(desired(attributes=ATTRIBUTES[3:]))
    segment = plan(desired(), have)
    attribute = step(segment, "attribute.last_pv")
    assert attribute.refs == {}
    assert attribute.body is not None and attribute.body["realtimeKeyEventId"] == "100"
    assert attribute.depends_on == []


def test_deletes_come_first_and_key_events_wait_for_their_readers() -> None:
    have = emulated_live(desired())
    attrs = [{**ATTRIBUTES[0], "source_field": "q"}, ATTRIBUTES[3]]
    segment = plan(desired(events=EVENTS[:1], attributes=attrs, event_tables=[]), have)
    assert outline(segment) == [
        (1, 1, "DELETE", "attribute.last_pv", []),
        (2, 1, "DELETE", "attribute.pv_24h", []),
        (3, 1, "DELETE", "attribute.seen", []),
        (4, 2, "DELETE", "key_event.purchase", []),
        (5, 3, "PATCH", "setting", [1, 2, 3, 4]),
        (6, 5, "POST", "attribute.last_pv", [1, 5]),
    ]
    assert step(segment, "attribute.last_pv", "DELETE").path == f"{PS}/realtime_attributes/150"
    assert step(segment, "key_event.purchase").path == f"{PS}/realtime_key_events/101"
    assert [c.address for c in segment.destructive] == [
        "key_event.purchase",
        "attribute.last_pv",
        "attribute.pv_24h",
        "attribute.seen",
    ]


def test_a_key_event_delete_waits_for_the_attributes_that_read_it() -> None:
    before = desired(attributes=[{**ATTRIBUTES[0], "source_event": "purchase"}])
    have = emulated_live(before)
    segment = plan(desired(events=EVENTS[:1], attributes=[]), have)
    assert outline(segment)[:2] == [
        (1, 1, "DELETE", "attribute.last_pv", []),
        (2, 2, "DELETE", "key_event.purchase", [1]),
    ]


def test_without_a_setting_change_creates_wait_for_the_deletes_directly() -> None:
    have = emulated_live(desired())
    attrs = [{**ATTRIBUTES[0], "data_type": "number"}, *ATTRIBUTES[1:]]
    segment = plan(desired(attributes=attrs), have)
    assert outline(segment) == [
        (1, 1, "DELETE", "attribute.last_pv", []),
        (2, 5, "POST", "attribute.last_pv", [1]),
    ]


def test_replace_onto_a_new_key_event_refs_it() -> None:
    have = emulated_live(desired())
    events = [*EVENTS, {"name": "cart", "database": "events_db", "table": "orders"}]
    attrs = [{**ATTRIBUTES[0], "source_event": "cart"}, *ATTRIBUTES[1:]]
    segment = plan(desired(events=events, attributes=attrs), have)
    assert outline(segment) == [
        (1, 1, "DELETE", "attribute.last_pv", []),
        (2, 4, "POST", "key_event.cart", [1]),
        (3, 5, "POST", "attribute.last_pv", [1, 2]),
    ]
    assert step(segment, "attribute.last_pv", "POST").refs == {
        "realtimeKeyEventId": "key_event.cart"
    }


def test_rename_patches_the_live_key_event_and_keeps_attributes() -> None:
    have = emulated_live(desired())
    events = [{**EVENTS[0], "name": "viewed", "renamed_from": "page_view"}, EVENTS[1]]
    attrs = [{**a, "source_event": "viewed"} if "source_event" in a else a for a in ATTRIBUTES]
    attrs.append({"name": "first", "type": "single", "source_event": "viewed", "source_field": "p"})
    segment = plan(desired(events=events, attributes=attrs), have)
    assert outline(segment) == [
        (1, 4, "PATCH", "key_event.viewed", []),
        (2, 5, "POST", "attribute.first", [1]),
    ]
    rename = step(segment, "key_event.viewed")
    assert rename.path == f"{PS}/realtime_key_events/100"
    assert rename.body == {**desired(events=events).key_events["viewed"].body}
    created = step(segment, "attribute.first")
    assert created.body is not None and created.body["realtimeKeyEventId"] == "100"


def test_an_update_sends_only_the_patchable_fields_that_changed() -> None:
    before = desired(attributes=[{**ATTRIBUTES[0], "description": "old"}, ATTRIBUTES[1]])
    have = emulated_live(before)
    attrs = [
        {**ATTRIBUTES[0], "name": "Last PV", "identifier": "last_pv"},
        {**ATTRIBUTES[1], "max_items": 7},
    ]
    segment = plan(desired(attributes=attrs), have)
    assert step(segment, "attribute.last_pv").body == {"description": None, "name": "Last PV"}
    assert step(segment, "attribute.last_pv").path == f"{PS}/realtime_attributes/150"
    assert step(segment, "attribute.seen").body == {"maxItems": 7}


def test_dropped_sub_durations_are_sent_as_an_empty_list() -> None:
    sub = {"name": "15m", "identifier": "m15", "duration": "15m"}
    have = emulated_live(desired(attributes=[{**ATTRIBUTES[2], "sub_durations": [sub]}]))
    segment = plan(desired(attributes=[ATTRIBUTES[2]]), have)
    assert step(segment, "attribute.pv_24h").body == {"subDurations": []}


def test_list_actions_on_new_key_events_are_refs() -> None:
    events = [*EVENTS, {"name": "cart", "database": "events_db", "table": "orders"}]
    want = desired(events=events)
    want.attributes["seen"].body["actions"] = [clear_on("purchase"), clear_on("cart")]
    have = emulated_live(desired())
    segment = plan(want, have)
    patch = step(segment, "attribute.seen")
    assert patch.method == "PATCH"
    assert patch.body == {
        "actions": [clear_on("101"), {**clear_on("cart"), "realtimeKeyEventId": None}]
    }
    assert patch.refs == {"actions[1].realtimeKeyEventId": "key_event.cart"}
    assert patch.depends_on == [step(segment, "key_event.cart").id]


def test_a_key_event_named_only_by_actions_is_deleted_after_the_list_is_patched() -> None:
    before = desired()
    before.attributes["seen"].body["actions"] = [clear_on("purchase")]
    have = emulated_live(before)
    segment = plan(desired(events=EVENTS[:1], event_tables=[]), have)
    # the key event still reads its table until stage 6, so the table goes in a second PATCH
    assert outline(segment) == [
        (1, 3, "PATCH", "setting", []),
        (2, 5, "PATCH", "attribute.seen", [1]),
        (3, 6, "DELETE", "key_event.purchase", [2]),
        (4, 7, "PATCH", "setting", [1, 3]),
    ]
    assert step(segment, "attribute.seen").body == {"actions": []}
    first, final = (s.body for s in segment.steps if s.address == "setting")
    assert first is not None and final is not None
    assert {"database": "events_db", "table": "orders"} in first["eventTables"]
    assert {"database": "events_db", "table": "orders"} not in final["eventTables"]


def test_a_new_attribute_waits_for_the_delete_that_frees_its_name() -> None:
    have = emulated_live(desired())
    attrs = [{**ATTRIBUTES[0], "identifier": "last_pv2"}, *ATTRIBUTES[1:]]
    segment = plan(desired(attributes=attrs), have)
    assert outline(segment) == [
        (1, 1, "DELETE", "attribute.last_pv", []),
        (2, 5, "POST", "attribute.last_pv2", [1]),
    ]


def test_unsetting_ext_lookup_key_is_refused_with_how_to_fix() -> None:
    have = emulated_live(desired(id_stitching={"stitching_keys": [], "ext_lookup_key": "cid"}))
    want = desired(id_stitching={"stitching_keys": []})
    with pytest.raises(PlanError, match=r"ext_lookup_key cannot be unset.*ext_lookup_key: cid"):
        plan(want, have)
    assert plan(want, have, excludes=["setting"]).empty


def test_deleting_a_key_event_its_excluded_reader_keeps_is_refused() -> None:
    before = desired(attributes=[{**ATTRIBUTES[0], "source_event": "purchase"}])
    have = emulated_live(before)
    want = desired(events=EVENTS[:1], attributes=[])
    with pytest.raises(PlanError, match=r"key_event\.purchase.*attribute\.last_pv"):
        plan(want, have, excludes=["attribute.last_pv"])
    with pytest.raises(PlanError, match=r"key_event\.purchase.*attribute\.last_pv"):
        plan(want, have, targets=["key_event.purchase"], excludes=["attribute.*"])


def test_excluding_a_key_event_create_excludes_what_needs_it() -> None:
    segment = plan(desired(), State("1"), excludes=["key_event.page_view"])
    assert [c.address for c in segment.changes] == ["setting", "key_event.purchase"]


def test_excluding_the_setting_excludes_every_create() -> None:
    segment = plan(desired(), State("1"), excludes=["setting"])
    assert segment.empty


def test_a_target_brings_its_key_event_and_the_setting() -> None:
    segment = plan(desired(), State("1"), targets=["attribute.seen"])
    assert [c.address for c in segment.changes] == [
        "setting",
        "key_event.page_view",
        "attribute.seen",
    ]
    assert [s.id for s in segment.steps] == [1, 2, 3]
    assert step(segment, "attribute.seen").depends_on == [1, 2]


def test_a_targeted_key_event_delete_brings_the_deletes_of_its_readers() -> None:
    before = desired(attributes=[{**ATTRIBUTES[0], "source_event": "purchase"}, ATTRIBUTES[1]])
    have = emulated_live(before)
    segment = plan(desired(events=EVENTS[:1], attributes=[]), have, targets=["key_event.*"])
    assert [c.address for c in segment.changes] == ["key_event.purchase", "attribute.last_pv"]


def test_globs_that_match_nothing_are_refused() -> None:
    with pytest.raises(PlanError, match=re.escape("--target 'attribute.nope' matches nothing")):
        plan(desired(), State("1"), targets=["attribute.nope"])
    with pytest.raises(PlanError, match=re.escape("--exclude 'key_events.*' matches nothing")):
        plan(desired(), State("1"), excludes=["key_events.*"])


# --- fingerprint and drift ----------------------------------------------------------------------


def test_fingerprint_ignores_order_and_server_defaults() -> None:
    have = emulated_live(desired())
    again = copy.deepcopy(have)
    again.setting["eventTables"].reverse()
    again.attributes["last_pv"].body.pop("backfill")
    assert live_fingerprint(again) == live_fingerprint(have)
    fingerprint, objects = live_fingerprint(have)
    assert len(fingerprint) == 64
    assert set(objects) == {
        "setting",
        "key_event.page_view",
        "key_event.purchase",
        "attribute.last_pv",
        "attribute.pv_24h",
        "attribute.seen",
    }


def test_drift_names_changed_added_and_removed_objects() -> None:
    have = emulated_live(desired())
    saved = plan(desired(), have)
    assert drifted_addresses(saved, have) == []
    now = copy.deepcopy(have)
    now.attributes["seen"].body["maxItems"] = 3
    del now.attributes["last_pv"]
    now.key_events["extra"] = copy.deepcopy(now.key_events["purchase"])
    now.key_events["extra"].name = "extra"
    now.setting["extLookupKey"] = "cid"
    assert drifted_addresses(saved, now) == [
        "setting",
        "key_event.extra",
        "attribute.last_pv",
        "attribute.seen",
    ]


def test_a_recreated_object_with_a_new_id_is_drift() -> None:
    have = emulated_live(desired())
    saved = plan(desired(), have)
    have.key_events["purchase"].id = "999"
    assert drifted_addresses(saved, have) == ["key_event.purchase"]


# --- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip_is_exact() -> None:
    original = busy_plan()
    text = json.dumps(plan_to_json(original))
    assert plan_from_json(json.loads(text), "p.json") == original


def test_json_has_the_documented_shape() -> None:
    doc = plan_to_json(busy_plan())
    assert doc["format_version"] == "1" and doc["rtcfg_version"] == "0.1.0"
    (segment,) = doc["segments"]
    assert {
        "parent_segment_id",
        "config_file",
        "config_sha256",
        "live_fingerprint",
        "summary",
    } <= set(segment)
    assert segment["summary"] == {"create": 1, "update": 2, "replace": 1, "delete": 2}
    change = segment["changes"][0]
    assert {"address", "action", "destructive", "reasons", "before", "after", "fields"} <= set(
        change
    )
    assert set(change["fields"][0]) == {"path", "before", "after"}
    first = segment["steps"][0]
    assert {"id", "method", "path", "body", "address", "depends_on", "refs"} <= set(first)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: [], "not an rtcfg plan"),
        (lambda d: d.update(format_version="9"), "format_version '9' is not supported"),
        (lambda d: d.__delitem__("segments"), "plan.segments is missing"),
        (lambda d: d["segments"][0].update(steps={}), r"segments\[0\].steps has the wrong type"),
        (lambda d: d["segments"][0]["changes"][0].update(action="move"), "action is not one of"),
        (lambda d: d["segments"][0]["steps"][0].update(method="PUT"), "method is not one of"),
        (lambda d: d["segments"][0]["steps"][0].update(id=True), r"steps\[0\].id has the wrong"),
        (lambda d: d["segments"][0]["steps"][1].update(depends_on=["1"]), "step ids"),
        (lambda d: d["segments"][0]["changes"][0]["fields"].append(3), r"fields\[\d+\] is not"),
    ],
)
def test_bad_plan_files_are_clear_errors(mutate: Any, message: str) -> None:
    doc = plan_to_json(busy_plan())
    replaced = mutate(doc)
    with pytest.raises(PlanError, match=message) as info:
        plan_from_json(doc if replaced is None else replaced, "p.json")
    assert str(info.value).startswith("p.json: ")


# --- properties over many small states ----------------------------------------------------------

NAMES = ("a", "b", "c")


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    events = draw(st.lists(st.sampled_from(NAMES), unique=True))
    tables = st.sampled_from(["t1", "t2"])
    config: dict[str, Any] = {
        "parent_segment_id": "1",
        "events": [{"name": n, "database": "db", "table": draw(tables)} for n in events],
        "attributes": [],
        "id_stitching": {"stitching_keys": [{"name": draw(st.sampled_from(["k", "j"]))}]},
    }
    for identifier in (
        draw(st.lists(st.sampled_from(("x", "y", "z")), unique=True)) if events else []
    ):
        kind = draw(st.sampled_from(["single", "list", "counter"]))
        attr = {"name": identifier, "type": kind, "source_event": draw(st.sampled_from(events))}
        if kind == "counter":
            attr["window_duration"] = draw(st.sampled_from(["1h", "1d"]))
        else:
            attr["source_field"] = draw(st.sampled_from(["p", "q"]))
        config["attributes"].append(attr)
    return config


def state_of(config: dict[str, Any]) -> State:
    return desired_state(Config.model_validate(config))


@settings(max_examples=60, deadline=None)
@given(configs(), configs())
def test_plans_only_point_backwards_and_only_at_live_ids(
    want: dict[str, Any], had: dict[str, Any]
) -> None:
    have = emulated_live(state_of(had))
    segment = plan(state_of(want), have)
    live_ids = {o.id for o in have.key_events.values()} | {o.id for o in have.attributes.values()}
    posted = {s.address for s in segment.steps if s.method == "POST"}
    assert [s.id for s in segment.steps] == list(range(1, len(segment.steps) + 1))
    for s in segment.steps:
        assert all(d < s.id for d in s.depends_on)
        if s.method != "POST" and s.address != "setting":
            assert s.path.rsplit("/", 1)[1] in live_ids
        assert set(s.refs.values()) <= posted
    round_trip = Plan([segment], "0")
    assert plan_from_json(json.loads(json.dumps(plan_to_json(round_trip))), "p") == round_trip


@settings(max_examples=40, deadline=None)
@given(configs())
def test_a_state_planned_against_itself_has_no_changes(config: dict[str, Any]) -> None:
    want = state_of(config)
    assert plan(want, emulated_live(want)).empty


# --- what review found ---------------------------------------------------------------------------


def test_an_excluded_key_event_delete_keeps_its_table_in_the_setting() -> None:
    have = emulated_live(desired())
    want = desired(events=EVENTS[:1], attributes=ATTRIBUTES)
    segment = plan(want, have, excludes=["key_event.purchase"])
    patches = [s for s in segment.steps if s.address == "setting"]
    assert patches, "the setting still changes (its key columns)"
    for patch in patches:  # the key event left alone still reads events_db.orders
        assert patch.body is not None
        assert {"database": "events_db", "table": "orders"} in patch.body["eventTables"]


def test_two_attributes_swapping_display_names_is_refused_not_a_deadlock() -> None:
    have = emulated_live(desired())
    swapped = [
        {**ATTRIBUTES[0], "name": "seen", "identifier": "last_pv"},
        {**ATTRIBUTES[1], "name": "last_pv", "identifier": "seen"},
        *ATTRIBUTES[2:],
    ]
    with pytest.raises(PlanError, match="circle"):
        plan(desired(attributes=swapped), have)


def test_a_new_attribute_waits_for_the_rename_that_frees_its_name() -> None:
    have = emulated_live(desired())
    attrs = [
        {**ATTRIBUTES[0], "name": "last_pv_old", "identifier": "last_pv"},
        {**ATTRIBUTES[0], "identifier": "last_pv2"},
        *ATTRIBUTES[1:],
    ]
    segment = plan(desired(attributes=attrs), have)
    rename = step(segment, "attribute.last_pv", "PATCH")
    assert rename.id in step(segment, "attribute.last_pv2", "POST").depends_on


def test_dropping_an_imported_attribute_is_destructive_with_its_reason() -> None:
    have = emulated_live(desired())
    segment = plan(desired(attributes=ATTRIBUTES[:3]), have)
    (change,) = segment.destructive
    assert change.address == "setting" and "removes imported attribute tier" in change.reasons[0]


def test_excluding_the_setting_keeps_changes_that_do_not_need_it() -> None:
    have = emulated_live(desired())
    attrs = [ATTRIBUTES[0], {**ATTRIBUTES[1], "max_items": 5}, *ATTRIBUTES[2:]]
    stitching = {"stitching_keys": [{"name": "td_client_id"}]}
    want = desired(attributes=attrs, id_stitching=stitching)
    segment = plan(want, have, excludes=["setting"])
    assert [c.address for c in segment.changes] == ["attribute.seen"]


def test_a_saved_plan_whose_steps_wait_on_each_other_is_refused() -> None:
    doc = plan_to_json(busy_plan())
    steps = doc["segments"][0]["steps"]
    steps[0]["depends_on"] = [steps[-1]["id"]]
    steps[-1]["depends_on"] = [steps[0]["id"]]
    with pytest.raises(PlanError, match=r"circle|unknown step"):
        plan_from_json(doc, "p.json")


def test_a_plan_saved_before_references_were_checked_still_loads() -> None:
    original = busy_plan()
    original.segments[0].breaks = {"attribute.x": ["journey 'J' (id 1)"]}
    doc = json.loads(json.dumps(plan_to_json(original)))
    assert plan_from_json(doc, "p.json").segments[0].breaks == {
        "attribute.x": ["journey 'J' (id 1)"]
    }
    for segment in doc["segments"]:
        del segment["breaks"], segment["references_unchecked"]
    old = plan_from_json(doc, "old.json").segments[0]
    assert old.breaks == {} and old.references_unchecked is None
