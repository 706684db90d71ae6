"""Read views of stored objects: parent segments (Audience), the setting's status, imported
attributes, personalizations and journeys. Line numbers cite TD's CDP OpenAPI."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from .errors import ApiError
from .seed_format import rt_enabled
from .validation import Json

_NUMBER_TYPES = ("int", "long", "bigint", "double", "float", "decimal", "number")


def column_type(td_type: str) -> str:
    """TD table column type → CDP ColumnType."""
    t = td_type.lower()
    if t.startswith("array<"):
        inner = t[6:-1]
        return "number_array" if inner in _NUMBER_TYPES else "string_array"
    if t in _NUMBER_TYPES:
        return "number"
    if t == "boolean":
        return "boolean"
    return "string"


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def audience_view(ps: Json, *, legacy: bool = False) -> Json:
    """``GET /audiences/{id}``: only fields of the OAS Audience (l.7608). ``legacy`` adds the
    undocumented ``masterKeyColumn`` and ``realtimeEnabled`` that older emulators answered."""
    master = ps["master"]
    attributes = [
        {
            "audienceId": ps["id"],
            "name": a["name"],
            "type": a["type"],
            "parentDatabaseName": master["database"],
            "parentTableName": master["table"],
            "parentColumn": a.get("column", a["name"]),
            "parentKey": ps["profileKey"],
            "foreignKey": ps["profileKey"],
            "groupingName": a.get("groupingName"),
        }
        for a in ps.get("attributes", [])
    ]
    return {
        "id": ps["id"],
        "name": ps["name"],
        "description": ps.get("description", ""),
        "scheduleType": "daily",
        "scheduleOption": "03:00",
        "timezone": "UTC",
        "population": ps.get("population"),
        "master": {
            "parentDatabaseName": master["database"],
            "parentTableName": master["table"],
        },
        "attributes": attributes,
        "behaviors": [],
        "createdAt": ps.get("createdAt", "2026-01-05T09:00:00Z"),
        "updatedAt": ps.get("updatedAt", "2026-01-05T09:00:00Z"),
        **(
            {"masterKeyColumn": ps["profileKey"], "realtimeEnabled": rt_enabled(ps)}
            if legacy
            else {}
        ),
    }


def setting_status(rt: Json, behaviours: dict[str, str]) -> tuple[str, object]:
    """(status, statusDetailed) as answered. A segment never configured is ``not_initialized``
    or, under ``fresh_status=initialized``, ``initialized`` (enum l.17050); statusDetailed is
    null or, under ``status_detailed=object``, an object (l.17056, no schema)."""
    status = str(rt["status"])
    if status == "not_initialized" and behaviours["fresh_status"] == "initialized":
        status = "initialized"
    detailed = rt.get("statusDetailed")
    if detailed is None and behaviours["status_detailed"] == "object":
        detailed = {"status": status, "message": f"realtime-api reports {status}"}
    return status, detailed


def with_notation(attr: Json) -> Json:
    """Read-only ``notation`` on each aggregation and sub-duration, as the entities view has
    it (l.16466 list, l.16352 counter)."""
    for key in ("aggregations", "subDurations"):
        for item in attr.get(key) or []:
            item["notation"] = f"{attr['identifier']}.{item.get('identifier')}"
    return attr


ENTITY_KINDS = {"realtime_personalizations": "personalizations", "realtime_journeys": "journeys"}


def entity_list(ps: Json, kind: str, mode: str) -> list[Json]:
    """Seeded JSON:API resources (l.16052 personalization, l.15852 journey); ``mode`` (the
    ``entities`` behaviour) plays the feature being off for the key: 403 or 404."""
    if mode == "forbidden":
        raise ApiError(403, "forbidden", f"{kind} are not enabled for this account")
    if mode == "missing":
        raise ApiError(404, "not_found", f"no route for {kind}")
    items = (ps.get("realtime") or {}).get(ENTITY_KINDS[kind]) or []
    return [copy.deepcopy(i) for i in items]


def imported_view(ps: Json, rt: Json) -> list[Json]:
    """The ``type: imported`` rows derived from the setting's batchAttributes."""
    types = {a["name"]: a["type"] for a in ps.get("attributes", [])}
    return [
        {
            "id": rt["importedIds"][b["column"]],
            "name": b["name"] if b["name"] is not None else b["column"],
            "identifier": b["column"],
            "type": "imported",
            "description": None,
            "realtimeAttributeKind": "batch",
            "column": b["column"],
            "dataType": types.get(b["column"]),
            "sensitive": False,
        }
        for b in rt["batchAttributes"]
    ]
