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

from rtcfg.engine.diff import Change, FieldChange, field_changes
from rtcfg.engine.plan import Step
from rtcfg.model.kinds import key_event, kind_named, kind_of
from rtcfg.model.kinds.base import Kind
from rtcfg.model.state import Body, State
from rtcfg.safe_text import safe

_SETTING_LISTS = ("keyColumns", "eventTables", "batchAttributes")
_TOP = re.compile(r"[.\[]")


def body_problems(step: Step, change: Change, changes: list[Change]) -> list[str]:
    """How ``step.body`` sends something ``change`` does not show."""
    if step.body is None or not isinstance(step.body, dict):
        return []
    kind = kind_of(step.address)
    if kind is None:
        return []
    after = change.after if isinstance(change.after, dict) else {}
    if kind.singleton:
        return _setting_problems(step.body, change, changes)
    if step.method == "POST" or kind.patch_whole:
        same = _without_ids(kind, step.body) == _without_ids(kind, after)
        return [] if same else ["its body is not the change's after (what the plan shows)"]
    return _patch_problems(kind, step.body, after, change.fields)


def _patch_problems(kind: Kind, body: Body, after: Body, fields: list[FieldChange]) -> list[str]:
    shown = {_TOP.split(f.path, 1)[0] for f in fields}
    problems = []
    for key in sorted(body):
        want = after.get(key, kind.cleared.get(key))
        if key not in kind.patchable:
            continue  # plancheck names a field no PATCH of the kind sends
        if _without_ids(kind, body[key]) != _without_ids(kind, want):
            problems.append(f"its body's {key} is not the change's after")
        elif key not in shown:
            problems.append(f"its body sends {key}, which the change does not show changing")
    return problems


def _without_ids(kind: Kind, value: Any) -> Any:
    """A body (or one field of it) without the ids plan.py fills in: the kind's reference
    field, at the top and in the items of its lists (a list's ``actions``)."""
    field = kind.reference_field
    if field is None:
        return value
    if isinstance(value, dict):
        out = {k: v for k, v in value.items() if k != field}
        for key, item in out.items():
            if isinstance(item, list):
                out[key] = _without_ids(kind, item)
        return out
    if isinstance(value, list):
        return [
            {k: v for k, v in item.items() if k != field} if isinstance(item, dict) else item
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
        if change.address.kind == key_event.NAME:
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
    kind = kind_of(change.address)
    if kind is None:
        return []
    try:
        expected = _expected_fields(kind, change.before or {}, change.after or {})
    except (AttributeError, TypeError):  # a value of a shape no plan rtcfg makes holds
        return ["its before/after do not have the shape of the object"]
    shown = change.fields
    if kind.reference_field:  # names follow renames, which before/after cannot show
        expected = [f for f in expected if not _names_reference(kind, f.path)]
        shown = [f for f in shown if not _names_reference(kind, f.path)]
    if [(f.path, f.before, f.after) for f in shown] != [
        (f.path, f.before, f.after) for f in expected
    ]:
        return ["its fields are not what its before and after differ in"]
    return []


def _expected_fields(kind: Kind, before: Body, after: Body) -> list[FieldChange]:
    if kind.singleton:
        return field_changes(kind.comparable(before), kind.comparable(after))
    old, new = kind.comparable(before), kind.comparable(after)
    if before and after:
        new = kind.as_live_shows(new, before)  # as diff.py: a server that drops a field
    return field_changes(old if before else {}, new if after else {})


def _names_reference(kind: Kind, path: str) -> bool:
    """Whether a field path holds a name of another object (its reference field, at the top
    or in a list's items)."""
    fields = (str(kind.reference_field), *kind.reference_lists)
    return path.startswith(fields)


def key_event_id_problems(
    step: Step, change: Change, changes: list[Change], live: State
) -> list[str]:
    """The ids a body holds where it names other objects (an attribute's key events, top level
    and in each of ``actions``) must be the live ids of the objects its change's ``after``
    names, or null with a ref to their POST: the one part of a body that is not the change's
    ``after`` as it is."""
    body, after = step.body, change.after if isinstance(change.after, dict) else {}
    kind = kind_of(step.address)
    if kind is None or not kind.reference_field or not isinstance(body, dict):
        return []
    target = kind_named(str(kind.reference_kind))
    if target is None:
        return []
    field = kind.reference_field
    wanted = []  # (where in the body, the name after shows, the id sent)
    if step.method == "POST":
        wanted.append((field, change.reference, body.get(field)))
    for listed in kind.reference_lists:
        sent, shown = body.get(listed), after.get(listed)
        if isinstance(sent, list) and isinstance(shown, list) and len(sent) == len(shown):
            for i, (item, named) in enumerate(zip(sent, shown, strict=True)):
                if isinstance(item, dict) and isinstance(named, dict):
                    wanted.append((f"{listed}[{i}].{field}", named.get(field), item.get(field)))
    renamed = {
        c.address: c.before.get(target.identity)
        for c in changes
        if c.address.kind == target.name and isinstance(c.before, dict)
    }
    problems = []
    for path, name, value in wanted:
        address = target.address(str(name))
        if path in step.refs:
            ok = value is None and step.refs[path] == address
        else:
            names = {name, renamed.get(address)}
            ids = {o.id for n, o in live.of(target.name).items() if n in names}
            ok = value is not None and value in ids
        if not ok:
            problems.append(f"its {path} is not the id of {target.label} {safe(repr(name))}")
    return problems
