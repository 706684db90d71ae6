"""`rtcfg plan a.yaml b.yaml …`: one file per parent segment, read at the same time over one
client; the plans come in the order of the files, and an error in one segment reads as it
does for that file alone. Against the emulator over a real socket."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread

KEY = "1/many-segments-SECRET"
SEED = Path(__file__).parents[2] / "rtcfg" / "emulator" / "seed.json"
TEMPLATE = "1069935"  # the bundled seed's configured parent segment
IDS = [str(4_000_000 + i) for i in range(6)]


def seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED.read_text())
    template = next(ps for ps in data["parentSegments"] if ps["id"] == TEMPLATE)
    for i, ps_id in enumerate(IDS):
        ps = copy.deepcopy(template)
        ps["id"], ps["name"] = ps_id, f"Many_{i}"
        ps["realtime"]["id"] = str(7000 + i)
        data["parentSegments"].append(ps)
    return data


@pytest.fixture()
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(seed=seed()) as thread:
        yield thread


def rtcfg(emu: EmulatorThread, *args: str) -> tuple[int, str, str]:
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "TD_API_KEY": "", "TDX_PROFILE": ""}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def imported(emu: EmulatorThread, folder: Path, ps_id: str) -> str:
    path = folder / f"rt_config_{ps_id}.yaml"
    code, _, err = rtcfg(emu, "import", ps_id, "-o", str(path), "-q")
    assert code == 0, err
    return str(path)


def test_the_plans_come_in_the_order_of_the_files(emu: EmulatorThread, tmp_path: Path) -> None:
    files = [imported(emu, tmp_path, ps_id) for ps_id in reversed(IDS)]
    before = len(emu.requests())
    code, out, err = rtcfg(emu, "plan", "--format", "json", *files)
    assert code == 0, err
    segments = json.loads(out)["segments"]
    assert [s["parent_segment_id"] for s in segments] == list(reversed(IDS))
    assert [s["config_file"] for s in segments] == files
    reads = Counter(r["path"].split("/")[-1] for r in emu.requests()[before:])
    # every segment read once: its setting, key events and attributes
    assert reads == {"realtime_setting": 6, "realtime_key_events": 6, "realtime_attributes": 6}


def test_an_error_in_one_segment_reads_as_for_that_file_alone(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    good = [imported(emu, tmp_path, ps_id) for ps_id in IDS[:2]]
    missing = tmp_path / "missing.yaml"
    text = Path(good[0]).read_text().replace(f'"{IDS[0]}"', '"999"').replace(IDS[0], "999")
    missing.write_text(text)
    alone = rtcfg(emu, "plan", str(missing))
    together = rtcfg(emu, "plan", good[0], str(missing), good[1])
    assert alone[0] == together[0] == 1
    assert "parent segment 999 not found" in alone[2]
    assert together[2] == alone[2] and together[1] == ""
