"""The check after apply uses the plan's own selection: with --target, --exclude, a saved
targeted plan or several files, a refusal of something the plan left out never fails it,
and a change the plan made that did not stick still does."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from rtcfg import render
from rtcfg.commands.apply import apply_planned
from rtcfg.commands.desired import load_desired
from rtcfg.commands.plan import plan_files
from rtcfg.commands.session import ApiSession
from rtcfg.emulator import EmulatorThread
from rtcfg.engine.apply import ApplyOptions

from .emulator_support import CLI_KEY, EXAMPLES, connection, rtcfg

NEW_EVENT = """
  - name: newev3
    database: events_db
    table: purchase
    description: Orders again
    filter:
      field: total
      pattern: ".*"
"""


def lookup_key_dropped(tmp_path: Path, name: str, ps_id: str) -> str:
    """event_triggers.yaml for ``ps_id`` without its ext_lookup_key (a refusal once the key
    is set live) and with one more key event, newev3."""
    text = (EXAMPLES / "event_triggers.yaml").read_text()
    text = text.replace('"${RTCFG_PS_ID:-1069944}"', f'"{ps_id}"')
    text = text.replace("  ext_lookup_key: customer_id\n", "")
    text = text.replace("\nevent_tables:", NEW_EVENT + "\nevent_tables:", 1)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def set_lookup_key(emu: EmulatorThread, tmp_path: Path, ps_id: str) -> None:
    original = (EXAMPLES / "event_triggers.yaml").read_text()
    path = tmp_path / f"full-{ps_id}.yaml"
    path.write_text(original.replace('"${RTCFG_PS_ID:-1069944}"', f'"{ps_id}"'))
    code, out, err = rtcfg(emu, "apply", str(path), "-y")
    assert code == 0, out + err


def plan_addresses(emu: EmulatorThread, config: str) -> set[str]:
    code, out, err = rtcfg(emu, "plan", config, "--format", "json", "--exclude", "setting")
    assert code == 0, out + err
    return {c["address"] for s in json.loads(out)["segments"] for c in s["changes"]}


def assert_complete(code: int, out: str, err: str) -> None:
    assert code == 0, out + err
    assert "Apply complete!" in out + err and "Not verified" not in out + err


@pytest.mark.parametrize(
    "selection", [("--target", "key_event.newev3"), ("--exclude", "setting")], ids=str
)
def test_a_selection_is_checked_with_itself(tmp_path: Path, selection: tuple[str, str]) -> None:
    with EmulatorThread(update_seconds=0.05) as emu:
        set_lookup_key(emu, tmp_path, "1069944")
        config = lookup_key_dropped(tmp_path, "rt.yaml", "1069944")
        code, out, err = rtcfg(emu, "apply", config, "-y", *selection)
        assert_complete(code, out, err)
        assert "key_event.newev3" not in plan_addresses(emu, config)


def test_a_saved_targeted_plan_is_checked_with_the_addresses_it_holds(tmp_path: Path) -> None:
    with EmulatorThread(update_seconds=0.05) as emu:
        set_lookup_key(emu, tmp_path, "1069944")
        config = lookup_key_dropped(tmp_path, "rt.yaml", "1069944")
        saved = str(tmp_path / "plan.json")
        code, out, err = rtcfg(emu, "plan", config, "--target", "key_event.newev3", "-o", saved)
        assert code == 0, out + err
        code, out, err = rtcfg(emu, "apply", saved, "-y")
        assert_complete(code, out, err)
        assert "key_event.newev3" not in plan_addresses(emu, config)


def test_several_files_are_checked_with_the_selection(tmp_path: Path) -> None:
    with EmulatorThread(update_seconds=0.05) as emu:
        set_lookup_key(emu, tmp_path, "1069944")
        first = lookup_key_dropped(tmp_path, "a.yaml", "1069944")
        second = lookup_key_dropped(tmp_path, "b.yaml", "1069935")
        code, out, err = rtcfg(emu, "apply", first, second, "-y", "--target", "key_event.newev3")
        assert_complete(code, out, err)
        assert "key_event.newev3" not in plan_addresses(emu, first)
        assert "key_event.newev3" not in plan_addresses(emu, second)


def delete_key_event(emu: EmulatorThread, ps_id: str, name: str) -> None:
    """Another writer: delete the key event ``name`` over the API (its own connection)."""
    headers = {"Authorization": f"TD1 {CLI_KEY}"}
    base = f"{emu.url}/audiences/{ps_id}/realtime_key_events"
    with urllib.request.urlopen(urllib.request.Request(base, headers=headers)) as answer:
        listing = json.load(answer)
    (found,) = [e["id"] for e in listing["data"] if e["name"] == name]
    request = urllib.request.Request(f"{base}/{found}", headers=headers, method="DELETE")
    urllib.request.urlopen(request).close()


def test_a_targeted_change_undone_before_the_check_still_fails(tmp_path: Path) -> None:
    with EmulatorThread(update_seconds=0.05) as emu:
        set_lookup_key(emu, tmp_path, "1069944")
        config = lookup_key_dropped(tmp_path, "rt.yaml", "1069944")
        desired = load_desired([config], env={})

        def undo(line: str) -> None:  # after the create's step, before the check
            if "newev3" in line and "done" in line:
                delete_key_event(emu, "1069944", "newev3")

        with ApiSession(connection(emu.url, CLI_KEY)) as session:
            plan = session.run(lambda api: plan_files(api, desired, targets=["key_event.newev3"]))
            outcome = session.run(
                lambda api: apply_planned(api, plan, desired, ApplyOptions(), undo),
                deadline=None,
            )
        report = render.apply_report(plan, outcome)
        assert not outcome.ok and outcome.remaining == ["key_event.newev3"]
        assert "Still different after apply: key_event.newev3" in report
        assert "Apply complete!" not in report and "Not verified" not in report
