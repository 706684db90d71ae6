"""The emulator's answers validate against TD's OpenAPI; requests the OpenAPI marks invalid
are refused with 400. Schemas come from the vendored ``openapi_subset.json`` (see README.md)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from rtcfg.emulator import EmulatorThread
from tests.contract.body_check import undocumented

SUBSET = json.loads((Path(__file__).with_name("openapi_subset.json")).read_text())
RESP: dict[str, Any] = SUBSET["responses"]
REQ: dict[str, Any] = SUBSET["requests"]
PS = "/audiences/1069935"
KE = f"{PS}/realtime_key_events"
AT = f"{PS}/realtime_attributes"
RULE: dict[str, Any] = {"type": "And", "conditions": []}


def valid(schema: str, body: Any) -> None:
    jsonschema.validate(body, RESP[schema])


def request_is_invalid(schema: str, body: Any) -> bool:
    return not jsonschema.Draft7Validator(REQ[schema]).is_valid(body)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as emu:
        yield emu


@pytest.fixture()
def c(server: EmulatorThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": "TD1 1/x"}) as client:
        client.post("/_emulator/reset")
        yield client


def ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


def setting_body(c: httpx.Client) -> dict[str, Any]:
    s = ok(c.get(f"{PS}/realtime_setting"))
    return {k: s[k] for k in ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")}


NEW_KE = {
    "name": "contract_ke",
    "databaseName": "events_db",
    "tableName": "pageviews",
    "filterRule": RULE,
}
NEW_ATTRS: list[dict[str, Any]] = [
    {
        "name": "c single",
        "identifier": "c_single",
        "type": "single",
        "realtimeKeyEventId": "810",
        "valueColumn": "product_id",
        "dataType": "string",
        "duration": {"value": 1, "unit": "day"},
    },
    {
        "name": "c list",
        "identifier": "c_list",
        "type": "list",
        "realtimeKeyEventId": "810",
        "idColumn": "product_id",
        "fields": ["product_id"],
        "duration": {"value": 7, "unit": "day"},
        "maxItems": 10,
        "actions": [],
        "aggregations": [],
    },
    {
        "name": "c counter",
        "identifier": "c_counter",
        "type": "counter",
        "realtimeKeyEventId": "810",
        "increment": {"type": "const", "value": 1},
        "duration": {"value": 1, "unit": "hour"},
    },
]


def test_audiences(c: httpx.Client) -> None:
    valid("audiences_list", ok(c.get("/audiences")))
    for ps in ("1069944", "1069935", "1053580"):
        valid("audience_show", ok(c.get(f"/audiences/{ps}")))


def test_setting_get_patch(c: httpx.Client) -> None:
    valid("setting_get", ok(c.get(f"{PS}/realtime_setting")))
    body = setting_body(c)
    assert not request_is_invalid("setting_patch", body)
    valid("setting_patch", ok(c.patch(f"{PS}/realtime_setting", json=body)))
    valid("setting_get", ok(c.get("/audiences/1069944/realtime_setting")))


def test_key_events_crud(c: httpx.Client) -> None:
    valid("key_events_list", ok(c.get(KE)))
    valid("key_events_list", ok(c.get(KE, params={"page[size]": "1"})))
    assert not request_is_invalid("key_event_create", NEW_KE)
    created = ok(c.post(KE, json=NEW_KE))
    valid("key_event_create", created)
    valid("key_event_get", ok(c.get(f"{KE}/{created['id']}")))
    valid("key_event_patch", ok(c.patch(f"{KE}/{created['id']}", json={**NEW_KE, "name": "n2"})))
    valid("key_event_delete", ok(c.delete(f"{KE}/{created['id']}")))


def test_columns(c: httpx.Client) -> None:
    valid("key_event_columns", ok(c.get(f"{KE}/811/columns")))
    valid(
        "event_table_columns", ok(c.get(f"{PS}/realtime_event_tables/events_db/purchase/columns"))
    )


@pytest.mark.parametrize("body", NEW_ATTRS, ids=lambda b: b["type"])
def test_attributes_crud(c: httpx.Client, body: dict[str, Any]) -> None:
    assert not request_is_invalid("attribute_create", body)
    created = ok(c.post(AT, json=body))
    valid("attribute_create", created)
    attr_id = created["data"]["id"]
    valid("attribute_get", ok(c.get(f"{AT}/{attr_id}")))
    patch = {"name": body["name"] + " v2", "description": "patched"}
    assert not request_is_invalid("attribute_patch", patch)
    valid("attribute_patch", ok(c.patch(f"{AT}/{attr_id}", json=patch)))
    valid("attribute_delete", ok(c.delete(f"{AT}/{attr_id}")))


def test_attributes_list_and_seeded_objects(c: httpx.Client) -> None:
    listed = ok(c.get(AT))
    valid("attributes_list", listed)
    for attr in listed["data"]:
        valid("attribute_get", ok(c.get(f"{AT}/{attr['id']}")))
    valid("attributes_list", ok(c.get(AT, params={"types": "imported", "page[size]": "1"})))


def test_td_v3(c: httpx.Client) -> None:
    valid("v3_database_list", ok(c.get("/v3/database/list")))
    for db in ("events_db", "master_db", "web_analytics"):
        listed = ok(c.get(f"/v3/table/list/{db}"))
        valid("v3_table_list", listed)
        for table in listed["tables"]:
            shown = ok(c.get(f"/v3/table/show/{db}/{table['name']}"))
            valid("v3_table_show", shown)
            assert json.loads(shown["schema"])
    valid("v3_error", c.get("/v3/table/show/events_db/nope").json())


def test_errors_use_the_error_schema(c: httpx.Client) -> None:
    for r in (
        c.get("/audiences/1/realtime_setting"),
        c.post(KE, json={}),
        httpx.get(f"{c.base_url}{KE}"),
    ):
        assert r.status_code >= 400
        valid("error", r.json())


def _drop(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _with(body: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


SETTING_CASES = [
    ("missing extLookupKey", lambda b: _drop(b, "extLookupKey")),
    ("missing keyColumns", lambda b: _drop(b, "keyColumns")),
    ("additional top-level", lambda b: {**b, "status": "ok"}),
    ("additional in keyColumns", lambda b: _with(b, ["keyColumns", 0, "primary"], True)),
    ("additional in eventTables", lambda b: _with(b, ["eventTables", 0, "name"], "x")),
    ("additional in batchAttributes", lambda b: _with(b, ["batchAttributes", 0, "t"], "x")),
    ("eventTable missing table", lambda b: _with(b, ["eventTables", 0], {"database": "d"})),
    ("keyColumn missing name", lambda b: _with(b, ["keyColumns", 0], {"internal": False})),
]


@pytest.mark.parametrize(("name", "mutate"), SETTING_CASES, ids=[n for n, _ in SETTING_CASES])
def test_invalid_setting_requests_400(c: httpx.Client, name: str, mutate: Any) -> None:
    body = mutate(setting_body(c))
    assert request_is_invalid("setting_patch", body), name
    assert c.patch(f"{PS}/realtime_setting", json=body).status_code == 400


KE_CASES = [_drop(NEW_KE, k) for k in ("name", "databaseName", "tableName", "filterRule")] + [
    {**NEW_KE, "filterRule": None},
    {**NEW_KE, "name": 5},
]


@pytest.mark.parametrize("body", KE_CASES)
def test_invalid_key_event_requests_400(c: httpx.Client, body: dict[str, Any]) -> None:
    assert request_is_invalid("key_event_create", body)
    assert request_is_invalid("key_event_patch", body)
    assert c.post(KE, json=body).status_code == 400
    assert c.patch(f"{KE}/811", json=body).status_code == 400


ATTR_CASES = [
    ("missing name", _drop(NEW_ATTRS[0], "name")),
    ("missing identifier", _drop(NEW_ATTRS[0], "identifier")),
    ("missing type", _drop(NEW_ATTRS[0], "type")),
    ("bad type enum", {**NEW_ATTRS[0], "type": "imported_batch"}),
    ("bad dataType enum", {**NEW_ATTRS[0], "dataType": "boolean"}),
    ("bad duration unit", {**NEW_ATTRS[0], "duration": {"value": 1, "unit": "week"}}),
    ("duration missing unit", {**NEW_ATTRS[0], "duration": {"value": 1}}),
    ("bad counterType", {**NEW_ATTRS[2], "counterType": "daily"}),
    ("increment const < 1", {**NEW_ATTRS[2], "increment": {"type": "const", "value": 0}}),
    ("increment additional", {**NEW_ATTRS[2], "increment": {"type": "const", "value": 1, "x": 1}}),
    (
        "bad aggregationType",
        {
            **NEW_ATTRS[1],
            "aggregations": [
                {"name": "a", "identifier": "a", "column": "product_id", "aggregationType": "avg"}
            ],
        },
    ),
    (
        "action additional",
        {
            **NEW_ATTRS[1],
            "actions": [
                {"action": "clear", "realtimeKeyEventId": "812", "filterRule": RULE, "x": 1}
            ],
        },
    ),
    (
        "bad action enum",
        {
            **NEW_ATTRS[1],
            "actions": [{"action": "remove", "realtimeKeyEventId": "812", "filterRule": RULE}],
        },
    ),
    ("empty field name", {**NEW_ATTRS[1], "fields": [""]}),
]


@pytest.mark.parametrize(("name", "body"), ATTR_CASES, ids=[n for n, _ in ATTR_CASES])
def test_invalid_attribute_requests_400(c: httpx.Client, name: str, body: dict[str, Any]) -> None:
    assert request_is_invalid("attribute_create", body), name
    assert c.post(AT, json=body).status_code == 400


PATCH_CASES = [
    ("bad duration unit", {"duration": {"value": 1, "unit": "week"}}),
    ("duration missing value", {"duration": {"unit": "day"}}),
    ("name not a string", {"name": 3}),
    (
        "bad aggregationType",
        {
            "aggregations": [
                {"name": "a", "identifier": "a", "column": "product_id", "aggregationType": "avg"}
            ]
        },
    ),
]


@pytest.mark.parametrize(("name", "body"), PATCH_CASES, ids=[n for n, _ in PATCH_CASES])
def test_invalid_attribute_patch_400(c: httpx.Client, name: str, body: dict[str, Any]) -> None:
    assert request_is_invalid("attribute_patch", body), name
    assert c.patch(f"{AT}/2331", json=body).status_code == 400


def test_audiences_hold_only_documented_fields(c: httpx.Client) -> None:
    """Beyond validating (the Audience schema is open), no field outside it (OAS l.7608)."""
    for ps in ok(c.get("/audiences")):
        assert undocumented(RESP["audience_show"], ps) == [], ps["id"]
        assert undocumented(RESP["audience_show"], ok(c.get(f"/audiences/{ps['id']}"))) == []


def test_personalization_and_journey_lists(c: httpx.Client) -> None:
    base = "/entities/parent_segments/1069935"
    personalizations = ok(c.get(f"{base}/realtime_personalizations"))
    journeys = ok(c.get(f"{base}/realtime_journeys"))
    valid("personalizations_list", personalizations)
    valid("journeys_list", journeys)
    assert personalizations["data"] and journeys["data"]
    for name, body in (("personalizations_list", personalizations), ("journeys_list", journeys)):
        assert undocumented(RESP[name], body) == []
    valid("personalizations_list", ok(c.get("/entities/parent_segments/1069944/realtime_journeys")))
