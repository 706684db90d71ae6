"""Desired vs live state → the changes that would make live match the file.

Pure: no I/O. One loop over the registered kinds (``rtcfg.model.kinds``): each object is
compared through its kind's ``comparable`` form, so that server defaults and list order never
show as a change; objects are matched by identity (key events also through ``renamed_from``);
a change to a field the kind cannot PATCH makes it a replace.

Field paths are made here rather than taken from deepdiff, a decision measured in
``bench/bench_field_diff.py``: lists whose items have an identity (key columns by name, event
tables by ``database.table``, …, declared per kind as ``keyed_lists``) are addressed by that
identity, ``keyColumns[email].validRegexp``, which reads better in a review than a list index
and does not shift when an item is inserted; deepdiff's ``iterable_compare_func`` can match
such items but still reports their index, and costs many times more per plan.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from rtcfg.model.addresses import Address
from rtcfg.model.bodypath import json_copy, set_path
from rtcfg.model.kinds import SETTING, address_order, all_kinds, kind_of
from rtcfg.model.kinds.base import Kind
from rtcfg.model.kinds.setting import removed_batch_columns
from rtcfg.model.state import Body, Resource, State

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete")
NOT_IN_CONFIG = "not in the configuration"
# kind name → desired identity → live identity (or live → desired, for ``forward``)
Matches = dict[str, dict[str, str]]


@cache
def _keyed_lists(kinds: tuple[Kind, ...]) -> dict[str, Callable[[Body], str]]:
    """Every kind's lists addressed by item identity (their field names do not clash)."""
    return {path: identity for kind in kinds for path, identity in kind.keyed_lists.items()}


def keyed_lists() -> dict[str, Callable[[Body], str]]:
    return _keyed_lists(all_kinds())


__all__ = [
    "ACTIONS",
    "NOT_IN_CONFIG",
    "SETTING",
    "Action",
    "Change",
    "FieldChange",
    "diff_states",
    "field_changes",
    "removed_batch_columns",
]


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
    ``reference`` is the name of the object its kind's reference field names, held outside
    the body (an attribute's key event): desired when the object stays, live when it goes.
    """

    address: Address
    action: Action
    before: Body | None
    after: Body | None
    fields: list[FieldChange] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    reference: str | None = None

    def __post_init__(self) -> None:
        self.address = Address(self.address)

    def __repr__(self) -> str:
        # short: asyncio and test failures format plans; the bodies are in ``fields``
        return f"Change({self.action} {self.address}, {len(self.fields)} fields)"

    @property
    def kind(self) -> Kind:
        kind = kind_of(self.address)
        if kind is None:
            raise ValueError(f"{self.address!r} is the address of no known kind")
        return kind

    @property
    def destructive(self) -> bool:
        """Replace and delete lose the object's id (and a counter's count); an update is
        destructive when its kind says so (a setting change that drops a batch attribute
        deletes that imported attribute)."""
        if self.action == "update":
            return bool(self.kind.update_notes(self.before, self.after))
        return self.action in ("replace", "delete")


def diff_states(desired: State, live: State) -> list[Change]:
    """Every change that would turn ``live`` into ``desired``, in address order."""
    matches = match_objects(desired, live)
    forward = forward_names(matches)
    changes: list[Change] = []
    for kind in all_kinds():
        if kind.singleton:
            changes += _singleton_changes(kind, desired, live)
        elif desired.manages(kind.name):
            changes += _collection_changes(kind, desired, live, matches, forward)
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
        change.reference,
    )


# --- matching ---------------------------------------------------------------------------------


def match_objects(desired: State, live: State) -> Matches:
    """Per kind: desired identity → the identity of the live object it is (itself, or the
    one it is renamed from)."""
    matches: Matches = {}
    for kind in all_kinds():
        if kind.singleton:
            continue
        want, have = desired.of(kind.name), live.of(kind.name)
        found = {i: i for i in want if i in have}
        if kind.renamable:
            _match_renames(found, want, have, desired.renames.get(kind.name, {}))
        matches[kind.name] = found
    return matches


def _match_renames(
    found: dict[str, str], want: Mapping[str, Any], have: Mapping[str, Any], renames: dict[str, str]
) -> None:
    taken = set(found.values())
    for name in sorted(want):
        old = renames.get(name)
        if name in found or old is None or old not in have or old in taken:
            continue
        # an old name also wanted under itself stays itself; it cannot be renamed as well
        if old in want:
            continue
        found[name] = old
        taken.add(old)


def forward_names(matches: Matches) -> Matches:
    """Per kind: live identity → the desired identity it is renamed to (renames only)."""
    return {
        kind: {old: new for new, old in found.items() if old != new}
        for kind, found in matches.items()
    }


# --- comparing --------------------------------------------------------------------------------


def compared(kind: Kind, obj: Resource, forward: Matches) -> Body:
    """An object as diff compares it: its kind's comparable form, with the objects it names
    (its reference field, list actions) under their desired names when renamed (so a rename
    alone is no change)."""
    body = kind.comparable(_renamed_references(kind, obj.body, forward))
    if kind.reference_field and obj.reference is not None:
        target = kind.references({}, obj.reference)[0][1]
        body[kind.reference_field] = forward.get(target.kind, {}).get(target.name, target.name)
    return body


def _renamed_references(kind: Kind, body: Body, forward: Matches) -> Body:
    renames = [
        (path, forward[target.kind][target.name])
        for path, target in kind.references(body, None)
        if target.name in forward.get(target.kind, {})
    ]
    if not renames:
        return body
    copied: Body = json_copy(body)
    for path, new_name in renames:
        set_path(copied, path, new_name)
    return copied


def _singleton_changes(kind: Kind, desired: State, live: State) -> list[Change]:
    before, after = kind.comparable(live.setting), kind.comparable(desired.setting)
    status = live.setting_meta.get("status")
    resend = before == after and status in kind.resend_when
    if before == after and not resend:
        return []
    fields = field_changes(before, after)
    change = Change(kind.address(), "update", dict(live.setting), dict(desired.setting), fields)
    change.reasons = kind.update_notes(change.before, change.after)
    if resend:
        change.reasons.append(f"its status is {status}: sent again as it is, to redeploy it")
    return [change]


def _collection_changes(
    kind: Kind, desired: State, live: State, matches: Matches, forward: Matches
) -> list[Change]:
    have_all, found = live.of(kind.name), matches[kind.name]
    changes = []
    for identity, want in desired.of(kind.name).items():
        old = found.get(identity)
        change = _object_change(kind, want, have_all[old] if old is not None else None, forward)
        if change is not None:
            changes.append(change)
    matched = set(found.values())
    for identity, have in have_all.items():
        if identity not in matched:
            fields = field_changes(compared(kind, have, {}), {})
            changes.append(
                Change(
                    kind.address(identity),
                    "delete",
                    have.body,
                    None,
                    fields,
                    [NOT_IN_CONFIG],
                    have.reference,
                )
            )
    return changes


def _object_change(
    kind: Kind, want: Resource, have: Resource | None, forward: Matches
) -> Change | None:
    address = kind.address(want.identity)
    after = compared(kind, want, {})
    if have is None:
        fields = field_changes({}, after)
        return Change(address, "create", None, want.body, fields, [], want.reference)
    before = compared(kind, have, forward)
    after = kind.as_live_shows(after, have.body)
    renamed = have.identity != want.identity
    if before == after and not renamed:
        return None
    reasons = replace_reasons(kind, before, after)
    action: Action = "replace" if reasons else "update"
    if renamed:
        reasons = [f"renamed from {have.identity}", *reasons]
    fields = field_changes(before, after)
    return Change(address, action, have.body, want.body, fields, reasons, want.reference)


def replace_reasons(kind: Kind, before: Body, after: Body) -> list[str]:
    """Why a change cannot be PATCHed: the kind's own reasons, or each changed top-level field
    outside its ``patchable`` fields."""
    if kind.replace_reasons is not None:
        return kind.replace_reasons(before, after)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return [f"{key} cannot be patched" for key in changed if key not in kind.patchable]


# --- field deltas -----------------------------------------------------------------------------


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
    identity = keyed_lists().get(path)
    if identity is None or not all(isinstance(item, dict) for item in items):
        return None
    keyed = {identity(item): item for item in items}
    return keyed if len(keyed) == len(items) else None


def _keyed_changes(path: str, before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    out: list[FieldChange] = []
    for key in sorted(set(before) | set(after)):
        out += field_changes(before.get(key), after.get(key), f"{path}[{key}]")
    return out
