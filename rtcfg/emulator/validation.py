"""Shape checks of request bodies, written from TD's CDP OpenAPI (cdp-api 1.0.0) and NOTES §2.

Pure functions: each takes the decoded JSON body and either returns a normalised copy (defaults
filled in) or raises :class:`ApiError` (400). Checks that need the stored state (uniqueness,
references, columns) live in :mod:`state`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import invalid

Json = dict[str, Any]

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DURATION_UNITS = ("minute", "hour", "day")
UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
AGGREGATION_TYPES = ("first", "last", "sum", "min", "max", "distinct_list")
COUNTER_TYPES = ("sliding", "total")
SINGLE_DATA_TYPES = ("number", "string")
LIST_ACTIONS = ("delete_item", "clear")
RULE_TYPES = ("And", "Or")
MAX_KEY_COLUMNS = 100
MAX_EVENT_TABLES = 100
MAX_LIST_ITEMS = 100
MAX_LIST_DURATION_MINUTES = 60 * 1440
MAX_FILTER_CHARS = 1000
PATCHABLE_ATTRIBUTE_FIELDS = (
    "name",
    "description",
    "duration",
    "fields",
    "maxItems",
    "actions",
    "aggregations",
    "subDurations",
)
ATTRIBUTE_TYPES = ("single", "list", "counter", "imported", "lookupCatalog")
_COMMON = ("name", "identifier", "type", "description")
ATTRIBUTE_FIELDS: dict[str, tuple[str, ...]] = {
    "single": (
        *_COMMON,
        "realtimeKeyEventId",
        "filterRule",
        "valueColumn",
        "dataType",
        "duration",
        "backfill",
        "sensitive",
    ),
    "list": (
        *_COMMON,
        "realtimeKeyEventId",
        "filterRule",
        "idColumn",
        "fields",
        "duration",
        "maxItems",
        "actions",
        "aggregations",
    ),
    "counter": (
        *_COMMON,
        "realtimeKeyEventId",
        "filterRule",
        "counterType",
        "increment",
        "duration",
        "backfill",
        "subDurations",
    ),
}
ATTRIBUTE_REQUIRED: dict[str, tuple[str, ...]] = {
    "single": ("name", "identifier", "type", "realtimeKeyEventId", "valueColumn", "dataType"),
    "list": (
        "name",
        "identifier",
        "type",
        "realtimeKeyEventId",
        "idColumn",
        "fields",
        "duration",
        "maxItems",
    ),
    "counter": ("name", "identifier", "type", "realtimeKeyEventId", "increment", "duration"),
}


def empty_rule() -> Json:
    return {"type": "And", "conditions": []}


def check_object(obj: Any, where: str, required: Iterable[str], allowed: Iterable[str]) -> Json:
    """``obj`` must be an object holding every ``required`` key and no key outside ``allowed``."""
    if not isinstance(obj, dict):
        raise invalid(f"{where} must be a JSON object")
    allowed_set = set(allowed) | set(required)
    for key in obj:
        if key not in allowed_set:
            raise invalid(f"{where}: unknown field '{key}'")
    for key in required:
        if key not in obj:
            raise invalid(f"{where}.{key} is required", "CANNOT_BE_BLANK")
    return obj


def req_str(obj: Json, key: str, where: str, nullable: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(f"{where}.{key} must be a string")
    if not value.strip():
        raise invalid(f"{where}.{key} cannot be blank", "CANNOT_BE_BLANK")
    return value


def opt_text(obj: Json, key: str, where: str) -> str | None:
    """An optional nullable free-text field (description): string or null, blank allowed."""
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{where}.{key} must be a string or null")
    return value


def req_int(obj: Json, key: str, where: str, minimum: int, maximum: int | None = None) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{where}.{key} must be an integer")
    if value < minimum:
        raise invalid(f"{where}.{key} must be >= {minimum}", "IS_TOO_SHORT")
    if maximum is not None and value > maximum:
        raise invalid(f"{where}.{key} must be <= {maximum}", "IS_TOO_LONG")
    return value


def req_enum(obj: Json, key: str, where: str, choices: Iterable[str]) -> str:
    value = obj.get(key)
    options = tuple(choices)
    if value not in options:
        raise invalid(f"{where}.{key} must be one of {', '.join(options)} (got {value!r})")
    assert isinstance(value, str)
    return value


def req_list(obj: Json, key: str, where: str, max_items: int | None = None) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise invalid(f"{where}.{key} must be an array")
    if max_items is not None and len(value) > max_items:
        raise invalid(f"{where}.{key} has {len(value)} items (max {max_items})", "IS_TOO_LONG")
    return value


def check_identifier(value: Any, where: str) -> str:
    if not isinstance(value, str) or not IDENTIFIER_RE.match(value):
        raise invalid(f"{where} must match ^[A-Za-z_][A-Za-z0-9_]*$ (got {value!r})")
    return value


def check_unique(values: Iterable[Any], where: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise invalid(f"{where}: duplicate {value!r}", "VIOLATES_UNIQUENESS_CONSTRAINT")
        seen.add(value)


def check_rule(value: Any, where: str) -> Json:
    """A filterRule: ``{"type": "And"|"Or", "conditions": [object, ...]}``, never null."""
    if value is None:
        raise invalid(f"{where} cannot be null", "CANNOT_BE_BLANK")
    rule = check_object(value, where, ("type", "conditions"), ("type", "conditions", "expr"))
    req_enum(rule, "type", where, RULE_TYPES)
    for i, cond in enumerate(req_list(rule, "conditions", where)):
        if not isinstance(cond, dict):
            raise invalid(f"{where}.conditions[{i}] must be an object")
    return rule


def duration_minutes(duration: Json) -> int:
    return int(duration["value"]) * UNIT_MINUTES[str(duration["unit"])]


def check_duration(value: Any, where: str, extra: Iterable[str] = ()) -> Json:
    extra = tuple(extra)
    dur = check_object(value, where, ("value", "unit", *extra), ("value", "unit", *extra))
    req_int(dur, "value", where, 1)
    req_enum(dur, "unit", where, DURATION_UNITS)
    return dur


def rule_chars(rule: Json | None) -> int:
    """Characters a filterRule counts towards the 1000-character limit (see module docstring)."""
    if not rule or not rule.get("conditions"):
        return 0
    import json

    return len(json.dumps(rule, separators=(",", ":"), ensure_ascii=False))


# --- realtime_setting ---------------------------------------------------------------------------

SETTING_KEYS = ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")


def check_setting(body: Any) -> Json:
    """PATCH realtime_setting body: all four writable keys, nothing else."""
    check_object(body, "body", SETTING_KEYS, SETTING_KEYS)
    cols = []
    for i, col in enumerate(req_list(body, "keyColumns", "body", MAX_KEY_COLUMNS)):
        where = f"keyColumns[{i}]"
        check_object(col, where, ("name",), ("name", "validRegexp", "invalidTexts", "internal"))
        req_str(col, "name", where)
        regexp = col.get("validRegexp")
        if regexp is not None:
            req_str(col, "validRegexp", where)
            try:
                re.compile(regexp)
            except re.error as exc:
                raise invalid(
                    f"{where}.validRegexp is not a valid regular expression: {exc}"
                ) from exc
        texts = col.get("invalidTexts", [])
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise invalid(f"{where}.invalidTexts must be an array of strings")
        internal = col.get("internal", False)
        if not isinstance(internal, bool):
            raise invalid(f"{where}.internal must be a boolean")
        cols.append(
            {
                "name": col["name"],
                "validRegexp": regexp,
                "invalidTexts": list(texts),
                "internal": internal,
            }
        )
    check_unique((c["name"] for c in cols), "keyColumns.name")
    tables = []
    for i, tbl in enumerate(req_list(body, "eventTables", "body", MAX_EVENT_TABLES)):
        where = f"eventTables[{i}]"
        check_object(tbl, where, ("database", "table"), ())
        tables.append(
            {"database": req_str(tbl, "database", where), "table": req_str(tbl, "table", where)}
        )
    check_unique(((t["database"], t["table"]) for t in tables), "eventTables")
    batch = []
    for i, attr in enumerate(req_list(body, "batchAttributes", "body")):
        where = f"batchAttributes[{i}]"
        check_object(attr, where, ("column",), ("column", "name"))
        batch.append(
            {
                "column": req_str(attr, "column", where),
                "name": req_str(attr, "name", where, nullable=True),
            }
        )
    check_unique((b["column"] for b in batch), "batchAttributes.column")
    ext = req_str(body, "extLookupKey", "body", nullable=True)
    return {
        "keyColumns": cols,
        "eventTables": tables,
        "batchAttributes": batch,
        "extLookupKey": ext,
    }


# --- key events ---------------------------------------------------------------------------------

KEY_EVENT_REQUIRED = ("name", "databaseName", "tableName", "filterRule")


def check_key_event(body: Any) -> Json:
    """POST/PATCH key event body (PATCH is a full replacement: same required fields)."""
    check_object(body, "body", KEY_EVENT_REQUIRED, ("description",))
    return {
        "name": req_str(body, "name", "body"),
        "description": opt_text(body, "description", "body"),
        "databaseName": req_str(body, "databaseName", "body"),
        "tableName": req_str(body, "tableName", "body"),
        "filterRule": check_rule(body["filterRule"], "body.filterRule"),
    }
