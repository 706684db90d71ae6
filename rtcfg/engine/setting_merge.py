"""Re-planning the setting when someone else wrote it while an apply ran (pure, no I/O).

The API has no lock, and a setting PATCH replaces the whole object. An apply that sends the
body it computed from the live state it read at plan time would silently undo whatever
another apply changed since (two CI jobs on one parent segment: the second one's imported
attributes are deleted). So just before its setting PATCH, and again after a 409, apply reads
the live setting; when it is not what the plan was made from, :func:`rebase_setting` makes
a three-way merge of base (live at plan time), ours (the planned body) and theirs (live now),
item by item (key columns by name, event tables by database.table, batch attributes by
column, the ext lookup key as one value):

* what only they changed is kept as they have it; what only we changed is sent as we plan it;
* what both changed the same way is fine; what both changed differently is a conflict.

A conflict, or a merge that would remove an imported attribute the plan did not mean to
remove, is refused (the step fails, nothing is sent): the plan was reviewed against a state
that no longer exists, and `rtcfg plan` must be run again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rtcfg.engine.diff import removed_batch_columns
from rtcfg.model.kinds.setting import comparable as comparable_setting
from rtcfg.model.state import Body

Identity = Callable[[Body], tuple[Any, ...]]
_IDENTITY: dict[str, Identity] = {
    "keyColumns": lambda item: (item.get("name"),),
    "eventTables": lambda item: (item.get("database"), item.get("table")),
    "batchAttributes": lambda item: (item.get("column"),),
}
_OURS, _THEIRS, _CONFLICT = "ours", "theirs", "conflict"


class SettingConflict(Exception):
    """The setting cannot be re-planned without undoing or overriding someone's change."""


def _pick(base: Any, ours: Any, theirs: Any) -> str:
    if ours == base:
        return _THEIRS
    if theirs in (base, ours):
        return _OURS
    return _CONFLICT


def _merge_list(key: str, base: Body, ours: Body, theirs: Body) -> tuple[list[Body], list[str]]:
    identity = _IDENTITY[key]
    compared = [comparable_setting(b)[key] for b in (base, ours, theirs)]
    b, o, t = ({identity(i): i for i in items} for items in compared)
    raw = {
        _OURS: {identity(i): i for i in ours.get(key) or []},
        _THEIRS: {identity(i): i for i in theirs.get(key) or []},
    }
    merged, conflicts = [], []
    for ident in [*t, *(i for i in o if i not in t)]:
        side = _pick(b.get(ident), o.get(ident), t.get(ident))
        if side == _CONFLICT:
            conflicts.append(f"{key} {'.'.join(str(p) for p in ident)}")
        elif ident in raw[side]:
            merged.append(raw[side][ident])
    return merged, conflicts


def rebase_setting(base: Body, ours: Body, theirs: Body) -> Body:
    """The planned setting body ``ours`` re-planned onto ``theirs`` (see the module doc);
    SettingConflict when that cannot be done safely."""
    merged: Body = {}
    conflicts: list[str] = []
    for key in _IDENTITY:
        merged[key], found = _merge_list(key, base, ours, theirs)
        conflicts += found
    side = _pick(base.get("extLookupKey"), ours.get("extLookupKey"), theirs.get("extLookupKey"))
    if side == _CONFLICT:
        conflicts.append("extLookupKey")
    merged["extLookupKey"] = (ours if side == _OURS else theirs).get("extLookupKey")
    if conflicts:
        raise SettingConflict("this plan and the other change both change " + ", ".join(conflicts))
    intended = set(removed_batch_columns(base, ours))
    lost = [c for c in removed_batch_columns(theirs, merged) if c not in intended]
    if lost:
        raise SettingConflict(
            "sending it now would remove imported attribute(s) " + ", ".join(lost)
        )
    return merged
