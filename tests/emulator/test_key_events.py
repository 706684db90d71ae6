"""Key events: create/get/patch/delete, references, uniqueness, filters, columns."""

from __future__ import annotations

import httpx

from tests.builders import EMPTY_RULE, POP_PATH, key_event, single_attr

from .helpers import error_of

KE = f"{POP_PATH}/realtime_key_events"


def test_create_returns_object_unwrapped_with_string_id(client: httpx.Client) -> None:
    r = client.post(KE, json=key_event("new_pv", description="d"))
    assert r.status_code == 200
    body = r.json()
    assert "data" not in body
    assert body["id"].isdigit() and int(body["id"]) >= 3000
    assert body["description"] == "d"
    assert client.get(f"{KE}/{body['id']}").json() == body


def test_ids_monotonic_never_reused(client: httpx.Client) -> None:
    a = client.post(KE, json=key_event("a")).json()["id"]
    assert client.delete(f"{KE}/{a}").status_code == 200
    b = client.post(KE, json=key_event("b")).json()["id"]
    assert int(b) > int(a)
    error_of(client.get(f"{KE}/{a}"), 404)


def test_table_must_be_an_event_table(client: httpx.Client) -> None:
    error_of(client.post(KE, json=key_event("c", table="clicks")), 400)


def test_name_unique(client: httpx.Client) -> None:
    r = client.post(KE, json=key_event("page_view"))
    error_of(r, 400, "VIOLATES_UNIQUENESS_CONSTRAINT")
    r = client.patch(f"{KE}/811", json=key_event("page_view", table="add_to_cart"))
    error_of(r, 400, "VIOLATES_UNIQUENESS_CONSTRAINT")


def test_filter_rule_required_never_null(client: httpx.Client) -> None:
    body = key_event("x")
    del body["filterRule"]
    error_of(client.post(KE, json=body), 400, "CANNOT_BE_BLANK")
    error_of(client.post(KE, json={**body, "filterRule": None}), 400, "CANNOT_BE_BLANK")
    error_of(client.post(KE, json={**body, "filterRule": {"type": "Xor", "conditions": []}}), 400)


def test_unknown_fields_400_description_ok(client: httpx.Client) -> None:
    error_of(client.post(KE, json=key_event("x", event_name="pv")), 400)
    assert client.post(KE, json=key_event("y", description=None)).status_code == 200


def test_patch_is_full_and_returns_object(client: httpx.Client) -> None:
    r = client.patch(f"{KE}/811", json={"name": "renamed"})
    error_of(r, 400, "CANNOT_BE_BLANK")
    r = client.patch(f"{KE}/811", json=key_event("renamed", table="add_to_cart"))
    assert r.status_code == 200
    assert r.json()["name"] == "renamed" and r.json()["id"] == "811"


def test_delete_returns_deleted_object(client: httpx.Client) -> None:
    ke = client.post(KE, json=key_event("tmp")).json()
    r = client.delete(f"{KE}/{ke['id']}")
    assert r.json() == ke


def test_delete_used_by_attribute_409(client: httpx.Client) -> None:
    error_of(client.delete(f"{KE}/810"), 409)  # used via realtimeKeyEventId
    ke = client.post(KE, json=key_event("only_in_action", table="purchase")).json()["id"]
    attr = client.get(f"{POP_PATH}/realtime_attributes/2331").json()
    actions = [{"action": "clear", "realtimeKeyEventId": ke, "filterRule": EMPTY_RULE}]
    assert client.patch(
        f"{POP_PATH}/realtime_attributes/2331", json={"actions": actions}
    ).is_success
    assert "2331" in error_of(client.delete(f"{KE}/{ke}"), 409)  # used via list actions
    assert attr["id"] == "2331"


def test_filters_total_at_most_1000_characters(client: httpx.Client) -> None:
    cond = {
        "type": "Column",
        "column": "td_path",
        "operator": {"type": "Regexp", "not": False, "rightValue": "x" * 900},
    }
    rule = {"type": "And", "conditions": [cond]}
    error_of(client.post(KE, json=key_event("big", filterRule=rule)), 400, "IS_TOO_LONG")
    cond["operator"]["rightValue"] = "x" * 400  # type: ignore[index]
    assert client.post(KE, json=key_event("mid", filterRule=rule)).status_code == 200
    error_of(client.post(KE, json=key_event("mid2", filterRule=rule)), 400, "IS_TOO_LONG")


def test_columns(client: httpx.Client) -> None:
    cols = client.get(f"{KE}/811/columns").json()
    assert {"queryAs": "price", "dataColumn": "price", "dataType": "number"} in cols
    assert {"queryAs": "product_id", "dataColumn": "product_id", "dataType": "string"} in cols
    r = client.get(f"{POP_PATH}/realtime_event_tables/events_db/purchase/columns")
    assert any(c["dataColumn"] == "order_id" for c in r.json())
    error_of(client.get(f"{POP_PATH}/realtime_event_tables/events_db/clicks/columns"), 404)


def test_key_event_referenced_by_new_attribute_must_exist(client: httpx.Client) -> None:
    r = client.post(f"{POP_PATH}/realtime_attributes", json=single_attr("x1", ke="99999"))
    error_of(r, 400)
