"""What a saved plan's step bodies may hold: only what its changes show (``rtcfg.engine.plancheck``
checks the methods and paths; this module checks what is sent). Pure: no I/O.

``plan.py`` builds every body from the change's ``after``, so a body of a plan rtcfg made is:

- a key event POST or PATCH: the change's ``after``, whole;
- an attribute POST: the change's ``after``, its key event fields (``realtimeKeyEventId``,
  top level and in each of ``actions``) turned from names into live ids (or null and a ref);
- an attribute PATCH: only patchable fields that the change's ``fields`` show changed, each
  as in ``after`` (a field the file dropped as the API's default: ``[]``);
- a setting PATCH: the four setting keys; every list item and ``extLookupKey`` from the
  change's ``before`` or ``after``, since a first PATCH keeps what live objects still use (the
  event tables of key events that move, batch attributes of backfills) until a second drops it.

A change's ``fields`` must also be what diffing its ``before`` and ``after`` gives, so the
summary a reviewer read cannot hide a value the change sends.
"""

from __future__ import annotations

import re
from typing import Any

from rtcfg.engine.diff import (
    KEY_EVENT_FIELD,
    SETTING,
    Change,
    FieldChange,
    field_changes,
    key_event_address,
)
from rtcfg.engine.plan import Step
from rtcfg.model.state import (
    PATCHABLE_ATTRIBUTE_FIELDS,
    Body,
    State,
    comparable_attribute,
    comparable_key_event,
    comparable_setting,
)
from rtcfg.safe_text import safe

_CLEARED: Body = {"actions": [], "subDurations": []}  # as plan.py sends a dropped field
_SETTING_LISTS = ("keyColumns", "eventTables", "batchAttributes")
_TOP = re.compile(r"[.\[]")


def body_problems(step: Step, change: Change, changes: list[Change]) -> list[str]:
    """How ``step.body`` sends something ``change`` does not show."""
    if step.body is None or not isinstance(step.body, dict):
        return []
    kind = step.address.split(".", 1)[0]
    after = change.after if isinstance(change.after, dict) else {}
    if kind == SETTING:
        return _setting_problems(step.body, change, changes)
    if kind == "key_event":
        same = step.body == after
        return [] if same else ["its body is not the change's after (what the plan shows)"]
    if step.method == "POST":
        same = _without_key_event_ids(step.body) == _without_key_event_ids(after)
        return [] if same else ["its body is not the change's after (what the plan shows)"]
    return _attribute_patch_problems(step.body, after, change.fields)


def _attribute_patch_problems(body: Body, after: Body, fields: list[FieldChange]) -> list[str]:
    shown = {_TOP.split(f.path, 1)[0] for f in fields}
    problems = []
    for key in sorted(body):
        want = after.get(key, _CLEARED.get(key))
        if key not in PATCHABLE_ATTRIBUTE_FIELDS:
            continue  # plancheck names a field no attribute PATCH sends
        if _without_key_event_ids(body[key]) != _without_key_event_ids(want):
            problems.append(f"its body's {key} is not the change's after")
        elif key not in shown:
            problems.append(f"its body sends {key}, which the change does not show changing")
    return problems


def _without_key_event_ids(value: Any) -> Any:
    """A body (or one field of it) without the key event ids plan.py fills in."""
    if isinstance(value, dict):
        out = {k: v for k, v in value.items() if k != KEY_EVENT_FIELD}
        if isinstance(out.get("actions"), list):
            out["actions"] = _without_key_event_ids(out["actions"])
        return out
    if isinstance(value, list):
        return [
            {k: v for k, v in item.items() if k != KEY_EVENT_FIELD}
            if isinstance(item, dict)
            else item
            for item in value
        ]
    return value


def _setting_problems(body: Body, change: Change, changes: list[Change]) -> list[str]:
    sides = [side for side in (change.before, change.after) if isinstance(side, dict)]
    problems = []
    if body.get("extLookupKey") not in [side.get("extLookupKey") for side in sides]:
        problems.append("its extLookupKey is neither the live nor the desired one")
    for key in _SETTING_LISTS:
        allowed = [item for side in sides for item in _list(side.get(key))]
        if key == "eventTables":
            allowed += _key_event_tables(changes)
        items = body.get(key)
        if not isinstance(items, list) or any(item not in allowed for item in items):
            problems.append(f"its {key} holds what neither the live nor the desired setting has")
    return problems


def _key_event_tables(changes: list[Change]) -> list[Body]:
    """The event table of each key event a change moves, before and after: the setting keeps
    a table a live key event reads until that key event has moved."""
    tables = []
    for change in changes:
        if change.address.startswith("key_event."):
            for side in (change.before, change.after):
                if isinstance(side, dict):
                    tables.append(
                        {"database": side.get("databaseName"), "table": side.get("tableName")}
                    )
    return tables


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def fields_problems(change: Change) -> list[str]:
    """Whether ``change.fields`` is what its ``before`` and ``after`` differ in."""
    kind = change.address.split(".", 1)[0]
    try:
        expected = _expected_fields(kind, change.before or {}, change.after or {})
    except (AttributeError, TypeError):  # a value of a shape no plan rtcfg makes holds
        return ["its before/after do not have the shape of the object"]
    if expected is None:
        return []
    shown = change.fields
    if kind == "attribute":  # key event names follow renames, which before/after cannot show
        expected = [f for f in expected if not _names_key_event(f.path)]
        shown = [f for f in shown if not _names_key_event(f.path)]
    if [(f.path, f.before, f.after) for f in shown] != [
        (f.path, f.before, f.after) for f in expected
    ]:
        return ["its fields are not what its before and after differ in"]
    return []


def _expected_fields(kind: str, before: Body, after: Body) -> list[FieldChange] | None:
    if kind == SETTING:
        return field_changes(comparable_setting(before), comparable_setting(after))
    if kind == "key_event":
        old, new = comparable_key_event(before), comparable_key_event(after)
        if before and after and "description" not in before:
            new.pop("description", None)  # as diff.py: a server that drops it
        return field_changes(old if before else {}, new if after else {})
    if kind == "attribute":
        old, new = comparable_attribute(before), comparable_attribute(after)
        return field_changes(old if before else {}, new if after else {})
    return None


def _names_key_event(path: str) -> bool:
    return path.startswith(KEY_EVENT_FIELD) or path.startswith("actions")


def key_event_id_problems(
    step: Step, change: Change, changes: list[Change], live: State
) -> list[str]:
    """An attribute body's key event ids (top level, and in each of ``actions``) must be the
    live ids of the key events its change's ``after`` names, or null with a ref to their POST:
    the one part of a body that is not the change's ``after`` as it is."""
    body, after = step.body, change.after if isinstance(change.after, dict) else {}
    if not step.address.startswith("attribute.") or not isinstance(body, dict):
        return []
    wanted = []  # (where in the body, the key event name after shows, the id sent)
    if step.method == "POST":
        wanted.append((KEY_EVENT_FIELD, change.key_event, body.get(KEY_EVENT_FIELD)))
    sent, shown = body.get("actions"), after.get("actions")
    if isinstance(sent, list) and isinstance(shown, list) and len(sent) == len(shown):
        for i, (item, named) in enumerate(zip(sent, shown, strict=True)):
            if isinstance(item, dict) and isinstance(named, dict):
                path = f"actions[{i}].{KEY_EVENT_FIELD}"
                wanted.append((path, named.get(KEY_EVENT_FIELD), item.get(KEY_EVENT_FIELD)))
    renamed = {
        c.address: c.before.get("name")
        for c in changes
        if c.address.startswith("key_event.") and isinstance(c.before, dict)
    }
    problems = []
    for path, name, value in wanted:
        address = key_event_address(str(name))
        if path in step.refs:
            ok = value is None and step.refs[path] == address
        else:
            names = {name, renamed.get(address)}
            ok = value is not None and value in {
                k.id for n, k in live.key_events.items() if n in names
            }
        if not ok:
            problems.append(f"its {path} is not the id of key event {safe(repr(name))}")
    return problems
