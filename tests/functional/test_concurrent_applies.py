"""Two applies of one parent segment at the same time, with faults: the API has no lock, so
the second setting PATCH (refused with 409 while the first is ``updating``, or sent after it)
must be re-planned onto what the first one did, never re-send a body computed before it.

Each round: both applies plan from the same live state (a barrier), then write at once.
Whatever the interleaving, nothing that was live is deleted (neither has --allow-destroy),
and an apply that says "Apply complete!" has its change live at the end."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from rtcfg import render
from rtcfg.api.connection import Connection
from rtcfg.commands.apply import apply_planned
from rtcfg.commands.desired import load_desired
from rtcfg.commands.plan import plan_files
from rtcfg.commands.session import ApiSession
from rtcfg.emulator import EmulatorThread
from rtcfg.engine.apply import ApplyOptions
from rtcfg.engine.policy import refuse_destructive
from rtcfg.engine.setting_merge import SettingConflict, rebase_setting
from rtcfg.errors import RtcfgError

PS = "1069935"
KEY = "1/race-test-key"
BATCH = "    type: imported_batch\n"
ADDED = {"a": "city", "b": "first_name"}  # audience columns the seed does not import yet


def live(emu: EmulatorThread) -> dict[str, Any]:
    def get(path: str) -> Any:
        request = urllib.request.Request(emu.url + path, headers={"Authorization": f"TD1 {KEY}"})
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())

    base = f"/audiences/{PS}"
    return {
        "batch": {b["column"] for b in get(f"{base}/realtime_setting")["batchAttributes"]},
        "ids": {
            o["id"]
            for path in ("realtime_key_events", "realtime_attributes")
            for o in get(f"{base}/{path}?page%5Bsize%5D=1000")["data"]
        },
    }


def configs(emu: EmulatorThread, tmp_path: Path) -> dict[str, str]:
    from click.testing import CliRunner

    from rtcfg.cli import cli

    imported = tmp_path / "imported.yaml"
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY}
    CliRunner().invoke(cli, ["import", PS, "-o", str(imported), "--force"], env=env)
    text = imported.read_text()
    files = {}
    for side, column in ADDED.items():
        extra = f"  - name: {column}\n{BATCH}    column: {column}\n"
        path = tmp_path / f"{side}.yaml"
        path.write_text(text.replace("id_stitching:", extra + "id_stitching:", 1))
        files[side] = str(path)
    return files


def one_apply(emu: EmulatorThread, file: str, barrier: threading.Barrier) -> tuple[str, bool]:
    """The apply's report, and whether its setting PATCH was done (its change was sent)."""
    connection = Connection(emu.url, emu.url, KEY, "us01", (), "TEST")
    options = ApplyOptions(first_poll=0.01, max_poll=0.05)
    try:
        desired = load_desired([file], env={})
        with ApiSession(connection) as session:
            plan = session.run(lambda api: plan_files(api, desired))
            barrier.wait(timeout=30)  # both plans made from the same live state
            refuse_destructive(plan, allow_destroy=False)
            outcome = session.run(
                lambda api: apply_planned(api, plan, desired, options, lambda _: None),
                deadline=None,
            )
        done = any(
            r.status == "done" and r.step.address == "setting"
            for result in outcome.results
            for r in result.results
        )
        return render.apply_report(plan, outcome), done
    except RtcfgError as exc:
        barrier.abort()
        return f"error: {exc}", False


@pytest.mark.parametrize("fault_seed", [1, 2, 3])
def test_a_race_of_two_applies_loses_no_change(tmp_path: Path, fault_seed: int) -> None:
    with EmulatorThread(update_seconds=0.05) as emu:
        files = configs(emu, tmp_path)
        before = live(emu)
        emu.set_faults(rate=0.05, kinds=["503", "lost_response"], seed=fault_seed)
        barrier = threading.Barrier(2)
        reports: dict[str, tuple[str, bool]] = {}

        def run(side: str, file: str) -> None:
            reports[side] = one_apply(emu, file, barrier)

        threads = [threading.Thread(target=run, args=item) for item in files.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        emu.set_faults(rate=0.0)
        after = live(emu)
    assert before["ids"] <= after["ids"], reports  # nothing deleted
    assert before["batch"] <= after["batch"], reports  # no imported attribute deleted
    for side, (report, setting_done) in reports.items():
        # a change that was made is not undone by the other apply (deleting an imported
        # attribute without --allow-destroy), and "complete" means it is live
        if setting_done or report.startswith("Apply complete!"):
            assert ADDED[side] in after["batch"], reports
    assert len(reports) == 2


BASE: dict[str, Any] = {
    "keyColumns": [],
    "eventTables": [],
    "batchAttributes": [],
    "extLookupKey": None,
}


def _setting(**items: Any) -> dict[str, Any]:
    return {**BASE, **items}


def test_rebase_keeps_their_change_and_ours() -> None:
    base = _setting(batchAttributes=[{"column": "a", "name": None}])
    ours = _setting(batchAttributes=[{"column": "a", "name": None}, {"column": "b", "name": "B"}])
    theirs = _setting(
        batchAttributes=[{"column": "a", "name": None}, {"column": "c", "name": None}],
        eventTables=[{"database": "d", "table": "t"}],
    )
    merged = rebase_setting(base, ours, theirs)
    assert [b["column"] for b in merged["batchAttributes"]] == ["a", "c", "b"]
    assert merged["eventTables"] == [{"database": "d", "table": "t"}]


def test_rebase_refuses_when_both_change_the_same_item() -> None:
    base = _setting(keyColumns=[{"name": "email", "validRegexp": "a"}])
    ours = _setting(keyColumns=[{"name": "email", "validRegexp": "b"}])
    theirs = _setting(keyColumns=[{"name": "email", "validRegexp": "c"}])
    with pytest.raises(SettingConflict, match="keyColumns email"):
        rebase_setting(base, ours, theirs)


def test_rebase_refuses_to_drop_what_they_changed_and_we_remove() -> None:
    base = _setting(batchAttributes=[{"column": "a", "name": None}])
    theirs = _setting(batchAttributes=[{"column": "a", "name": "renamed"}])
    with pytest.raises(SettingConflict, match="batchAttributes a"):
        rebase_setting(base, _setting(), theirs)
