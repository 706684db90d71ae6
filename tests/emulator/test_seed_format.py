"""Partial seeds serve with the documented defaults; RT 2.0 follows the ``realtime`` block;
an internal error is a 500 that says so, never a 400."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rtcfg.emulator.app import PACKAGE_SEED, Emulator
from rtcfg.emulator.http import Request
from tests.builders import AUTH, key_event

HEADERS = {k.lower(): v for k, v in AUTH.items()} | {"content-type": "application/json"}
EVENTS_DB = {
    "name": "events_db",
    "tables": [{"name": "pageviews", "schema": [["email", "string"]]}],
}


def _ask(emu: Emulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = b"" if body is None else json.dumps(body).encode()
    return emu.api(Request(method, path, "", HEADERS, raw))


def _emulator(*segments: dict[str, Any]) -> Emulator:
    return Emulator({"parentSegments": list(segments), "databases": [EVENTS_DB]}, update_seconds=0)


def test_a_realtime_block_without_the_flag_is_rt_enabled_and_not_initialized() -> None:
    emu = _emulator({"id": "7", "realtime": {}}, {"id": "8"})
    status, setting = _ask(emu, "GET", "/audiences/7/realtime_setting")
    assert status == 200, setting
    assert setting["status"] == "not_initialized" and setting["keyColumns"] == []
    assert _ask(emu, "GET", "/audiences/8/realtime_setting")[0] == 404
    assert _ask(emu, "GET", "/audiences/7/realtime_key_events")[1]["data"] == []
    assert _ask(emu, "GET", "/audiences/7/realtime_attributes")[1]["data"] == []


def test_an_explicit_false_flag_keeps_rt_off() -> None:
    emu = _emulator({"id": "7", "realtimeEnabled": False, "realtime": {"status": "ok"}})
    assert _ask(emu, "GET", "/audiences/7/realtime_setting")[0] == 404


def test_legacy_audience_fields_without_the_flag() -> None:
    seed: dict[str, Any] = {"parentSegments": [{"id": "7", "realtime": {}}, {"id": 8}]}
    emu = Emulator(seed, behaviours=["audience_fields=legacy"])
    status, audiences = _ask(emu, "GET", "/audiences")
    assert status == 200, audiences
    assert [(a["id"], a["realtimeEnabled"]) for a in audiences] == [("7", True), ("8", False)]
    assert audiences[0]["masterKeyColumn"] == "td_canonical_id"


def test_a_not_initialized_block_takes_a_first_setup() -> None:
    emu = _emulator({"id": "7", "realtime": {"status": "not_initialized"}})
    setting = {
        "keyColumns": [{"name": "email"}],
        "eventTables": [{"database": "events_db", "table": "pageviews"}],
        "batchAttributes": [],
        "extLookupKey": None,
    }
    status, answer = _ask(emu, "PATCH", "/audiences/7/realtime_setting", setting)
    assert status == 200 and answer["status"] == "ok", answer
    status, ke = _ask(emu, "POST", "/audiences/7/realtime_key_events", key_event("viewed"))
    assert status == 200 and int(ke["id"]) > 1000, ke


def test_partial_items_get_ids_and_defaults() -> None:
    rt = {
        "eventTables": [{"database": "events_db", "table": "pageviews"}],
        "keyEvents": [{"name": "viewed", "databaseName": "events_db", "tableName": "pageviews"}],
        "attributes": [
            {
                "name": "n",
                "identifier": "n",
                "type": "counter",
                "realtimeKeyEventId": "x",
                "increment": {"type": "const", "value": 1},
                "duration": {"value": 1, "unit": "day"},
            }
        ],
    }
    emu = _emulator({"id": "7", "realtime": rt})
    setting = _ask(emu, "GET", "/audiences/7/realtime_setting")[1]
    assert setting["status"] == "ok"  # it configures something
    (ke,) = _ask(emu, "GET", "/audiences/7/realtime_key_events")[1]["data"]
    assert ke["filterRule"] == {"type": "And", "conditions": []} and ke["id"].isdigit()
    (attr,) = _ask(emu, "GET", "/audiences/7/realtime_attributes")[1]["data"]
    assert attr["counterType"] == "sliding" and attr["subDurations"] == []
    assert attr["id"] != ke["id"]


def test_a_table_with_null_last_log_lists() -> None:
    db = {"name": "web", "tables": [{"name": "t", "lastLogSecondsAgo": None}, {"name": "u"}]}
    emu = Emulator({"databases": [db]})
    status, answer = _ask(emu, "GET", "/v3/table/list/web")
    assert status == 200, answer
    assert [(t["name"], t["last_log_timestamp"], t["schema"]) for t in answer["tables"]] == [
        ("t", None, "[]"),
        ("u", None, "[]"),
    ]
    assert _ask(emu, "GET", "/v3/database/list")[0] == 200


def test_an_empty_seed_serves() -> None:
    emu = Emulator({})
    assert _ask(emu, "GET", "/audiences") == (200, [])


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"parentSegments": [{"name": "no id"}]}, "parentSegments[0].id: must be an id"),
        (
            {"parentSegments": [{"id": "1", "realtime": []}]},
            "parentSegments[0].realtime: must be an object",
        ),
        ({"databases": [{"name": "d", "tables": {}}]}, "databases[0].tables: must be a list"),
    ],
)
def test_a_seed_no_default_can_mend_is_a_value_error(seed: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Emulator(seed)


def test_the_bundled_seed_is_unchanged_by_the_defaults() -> None:
    seed = json.loads(PACKAGE_SEED.read_text())
    emu = Emulator(seed)
    dumped = emu.store.dump()
    for ps_in, ps_out in zip(seed["parentSegments"], dumped["parentSegments"], strict=True):
        assert ps_out.get("realtime") == ps_in.get("realtime")
    assert dumped["nextId"] == seed["nextId"]


def test_an_internal_error_is_a_500_naming_it() -> None:
    emu = _emulator({"id": "7", "realtime": {}})
    emu.store.data["parentSegments"][0]["realtime"].pop("keyEvents")  # a state no rule allows
    status, body = _ask(emu, "GET", "/audiences/7/realtime_key_events")
    assert status == 500
    assert body["error"] == "Internal Server Error"
    assert "GET /audiences/7/realtime_key_events: KeyError: 'keyEvents'" in body["details"]
