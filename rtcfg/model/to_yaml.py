"""API bodies → rt_config.yaml entries (``rtcfg import``): the way back of
``rtcfg.model.translate``, which holds the mapping's table and its assumptions.

"""

from __future__ import annotations

import json
import re

from rtcfg.config.models import IDENTIFIER_RE
from rtcfg.model.state import Body
from rtcfg.model.translate import (
    DEFAULT_COUNTER_TYPE,
    DEFAULT_LIST_EXPIRY_DAYS,
    DEFAULT_LIST_MAX_ITEMS,
    DEFAULT_SINGLE_DURATION,
    EMPTY_FILTER_RULE,
    LIST_AGGREGATION_NAME,
    duration_body,
    filter_rule_from_sugar,
    valid_regexp_from_exclude,
)

# Each function returns the rt_config.yaml mapping of one live object, sugar where the API shape
# is exactly what the sugar produces, raw fields otherwise, defaults left out. An attribute the
# YAML cannot express raises Unrepresentable, so that import reports it instead of changing it.

_UNIT_SUFFIX = {"minute": "m", "hour": "h", "day": "d"}
_EXCLUDE_RE = re.compile(r"^\^\(\?!\.\*\(\?:(?P<pattern>.*)\)\)\.\*\$$", re.DOTALL)


class Unrepresentable(ValueError):
    """A live object that rt_config.yaml has no way to write."""


def duration_text(body: Body) -> str:
    """``{"value": 24, "unit": "hour"}`` → ``"24h"``."""
    return f"{body['value']}{_UNIT_SUFFIX[body['unit']]}"


def filter_sugar(rule: Body | None) -> Body | None:
    """The ``filter: {field, pattern}`` that produces exactly ``rule``, if there is one."""
    conditions = (rule or {}).get("conditions")
    if not isinstance(conditions, list) or len(conditions) != 1:
        return None
    condition = conditions[0]
    field, pattern = condition.get("column"), condition.get("operator", {}).get("rightValue")
    if not (isinstance(field, str) and field and isinstance(pattern, str) and pattern):
        return None
    if rule != filter_rule_from_sugar(field, pattern) or not regex_compiles(pattern):
        return None  # validate would refuse the sugar: keep the raw filter_rule
    return {"field": field, "pattern": pattern}


def regex_compiles(pattern: str) -> bool:
    """Whether Python's regex engine accepts ``pattern`` (also used by the checks)."""
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _rule_entry(rule: Body | None) -> Body:
    """``filter_rule`` for a non-empty rule, nothing for the empty And."""
    return {"filter_rule": rule} if rule and rule != EMPTY_FILTER_RULE else {}


def event_entry(body: Body) -> Body:
    """A live key event → an ``events[]`` entry."""
    entry: Body = {
        "name": body["name"],
        "database": body["databaseName"],
        "table": body["tableName"],
    }
    if body.get("description") is not None:
        entry["description"] = body["description"]
    sugar = filter_sugar(body.get("filterRule"))
    entry.update({"filter": sugar} if sugar else _rule_entry(body.get("filterRule")))
    return entry


def exclude_pattern(valid_regexp: str | None) -> str | None:
    """The ``exclude_regex`` whose translation is exactly ``valid_regexp``, if there is one."""
    match = _EXCLUDE_RE.match(valid_regexp or "")
    if not match or valid_regexp_from_exclude(match["pattern"]) != valid_regexp:
        return None
    return match["pattern"] if regex_compiles(match["pattern"]) else None


def stitching_key_entry(body: Body) -> Body:
    """A live ``keyColumns[]`` entry → a ``stitching_keys[]`` entry."""
    entry: Body = {"name": body["name"]}
    valid = body.get("validRegexp")
    if valid:
        pattern = exclude_pattern(valid)
        entry.update({"exclude_regex": pattern} if pattern is not None else {"valid_regexp": valid})
    if body.get("invalidTexts"):
        entry["invalid_texts"] = list(body["invalidTexts"])
    if body.get("internal"):
        entry["internal"] = True
    return entry


def _identity_entry(body: Body) -> Body:
    entry: Body = {"name": body["name"]}
    if body["identifier"] != body["name"] or not IDENTIFIER_RE.match(body["name"]):
        entry["identifier"] = body["identifier"]
    return entry


def _backfill_entry(body: Body) -> Body:
    backfill = body.get("backfill")
    if not backfill:
        return {}
    return {
        "backfill": {
            "attribute": backfill["attributeIdentifier"],
            "timestamp": backfill["timestampIdentifier"],
        }
    }


def _single_entry(body: Body) -> Body:
    entry: Body = {"source_field": body["valueColumn"]}
    if body.get("dataType", "string") != "string":
        entry["data_type"] = body["dataType"]
    if body.get("sensitive"):
        entry["sensitivity"] = "sensitive"
    if body.get("duration") and body["duration"] != duration_body(DEFAULT_SINGLE_DURATION):
        entry["duration"] = duration_text(body["duration"])
    return {**entry, **_backfill_entry(body)}


def _list_aggregation_entry(body: Body) -> Body:
    aggregations = body.get("aggregations") or []
    column = body["idColumn"]
    if len(aggregations) == 1 and {**aggregations[0], "aggregationType": "x"} == {
        "name": LIST_AGGREGATION_NAME,
        "identifier": LIST_AGGREGATION_NAME,
        "column": column,
        "aggregationType": "x",
    }:
        kind = aggregations[0]["aggregationType"]
        return {} if kind == "distinct_list" else {"aggregation": kind}
    return {
        "aggregations": [
            {
                "name": a["name"],
                "identifier": a["identifier"],
                "column": a["column"],
                "aggregation": a["aggregationType"],
            }
            for a in aggregations
        ]
    }


def _list_entry(body: Body) -> Body:
    entry: Body = {"source_field": body["idColumn"]}
    if list(body.get("fields") or []) != [body["idColumn"]]:
        entry["fields"] = list(body.get("fields") or [])
    entry.update(_list_aggregation_entry(body))
    if body.get("maxItems", DEFAULT_LIST_MAX_ITEMS) != DEFAULT_LIST_MAX_ITEMS:
        entry["max_items"] = body["maxItems"]
    duration = body.get("duration") or duration_body(DEFAULT_LIST_EXPIRY_DAYS)
    if duration != duration_body(DEFAULT_LIST_EXPIRY_DAYS):
        entry["expiry_days"] = (
            duration["value"] if duration["unit"] == "day" else duration_text(duration)
        )
    actions = [
        {
            "action": a["action"],
            "source_event": a["realtimeKeyEventId"],
            **_rule_entry(a.get("filterRule")),
        }
        for a in body.get("actions") or []
    ]
    return {**entry, **({"actions": actions} if actions else {})}


def _counter_entry(body: Body) -> Body:
    increment = body.get("increment") or {}
    if increment == {"type": "field", "value": increment.get("value")}:
        entry: Body = {"aggregation": "sum", "source_field": increment["value"]}
    elif increment == {"type": "const", "value": 1}:
        entry = {}  # aggregation: count is the default
    else:
        raise Unrepresentable(f"increment {json.dumps(increment)} (only count by 1 or sum a field)")
    entry["window_duration"] = duration_text(body["duration"])
    if body.get("counterType", DEFAULT_COUNTER_TYPE) != DEFAULT_COUNTER_TYPE:
        entry["counter_type"] = body["counterType"]
    subs = [
        {"name": s["name"], "identifier": s["identifier"], "duration": duration_text(s)}
        for s in body.get("subDurations") or []
    ]
    return {**entry, **({"sub_durations": subs} if subs else {}), **_backfill_entry(body)}


def attribute_entry(body: Body, key_event: str | None) -> Body:
    """A live single / list / counter attribute → an ``attributes[]`` entry.

    Raises Unrepresentable when the YAML cannot say it (e.g. a counter counting by 2, a
    ``sensitive`` list, a key event that no longer exists)."""
    kind = body.get("type")
    if kind not in ("single", "list", "counter"):
        raise Unrepresentable(f"type {kind!r}")
    if key_event is None:
        raise Unrepresentable("it reads no key event that exists")
    if kind != "single" and body.get("sensitive"):
        raise Unrepresentable(f"a sensitive {kind} attribute")
    entry = {**_identity_entry(body), "type": kind}
    if body.get("description") is not None:
        entry["description"] = body["description"]
    entry["source_event"] = key_event
    by_type = {"single": _single_entry, "list": _list_entry, "counter": _counter_entry}
    return {**entry, **by_type[kind](body), **_rule_entry(body.get("filterRule"))}


def batch_attribute_entry(body: Body) -> Body:
    """A live ``batchAttributes[]`` entry → an ``imported_batch`` attribute."""
    name = body.get("name") or body["column"]
    entry: Body = {"name": name, "type": "imported_batch"}
    return {**entry, "column": body["column"]} if body["column"] != name else entry
