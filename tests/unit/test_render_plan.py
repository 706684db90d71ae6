"""Plans for people (text, markdown) and for machines (JSON)."""

from __future__ import annotations

import json

from rtcfg.engine.plan import Plan, build_segment_plan
from rtcfg.engine.planfile import plan_from_json, plan_to_json
from rtcfg.model.state import State
from rtcfg.render import PLAN_MARKER, plan_json_text, plan_markdown, plan_summary, plan_text
from tests.builders import ATTRIBUTES, EVENTS, busy_plan, desired, emulated_live

SUMMARY = "Plan: 1 to create, 2 to update, 1 to replace, 2 to delete."


def test_summary_line_counts_every_segment() -> None:
    assert plan_summary(busy_plan()) == SUMMARY
    twice = busy_plan()
    twice.segments *= 2
    assert plan_summary(twice) == "Plan: 2 to create, 4 to update, 2 to replace, 4 to delete."


def test_no_changes() -> None:
    want = desired()
    segment = build_segment_plan(
        want, emulated_live(want), config_file="rt.yaml", config_sha256="0"
    )
    quiet = Plan([segment], "0.1.0")
    assert plan_summary(quiet) == "No changes."
    assert plan_text(quiet).splitlines()[-1] == "No changes."
    assert "No changes." in plan_markdown(quiet)


def test_text_uses_terraform_symbols_and_ends_with_the_summary() -> None:
    lines = plan_text(busy_plan(), color=False).splitlines()
    assert lines[0] == "Parent segment 1 (rt.yaml)"
    assert lines[-1] == SUMMARY
    assert "  ~ setting" in lines
    assert "  + key_event.cart" in lines
    assert "  - key_event.purchase" in lines
    assert "  -/+ attribute.last_pv" in lines
    assert "  ~ attribute.seen" in lines


def test_text_shows_field_changes_and_why_objects_go() -> None:
    text = plan_text(busy_plan(), color=False)
    assert "      max_items (maxItems): 100 → 5" in text
    assert '      name = "cart"' in text
    assert (
        "      # forces replacement: source_event (realtimeKeyEventId) cannot be patched "
        "(key event page_view → cart)"
    ) in text
    assert "      # not in the configuration" in text


def test_an_id_the_plan_creates_is_known_after_apply_and_a_live_one_is_named() -> None:
    text = plan_text(busy_plan(), color=False)
    assert (
        "      source_event (realtimeKeyEventId): (id of key_event.page_view) → "
        "(known after apply: id of key_event.cart)"
    ) in text
    assert "(known after apply: id of key_event.cart)" in plan_markdown(busy_plan())


def test_text_is_coloured_only_when_asked() -> None:
    assert "\033[" not in plan_text(busy_plan(), color=False)
    coloured = plan_text(busy_plan(), color=True)
    assert "\033[31m-/+\033[0m attribute.last_pv" in coloured
    assert "\033[32m+\033[0m key_event.cart" in coloured


def test_renames_say_so() -> None:
    have = emulated_live(desired())
    events = [{**EVENTS[0], "name": "viewed", "renamed_from": "page_view"}, EVENTS[1]]
    attrs = [{**a, "source_event": "viewed"} if "source_event" in a else a for a in ATTRIBUTES]
    want = desired(events=events, attributes=attrs)
    segment = build_segment_plan(want, have, config_file="rt.yaml", config_sha256="0")
    text = plan_text(Plan([segment], "0"))
    assert "  ~ key_event.viewed\n      # renamed from page_view\n" in text
    assert 'name: "page_view" → "viewed"' in text


def test_markdown_starts_with_the_marker_and_has_a_block_per_object() -> None:
    markdown = plan_markdown(busy_plan())
    assert markdown.splitlines()[0] == PLAN_MARKER == "<!-- rtcfg-plan -->"
    assert f"**{SUMMARY}**" in markdown
    assert markdown.count("<details>") == markdown.count("</details>") == 6
    assert "<summary><code>-/+ attribute.last_pv</code> replace (destructive)</summary>" in (
        markdown
    )
    # the setting drops the imported attribute too: destructive as well
    assert "4 destructive change(s)" in markdown and "--allow-destroy" in markdown


def big_plan(count: int) -> Plan:
    attributes = [
        {"name": f"attr_{i:04}", "type": "list", "source_event": "page_view", "source_field": "p"}
        for i in range(count)
    ]
    want = desired(attributes=attributes)
    return Plan([build_segment_plan(want, State("1"), config_file="f", config_sha256="0")], "0")


def test_markdown_over_the_limit_cuts_details_but_keeps_the_summary() -> None:
    plan = big_plan(40)
    full = plan_markdown(plan)
    assert "not shown" not in full
    short = plan_markdown(plan, limit=len(full) // 2)
    assert len(short) <= len(full) // 2
    assert short.startswith(PLAN_MARKER)
    assert "**Plan: 42 to create, 1 to update, 0 to replace, 0 to delete.**" in short
    assert "field change(s) not shown" in short
    assert short.count("<details>") == 43


def test_markdown_far_over_the_limit_leaves_objects_out_and_says_how_many() -> None:
    plan = big_plan(300)
    short = plan_markdown(plan, limit=8000)
    assert len(short) <= 8000
    assert "**Plan: 302 to create, 1 to update, 0 to replace, 0 to delete.**" in short
    shown = short.count("<details>")
    assert 0 < shown < 303
    assert f"… and {303 - shown} more object(s) not shown" in short


def test_markdown_escapes_html_and_fences_backticks() -> None:
    events = [{**EVENTS[0], "name": "a<b>", "filter": {"field": "f", "pattern": "```"}}]
    want = desired(events=events, attributes=[])
    segment = build_segment_plan(want, State("1"), config_file="f", config_sha256="0")
    markdown = plan_markdown(Plan([segment], "0"))
    assert "<code>+ key_event.a&lt;b&gt;</code>" in markdown
    assert "~~~~\n" in markdown


def test_json_text_is_the_plan_document_with_sorted_keys() -> None:
    plan = busy_plan()
    text = plan_json_text(plan)
    assert text.endswith("}\n")
    assert json.loads(text) == plan_to_json(plan)
    assert plan_from_json(json.loads(text), "p.json") == plan
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_nothing_that_looks_like_a_credential_is_in_a_plan() -> None:
    text = plan_json_text(busy_plan())
    assert "Authorization" not in text and "TD1 " not in text
