"""How plans read: ids inside nested bodies, YAML names beside API names, what --target and
--exclude left out, and the document a failed plan still prints."""

from __future__ import annotations

import json

from rtcfg.engine.plan import Plan, build_segment_plan
from rtcfg.errors import ApiError, ApiErrorInfo, ConfigError, Problem
from rtcfg.render import PLAN_MARKER, plan_failure, plan_summary, plan_text
from tests.builders import desired, emulated_live

CLEAR_ON_PURCHASE = {
    "action": "clear",
    "realtimeKeyEventId": "purchase",
    "filterRule": {"type": "And", "conditions": []},
}


def _plan(excludes: tuple[str, ...] = ()) -> Plan:
    want = desired()
    have = emulated_live(want)
    want.attributes["seen"].body["actions"] = [dict(CLEAR_ON_PURCHASE)]
    segment = build_segment_plan(
        want, have, config_file="rt.yaml", config_sha256="0", excludes=excludes
    )
    return Plan([segment], "0.1.0")


def test_an_id_inside_a_list_action_is_shown_as_an_id_not_as_a_name() -> None:
    text = plan_text(_plan())
    line = next(line for line in text.splitlines() if "actions" in line)
    assert "(id of key_event.purchase)" in line, text
    assert '"realtimeKeyEventId": "purchase"' not in text


def test_an_id_the_plan_creates_inside_an_action_is_known_after_apply() -> None:
    want = desired()
    have = emulated_live(want)
    want.attributes["seen"].body["actions"] = [{**CLEAR_ON_PURCHASE, "realtimeKeyEventId": "cart"}]
    cart = {"name": "cart", "database": "events_db", "table": "carts"}
    extra = desired(events=[*_events(), cart]).key_events["cart"]
    want.key_events["cart"] = extra
    segment = build_segment_plan(want, have, config_file="rt.yaml", config_sha256="0")
    text = plan_text(Plan([segment], "0.1.0"))
    assert "(known after apply: id of key_event.cart)" in text, text


def _events() -> list[dict[str, str]]:
    from tests.builders import EVENTS

    return list(EVENTS)


def test_yaml_names_stand_beside_api_names() -> None:
    want = desired(
        attributes=[
            {"name": "last_pv", "type": "single", "source_event": "page_view", "source_field": "q"}
        ]
    )
    have = emulated_live(desired())
    segment = build_segment_plan(want, have, config_file="rt.yaml", config_sha256="0")
    text = plan_text(Plan([segment], "0.1.0"))
    assert "# forces replacement: source_field (valueColumn) cannot be patched" in text
    assert 'source_field (valueColumn): "p" → "q"' in text


def test_changes_left_out_by_exclude_are_counted() -> None:
    plan = _plan(excludes=("attribute.*",))
    assert plan_summary(plan) == (
        "No changes among the selected objects. 1 other change(s) left out by --target/--exclude."
    )
    assert plan_summary(_plan()) == "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."


def test_a_failed_plan_still_prints_a_comment_with_the_marker_and_the_errors() -> None:
    problem = Problem("rt.yaml", 8, 5, "missing required key 'source_field'", "add it")
    markdown = plan_failure(ConfigError([problem]), "markdown")
    assert markdown.splitlines()[0] == PLAN_MARKER
    assert "**Plan failed: 1 error(s).**" in markdown
    assert "rt.yaml:8:5: error: missing required key 'source_field'" in markdown
    document = json.loads(plan_failure(ConfigError([problem]), "json"))
    assert document["status"] == "failed"
    assert document["errors"][0]["line"] == 8 and document["errors"][0]["hint"] == "add it"


def test_a_failed_plan_names_an_api_error() -> None:
    error = ApiError(ApiErrorInfo(404, "not_found", "no such segment", "GET", "/audiences/9"))
    markdown = plan_failure(error, "markdown")
    assert "Error: GET /audiences/9 failed: HTTP 404 not_found: no such segment" in markdown
    document = json.loads(plan_failure(error, "json"))
    assert "HTTP 404" in document["errors"][0]["message"]
