"""Desired and live state in API terms, keyed by identity (spec/config-format.md "Identity").

Bodies are the API's flat camelCase objects. An attribute's ``realtimeKeyEventId`` is kept out
of its body and held as the key event's *name* (``key_event``): ids are only known live, names
are what the diff compares and what apply resolves into ids. The same goes for the
``realtimeKeyEventId`` of each list ``actions[]`` entry: inside a State it holds the key event's
name, on both sides (plan turns names back into ids, or into refs for key events not yet made).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Body = dict[str, Any]
SETTING_KEYS = ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")


@dataclass
class KeyEventState:
    """One key event; ``id`` is None until it exists live."""

    name: str
    body: Body
    id: str | None = None


@dataclass
class AttributeState:
    """One real-time attribute; ``key_event`` is the name of the key event it reads."""

    identifier: str
    body: Body
    key_event: str | None = None
    id: str | None = None


@dataclass
class State:
    """The RT configuration of one parent segment: what a file asks for, or what is live."""

    parent_segment_id: str
    setting: Body = field(default_factory=dict)
    key_events: dict[str, KeyEventState] = field(default_factory=dict)
    attributes: dict[str, AttributeState] = field(default_factory=dict)
    # key event renames asked for by the file: new name → old (live) name
    renames: dict[str, str] = field(default_factory=dict)
    # live only: setting's read-only fields (id, status, statusDetailed)
    setting_meta: Body = field(default_factory=dict)


DesiredState = State
LiveState = State


# --- comparison ------------------------------------------------------------------------------
# What diff compares: each body reduced to the fields rtcfg manages, with server defaults and
# ordering folded away, so that neither shows as a change (no perpetual diffs). Bodies that are
# sent stay as they are; only comparison goes through these functions.

EMPTY_RULE: Body = {"type": "And", "conditions": []}
SINGLE_DEFAULT_DURATION: Body = {"value": 1, "unit": "day"}
KEY_EVENT_FIELDS = ("name", "description", "databaseName", "tableName", "filterRule")
COMMON_ATTRIBUTE_FIELDS = ("name", "identifier", "type", "description", "filterRule")
ATTRIBUTE_FIELDS: dict[str, tuple[str, ...]] = {
    "single": (
        *COMMON_ATTRIBUTE_FIELDS,
        "valueColumn",
        "dataType",
        "duration",
        "backfill",
        "sensitive",
    ),
    "list": (
        *COMMON_ATTRIBUTE_FIELDS,
        "idColumn",
        "fields",
        "duration",
        "maxItems",
        "actions",
        "aggregations",
    ),
    "counter": (
        *COMMON_ATTRIBUTE_FIELDS,
        "counterType",
        "increment",
        "duration",
        "backfill",
        "subDurations",
    ),
}
# Fields the API can PATCH in place (api/NOTES.md §2.4, the OAS PATCH body); any other attribute
# field can only change by deleting and re-creating the attribute.
PATCHABLE_ATTRIBUTE_FIELDS = frozenset(
    {
        "name",
        "description",
        "duration",
        "fields",
        "maxItems",
        "actions",
        "aggregations",
        "subDurations",
    }
)
# Absent and these values mean the same thing to the API.
_DEFAULTS: Body = {
    "description": None,
    "backfill": None,
    "subDurations": [],
    "actions": [],
    "sensitive": False,
    "counterType": "sliding",
}


def _sorted(items: list[Body], key: str) -> list[Body]:
    return sorted(items, key=lambda item: str(item.get(key)))


def comparable_key_event(body: Body) -> Body:
    """A key event body as diff compares it."""
    out = {k: body.get(k) for k in KEY_EVENT_FIELDS if body.get(k) is not None}
    out["filterRule"] = body.get("filterRule") or EMPTY_RULE
    return out


def comparable_attribute(body: Body) -> Body:
    """An attribute body (without realtimeKeyEventId) as diff compares it.

    Unknown server fields are ignored; defaults (null description/backfill, empty subDurations
    and actions, ``sensitive: false``, ``counterType: sliding``) equal absence; lists whose
    order carries no meaning (fields, aggregations, subDurations, actions) are sorted.
    """
    kind = str(body.get("type"))
    out: Body = {}
    for key in ATTRIBUTE_FIELDS.get(kind, COMMON_ATTRIBUTE_FIELDS):
        value = body.get(key)
        if (key in _DEFAULTS and value == _DEFAULTS[key]) or value is None:
            continue
        out[key] = value
    out["filterRule"] = body.get("filterRule") or EMPTY_RULE
    if kind == "single" and "duration" not in out:
        out["duration"] = SINGLE_DEFAULT_DURATION  # the API's default (api/NOTES.md §1.5)
    if "fields" in out:
        out["fields"] = sorted(out["fields"])
    for key, identity in (("aggregations", "identifier"), ("subDurations", "identifier")):
        if key in out:
            out[key] = _sorted(out[key], identity)
    if "actions" in out:
        out["actions"] = sorted(out["actions"], key=lambda a: json.dumps(a, sort_keys=True))
    return out


def comparable_setting(body: Body) -> Body:
    """The realtime_setting as diff compares it: unordered lists sorted by identity, defaults
    of each key column filled in, a batch attribute's null name read as its column."""
    keys = [
        {
            "name": k.get("name"),
            "validRegexp": k.get("validRegexp"),
            "invalidTexts": sorted(k.get("invalidTexts") or []),
            "internal": bool(k.get("internal")),
        }
        for k in body.get("keyColumns") or []
    ]
    tables = [
        {"database": t.get("database"), "table": t.get("table")}
        for t in body.get("eventTables") or []
    ]
    batch = [
        {"column": b.get("column"), "name": b.get("name") or b.get("column")}
        for b in body.get("batchAttributes") or []
    ]
    return {
        "keyColumns": _sorted(keys, "name"),
        "eventTables": sorted(tables, key=lambda t: (str(t["database"]), str(t["table"]))),
        "batchAttributes": _sorted(batch, "column"),
        "extLookupKey": body.get("extLookupKey"),
    }
