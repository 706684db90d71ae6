"""First-time setup and RT 2.0 detection against the emulator over a real socket.

The Audience has no RT flag (cdp-openapi.yml l.7608): rtcfg reads each segment's
realtime_setting. A segment whose setting answers ``not_initialized`` / ``initialized`` is
RT-enabled with nothing deployed: plan creates everything, apply waits through to ``ok``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rtcfg.api.client import ApiClient
from rtcfg.api.live import read_live_state
from rtcfg.checks.validate import load_config_or_raise
from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread
from rtcfg.emulator.app import Emulator, load_seed
from rtcfg.emulator.http import Request
from rtcfg.engine.apply import ApplyOptions, apply_plan
from rtcfg.engine.plan import build_segment_plan
from rtcfg.model.translate import desired_state
from tests.emulator_transport import EmulatorTransport
from tests.functional.emulator_support import connection

KEY = "1/first-setup-SECRET"
FRESH = "1070001"  # the seed's RT-enabled segment that was never configured
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture()
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.05) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str, ps_id: str = FRESH) -> tuple[int, str, str]:
    env = {
        "RTCFG_ENDPOINT": emu.url,
        "TDX_API_KEY": KEY,
        "TD_API_KEY": "",
        "TDX_PROFILE": "",
        "RTCFG_PS_ID": ps_id,
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    output = result.stdout + result.stderr
    assert KEY not in output and "Traceback" not in output, output
    return result.exit_code, result.stdout, result.stderr


def example(tmp_path: Path, name: str = "cart_abandonment.yaml") -> str:
    target = tmp_path / name
    shutil.copy(EXAMPLES / name, target)
    return str(target)


def test_segments_marks_exactly_the_segments_whose_setting_answers(emu: EmulatorThread) -> None:
    code, out, _ = rtcfg(emu, "segments", "--json")
    assert code == 0
    rows = {r["id"]: (r["rt_enabled"], r["rt_status"]) for r in json.loads(out)}
    assert rows == {
        "1069944": (True, "ok"),
        "1069935": (True, "ok"),
        "1070001": (True, "not_initialized"),
        "1053580": (False, None),  # its realtime_setting answers 404
    }
    code, out, _ = rtcfg(emu, "segments", "First")
    assert code == 0 and "yes, not configured yet" in out


def test_status_says_enabled_not_configured_yet(emu: EmulatorThread) -> None:
    code, out, _ = rtcfg(emu, "status", FRESH)
    assert code == 0
    assert "RT 2.0 enabled:   yes" in out and "setting status:   not_initialized" in out
    assert "RT 2.0 is enabled, not configured yet (status not_initialized)" in out


def test_a_not_initialized_segment_is_configured_from_scratch(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = example(tmp_path)
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert code == 2 and "~ setting" in out and "+ key_event.add_to_cart" in out
    code, out, err = rtcfg(emu, "apply", config, "-y")
    assert code == 0 and "Apply complete!" in out, out + err
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    code, out, _ = rtcfg(emu, "status", FRESH, "--json")
    assert json.loads(out)["status"] == "ok"


def test_an_initialized_segment_is_configured_from_scratch(tmp_path: Path) -> None:
    with EmulatorThread(update_seconds=0.05, behaviours={"fresh_status": "initialized"}) as emu:
        config = example(tmp_path)
        code, out, _ = rtcfg(emu, "segments", "--json")
        assert {r["id"]: r["rt_status"] for r in json.loads(out)}[FRESH] == "initialized"
        code, out, err = rtcfg(emu, "apply", config, "-y")
        assert code == 0 and "Apply complete!" in out, out + err
        code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
        assert code == 0 and "No changes." in out


def _inconsistent_seed() -> dict[str, object]:
    seed = copy.deepcopy(load_seed(None))
    for ps in seed["parentSegments"]:
        if ps["id"] == "1069944":
            ps["realtime"]["status"] = "inconsistent"
            ps["realtime"]["statusDetailed"] = {"reason": "event table events_db.gone missing"}
    return seed


def test_inconsistent_says_what_happened_and_what_to_do(tmp_path: Path) -> None:
    with EmulatorThread(_inconsistent_seed(), update_seconds=0.0) as emu:
        code, out, _ = rtcfg(emu, "status", "1069944")
        assert code == 0
        assert "the realtime setting is inconsistent" in out
        assert "event table events_db.gone missing" in out and "run `rtcfg apply` again" in out


def test_a_disabled_segment_stops_plan_with_what_to_do(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path)
    code, _, err = rtcfg(emu, "plan", config, ps_id="1053580")
    assert code == 1 and "RT 2.0 is not enabled for parent segment 1053580" in err
    assert "--csm-request" in err


def _many_segments(count: int) -> dict[str, object]:
    seed = copy.deepcopy(load_seed(None))
    template = next(ps for ps in seed["parentSegments"] if ps["id"] == "1069944")
    for i in range(count):
        ps = copy.deepcopy(template)
        ps["id"], ps["name"] = str(2_000_000 + i), f"Bulk_{i:03d}"
        ps["realtimeEnabled"] = i % 3 != 0
        if not ps["realtimeEnabled"]:
            del ps["realtime"]
        else:
            ps["realtime"]["id"] = str(9000 + i)
        seed["parentSegments"].append(ps)
    return seed


def test_segments_reads_the_settings_concurrently_and_bounded() -> None:
    with EmulatorThread(_many_segments(300), update_seconds=0.0, latency_ms=5.0) as emu:
        code, out, _ = rtcfg(emu, "segments", "Bulk_", "--json")
        rows = json.loads(out)
        stats = emu.emulator.stats()
    assert code == 0 and len(rows) == 300
    assert sum(r["rt_enabled"] for r in rows) == 200  # every third one answers 404
    # one GET /audiences, then one setting read per segment, 16 at a time at most
    assert stats["requests"] == 301
    assert 1 < stats["max_in_flight"] <= 16


def test_online_check_says_when_it_cannot_check_the_profile_key(tmp_path: Path) -> None:
    seed = copy.deepcopy(load_seed(None))
    for ps in seed["parentSegments"]:
        if ps["id"] == FRESH:
            ps["attributes"] = []  # no attribute table: nothing names the master's join key
    config = tmp_path / "rt_config.yaml"
    config.write_text(
        f'parent_segment_id: "{FRESH}"\n'
        "events:\n"
        "  - {name: pv, database: events_db, table: pageviews,"
        ' filter: {field: td_url, pattern: "^/"}}\n'
        "id_stitching:\n"
        "  stitching_keys: [{name: td_client_id}]\n"
        "  ext_lookup_key: customer_id\n"
    )
    with EmulatorThread(seed, update_seconds=0.0) as emu:
        code, out, _ = rtcfg(emu, "validate", "--online", str(config))
    assert code == 0, out
    assert "warning: could not check that ext_lookup_key 'customer_id' is the profile key" in out


def test_a_403_on_the_setting_also_means_not_enabled(tmp_path: Path) -> None:
    with EmulatorThread(update_seconds=0.0, behaviours={"rt_disabled": "403"}) as emu:
        code, out, _ = rtcfg(emu, "segments", "--json")
        assert {r["id"]: r["rt_enabled"] for r in json.loads(out)}["1053580"] is False
        code, out, _ = rtcfg(emu, "status", "1053580")
        assert code == 0 and "RT 2.0 enabled:   no" in out
        code, _, err = rtcfg(emu, "plan", example(tmp_path), ps_id="1053580")
        assert code == 1 and "realtime_setting answers 403" in err


class _TurnsInconsistent(Emulator):
    """The emulator, with TD's deployment failing after the first setting PATCH."""

    def api(self, req: Request) -> tuple[int, Any]:
        status, body = super().api(req)
        if req.method == "PATCH" and req.path.endswith("/realtime_setting") and status == 200:
            rt = next(p for p in self.store.data["parentSegments"] if p["id"] == FRESH)
            rt["realtime"]["status"] = "inconsistent"
            rt["realtime"]["statusDetailed"] = {"reason": "table events_db.pageviews unreadable"}
        return status, body


def test_apply_stops_on_inconsistent_with_the_detail_and_what_to_do(tmp_path: Path) -> None:
    emulator = _TurnsInconsistent(update_seconds=0.0)
    desired = desired_state(load_config_or_raise(example(tmp_path), {"RTCFG_PS_ID": FRESH}))

    async def run() -> Any:
        conn = connection("http://127.0.0.1:9")
        async with ApiClient(conn, transport=EmulatorTransport(emulator)) as api:
            live = await read_live_state(api, FRESH)
            plan = build_segment_plan(desired, live, config_file="f", config_sha256="-")
            return await apply_plan(api, plan, ApplyOptions(first_poll=0.0, max_poll=0.0))

    result = asyncio.run(run())
    setting = next(r for r in result.results if r.step.address == "setting")
    assert setting.status == "failed" and setting.error is not None
    assert "the realtime setting is inconsistent" in setting.error
    assert "table events_db.pageviews unreadable" in setting.error
    assert "run `rtcfg apply` again" in setting.error
    assert all(r.status == "skipped" for r in result.results if r.step.address != "setting")
