"""Read views of stored objects: parent segments (Audience) and imported attributes."""

from __future__ import annotations

from datetime import datetime, timezone

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


def audience_view(ps: Json) -> Json:
    """``GET /audiences/{id}``: the OAS Audience, plus masterKeyColumn and realtimeEnabled."""
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
        "masterKeyColumn": ps["profileKey"],
        "realtimeEnabled": bool(ps.get("realtimeEnabled")),
        "attributes": attributes,
        "behaviors": [],
        "createdAt": ps.get("createdAt", "2026-01-05T09:00:00Z"),
        "updatedAt": ps.get("updatedAt", "2026-01-05T09:00:00Z"),
    }


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
