"""Real-time attributes (cdp-openapi.yml l.16594 and the create/PATCH schemas): single, list
and counter, each reading one key event (``realtimeKeyEventId``); a list's ``actions`` name
more key events.

Only some fields can be PATCHed (api/NOTES.md §2.4, the OAS PATCH body); a change to any other
replaces the attribute (DELETE, then POST), which loses its id and a counter's count.
"""

from __future__ import annotations

import json

from rtcfg.model.addresses import Address
from rtcfg.model.kinds import key_event
from rtcfg.model.kinds.base import Body, Kind, Reference
from rtcfg.model.state import AttributeState
from rtcfg.model.translate import EMPTY_FILTER_RULE, yaml_label

NAME = "attribute"
KEY_EVENT_FIELD = "realtimeKeyEventId"
SINGLE_DEFAULT_DURATION: Body = {"value": 1, "unit": "day"}
COMMON_FIELDS = ("name", "identifier", "type", "description", "filterRule")
FIELDS: dict[str, tuple[str, ...]] = {
    "single": (*COMMON_FIELDS, "valueColumn", "dataType", "duration", "backfill", "sensitive"),
    "list": (
        *COMMON_FIELDS,
        "idColumn",
        "fields",
        "duration",
        "maxItems",
        "actions",
        "aggregations",
    ),
    "counter": (
        *COMMON_FIELDS,
        "counterType",
        "increment",
        "duration",
        "backfill",
        "subDurations",
    ),
}
PATCHABLE = frozenset(
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
# The types rtcfg manages; others (imported batch attributes, TD-internal ones) are left alone.
MANAGED_TYPES = ("single", "list", "counter")
# What a PATCH sends for a patchable field the file no longer sets (the API's own default).
CLEARED: Body = {"actions": [], "subDurations": []}
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


def comparable(body: Body) -> Body:
    """An attribute body (without realtimeKeyEventId) as diff compares it.

    Unknown server fields are ignored; defaults (null description/backfill, empty subDurations
    and actions, ``sensitive: false``, ``counterType: sliding``) equal absence; lists whose
    order carries no meaning (fields, aggregations, subDurations, actions) are sorted.
    """
    kind = str(body.get("type"))
    out: Body = {}
    for key in FIELDS.get(kind, COMMON_FIELDS):
        value = body.get(key)
        if (key in _DEFAULTS and value == _DEFAULTS[key]) or value is None:
            continue
        out[key] = value
    out["filterRule"] = body.get("filterRule") or EMPTY_FILTER_RULE
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


def references(body: Body, top: str | None) -> list[Reference]:
    """The key events an attribute reads: ``top`` (its realtimeKeyEventId, held outside the
    body) and each list action's."""
    out: list[Reference] = []
    if isinstance(top, str):
        out.append((KEY_EVENT_FIELD, Address.of(key_event.NAME, top)))
    actions = body.get("actions")
    for i, action in enumerate(actions if isinstance(actions, list) else []):
        name = action.get(KEY_EVENT_FIELD) if isinstance(action, dict) else None
        if isinstance(name, str):
            out.append((f"actions[{i}].{KEY_EVENT_FIELD}", Address.of(key_event.NAME, name)))
    return out


def replace_reasons(before: Body, after: Body) -> list[str]:
    """Why an attribute cannot be PATCHed into its desired form: one reason per cause.
    ``before``/``after`` are comparable forms holding the key event read (by its desired name:
    one renamed by the same plan goes by its new name) at ``realtimeKeyEventId``."""
    reasons = []
    if before.get("type") != after.get("type"):
        # every other field follows from the type, so the type is the one cause to name
        reasons.append(f"type changed ({before.get('type')} → {after.get('type')})")
    else:
        for key in sorted(set(before) | set(after)):
            if key == KEY_EVENT_FIELD or key in PATCHABLE:
                continue
            if before.get(key) != after.get(key):
                reasons.append(f"{yaml_label(after.get('type'), key)} cannot be patched")
    if before.get(KEY_EVENT_FIELD) != after.get(KEY_EVENT_FIELD):
        reasons.append(
            f"{yaml_label(after.get('type'), KEY_EVENT_FIELD)} cannot be patched "
            f"(key event {before.get(KEY_EVENT_FIELD)} → {after.get(KEY_EVENT_FIELD)})"
        )
    return reasons


KIND = Kind(
    name=NAME,
    label="attribute",
    path="realtime_attributes",
    order=2,
    comparable=comparable,
    identity="identifier",
    patchable=PATCHABLE,
    keyed_lists={
        "aggregations": lambda item: str(item.get("identifier")),
        "subDurations": lambda item: str(item.get("identifier")),
    },
    unique=("name",),
    filter_budget=True,
    cleared=CLEARED,
    reference_field=KEY_EVENT_FIELD,
    reference_kind=key_event.NAME,
    reference_lists=("actions",),
    references=references,
    replace_reasons=replace_reasons,
    list_params={"types": ",".join(MANAGED_TYPES)},
    manages=lambda body: body.get("type") in MANAGED_TYPES,
    make=AttributeState,
)
