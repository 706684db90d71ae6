"""What the other kinds need from the setting change, and what it needs from them.

Pure: no I/O. The realtime setting is the one singleton kind, and what ties it to the other
kinds is particular to it: a key event reads an event table the setting must list first; a
backfill reads a batch attribute the setting must add first; a batch attribute's name and
column share the namespace of realtime attributes (``rtcfg.engine.names``), so whichever of
the two gives a name up goes first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from rtcfg.engine.names import batch_columns, batch_names, freed_by_setting
from rtcfg.model.addresses import Address
from rtcfg.model.kinds import attribute, key_event
from rtcfg.model.kinds.setting import table_of
from rtcfg.model.state import Body, State


class _Change(Protocol):
    @property
    def action(self) -> str: ...

    @property
    def after(self) -> Body | None: ...


def needs_setting(address: Address, after: Body | None, desired: State, live: State) -> bool:
    """Whether a change relies on something the setting change adds: an event table for a
    key event, a batch attribute for a backfill; or frees: the name or identifier of a batch
    attribute it drops or renames (so ``--exclude setting`` leaves unrelated changes in the
    plan)."""
    body = after or {}
    if address.kind == key_event.NAME:
        return table_of(body) not in (live.setting.get("eventTables") or [])
    names, identifiers = freed_by_setting(live.setting, desired.setting)
    if body.get("name") in names or body.get("identifier") in identifiers:
        return True
    backfill = body.get("backfill") or {}
    columns = batch_columns(live.setting)
    return bool(backfill) and str(backfill.get("attributeIdentifier")) not in columns


def freeing_for_setting(
    desired: State, live: State, by_address: Mapping[str, _Change]
) -> list[Address]:
    """Attributes that hold a name or identifier a batch attribute of the setting change
    takes and give it up: deleted, replaced, or (a display name) renamed by an update."""
    names, identifiers = batch_names(desired.setting), batch_columns(desired.setting)
    freeing = []
    for attr in live.attributes.values():
        address = Address.of(attribute.NAME, attr.identifier)
        change = by_address.get(address)
        name = attr.body.get("name")
        if change is None or (name not in names and attr.identifier not in identifiers):
            continue
        renamed = change.action == "update" and (change.after or {}).get("name") != name
        if renamed or change.action in ("delete", "replace"):
            freeing.append(address)
    return freeing
