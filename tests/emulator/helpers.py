"""Helpers shared by the emulator tests."""

from __future__ import annotations

from typing import Any

import httpx

AUTH = {"Authorization": "TD1 1/test-key"}
POP = "/audiences/1069935"  # RT enabled, populated
EMPTY = "/audiences/1069944"  # RT enabled, empty setting
LEGACY = "/audiences/1053580"  # RT disabled


def setting_body(c: httpx.Client, ps: str = POP) -> dict[str, Any]:
    s = c.get(f"{ps}/realtime_setting").json()
    return {k: s[k] for k in ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")}


EMPTY_RULE: dict[str, Any] = {"type": "And", "conditions": []}


def key_event(name: str, table: str = "pageviews", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "databaseName": "events_db",
        "tableName": table,
        "filterRule": EMPTY_RULE,
        **extra,
    }


def single_attr(identifier: str, ke: str = "810", **extra: Any) -> dict[str, Any]:
    return {
        "name": identifier.replace("_", " "),
        "identifier": identifier,
        "type": "single",
        "realtimeKeyEventId": ke,
        "valueColumn": "product_id",
        "dataType": "string",
        "duration": {"value": 1, "unit": "day"},
        **extra,
    }


def list_attr(identifier: str, ke: str = "810", **extra: Any) -> dict[str, Any]:
    return {
        "name": identifier,
        "identifier": identifier,
        "type": "list",
        "realtimeKeyEventId": ke,
        "idColumn": "product_id",
        "fields": ["product_id"],
        "duration": {"value": 30, "unit": "day"},
        "maxItems": 20,
        "actions": [],
        "aggregations": [
            {
                "name": "items",
                "identifier": "items",
                "column": "product_id",
                "aggregationType": "distinct_list",
            }
        ],
        **extra,
    }


def counter_attr(identifier: str, ke: str = "810", **extra: Any) -> dict[str, Any]:
    return {
        "name": identifier,
        "identifier": identifier,
        "type": "counter",
        "realtimeKeyEventId": ke,
        "counterType": "sliding",
        "increment": {"type": "const", "value": 1},
        "duration": {"value": 24, "unit": "hour"},
        "subDurations": [],
        **extra,
    }


def error_of(r: httpx.Response, status: int, validation_code: str | None = None) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    if "status_code" in body:  # TD API v3 ErrorResponse
        assert body["status_code"] == status
        return str(body["message"])
    assert set(body) >= {"code", "message"}
    if validation_code is not None:
        assert body["validationCode"] == validation_code, body
    return str(body["message"])
