"""realtime_setting rules, status transitions, authentication and parent segments."""

from __future__ import annotations

import time

import httpx

from rtcfg.emulator import EmulatorThread
from tests.builders import AUTH, EMPTY_PATH, POP_PATH, RT_DISABLED_PATH, key_event

from .helpers import error_of, setting_body


def test_no_auth_header_is_401(client: httpx.Client) -> None:
    r = httpx.get(f"{client.base_url}{POP_PATH}/realtime_setting")
    assert error_of(r, 401)
    assert r.json()["code"] == "unauthorized"


def test_bearer_and_empty_key_are_401(client: httpx.Client) -> None:
    for header in ("Bearer abc", "TD1", "td1 abc", "abc"):
        r = client.get(f"{POP_PATH}/realtime_setting", headers={"Authorization": header})
        error_of(r, 401)


def test_api_key_and_read_only_key() -> None:
    with EmulatorThread(api_key="1/good", read_only_key="1/ro") as emu:
        base = emu.url + POP_PATH + "/realtime_key_events"
        assert httpx.get(base, headers={"Authorization": "TD1 1/other"}).status_code == 401
        assert httpx.get(base, headers={"Authorization": "TD1 1/good"}).status_code == 200
        assert httpx.get(base, headers={"Authorization": "TD1 1/ro"}).status_code == 200
        r = httpx.post(base, json=key_event("x"), headers={"Authorization": "TD1 1/ro"})
        error_of(r, 403)
        r = httpx.post(base, json=key_event("x"), headers={"Authorization": "TD1 1/good"})
        assert r.status_code == 200


def test_v3_paths_served_on_same_port_with_auth(client: httpx.Client) -> None:
    assert client.get("/v3/database/list").status_code == 200
    r = httpx.get(f"{client.base_url}/v3/database/list")
    assert r.status_code == 401
    assert r.json()["status_code"] == 401


def test_unknown_parent_segment_and_object_404(client: httpx.Client) -> None:
    assert "not found" in error_of(client.get("/audiences/999/realtime_setting"), 404)
    error_of(client.get("/audiences/999"), 404)
    error_of(client.get(f"{POP_PATH}/realtime_key_events/99999"), 404)
    error_of(client.get(f"{POP_PATH}/realtime_attributes/99999"), 404)
    error_of(client.get("/v3/table/list/nope"), 404)
    error_of(client.get("/nothing/here"), 404)


def test_rt_disabled_is_404_on_every_realtime_path(client: httpx.Client) -> None:
    for sub in ("realtime_setting", "realtime_key_events", "realtime_attributes"):
        msg = error_of(client.get(f"{RT_DISABLED_PATH}/{sub}"), 404)
        assert msg == "RT 2.0 is not enabled for parent segment 1053580"
    assert "realtimeEnabled" not in client.get(RT_DISABLED_PATH).json()  # not in the OAS Audience


def test_audiences_carry_only_documented_fields_and_the_attributes(
    client: httpx.Client,
) -> None:
    ps = client.get(POP_PATH).json()
    assert "masterKeyColumn" not in ps and "realtimeEnabled" not in ps
    assert {a["foreignKey"] for a in ps["attributes"]} == {"customer_id"}
    names = {a["name"] for a in ps["attributes"]}
    assert names == {"loyalty_tier", "email", "total_purchase_value", "city", "first_name"}
    listed = client.get("/audiences").json()
    assert [p["id"] for p in listed] == ["1069944", "1069935", "1053580", "1070001"]


def test_empty_setting(client: httpx.Client) -> None:
    s = client.get(f"{EMPTY_PATH}/realtime_setting").json()
    assert s["status"] == "ok"
    assert s["keyColumns"] == s["eventTables"] == s["batchAttributes"] == []
    assert s["extLookupKey"] is None


def test_patch_needs_all_four_keys(client: httpx.Client) -> None:
    body = setting_body(client)
    for key in body:
        partial = {k: v for k, v in body.items() if k != key}
        error_of(client.patch(f"{POP_PATH}/realtime_setting", json=partial), 400, "CANNOT_BE_BLANK")


def test_patch_unknown_fields_400(client: httpx.Client) -> None:
    body = setting_body(client)
    error_of(client.patch(f"{POP_PATH}/realtime_setting", json={**body, "status": "ok"}), 400)
    for section, extra in (
        ("keyColumns", "exclude_regex"),
        ("eventTables", "event_name"),
        ("batchAttributes", "type"),
    ):
        bad = setting_body(client)
        bad[section][0][extra] = "x"
        msg = error_of(client.patch(f"{POP_PATH}/realtime_setting", json=bad), 400)
        assert extra in msg


def test_status_updating_then_ok_and_409_while_updating() -> None:
    with (
        EmulatorThread(update_seconds=0.3) as emu,
        httpx.Client(base_url=emu.url, headers=AUTH) as c,
    ):
        body = setting_body(c)
        r = c.patch(f"{POP_PATH}/realtime_setting", json=body)
        assert r.status_code == 200
        assert r.json()["status"] == "updating"
        assert c.get(f"{POP_PATH}/realtime_setting").json()["status"] == "updating"
        error_of(c.patch(f"{POP_PATH}/realtime_setting", json=body), 409)
        deadline = time.monotonic() + 5
        while c.get(f"{POP_PATH}/realtime_setting").json()["status"] != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert c.patch(f"{POP_PATH}/realtime_setting", json=body).status_code == 200


def test_removing_event_table_used_by_key_event_409(client: httpx.Client) -> None:
    body = setting_body(client)
    body["eventTables"] = [t for t in body["eventTables"] if t["table"] != "purchase"]
    assert "purchase" in error_of(client.patch(f"{POP_PATH}/realtime_setting", json=body), 409)


def test_removing_unused_event_table_ok(client: httpx.Client) -> None:
    body = setting_body(client)
    body["eventTables"] = [t for t in body["eventTables"] if t["table"] != "formfills"]
    assert client.patch(f"{POP_PATH}/realtime_setting", json=body).status_code == 200


def test_ext_lookup_key_cannot_return_to_null(client: httpx.Client) -> None:
    body = setting_body(client)
    body["extLookupKey"] = None
    assert "null" in error_of(client.patch(f"{POP_PATH}/realtime_setting", json=body), 400)


def test_ext_lookup_key_must_be_profile_key(client: httpx.Client) -> None:
    body = setting_body(client, EMPTY_PATH)
    body["extLookupKey"] = "email"
    error_of(client.patch(f"{EMPTY_PATH}/realtime_setting", json=body), 400)
    body["extLookupKey"] = "customer_id"
    r = client.patch(f"{EMPTY_PATH}/realtime_setting", json=body)
    assert r.json()["extLookupKey"] == "customer_id"


def test_event_table_limits_and_existence(client: httpx.Client) -> None:
    body = setting_body(client, EMPTY_PATH)
    body["eventTables"] = [{"database": "events_db", "table": "nope"}]
    error_of(client.patch(f"{EMPTY_PATH}/realtime_setting", json=body), 400)
    body["eventTables"] = [{"database": "events_db", "table": f"t{i}"} for i in range(101)]
    error_of(client.patch(f"{EMPTY_PATH}/realtime_setting", json=body), 400, "IS_TOO_LONG")
    body["eventTables"] = [{"database": "events_db", "table": "clicks"}] * 2
    error_of(
        client.patch(f"{EMPTY_PATH}/realtime_setting", json=body),
        400,
        "VIOLATES_UNIQUENESS_CONSTRAINT",
    )


def test_key_column_rules(client: httpx.Client) -> None:
    body = setting_body(client)
    body["keyColumns"] = body["keyColumns"] + [dict(body["keyColumns"][0])]
    error_of(
        client.patch(f"{POP_PATH}/realtime_setting", json=body),
        400,
        "VIOLATES_UNIQUENESS_CONSTRAINT",
    )
    body = setting_body(client)
    body["keyColumns"][0]["validRegexp"] = "([unclosed"
    error_of(client.patch(f"{POP_PATH}/realtime_setting", json=body), 400)
    body = setting_body(client)
    body["keyColumns"].append({"name": "price"})  # a double column, not a string
    error_of(client.patch(f"{POP_PATH}/realtime_setting", json=body), 400)
    body = setting_body(client)
    body["keyColumns"] = [{"name": f"k{i}"} for i in range(101)]
    error_of(client.patch(f"{POP_PATH}/realtime_setting", json=body), 400, "IS_TOO_LONG")


def test_key_column_defaults_filled(client: httpx.Client) -> None:
    body = setting_body(client)
    body["keyColumns"] = [{"name": "td_client_id"}]
    r = client.patch(f"{POP_PATH}/realtime_setting", json=body)
    assert r.json()["keyColumns"] == [
        {"name": "td_client_id", "validRegexp": None, "invalidTexts": [], "internal": False}
    ]


def test_batch_attributes_must_exist_and_become_imported(client: httpx.Client) -> None:
    body = setting_body(client, EMPTY_PATH)
    body["batchAttributes"] = [{"column": "not_an_attribute"}]
    error_of(client.patch(f"{EMPTY_PATH}/realtime_setting", json=body), 400)
    body["batchAttributes"] = [{"column": "city", "name": "City"}]
    assert client.patch(f"{EMPTY_PATH}/realtime_setting", json=body).status_code == 200
    rows = client.get(f"{EMPTY_PATH}/realtime_attributes").json()["data"]
    assert [(a["type"], a["column"], a["name"], a["realtimeAttributeKind"]) for a in rows] == [
        ("imported", "city", "City", "batch")
    ]


def test_removing_batch_attribute_used_by_backfill_409(client: httpx.Client) -> None:
    body = setting_body(client)
    body["batchAttributes"] = [
        b for b in body["batchAttributes"] if b["column"] != "total_purchase_value"
    ]
    error_of(client.patch(f"{POP_PATH}/realtime_setting", json=body), 400 + 9)


def test_bad_json_and_content_type(client: httpx.Client) -> None:
    r = client.patch(
        f"{POP_PATH}/realtime_setting",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    error_of(r, 400)
    r = client.patch(
        f"{POP_PATH}/realtime_setting", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    error_of(r, 415)
    error_of(client.delete(f"{POP_PATH}/realtime_setting"), 405)


def test_unknown_query_parameter_400(client: httpx.Client) -> None:
    error_of(client.get(f"{POP_PATH}/realtime_setting", params={"x": "1"}), 400)


def test_batch_attribute_names_are_unique_among_all_attributes(client: httpx.Client) -> None:
    body = setting_body(client, EMPTY_PATH)
    clash = [{"column": "city", "name": None}, {"column": "loyalty_tier", "name": "city"}]
    r = client.patch(f"{EMPTY_PATH}/realtime_setting", json={**body, "batchAttributes": clash})
    error_of(r, 400, "VIOLATES_UNIQUENESS_CONSTRAINT")
    taken = client.get(f"{POP_PATH}/realtime_attributes").json()["data"][0]["name"]
    body = setting_body(client)
    batch = [*body["batchAttributes"], {"column": "city", "name": taken}]
    r = client.patch(f"{POP_PATH}/realtime_setting", json={**body, "batchAttributes": batch})
    error_of(r, 400, "VIOLATES_UNIQUENESS_CONSTRAINT")
