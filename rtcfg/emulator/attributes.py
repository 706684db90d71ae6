"""Shape checks of realtime attribute bodies (POST and PATCH), per the OAS oneOf on ``type``."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, invalid
from .validation import (
    AGGREGATION_TYPES,
    ATTRIBUTE_FIELDS,
    ATTRIBUTE_REQUIRED,
    ATTRIBUTE_TYPES,
    COUNTER_TYPES,
    LIST_ACTIONS,
    MAX_LIST_DURATION_MINUTES,
    MAX_LIST_ITEMS,
    PATCHABLE_ATTRIBUTE_FIELDS,
    SINGLE_DATA_TYPES,
    Json,
    check_duration,
    check_identifier,
    check_object,
    check_rule,
    check_unique,
    duration_minutes,
    empty_rule,
    opt_text,
    req_enum,
    req_int,
    req_list,
    req_str,
)


def check_attribute_create(body: Any) -> Json:
    """POST realtime_attributes body → normalised attribute (defaults filled in)."""
    if not isinstance(body, dict):
        raise invalid("body must be a JSON object")
    kind = body.get("type")
    if kind not in ATTRIBUTE_TYPES:
        raise invalid(f"body.type must be one of {', '.join(ATTRIBUTE_TYPES)} (got {kind!r})")
    if kind == "imported":
        raise invalid(
            "imported attributes are created through realtime_setting.batchAttributes, "
            "not POST realtime_attributes"
        )
    if kind == "lookupCatalog":
        raise invalid("lookupCatalog attributes are not enabled for this account")
    check_object(body, "body", ATTRIBUTE_REQUIRED[kind], ATTRIBUTE_FIELDS[kind])
    out: Json = {
        "name": req_str(body, "name", "body"),
        "identifier": check_identifier(body.get("identifier"), "body.identifier"),
        "type": kind,
        "description": opt_text(body, "description", "body"),
        "realtimeKeyEventId": _key_event_ref(body.get("realtimeKeyEventId"), "body"),
        "filterRule": check_rule(body.get("filterRule", empty_rule()), "body.filterRule"),
    }
    if kind == "single":
        out["valueColumn"] = req_str(body, "valueColumn", "body")
        out["dataType"] = req_enum(body, "dataType", "body", SINGLE_DATA_TYPES)
        if "duration" in body:
            out["duration"] = check_duration(body["duration"], "body.duration")
        out["backfill"] = _backfill(body.get("backfill"))
        sensitive = body.get("sensitive", False)
        if not isinstance(sensitive, bool):
            raise invalid("body.sensitive must be a boolean")
        out["sensitive"] = sensitive
    elif kind == "list":
        out["idColumn"] = req_str(body, "idColumn", "body")
        out.update(_list_patchable(body))
    else:
        out["counterType"] = req_enum(
            {"counterType": body.get("counterType", "sliding")},
            "counterType",
            "body",
            COUNTER_TYPES,
        )
        out["increment"] = _increment(body.get("increment"))
        out["duration"] = check_duration(body.get("duration"), "body.duration")
        out["backfill"] = _backfill(body.get("backfill"))
        out["subDurations"] = _sub_durations(body.get("subDurations", []), out["duration"])
    return out


def check_attribute_patch(body: Any, current: Json) -> Json:
    """PATCH body → the fields to change; any non-patchable field present → 400 IS_IMMUTABLE."""
    if not isinstance(body, dict):
        raise invalid("body must be a JSON object")
    kind = str(current["type"])
    if kind == "imported":
        raise invalid(
            "imported attributes are managed through realtime_setting.batchAttributes",
            "IS_IMMUTABLE",
        )
    allowed = ATTRIBUTE_FIELDS[kind]
    for key in body:
        if key not in PATCHABLE_ATTRIBUTE_FIELDS:
            if key in allowed or key in ("id", "createdAt", "updatedAt"):
                raise invalid(f"{key} cannot be changed once set (immutable)", "IS_IMMUTABLE")
            raise invalid(f"body: unknown field '{key}'")
        if key not in allowed:
            raise invalid(f"body: field '{key}' does not apply to a {kind} attribute")
    changes: Json = {}
    if "name" in body:
        changes["name"] = req_str(body, "name", "body")
    if "description" in body:
        changes["description"] = opt_text(body, "description", "body")
    if kind == "list":
        merged = {**current, **body}
        full = _list_patchable(merged)
        changes.update({k: full[k] for k in body if k in full})
    elif "duration" in body:
        changes["duration"] = check_duration(body["duration"], "body.duration")
    if kind == "counter":
        duration = dict(changes["duration"] if "duration" in changes else current["duration"])
        subs = body.get("subDurations", current.get("subDurations", []))
        changes["subDurations"] = _sub_durations(subs, duration)
    return changes


def _key_event_ref(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.isdigit():
        raise invalid(f"{where}.realtimeKeyEventId must be a string of digits (got {value!r})")
    return value


def _backfill(value: Any) -> Json | None:
    if value is None:
        return None
    keys = ("attributeIdentifier", "timestampIdentifier")
    backfill = check_object(value, "body.backfill", keys, keys)
    for key in keys:
        req_str(backfill, key, "body.backfill")
    return {k: backfill[k] for k in keys}


def _increment(value: Any) -> Json:
    if not isinstance(value, dict):
        raise invalid("body.increment must be an object", "CANNOT_BE_BLANK")
    inc = check_object(value, "body.increment", ("type", "value"), ())
    kind = req_enum(inc, "type", "body.increment", ("const", "field"))
    if kind == "const":
        return {"type": "const", "value": req_int(inc, "value", "body.increment", 1)}
    return {"type": "field", "value": req_str(inc, "value", "body.increment")}


def _sub_durations(value: Any, duration: Json) -> list[Json]:
    if not isinstance(value, list):
        raise invalid("body.subDurations must be an array")
    out = []
    for i, item in enumerate(value):
        where = f"body.subDurations[{i}]"
        sub = check_duration(item, where, extra=("name", "identifier"))
        req_str(sub, "name", where)
        check_identifier(sub.get("identifier"), f"{where}.identifier")
        if duration_minutes(sub) > duration_minutes(duration):
            raise invalid(f"{where} is longer than the counter's duration", "IS_TOO_LONG")
        out.append({k: sub[k] for k in ("value", "unit", "name", "identifier")})
    check_unique((s["identifier"] for s in out), "subDurations.identifier")
    return out


def _list_patchable(body: Json) -> Json:
    where = "body"
    fields = req_list(body, "fields", where)
    if not fields or not all(isinstance(f, str) and f for f in fields):
        raise invalid("body.fields must be a non-empty array of non-empty column names")
    duration = check_duration(body.get("duration"), "body.duration")
    if duration_minutes(duration) > MAX_LIST_DURATION_MINUTES:
        raise invalid("body.duration of a list attribute must be <= 60 days", "IS_TOO_LONG")
    out: Json = {
        "fields": list(fields),
        "duration": duration,
        "maxItems": req_int(body, "maxItems", where, 1, MAX_LIST_ITEMS),
        "actions": _actions(body.get("actions", [])),
        "aggregations": _aggregations(body.get("aggregations", [])),
    }
    return out


def _actions(value: Any) -> list[Json]:
    if not isinstance(value, list):
        raise invalid("body.actions must be an array")
    out = []
    keys = ("action", "realtimeKeyEventId", "filterRule")
    for i, item in enumerate(value):
        where = f"body.actions[{i}]"
        act = check_object(item, where, keys, keys)
        out.append(
            {
                "action": req_enum(act, "action", where, LIST_ACTIONS),
                "realtimeKeyEventId": _key_event_ref(act.get("realtimeKeyEventId"), where),
                "filterRule": check_rule(act.get("filterRule"), f"{where}.filterRule"),
            }
        )
    return out


def _aggregations(value: Any) -> list[Json]:
    if not isinstance(value, list):
        raise invalid("body.aggregations must be an array")
    out = []
    keys = ("name", "identifier", "column", "aggregationType")
    for i, item in enumerate(value):
        where = f"body.aggregations[{i}]"
        agg = check_object(item, where, keys, keys)
        out.append(
            {
                "name": req_str(agg, "name", where),
                "identifier": check_identifier(agg.get("identifier"), f"{where}.identifier"),
                "column": req_str(agg, "column", where),
                "aggregationType": req_enum(agg, "aggregationType", where, AGGREGATION_TYPES),
            }
        )
    check_unique((a["identifier"] for a in out), "aggregations.identifier")
    return out


__all__ = ["ApiError", "check_attribute_create", "check_attribute_patch"]
