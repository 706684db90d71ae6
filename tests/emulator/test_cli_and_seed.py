"""The command line (real process), --state persistence, the seed files, pure Store rules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from rtcfg.emulator.app import PACKAGE_SEED, Emulator
from rtcfg.emulator.cli import _exposure_warning, main
from rtcfg.emulator.errors import ApiError
from rtcfg.emulator.seedcheck import check_seed, read_seed_file
from rtcfg.emulator.state import Store
from tests.builders import AUTH, EMPTY_PATH, POP_PATH, key_event

from .helpers import setting_body

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtcfg.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("rtcfg emulator listening on http://127.0.0.1:"), line
    return proc, line.split()[-1]


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> str:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_and_stops_cleanly(sig: int) -> None:
    proc, url = _start("--update-seconds", "0")
    try:
        r = httpx.get(url + POP_PATH + "/realtime_setting", headers=AUTH)
        assert r.status_code == 200
    finally:
        _stop(proc, sig)


def test_cli_state_file_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc, url = _start("--state", str(state), "--update-seconds", "0")
    try:
        r = httpx.post(
            url + POP_PATH + "/realtime_key_events", json=key_event("kept"), headers=AUTH
        )
        assert r.status_code == 200
        kept_id = r.json()["id"]
    finally:
        _stop(proc)
    assert state.exists() and not list(tmp_path.glob("*.tmp"))
    proc, url = _start("--state", str(state))
    try:
        r = httpx.get(url + POP_PATH + f"/realtime_key_events/{kept_id}", headers=AUTH)
        assert r.json()["name"] == "kept"
        new = httpx.post(
            url + POP_PATH + "/realtime_key_events", json=key_event("k2"), headers=AUTH
        )
        assert int(new.json()["id"]) > int(kept_id)
    finally:
        _stop(proc)


def test_cli_seed_option_and_bad_seed(tmp_path: Path) -> None:
    seed = json.loads(PACKAGE_SEED.read_text())
    seed["parentSegments"] = seed["parentSegments"][:1]
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    proc, url = _start("--seed", str(path))
    try:
        assert [p["id"] for p in httpx.get(url + "/audiences", headers=AUTH).json()] == ["1069944"]
    finally:
        _stop(proc)
    bad = subprocess.run(
        [sys.executable, "-m", "rtcfg.emulator", "--seed", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_package_seed_identical_to_examples_seed() -> None:
    assert PACKAGE_SEED.read_bytes() == (ROOT / "examples" / "emulator-seed.json").read_bytes()


def test_seed_matches_the_discovery_examples() -> None:
    seed = json.loads(PACKAGE_SEED.read_text())
    dbs = {
        d["name"]: {t["name"]: dict(t["schema"]) for t in d["tables"]} for d in seed["databases"]
    }
    assert set(dbs["events_db"]) == {"pageviews", "formfills", "add_to_cart", "purchase", "clicks"}
    assert "customers" in dbs["master_db"]
    for table in dbs["events_db"].values():
        assert {"td_client_id", "email", "time"} <= set(table)
    by_id = {p["id"]: p for p in seed["parentSegments"]}
    assert by_id["1053580"]["realtimeEnabled"] is False
    assert all(p["profileKey"] == "customer_id" for p in by_id.values())
    rt = by_id["1069935"]["realtime"]
    assert rt["extLookupKey"] == "customer_id" and len(rt["keyColumns"]) == 3
    assert any(k["validRegexp"] and k["invalidTexts"] for k in rt["keyColumns"])
    assert 3 <= len(rt["eventTables"]) <= 4
    kinds = {a["type"] for a in rt["attributes"]}
    assert kinds == {"single", "list", "counter"}
    assert any(a.get("increment", {}).get("type") == "field" for a in rt["attributes"])
    assert any(a.get("subDurations") for a in rt["attributes"])
    assert any(k["filterRule"]["conditions"] for k in rt["keyEvents"])


def test_seed_setting_is_accepted_by_the_rules(client: httpx.Client) -> None:
    for ps in (POP_PATH, EMPTY_PATH):
        assert client.patch(f"{ps}/realtime_setting", json=setting_body(client, ps)).is_success


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _seed() -> dict[str, Any]:
    return json.loads(PACKAGE_SEED.read_text())  # type: ignore[no-any-return]


def test_store_status_transitions_with_fake_clock() -> None:
    clock = FakeClock()
    store = Store(_seed(), update_seconds=5.0, clock=clock)
    body = {
        k: v
        for k, v in store.get_setting("1069935").items()
        if k in ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")
    }
    assert store.patch_setting("1069935", body)["status"] == "updating"
    clock.now += 4.9
    with pytest.raises(ApiError) as err:
        store.patch_setting("1069935", body)
    assert err.value.status == 409
    clock.now += 0.2
    assert store.get_setting("1069935")["status"] == "ok"


def test_store_reset_and_dump_roundtrip() -> None:
    store = Store(_seed(), update_seconds=0)
    ke = store.create_key_event("1069935", key_event("x"))
    again = Store(store.dump())
    assert again.get_key_event("1069935", ke["id"]) == ke
    store.reset()
    with pytest.raises(ApiError):
        store.get_key_event("1069935", ke["id"])


def test_cli_help_lists_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rtcfg.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        env={**os.environ},
    ).stdout
    for flag in (
        "--host",
        "--port",
        "--state",
        "--seed",
        "--latency-ms",
        "--fault-rate",
        "--rate-limit",
        "--fault-seed",
        "--api-key",
        "--read-only-key",
        "--update-seconds",
    ):
        assert flag in out


def test_cli_behaviour_options_reach_the_server() -> None:
    proc, url = _start("--behaviour", "audience_fields=legacy", "--behaviour", "entities=missing")
    try:
        chosen = httpx.get(url + "/_emulator/behaviours").json()
        assert chosen["audience_fields"] == "legacy" and chosen["entities"] == "missing"
        assert chosen["error_envelope"] == "rest"  # the others keep their defaults
        assert httpx.get(url + POP_PATH, headers=AUTH).json()["masterKeyColumn"] == "customer_id"
    finally:
        _stop(proc)


def _main_says(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``rtcfg emulator ARGS`` in-process, for options refused before serving: exit 2, one line."""
    assert main(["--port", "0", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("option", ["--seed", "--state"])
def test_an_endless_file_is_refused_at_the_size_cap(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "/dev/zero: larger than 16 MiB" in _main_says(capsys, option, "/dev/zero")


@pytest.mark.parametrize(
    ("seed", "says"),
    [
        (
            {"parentSegments": [{"id": "1", "name": "x", "realtime": {"keyEvents": "notalist"}}]},
            "parentSegments[0].realtime.keyEvents: must be a list, not a text",
        ),
        ([], "the seed: must be an object, not a list"),
        ({"parentSegments": {}}, "parentSegments: must be a list, not an object"),
        (
            {"parentSegments": [{"name": "x"}]},
            "parentSegments[0].id: must be an id (decimal digits), not missing",
        ),
        (
            {"parentSegments": [{"id": "1", "realtime": {"attributes": [{"id": "x1"}]}}]},
            "parentSegments[0].realtime.attributes[0].id: must be an id",
        ),
        ({"nextId": True}, "nextId: must be an id"),
        (
            {"databases": [{"name": "db", "tables": [{"name": "t", "schema": [["c"]]}]}]},
            "databases[0].tables[0].schema[0]: must be [name, type]",
        ),
        (
            {"parentSegments": [{"id": "1", "deep": json.loads("[" * 40 + "]" * 40)}]},
            "parentSegments[0].deep…: nested more than 32 levels deep",
        ),
    ],
)
def test_a_malformed_seed_names_the_field(
    seed: Any, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    assert f"--seed {path}: {says}" in _main_says(capsys, "--seed", str(path))


def test_a_seed_nested_past_the_json_decoder_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert ": nested more than 32 levels deep" in _main_says(capsys, "--seed", str(path))


@pytest.mark.parametrize(
    "path",
    [
        PACKAGE_SEED,
        ROOT / "examples" / "emulator-seed.json",
        ROOT / "tests/fixtures/guided/seed.json",
    ],
    ids=["bundled", "example", "guided"],
)
def test_the_seeds_written_so_far_still_load(path: Path) -> None:
    store = Store(read_seed_file(path), update_seconds=0.0)
    check_seed(store.dump())  # and a state the emulator saves loads again
    assert store.audiences()


def test_a_state_written_after_writes_loads_again(tmp_path: Path) -> None:
    emulator = Emulator(update_seconds=0.0, state_file=tmp_path / "state.json")
    emulator.store.create_key_event("1069935", key_event("kept"))
    emulator.save()
    again = Emulator(update_seconds=0.0, state_file=tmp_path / "state.json")
    assert "kept" in [ke["name"] for ke in again.store.key_events("1069935")]


@pytest.mark.parametrize(
    ("host", "key", "says"),
    [
        ("127.0.0.1", None, None),
        ("::1", None, None),
        ("[::1]", None, None),
        ("localhost", None, None),
        ("0.0.0.0", None, "accepts any TD1 key"),
        ("192.168.1.5", "1/abc", "reachable from other machines (it accepts only the --api-key)"),
        ("emulator.internal", None, "reachable from other machines"),
    ],
)
def test_a_host_other_machines_reach_is_warned_of(host: str, key: str | None, says: str) -> None:
    warning = _exposure_warning(host, key)
    assert warning is None if says is None else says in (warning or "")


def test_serving_every_interface_warns_on_stderr() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtcfg.emulator", "--port", "0", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("rtcfg emulator listening on http://0.0.0.0:")
    err = _stop(proc)
    assert "warning: --host 0.0.0.0 is reachable from other machines" in err
    assert "accepts any TD1 key (give --api-key" in err
