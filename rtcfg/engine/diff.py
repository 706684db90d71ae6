"""Desired vs live state → the changes that would make live match the file.

Pure: no I/O. Everything is compared through the ``comparable_*`` forms of ``rtcfg.model.state`` so
that server defaults and list order never show as a change. Key events are matched by name
(or through ``renamed_from``), attributes by identifier, and the setting is one object.

Field paths are hand-made rather than taken from deepdiff: lists whose items have an identity
(key columns by name, event tables by ``database.table``, …) are addressed by that identity,
``keyColumns[email].validRegexp``, which reads better in a review than a list index and does not
shift when an item is inserted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from rtcfg.engine.names import batch_columns, batch_names, freed_by_setting
from rtcfg.model.state import (
    PATCHABLE_ATTRIBUTE_FIELDS,
    AttributeState,
    Body,
    KeyEventState,
    State,
    comparable_attribute,
    comparable_key_event,
    comparable_setting,
)
from rtcfg.model.translate import yaml_label

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete")
SETTING = "setting"
KEY_EVENT_FIELD = "realtimeKeyEventId"
NOT_IN_CONFIG = "not in the configuration"

# Lists addressed by the identity of their items rather than by position.
_IDENTITY: dict[str, Callable[[Body], str]] = {
    "keyColumns": lambda item: str(item.get("name")),
    "eventTables": lambda item: f"{item.get('database')}.{item.get('table')}",
    "batchAttributes": lambda item: str(item.get("column")),
    "aggregations": lambda item: str(item.get("identifier")),
    "subDurations": lambda item: str(item.get("identifier")),
}


@dataclass(frozen=True)
class FieldChange:
    """One changed value; ``before``/``after`` is None where the field is absent."""

    path: str
    before: Any
    after: Any


@dataclass
class Change:
    """What happens to one object: ``setting``, ``key_event.<name>`` or ``attribute.<id>``.

    ``before`` is the live body, ``after`` the desired one (None where there is none).
    ``key_event`` is, for attributes, the name of the key event read (desired when the
    attribute stays, live when it is deleted).
    """

    address: str
    action: Action
    before: Body | None
    after: Body | None
    fields: list[FieldChange] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    key_event: str | None = None

    @property
    def destructive(self) -> bool:
        """Replace and delete lose the object's id (and a counter's count); a setting change
        that drops a batch attribute deletes that imported attribute."""
        if self.address == SETTING:
            return bool(removed_batch_columns(self.before, self.after))
        return self.action in ("replace", "delete")


def removed_batch_columns(before: Body | None, after: Body | None) -> list[str]:
    """Columns of imported (batch) attributes that a setting change removes."""
    kept = {b.get("column") for b in (after or {}).get("batchAttributes") or []}
    return sorted(
        str(b.get("column"))
        for b in (before or {}).get("batchAttributes") or []
        if b.get("column") not in kept
    )


def key_event_address(name: str) -> str:
    return f"key_event.{name}"


def attribute_address(identifier: str) -> str:
    return f"attribute.{identifier}"


def address_order(address: str) -> tuple[int, str]:
    """Sort key: the setting, then key events by name, then attributes by identifier."""
    kind = address.split(".", 1)[0]
    return ({SETTING: 0, "key_event": 1, "attribute": 2}.get(kind, 3), address)


def diff_states(desired: State, live: State) -> list[Change]:
    """Every change that would turn ``live`` into ``desired``, in address order."""
    matches = match_key_events(desired, live)
    forward = forward_names(matches)
    changes = _setting_changes(desired, live)
    changes += _key_event_changes(desired, live, matches)
    changes += _attribute_changes(desired, live, forward)
    # copies: a plan must not change when the states it was made from are edited afterwards
    return [_copied(c) for c in sorted(changes, key=lambda c: address_order(c.address))]


def _copied(change: Change) -> Change:
    # one JSON round trip per change: the C encoder and decoder copy a nested value several
    # times faster than deepcopy, and one call costs less than one per field
    values = [change.before, change.after, [[f.before, f.after] for f in change.fields]]
    before, after, field_values = json.loads(json.dumps(values))
    fields = [
        FieldChange(f.path, old, new)
        for f, (old, new) in zip(change.fields, field_values, strict=True)
    ]
    return Change(
        change.address,
        change.action,
        before,
        after,
        fields,
        list(change.reasons),
        change.key_event,
    )


def match_key_events(desired: State, live: State) -> dict[str, str]:
    """Desired key event name → the name of the live key event it is (itself or renamed)."""
    matches = {name: name for name in desired.key_events if name in live.key_events}
    taken = set(matches.values())
    for name in sorted(desired.key_events):
        old = desired.renames.get(name)
        if name in matches or old is None or old not in live.key_events or old in taken:
            continue
        # an old name also wanted under itself stays itself; it cannot be renamed as well
        if old in desired.key_events:
            continue
        matches[name] = old
        taken.add(old)
    return matches


def forward_names(matches: dict[str, str]) -> dict[str, str]:
    """Live key event name → the desired name it is renamed to (renames only)."""
    return {old: new for new, old in matches.items() if old != new}


def field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """The leaves that differ between two JSON values, with readable paths."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            out += field_changes(before.get(key), after.get(key), sub)
        return out
    if isinstance(before, list) and isinstance(after, list):
        keyed = _keyed(path, before), _keyed(path, after)
        if keyed[0] is not None and keyed[1] is not None:
            return _keyed_changes(path, keyed[0], keyed[1])
        out = []
        for i in range(max(len(before), len(after))):
            old = before[i] if i < len(before) else None
            new = after[i] if i < len(after) else None
            out += field_changes(old, new, f"{path}[{i}]")
        return out
    return [FieldChange(path, before, after)]


def _keyed(path: str, items: list[Any]) -> dict[str, Any] | None:
    identity = _IDENTITY.get(path)
    if identity is None or not all(isinstance(item, dict) for item in items):
        return None
    keyed = {identity(item): item for item in items}
    return keyed if len(keyed) == len(items) else None


def _keyed_changes(path: str, before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    out: list[FieldChange] = []
    for key in sorted(set(before) | set(after)):
        out += field_changes(before.get(key), after.get(key), f"{path}[{key}]")
    return out


def _setting_changes(desired: State, live: State) -> list[Change]:
    before, after = comparable_setting(live.setting), comparable_setting(desired.setting)
    if before == after:
        return []
    fields = field_changes(before, after)
    change = Change(SETTING, "update", dict(live.setting), dict(desired.setting), fields)
    change.reasons = [
        f"removes imported attribute {column}: its id is gone and what uses it breaks"
        for column in removed_batch_columns(change.before, change.after)
    ]
    return [change]


def _key_event_changes(desired: State, live: State, matches: dict[str, str]) -> list[Change]:
    changes = []
    for name, want in desired.key_events.items():
        old = matches.get(name)
        have = live.key_events[old] if old is not None else None
        change = _key_event_change(want, have)
        if change is not None:
            changes.append(change)
    matched = set(matches.values())
    for name, have in live.key_events.items():
        if name not in matched:
            fields = field_changes(comparable_key_event(have.body), {})
            address = key_event_address(name)
            changes.append(Change(address, "delete", have.body, None, fields, [NOT_IN_CONFIG]))
    return changes


def _key_event_change(want: KeyEventState, have: KeyEventState | None) -> Change | None:
    address = key_event_address(want.name)
    after = comparable_key_event(want.body)
    if have is None:
        return Change(address, "create", None, want.body, field_changes({}, after))
    before = comparable_key_event(have.body)
    if "description" not in have.body:
        # RealtimeKeyEventAttributes (cdp-openapi.yml l.15923) has no description: a server
        # that drops it would otherwise show a change on every plan
        after.pop("description", None)
    if before == after and have.name == want.name:
        return None
    reasons = [f"renamed from {have.name}"] if have.name != want.name else []
    return Change(address, "update", have.body, want.body, field_changes(before, after), reasons)


def _attribute_changes(desired: State, live: State, forward: dict[str, str]) -> list[Change]:
    changes = []
    for identifier, want in desired.attributes.items():
        change = _attribute_change(want, live.attributes.get(identifier), forward)
        if change is not None:
            changes.append(change)
    for identifier, have in live.attributes.items():
        if identifier not in desired.attributes:
            address = attribute_address(identifier)
            fields = field_changes(comparable_attribute_state(have, {}), {})
            reasons = [NOT_IN_CONFIG]
            changes.append(
                Change(address, "delete", have.body, None, fields, reasons, have.key_event)
            )
    return changes


def comparable_attribute_state(attr: AttributeState, forward: dict[str, str]) -> Body:
    """An attribute as compared, its key event included; ``forward`` maps live key event names
    to the desired names they are renamed to, so a rename alone is no change."""
    body = comparable_attribute(_renamed_actions(attr.body, forward))
    key_event = forward.get(attr.key_event, attr.key_event) if attr.key_event else None
    if key_event is not None:
        body[KEY_EVENT_FIELD] = key_event
    return body


def _renamed_actions(body: Body, forward: dict[str, str]) -> Body:
    actions = body.get("actions")
    if not forward or not isinstance(actions, list):
        return body
    renamed = []
    for action in actions:
        name = action.get(KEY_EVENT_FIELD) if isinstance(action, dict) else None
        if isinstance(name, str) and name in forward:
            action = {**action, KEY_EVENT_FIELD: forward[name]}
        renamed.append(action)
    return {**body, "actions": renamed}


def _attribute_change(
    want: AttributeState, have: AttributeState | None, forward: dict[str, str]
) -> Change | None:
    address = attribute_address(want.identifier)
    after = comparable_attribute_state(want, {})
    if have is None:
        fields = field_changes({}, after)
        return Change(address, "create", None, want.body, fields, [], want.key_event)
    before = comparable_attribute_state(have, forward)
    if before == after:
        return None
    reasons = replace_reasons(before, after, have.key_event)
    action: Action = "replace" if reasons else "update"
    fields = field_changes(before, after)
    return Change(address, action, have.body, want.body, fields, reasons, want.key_event)


def replace_reasons(before: Body, after: Body, live_key_event: str | None) -> list[str]:
    """Why an attribute cannot be PATCHed into its desired form: one reason per cause."""
    reasons = []
    if before.get("type") != after.get("type"):
        # every other field follows from the type, so the type is the one cause to name
        reasons.append(f"type changed ({before.get('type')} → {after.get('type')})")
    else:
        for key in sorted(set(before) | set(after)):
            if key == KEY_EVENT_FIELD or key in PATCHABLE_ATTRIBUTE_FIELDS:
                continue
            if before.get(key) != after.get(key):
                reasons.append(f"{yaml_label(after.get('type'), key)} cannot be patched")
    if before.get(KEY_EVENT_FIELD) != after.get(KEY_EVENT_FIELD):
        reasons.append(
            f"{yaml_label(after.get('type'), KEY_EVENT_FIELD)} cannot be patched "
            f"(key event {live_key_event} → {after.get(KEY_EVENT_FIELD)})"
        )
    return reasons


# --- how changes depend on each other, and what live looked like --------------------------------


class ChangeGraph:
    """The changes between two states, and which of them need which (for ordering, --target
    and --exclude). Key event names inside it are desired names unless said otherwise."""

    def __init__(self, desired: State, live: State, changes: list[Change]) -> None:
        self.desired, self.live = desired, live
        self.matches = match_key_events(desired, live)
        self.forward = forward_names(self.matches)
        self.keep(changes)

    def keep(self, changes: list[Change]) -> None:
        """Narrow the graph to ``changes`` (after --target / --exclude)."""
        self.changes = changes
        self.by_address = {c.address: c for c in changes}

    def action(self, address: str) -> str | None:
        change = self.by_address.get(address)
        return change.action if change else None

    def requires(self, change: Change) -> set[str]:
        """The changes that must be done before ``change`` can be."""
        kind = change.address.split(".", 1)[0]
        needs: set[str] = set()
        if kind == "attribute" and change.action != "delete":
            read = self.key_events_read(change)
            needs |= {a for a in read if self.action(a) in ("create", "update")}
            needs |= set(self.name_freeing_changes(change))
        if kind == "key_event" and change.action != "delete":
            needs |= set(self.key_event_name_freeing(change))
        if change.action != "delete" and self.needs_setting(change):
            needs.add(SETTING)
        if change.address == SETTING:
            needs |= set(self.setting_name_freeing())
        return needs

    def needs_setting(self, change: Change) -> bool:
        """Whether ``change`` relies on something the setting change adds: an event table for
        a key event, a batch attribute for a backfill; or frees: the name or identifier of a
        batch attribute it drops or renames (so ``--exclude setting`` leaves unrelated changes
        in the plan)."""
        if change.address == SETTING or not self.action(SETTING):
            return False
        body = change.after or {}
        if change.address.startswith("key_event."):
            table = {"database": body.get("databaseName"), "table": body.get("tableName")}
            return table not in (self.live.setting.get("eventTables") or [])
        names, identifiers = freed_by_setting(self.live.setting, self.desired.setting)
        if body.get("name") in names or body.get("identifier") in identifiers:
            return True
        backfill = body.get("backfill") or {}
        columns = {b.get("column") for b in self.live.setting.get("batchAttributes") or []}
        return bool(backfill) and backfill.get("attributeIdentifier") not in columns

    def setting_name_freeing(self) -> list[str]:
        """Attributes that hold a name or identifier a batch attribute of the setting change
        takes and give it up: deleted, replaced, or (a display name) renamed by an update."""
        if not self.action(SETTING):
            return []
        names, identifiers = batch_names(self.desired.setting), batch_columns(self.desired.setting)
        freeing = []
        for attr in self.live.attributes.values():
            change = self.by_address.get(attribute_address(attr.identifier))
            name = attr.body.get("name")
            if change is None or (name not in names and attr.identifier not in identifiers):
                continue
            renamed = change.action == "update" and (change.after or {}).get("name") != name
            if renamed or change.action in ("delete", "replace"):
                freeing.append(change.address)
        return freeing

    def key_event_name_freeing(self, change: Change) -> list[str]:
        """A key event renamed away (renamed_from) from the name ``change`` wants."""
        name = (change.after or {}).get("name")
        return [
            key_event_address(desired_name)
            for desired_name, live_name in self.matches.items()
            if live_name == name
            and desired_name != name
            and self.action(key_event_address(desired_name)) == "update"
        ]

    def key_events_read(self, change: Change) -> list[str]:
        """Addresses of the key events a desired attribute reads (top level and actions)."""
        body = change.after or {}
        names = [change.key_event, *(a.get(KEY_EVENT_FIELD) for a in body.get("actions") or [])]
        return sorted({key_event_address(n) for n in names if isinstance(n, str)})

    def name_freeing_changes(self, change: Change) -> list[str]:
        """Other attributes that hold the display name ``change`` wants and give it up: deleted,
        replaced, or renamed by an update (display names are unique, S7)."""
        name = (change.after or {}).get("name")
        return [
            attribute_address(other.identifier)
            for other in self.live.attributes.values()
            if attribute_address(other.identifier) != change.address
            and other.body.get("name") == name
            and self.action(attribute_address(other.identifier)) in ("delete", "replace", "update")
        ]

    def readers(self, live_name: str) -> list[AttributeState]:
        """Live attributes that read the live key event ``live_name`` (top level or actions)."""
        return [a for a in self.live.attributes.values() if live_name in _names_read(a)]

    def still_reads(self, change: Change, live_name: str) -> bool:
        """Whether the desired attribute of ``change`` reads live key event ``live_name``."""
        read = {self.matches.get(a.split(".", 1)[1]) for a in self.key_events_read(change)}
        return live_name in read


def _names_read(attr: AttributeState) -> set[str]:
    actions = attr.body.get("actions") or []
    names = {attr.key_event, *(a.get(KEY_EVENT_FIELD) for a in actions if isinstance(a, dict))}
    return {n for n in names if isinstance(n, str)}


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def live_fingerprint(live: State) -> tuple[str, dict[str, str]]:
    """sha256 of the live state as diff sees it (comparable body, id, key event): overall, and
    per address, so a stale saved plan can name what drifted."""
    setting = [comparable_setting(live.setting), live.setting_meta.get("id"), None]
    objects = {SETTING: _digest(setting)}
    for name, ke in live.key_events.items():
        objects[key_event_address(name)] = _digest([comparable_key_event(ke.body), ke.id, None])
    for identifier, attr in live.attributes.items():
        entry = [comparable_attribute(attr.body), attr.id, attr.key_event]
        objects[attribute_address(identifier)] = _digest(entry)
    return _digest(sorted(objects.items())), objects
