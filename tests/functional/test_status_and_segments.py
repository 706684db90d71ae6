"""`rtcfg segments` and `rtcfg status` against the emulator over a real socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread

KEY = "1/status-test-SECRET"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str, key: str = KEY) -> tuple[int, str, str]:
    runner = CliRunner()
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": key, "TD_API_KEY": "", "TDX_PROFILE": ""}
    result = runner.invoke(cli, list(args), env=env)
    assert KEY not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_segments_lists_every_parent_segment_with_its_rt_flag(emu: EmulatorThread) -> None:
    code, out, _ = rtcfg(emu, "segments", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["1069944"]["rt_enabled"] and not rows["1053580"]["rt_enabled"]


def test_segments_pattern_filters_by_name(emu: EmulatorThread) -> None:
    code, out, _ = rtcfg(emu, "segments", "acme")
    assert code == 0 and "RT_Lab_ACME_Populated" in out and "Legacy" not in out


def test_status_counts_the_populated_segment(emu: EmulatorThread) -> None:
    code, out, _ = rtcfg(emu, "status", "1069935", "--json")
    report = json.loads(out)
    assert code == 0 and report["config_exists"] and report["status"] == "ok"
    assert report["event_tables"] == 4 and report["key_events"] == 4
    assert sum(report["attributes"].values()) >= 3


def test_status_of_an_empty_segment_says_no_config(emu: EmulatorThread) -> None:
    code, out, _ = rtcfg(emu, "status", "1069944")
    assert code == 0 and "config exists:    no" in out


def test_status_of_a_disabled_segment_writes_the_csm_request(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    request = tmp_path / "csm.md"
    code, out, _ = rtcfg(emu, "status", "1053580", "--csm-request", str(request))
    assert code == 0 and "RT 2.0 enabled:   no" in out
    text = request.read_text()
    assert "Parent Segment ID: 1053580" in text and "Legacy_Batch_Only" in text


def test_unknown_segment_is_a_clear_error(emu: EmulatorThread) -> None:
    code, _, err = rtcfg(emu, "status", "424242")
    assert code == 1 and "parent segment 424242 not found" in err and "Traceback" not in err


def test_verbose_logs_requests_but_never_the_key(emu: EmulatorThread) -> None:
    code, _, err = rtcfg(emu, "-v", "status", "1069935")
    assert code == 0 and "GET /audiences/1069935/realtime_setting 200" in err


def test_a_rejected_key_is_an_error_without_the_key(tmp_path: Path) -> None:
    with EmulatorThread(api_key="1/the-right-key") as locked:
        code, _, err = rtcfg(locked, "status", "1069935")
    assert code == 1 and "401" in err


def test_no_key_says_where_it_looked(emu: EmulatorThread) -> None:
    code, _, err = rtcfg(emu, "segments", key="")
    assert code == 1 and "TDX_API_KEY" in err
