"""A saved plan is data from disk: a plan whose steps disagree with its changes is refused
whole (exit 3, nothing sent), --allow-destroy covers every DELETE a step would send, and the
check after apply is never skipped silently."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread

KEY = "1/tamper-test-SECRET"
POPULATED = "1069935"
WRITES = ("POST", "PATCH", "DELETE")
Plan = dict[str, Any]


@pytest.fixture()
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str) -> tuple[int, str]:
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "NO_COLOR": "1"}
    result = CliRunner().invoke(cli, list(args), env=env)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and KEY not in output, output
    return result.exit_code, output


def writes(emu: EmulatorThread) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in emu.requests() if r["method"] in WRITES]


def saved_plan(emu: EmulatorThread, tmp_path: Path) -> Path:
    """A plan of the populated segment with an update, a replace (DELETE + POST) and a
    setting change: the three kinds of step a tampered file could turn into one another."""
    config = tmp_path / "imported.yaml"
    assert rtcfg(emu, "import", POPULATED, "-o", str(config))[0] == 0
    text = config.read_text().replace("max_items: 50", "max_items: 60")
    head, tail = text.split("identifier: last_product_viewed", 1)
    tail = tail.replace("source_field: product_id", "source_field: td_url", 1)
    text = head + "identifier: last_product_viewed" + tail
    text = text.replace(r"valid_regexp: ^[^@\s]+@[^@\s]+$", r"valid_regexp: ^[^@\s]+@[^@\s]+\.\w+$")
    config.write_text(text)
    saved = tmp_path / "plan.json"
    assert rtcfg(emu, "plan", str(config), "-o", str(saved))[0] == 0
    return saved


def _step(plan: Plan, method: str, address_prefix: str = "") -> dict[str, Any]:
    steps = plan["segments"][0]["steps"]
    return next(
        s for s in steps if s["method"] == method and s["address"].startswith(address_prefix)
    )


def _change(plan: Plan, action: str, address_prefix: str = "") -> dict[str, Any]:
    changes = plan["segments"][0]["changes"]
    return next(
        c for c in changes if c["action"] == action and c["address"].startswith(address_prefix)
    )


def relabel_replace_as_update(plan: Plan) -> None:
    _change(plan, "replace")["action"] = "update"


def relabel_and_drop_the_post(plan: Plan) -> None:
    change = _change(plan, "replace")
    change["action"] = "update"
    steps = plan["segments"][0]["steps"]
    post = next(s for s in steps if s["method"] == "POST" and s["address"] == change["address"])
    steps.remove(post)
    for step in steps:
        step["depends_on"] = [d for d in step["depends_on"] if d != post["id"]]


def delete_turned_into_patch(plan: Plan) -> None:
    step = _step(plan, "DELETE")
    step["method"], step["body"] = "PATCH", {}


def patch_to_another_segment(plan: Plan) -> None:
    step = _step(plan, "PATCH", "attribute.")
    step["path"] = step["path"].replace(POPULATED, "1069944")


def patch_of_another_attribute(plan: Plan) -> None:
    patch, delete = _step(plan, "PATCH", "attribute."), _step(plan, "DELETE")
    patch["path"] = delete["path"]  # the same collection, the live id of another object


def path_with(suffix: str) -> Callable[[Plan], None]:
    def tamper(plan: Plan) -> None:
        step = _step(plan, "PATCH", "attribute.")
        step["path"] += suffix

    tamper.__name__ = f"path_with_{suffix}"
    return tamper


def duplicate_step_id(plan: Plan) -> None:
    steps = plan["segments"][0]["steps"]
    steps[-1]["id"] = steps[0]["id"]


def an_extra_delete(plan: Plan) -> None:
    steps = plan["segments"][0]["steps"]
    extra = {**_step(plan, "DELETE"), "id": 99}
    extra["address"] = _step(plan, "PATCH", "attribute.")["address"]
    steps.append(extra)


def a_post_of_another_identifier(plan: Plan) -> None:
    _step(plan, "POST")["body"]["identifier"] = "someone_else"


def a_patch_of_an_immutable_field(plan: Plan) -> None:
    _step(plan, "PATCH", "attribute.")["body"]["type"] = "counter"


def a_partial_setting(plan: Plan) -> None:
    del _step(plan, "PATCH", "setting")["body"]["batchAttributes"]


def another_fingerprint(plan: Plan) -> None:
    plan["segments"][0]["live_fingerprint"] = "0" * 64


def a_bad_lookup(plan: Plan) -> None:
    _step(plan, "POST")["lookup"]["value"] = "someone_else"


def a_parent_segment_id_with_a_path(plan: Plan) -> None:
    plan["segments"][0]["parent_segment_id"] = "1069935/../1"


def a_patch_body_edited(plan: Plan) -> None:
    _step(plan, "PATCH", "attribute.")["body"]["maxItems"] = 99  # the change still says 60


def an_extra_key_in_a_patch_body(plan: Plan) -> None:
    _step(plan, "PATCH", "attribute.")["body"]["description"] = "EVIL"


def a_post_body_edited(plan: Plan) -> None:
    _step(plan, "POST")["body"]["valueColumn"] = "td_title"


def an_extra_key_in_a_post_body(plan: Plan) -> None:
    _step(plan, "POST")["body"]["sensitive"] = True


def a_post_reading_another_key_event(plan: Plan) -> None:
    post = _step(plan, "POST")
    assert post["body"]["realtimeKeyEventId"] == "813"  # product_page_view
    post["body"]["realtimeKeyEventId"] = "810"  # the live id of page_view


def a_setting_table_from_nowhere(plan: Plan) -> None:
    tables = _step(plan, "PATCH", "setting")["body"]["eventTables"]
    tables.append({"database": "evil_db", "table": "exfiltrate"})


def a_setting_lookup_key_from_nowhere(plan: Plan) -> None:
    _step(plan, "PATCH", "setting")["body"]["extLookupKey"] = "evil"


def fields_that_hide_the_after(plan: Plan) -> None:
    """The body and after say 99, the fields (what the summary shows) still 60."""
    _step(plan, "PATCH", "attribute.")["body"]["maxItems"] = 99
    _change(plan, "update", "attribute.")["after"]["maxItems"] = 99


def body_after_and_fields_edited_together(plan: Plan) -> None:
    """All three agree: only planning the config again shows the edit."""
    a_patch_body_edited(plan)
    change = _change(plan, "update", "attribute.")
    change["after"]["maxItems"] = 99
    change["fields"][0]["after"] = 99


TAMPERS = [
    relabel_replace_as_update,
    relabel_and_drop_the_post,
    delete_turned_into_patch,
    patch_to_another_segment,
    patch_of_another_attribute,
    path_with("/../realtime_setting"),
    path_with("?page=1"),
    path_with("@evil"),
    path_with("#x"),
    path_with("%2e%2e"),
    duplicate_step_id,
    an_extra_delete,
    another_fingerprint,
    a_post_of_another_identifier,
    a_patch_of_an_immutable_field,
    a_partial_setting,
    a_bad_lookup,
    a_parent_segment_id_with_a_path,
    a_patch_body_edited,
    an_extra_key_in_a_patch_body,
    a_post_body_edited,
    an_extra_key_in_a_post_body,
    a_post_reading_another_key_event,
    a_setting_table_from_nowhere,
    a_setting_lookup_key_from_nowhere,
    fields_that_hide_the_after,
    body_after_and_fields_edited_together,
]


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.__name__)
def test_a_tampered_plan_is_refused_whole_and_sends_nothing(
    emu: EmulatorThread, tmp_path: Path, tamper: Callable[[Plan], None]
) -> None:
    saved = saved_plan(emu, tmp_path)
    plan = json.loads(saved.read_text())
    tamper(plan)
    saved.write_text(json.dumps(plan))
    before = writes(emu)
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 3, output
    assert "Apply complete" not in output and writes(emu) == before


def test_allow_destroy_is_decided_by_the_steps(emu: EmulatorThread, tmp_path: Path) -> None:
    saved = saved_plan(emu, tmp_path)
    plan = json.loads(saved.read_text())
    for change in plan["segments"][0]["changes"]:  # only the replace needs it: drop that
        change["reasons"] = [r for r in change["reasons"] if "replacement" not in r]
    setting = _step(plan, "PATCH", "setting")
    setting["body"]["batchAttributes"] = []  # the change still says they stay
    saved.write_text(json.dumps(plan))
    before = writes(emu)
    code, output = rtcfg(emu, "apply", str(saved), "-y")
    assert code == 3 and "--allow-destroy" in output
    assert "removes imported attribute loyalty_tier" in output
    assert writes(emu) == before


def test_an_untampered_plan_still_applies(emu: EmulatorThread, tmp_path: Path) -> None:
    saved = saved_plan(emu, tmp_path)
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 0 and "Apply complete! 0 created, 2 updated, 1 replaced" in output


def test_when_the_config_is_gone_apply_says_not_verified(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    saved = saved_plan(emu, tmp_path)
    (tmp_path / "imported.yaml").unlink()
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 1
    assert "Not verified: the config file(s)" in output and "Apply not verified" in output
    assert "Still different" not in output and "Apply complete" not in output


def _chain(length: int) -> Plan:
    steps: list[dict[str, Any]] = [
        {
            "id": i,
            "method": "PATCH",
            "path": f"/audiences/{POPULATED}/realtime_setting",
            "body": {},
            "address": "setting",
            "depends_on": [i - 1] if i > 1 else [],
            "refs": {},
            "stage": 3,
            "lookup": None,
        }
        for i in range(length, 0, -1)  # the last first: checking the order recurses deepest
    ]
    segment = {
        "parent_segment_id": POPULATED,
        "config_file": "x.yaml",
        "config_sha256": "0",
        "live_fingerprint": "0",
        "live_objects": {},
        "changes": [],
        "steps": steps,
    }
    return {"format_version": "1", "rtcfg_version": "0", "segments": [segment]}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (json.dumps(_chain(5000)), 3),  # thousands of steps waiting on each other in a chain
        ("[" * 100_000 + "]" * 100_000, 1),  # JSON too deep to decode: no plan at all
        (json.dumps({**_chain(1), "segments": [{"steps": "x"}]}), 3),
    ],
    ids=["deep-chain", "deep-json", "wrong-types"],
)
def test_a_plan_file_built_to_crash_is_refused(
    emu: EmulatorThread, tmp_path: Path, content: str, code: int
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(content)
    assert rtcfg(emu, "apply", str(saved), "-y")[0] == code
    assert writes(emu) == []


BODY_TAMPERS = TAMPERS[-9:-1]  # caught by the plan alone, without its config file


@pytest.mark.parametrize("tamper", BODY_TAMPERS, ids=lambda t: t.__name__)
def test_a_body_that_disagrees_is_refused_without_the_config(
    emu: EmulatorThread, tmp_path: Path, tamper: Callable[[Plan], None]
) -> None:
    saved = saved_plan(emu, tmp_path)
    (tmp_path / "imported.yaml").unlink()
    plan = json.loads(saved.read_text())
    tamper(plan)
    saved.write_text(json.dumps(plan))
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 3 and "does not agree with itself" in output, output
    assert writes(emu) == []


def test_a_consistent_edit_is_caught_by_planning_the_config_again(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    saved = saved_plan(emu, tmp_path)
    plan = json.loads(saved.read_text())
    body_after_and_fields_edited_together(plan)
    saved.write_text(json.dumps(plan))
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 3, output
    assert "attribute.browsed_products: the change is not what" in output
    assert writes(emu) == []


def test_a_config_changed_since_the_plan_is_refused(emu: EmulatorThread, tmp_path: Path) -> None:
    saved = saved_plan(emu, tmp_path)
    config = tmp_path / "imported.yaml"
    config.write_text(config.read_text().replace("max_items: 60", "max_items: 70"))
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 3 and "changed since the plan was made" in output, output
    assert writes(emu) == []


def _key_event_plan(emu: EmulatorThread, tmp_path: Path, name: str, *more: str) -> Path:
    """A plan whose one change is the description of key event page_view (and ``more``
    replacements of the config's text)."""
    config = tmp_path / f"{name}.yaml"
    assert rtcfg(emu, "import", POPULATED, "-o", str(config))[0] == 0
    text = config.read_text().replace("Every page view", "Every single page view")
    for old, new in zip(more[::2], more[1::2], strict=True):
        text = text.replace(old, new, 1)
    config.write_text(text)
    saved = tmp_path / f"{name}.json"
    assert rtcfg(emu, "plan", str(config), "-o", str(saved))[0] == 0
    return saved


def _description_edited(plan: Plan) -> None:
    plan["segments"][0]["steps"][0]["body"]["description"] = "EVIL"


def _table_edited_in_body_and_after(plan: Plan) -> None:
    segment = plan["segments"][0]
    segment["steps"][0]["body"]["tableName"] = "evil"
    segment["changes"][0]["after"]["tableName"] = "evil"


@pytest.mark.parametrize("tamper", [_description_edited, _table_edited_in_body_and_after])
def test_a_key_event_body_edit_is_refused(
    emu: EmulatorThread, tmp_path: Path, tamper: Callable[[Plan], None]
) -> None:
    saved = _key_event_plan(emu, tmp_path, "events")
    plan = json.loads(saved.read_text())
    assert [s["method"] for s in plan["segments"][0]["steps"]] == ["PATCH"]
    tamper(plan)
    saved.write_text(json.dumps(plan))
    code, output = rtcfg(emu, "apply", str(saved), "-y")
    assert code == 3 and "does not agree" in output, output
    assert writes(emu) == []


def test_a_step_and_change_added_for_another_object_is_refused(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    saved = _key_event_plan(emu, tmp_path, "events")
    bigger = _key_event_plan(
        emu,
        tmp_path,
        "more",
        "identifier: page_views_24h",
        "identifier: page_views_24h\n    description: EVIL",
    )
    plan, other = json.loads(saved.read_text()), json.loads(bigger.read_text())
    segment, extra = plan["segments"][0], other["segments"][0]
    address = "attribute.page_views_24h"
    segment["changes"] += [c for c in extra["changes"] if c["address"] == address]
    step = next(s for s in extra["steps"] if s["address"] == address)
    segment["steps"].append({**step, "id": 2, "depends_on": []})
    segment["summary"]["update"] = 2
    saved.write_text(json.dumps(plan))
    code, output = rtcfg(emu, "apply", str(saved), "-y")
    assert code == 3 and f"{address}: the change is not what" in output, output
    assert writes(emu) == []


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_plan_with_a_number_json_cannot_carry_is_refused_at_load(
    emu: EmulatorThread, tmp_path: Path, value: str
) -> None:
    saved = saved_plan(emu, tmp_path)
    text = saved.read_text().replace('"maxItems": 60', f'"maxItems": {value}')
    assert value in text
    saved.write_text(text)
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 3 and "not a plan this rtcfg can read" in output, output
    assert "shape rtcfg does not understand" not in output and writes(emu) == []


@pytest.mark.parametrize(
    "document",
    [
        {"format_version": "1", "segments": []},
        {"format_version": "1", "rtcfg_version": "0.1.0", "segments": []},
        {"rtcfg_version": "0.1.0", "segments": [{}]},
        {"format_version": "1", "rtcfg_version": "0.1.0"},
    ],
    ids=["no-rtcfg_version", "no-segment", "no-format_version", "no-segments"],
)
def test_a_truncated_plan_is_refused_as_a_broken_plan(
    emu: EmulatorThread, tmp_path: Path, document: Plan
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(document))
    code, output = rtcfg(emu, "apply", str(saved), "-y")
    assert code == 3, output
    assert "parent_segment_id" not in output and "not a" in output and "plan" in output
    assert writes(emu) == []


def test_a_plan_that_changes_a_boolean_still_applies(emu: EmulatorThread, tmp_path: Path) -> None:
    """A field change of true/false (here ``sensitive``) is a value like any other."""
    config = tmp_path / "bool.yaml"
    assert rtcfg(emu, "import", POPULATED, "-o", str(config))[0] == 0
    text = config.read_text().replace(
        "description: Most recent product page",
        "description: Most recent product page\n    sensitivity: sensitive",
        1,
    )
    config.write_text(text)
    saved = tmp_path / "bool.json"
    assert rtcfg(emu, "plan", str(config), "-o", str(saved))[0] == 0
    assert '"after": true' in saved.read_text()
    code, output = rtcfg(emu, "apply", str(saved), "-y", "--allow-destroy")
    assert code == 0 and "Apply complete! 0 created, 0 updated, 1 replaced" in output, output
