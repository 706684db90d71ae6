"""Realtime attributes: types, enums and limits, uniqueness, PATCH rules, imported rows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import POP_PATH, counter_attr, list_attr, single_attr

from .helpers import error_of

AT = f"{POP_PATH}/realtime_attributes"


@pytest.mark.parametrize("make", [single_attr, list_attr, counter_attr])
def test_create_each_type_wrapped_in_data(client: httpx.Client, make: Any) -> None:
    r = client.post(AT, json=make("new_attr"))
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["id"].isdigit() and data["identifier"] == "new_attr"
    assert client.get(f"{AT}/{data['id']}").json() == data
    assert client.delete(f"{AT}/{data['id']}").json() == {}
    error_of(client.get(f"{AT}/{data['id']}"), 404)


def test_counter_defaults_sliding(client: httpx.Client) -> None:
    body = counter_attr("c1")
    del body["counterType"]
    assert client.post(AT, json=body).json()["data"]["counterType"] == "sliding"


def test_counter_field_increment(client: httpx.Client) -> None:
    inc = {"type": "field", "value": "quantity"}
    r = client.post(AT, json=counter_attr("qty", ke="811", increment=inc))
    assert r.status_code == 200
    inc = {"type": "field", "value": "product_name"}  # not a number column
    error_of(client.post(AT, json=counter_attr("qty2", ke="811", increment=inc)), 400)


@pytest.mark.parametrize(
    "body",
    [
        single_attr("bad id"),
        single_attr("1abc"),
        single_attr("ok_id", dataType="boolean"),
        single_attr("ok_id", dataType="number"),  # product_id is a string column
        single_attr("ok_id", valueColumn="no_such_column"),
        single_attr("ok_id", duration={"value": 1, "unit": "week"}),
        single_attr("ok_id", duration={"value": 0, "unit": "day"}),
        single_attr("ok_id", duration={"value": 1.5, "unit": "day"}),
        list_attr("ok_id", maxItems=101),
        list_attr("ok_id", duration={"value": 61, "unit": "day"}),
        list_attr("ok_id", fields=[]),
        list_attr(
            "ok_id",
            aggregations=[
                {"name": "a", "identifier": "a", "column": "product_id", "aggregationType": "avg"}
            ],
        ),
        list_attr(
            "ok_id",
            actions=[
                {
                    "action": "remove",
                    "realtimeKeyEventId": "812",
                    "filterRule": {"type": "And", "conditions": []},
                }
            ],
        ),
        list_attr("ok_id", sensitive=True),
        counter_attr("ok_id", counterType="daily"),
        counter_attr("ok_id", increment={"type": "const", "value": 0}),
        counter_attr("ok_id", increment={"type": "const", "value": 1, "extra": 1}),
        counter_attr(
            "ok_id", subDurations=[{"value": 2, "unit": "day", "name": "n", "identifier": "n"}]
        ),
        {"name": "x", "identifier": "x", "type": "imported"},
        {"name": "x", "identifier": "x", "type": "lookupCatalog"},
        {"name": "x", "identifier": "x", "type": "weird"},
        single_attr("ok_id", unknown_field=1),
    ],
)
def test_invalid_bodies_400(client: httpx.Client, body: dict[str, Any]) -> None:
    error_of(client.post(AT, json=body), 400)


def test_required_fields(client: httpx.Client) -> None:
    for key in ("name", "identifier", "realtimeKeyEventId", "valueColumn", "dataType"):
        body = single_attr("req_test")
        del body[key]
        error_of(client.post(AT, json=body), 400, "CANNOT_BE_BLANK")


def test_name_and_identifier_unique_including_imported(client: httpx.Client) -> None:
    dup = "VIOLATES_UNIQUENESS_CONSTRAINT"
    error_of(client.post(AT, json=single_attr("last_product_viewed")), 400, dup)
    error_of(client.post(AT, json=single_attr("x", name="Last product viewed")), 400, dup)
    error_of(client.post(AT, json=single_attr("loyalty_tier")), 400, dup)
    error_of(client.post(AT, json=single_attr("y", name="Loyalty Tier")), 400, dup)


def test_patch_only_patchable_fields(client: httpx.Client) -> None:
    r = client.patch(f"{AT}/2331", json={"name": "Browsed", "maxItems": 10})
    assert r.status_code == 200
    assert r.json()["maxItems"] == 10 and r.json()["name"] == "Browsed"
    r = client.patch(f"{AT}/2332", json={"subDurations": []})
    assert r.json()["subDurations"] == []


def test_patch_immutable_even_if_unchanged(client: httpx.Client) -> None:
    current = client.get(f"{AT}/2330").json()
    for key in ("identifier", "type", "realtimeKeyEventId", "valueColumn", "dataType"):
        msg = error_of(client.patch(f"{AT}/2330", json={key: current[key]}), 400, "IS_IMMUTABLE")
        assert key in msg
    error_of(
        client.patch(f"{AT}/2332", json={"increment": {"type": "const", "value": 2}}),
        400,
        "IS_IMMUTABLE",
    )


def test_patch_field_not_for_type_and_limits(client: httpx.Client) -> None:
    error_of(client.patch(f"{AT}/2330", json={"maxItems": 5}), 400)
    error_of(client.patch(f"{AT}/2331", json={"maxItems": 500}), 400, "IS_TOO_LONG")
    error_of(client.patch(f"{AT}/2331", json={"duration": {"value": 3, "unit": "month"}}), 400)
    error_of(client.patch(f"{AT}/2331", json={"bogus": 1}), 400)


def test_imported_rows_cannot_be_patched_or_deleted(client: httpx.Client) -> None:
    error_of(client.patch(f"{AT}/2335", json={"name": "x"}), 400, "IS_IMMUTABLE")
    error_of(client.delete(f"{AT}/2335"), 400, "IS_IMMUTABLE")


def test_list_includes_imported_and_types_filter(client: httpx.Client) -> None:
    rows = client.get(AT).json()["data"]
    assert {a["type"] for a in rows} == {"single", "list", "counter", "imported"}
    imported = [a for a in rows if a["type"] == "imported"]
    assert {a["column"] for a in imported} == {"loyalty_tier", "total_purchase_value"}
    assert all(a["realtimeAttributeKind"] == "batch" for a in imported)
    rows = client.get(AT, params={"types": "single,counter"}).json()["data"]
    assert {a["type"] for a in rows} == {"single", "counter"}
    error_of(client.get(AT, params={"types": "single,bogus"}), 400)
    rows = client.get(AT, params={"name_include": "page VIEWS"}).json()["data"]
    assert [a["identifier"] for a in rows] == ["page_views_24h"]


def test_backfill_must_reference_imported_attribute(client: httpx.Client) -> None:
    bf = {"attributeIdentifier": "city", "timestampIdentifier": "time"}
    error_of(client.post(AT, json=counter_attr("bf", backfill=bf)), 400)
    bf["attributeIdentifier"] = "loyalty_tier"
    assert client.post(AT, json=counter_attr("bf", backfill=bf)).status_code == 200
