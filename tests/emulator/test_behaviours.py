"""Each emulator behaviour plays its reading of the API (raw HTTP, no rtcfg client)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rtcfg.emulator import EmulatorThread
from rtcfg.emulator.behaviours import BEHAVIOURS, parse_behaviours
from rtcfg.emulator.state import Store
from tests.builders import AUTH, EMPTY_PATH, POP_PATH, key_event

from .helpers import setting_body

FRESH = "/audiences/1070001"


@contextlib.contextmanager
def client_for(**behaviours: str) -> Iterator[httpx.Client]:
    with (
        EmulatorThread(update_seconds=0.0, behaviours=behaviours) as emu,
        httpx.Client(base_url=emu.url, headers=AUTH, timeout=10.0) as c,
    ):
        yield c


@pytest.fixture()
def default() -> Iterator[httpx.Client]:
    with client_for() as c:
        yield c


def test_list_behaviours_prints_one_line_per_behaviour() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rtcfg.emulator", "--list-behaviours"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(out) == len(BEHAVIOURS)
    assert "key_event_description=stored|dropped (default stored)" in out
    assert "entities=on|forbidden|missing (default on)" in out


def test_a_bad_behaviour_is_one_line_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rtcfg.emulator", "--behaviour", "error_envelope=xml"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "behaviour error_envelope takes rest|jsonapi (got 'xml')" in done.stderr
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_behaviours(["error_envelope"])


def test_default_audience_has_only_documented_fields(default: httpx.Client) -> None:
    for ps in default.get("/audiences").json():
        assert "realtimeEnabled" not in ps and "masterKeyColumn" not in ps
    with client_for(audience_fields="legacy") as legacy:
        assert legacy.get(POP_PATH).json()["masterKeyColumn"] == "customer_id"


def test_fresh_segment_goes_not_initialized_to_updating_to_ok() -> None:
    clock = [0.0]
    store = Store(json.loads(_seed_text()), update_seconds=1.0, clock=lambda: clock[0])
    assert store.get_setting("1070001")["status"] == "not_initialized"
    body: dict[str, Any] = {
        "keyColumns": [],
        "eventTables": [],
        "batchAttributes": [],
        "extLookupKey": None,
    }
    assert store.patch_setting("1070001", body)["status"] == "updating"
    clock[0] = 2.0
    assert store.get_setting("1070001")["status"] == "ok"
    initialized = Store(json.loads(_seed_text()), behaviours={"fresh_status": "initialized"})
    assert initialized.get_setting("1070001")["status"] == "initialized"


def _seed_text() -> str:
    from rtcfg.emulator.app import PACKAGE_SEED

    return PACKAGE_SEED.read_text()


def test_dropped_description_is_not_stored() -> None:
    with client_for(key_event_description="dropped") as c:
        made = c.post(
            f"{POP_PATH}/realtime_key_events", json=key_event("d1", description="x")
        ).json()
        assert "description" not in made
        assert "description" not in c.get(f"{POP_PATH}/realtime_key_events/{made['id']}").json()


def test_nested_notation_is_added_to_aggregations_and_sub_durations() -> None:
    with client_for(nested_notation="present") as c:
        query = {"types": "list,counter"}
        items = c.get(f"{POP_PATH}/realtime_attributes", params=query).json()["data"]
    nested = [e for a in items for e in a.get("aggregations", []) + a.get("subDurations", [])]
    assert nested and all("notation" in e for e in nested)


def test_patch_while_updating_is_refused_or_accepted() -> None:
    for mode, expected in (("refuse", 409), ("accept", 200)):
        behaviours = {"patch_while_updating": mode}
        with (
            EmulatorThread(update_seconds=5.0, behaviours=behaviours) as emu,
            httpx.Client(base_url=emu.url, headers=AUTH) as c,
        ):
            body = setting_body(c, EMPTY_PATH)
            assert c.patch(f"{EMPTY_PATH}/realtime_setting", json=body).status_code == 200
            assert c.patch(f"{EMPTY_PATH}/realtime_setting", json=body).status_code == expected


def test_partial_setting_patch_is_refused_or_keeps_omitted_keys(default: httpx.Client) -> None:
    assert default.patch(
        f"{POP_PATH}/realtime_setting", json={"extLookupKey": "customer_id"}
    ).is_error
    with client_for(partial_setting_patch="keep") as keep:
        before = setting_body(keep)
        answer = keep.patch(f"{POP_PATH}/realtime_setting", json={"extLookupKey": "customer_id"})
        assert answer.status_code == 200 and setting_body(keep) == before


def test_status_detailed_null_or_object(default: httpx.Client) -> None:
    assert default.get(f"{POP_PATH}/realtime_setting").json()["statusDetailed"] is None
    with client_for(status_detailed="object") as detailed:
        answer = detailed.get(f"{POP_PATH}/realtime_setting").json()
        assert isinstance(answer["statusDetailed"], dict)


def test_error_envelope_rest_or_json_api(default: httpx.Client) -> None:
    rest = default.post(f"{POP_PATH}/realtime_key_events", json={"name": "x"}).json()
    assert set(rest) >= {"code", "message"}
    with client_for(error_envelope="jsonapi") as jsonapi:
        body = jsonapi.post(f"{POP_PATH}/realtime_key_events", json={"name": "x"}).json()
    (error,) = body["errors"]
    assert error["code"] == "validation-error" and error["status"] == "400"
    assert error["meta"]["validationCode"] == "CANNOT_BE_BLANK"


def test_sensitive_field_accepted_or_refused() -> None:
    attr: dict[str, Any] = {
        "name": "s",
        "identifier": "s",
        "type": "single",
        "realtimeKeyEventId": "810",
        "valueColumn": "td_url",
        "dataType": "string",
        "sensitive": True,
    }
    with client_for(sensitive_field="refuse") as refusing:
        assert refusing.post(f"{POP_PATH}/realtime_attributes", json=attr).status_code == 400
        del attr["sensitive"]
        assert refusing.post(f"{POP_PATH}/realtime_attributes", json=attr).status_code == 200


def test_entities_lists_are_json_api_and_can_be_switched_off(default: httpx.Client) -> None:
    path = "/entities/parent_segments/1069935/realtime_personalizations"
    page = default.get(path).json()
    (item,) = page["data"]
    assert item["type"] == "realtime-personalization" and page["pagination"]["nextPage"] is None
    assert {r["id"] for r in item["attributes"]["referencingRealtimeAttributes"]} == {
        "2330",
        "2331",
    }
    journeys = default.get("/entities/parent_segments/1069935/realtime_journeys").json()
    assert journeys["data"][0]["type"] == "realtime-journey"
    assert default.get("/entities/parent_segments/1069944/realtime_journeys").json()["data"] == []
    for mode, status in (("forbidden", 403), ("missing", 404)):
        with client_for(entities=mode) as off:
            assert off.get(path).status_code == status


def test_fresh_segment_is_listed_with_its_status(default: httpx.Client) -> None:
    assert default.get(f"{FRESH}/realtime_setting").json()["status"] == "not_initialized"
