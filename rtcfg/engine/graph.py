"""Which changes need which: the order of a plan, and what ``--target`` / ``--exclude`` bring
along or take away.

Pure: no I/O. What a change needs comes from its kind's facts (``rtcfg.model.kinds``): the
objects its body references (made or changed first), the unique fields whose value it takes
from another object of its kind (freed first), and, for the singleton setting, the rules of
``rtcfg.engine.setting_rules``. Live objects are indexed once (who reads what, who holds which
name), so asking costs the same for every change and planning stays linear in their number.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from rtcfg.engine import setting_rules
from rtcfg.engine.diff import Change, Matches, forward_names, match_objects
from rtcfg.model.addresses import Address
from rtcfg.model.kinds import SETTING, all_kinds
from rtcfg.model.kinds.base import Kind
from rtcfg.model.state import Resource, State

FreedBy = Literal["delete", "write"]  # which step of the holder frees the value


class ChangeGraph:
    """The changes between two states, and which of them need which. Names inside it are
    desired names unless said otherwise."""

    def __init__(self, desired: State, live: State, changes: list[Change]) -> None:
        self.desired, self.live = desired, live
        self.matches: Matches = match_objects(desired, live)
        self.forward: Matches = forward_names(self.matches)
        self._readers = _live_readers(live)
        self._holders = _live_holders(live)
        self.keep(changes)

    def keep(self, changes: list[Change]) -> None:
        """Narrow the graph to ``changes`` (after --target / --exclude)."""
        self.changes = changes
        self.by_address: dict[str, Change] = {c.address: c for c in changes}

    def action(self, address: str) -> str | None:
        change = self.by_address.get(address)
        return change.action if change else None

    def requires(self, change: Change) -> set[Address]:
        """The changes that must be done before ``change`` can be."""
        needs: set[Address] = set()
        if change.action != "delete":
            needs |= {a for a in self.reads(change) if self.action(a) in ("create", "update")}
            needs |= {a for a, _ in self.name_freeing(change)}
            if not change.kind.singleton and self.needs_setting(change):
                needs.add(SETTING)
        if change.kind.singleton:
            needs |= set(self.setting_name_freeing())
        return needs

    # --- references -------------------------------------------------------------------------

    def reads(self, change: Change) -> list[Address]:
        """Addresses (desired names) of the objects the desired body of ``change`` names."""
        body = change.after or {}
        return sorted({a for _, a in change.kind.references(body, change.reference)})

    def readers(self, live_target: Address) -> list[tuple[Address, Resource]]:
        """Live objects that name the live object ``live_target`` (by its live name), each
        with its own address."""
        return self._readers.get(live_target, [])

    def still_reads(self, change: Change, live_target: Address) -> bool:
        """Whether the desired body of ``change`` still names live object ``live_target``."""
        for address in self.reads(change):
            found = self.matches.get(address.kind, {})
            if found.get(address.name) == live_target.name:
                return True
        return False

    def live_name(self, address: Address) -> str | None:
        """The live identity of the object a change at ``address`` (a desired name) is."""
        return self.matches.get(address.kind, {}).get(address.name)

    # --- unique values: freed before they are taken -----------------------------------------

    def name_freeing(self, change: Change) -> list[tuple[Address, FreedBy]]:
        """Other objects of the same kind that hold a unique value (a display name, a key
        event's name) that ``change`` wants, and give it up: by their delete (or the delete
        half of a replace), or by an update that changes it (a rename)."""
        kind, body = change.kind, change.after or {}
        out: list[tuple[Address, FreedBy]] = []
        for field in kind.unique:
            wanted = body.get(field)
            for identity in self._holders.get((kind.name, field, _key(wanted)), []):
                renamed_to = self.forward.get(kind.name, {}).get(identity, identity)
                address = kind.address(renamed_to)
                other = self.by_address.get(address)
                if address == change.address or other is None:
                    continue
                if other.action in ("delete", "replace"):
                    out.append((address, "delete"))
                elif other.action == "update" and (other.after or {}).get(field) != wanted:
                    out.append((address, "write"))
        return sorted(set(out))

    # --- the setting -------------------------------------------------------------------------

    def needs_setting(self, change: Change) -> bool:
        """Whether ``change`` relies on something the setting change adds or frees."""
        if not self.action(SETTING):
            return False
        return setting_rules.needs_setting(change.address, change.after, self.desired, self.live)

    def setting_name_freeing(self) -> list[Address]:
        """Attributes the setting change waits on: they give up a name a batch attribute
        takes."""
        if not self.action(SETTING):
            return []
        return setting_rules.freeing_for_setting(self.desired, self.live, self.by_address)


def _key(value: object) -> str:
    return repr(value)


def _live_readers(live: State) -> dict[Address, list[tuple[Address, Resource]]]:
    """Live target address (live names) → the live objects that reference it."""
    readers: dict[Address, list[tuple[Address, Resource]]] = defaultdict(list)
    for kind in _collections():
        for identity, obj in live.of(kind.name).items():
            for target in {a for _, a in kind.references(obj.body, obj.reference)}:
                readers[target].append((kind.address(identity), obj))
    return readers


def _live_holders(live: State) -> dict[tuple[str, str, str], list[str]]:
    """(kind, unique field, value) → live identities holding it."""
    holders: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for kind in _collections():
        for identity, obj in live.of(kind.name).items():
            for field in kind.unique:
                holders[(kind.name, field, _key(obj.body.get(field)))].append(identity)
    return holders


def _collections() -> list[Kind]:
    return [k for k in all_kinds() if not k.singleton]
