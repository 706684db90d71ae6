"""The selected changes of a ChangeGraph → drafts of API steps, for every kind alike.

Pure: no I/O. A collection kind's create is a POST to its collection (with a lookup, so a
lost answer is found again by identity), an update a PATCH of its live id, a delete a
DELETE, a replace a DELETE then a POST. What a body names (``Kind.references``) becomes the
live id, or a ref to the POST that makes the object; the step waits on that POST. The
singleton setting's steps are ``rtcfg.engine.setting_steps``.
"""

from __future__ import annotations

import re
from typing import Any

from rtcfg.engine import setting_steps
from rtcfg.engine.budget import fit_filter_budget
from rtcfg.engine.diff import Change
from rtcfg.engine.graph import ChangeGraph
from rtcfg.engine.select import closure, reader_address
from rtcfg.engine.stages import (
    Draft,
    Key,
    delete_stage,
    is_early_delete,
    late_delete,
    write_stage,
)
from rtcfg.errors import PlanError
from rtcfg.model.addresses import Address
from rtcfg.model.bodypath import json_copy, path_parts, set_path
from rtcfg.model.kinds import SETTING, kind_of
from rtcfg.model.kinds.base import Body, Kind

_TOP = re.compile(r"[.\[]")  # where a field path's top-level key ends


def build_drafts(graph: ChangeGraph) -> list[Draft]:
    """Every step of the plan, before ids: deletes, the setting, writes, the cleanup."""
    return _Builder(graph).build()


class _Builder:
    def __init__(self, graph: ChangeGraph) -> None:
        self.graph = graph
        self.ps_id = graph.desired.parent_segment_id

    def build(self) -> list[Draft]:
        graph = self.graph
        drafts = [self._delete(c) for c in graph.changes if c.action in ("delete", "replace")]
        early = {d.key for d in drafts if is_early_delete(d.stage)}
        renames = [a for a in graph.setting_name_freeing() if graph.action(a) == "update"]
        waits = early | {(write_stage(_kind(a)), a) for a in renames}
        setting = setting_steps.setting_draft(graph, waits)
        before_setting = closure(set(renames), graph, _creates_and_updates_needed)
        for change in graph.changes:
            if change.action != "delete" and not change.kind.singleton:
                first = self._first(change, setting, early, before_setting)
                drafts.append(self._write(change, first))
        drafts += [setting] if setting else []
        drafts += setting_steps.cleanup(graph, setting, drafts)
        budget_waits = fit_filter_budget(drafts, graph)  # the filter limit holds all through
        for draft in drafts:
            draft.needs |= budget_waits.get(draft.key, set())
        return drafts

    def _first(
        self, change: Change, setting: Draft | None, early: set[Key], before_setting: set[str]
    ) -> set[Key]:
        """What a create or update waits on besides its own needs. Creates and updates come
        after every delete, directly or through the setting; but a step the setting waits on
        (a rename that frees a name a batch attribute takes, and what that rename needs) waits
        on the deletes, and on the setting only if it needs it: a circle the plan refuses."""
        if setting is None:
            return early
        if change.address not in before_setting:
            return {setting.key}
        return early | ({setting.key} if SETTING in self.graph.requires(change) else set())

    # --- deletes ------------------------------------------------------------------------------

    def _delete(self, change: Change) -> Draft:
        """DELETE of the live object; it waits on the objects that name it: their deletes, or
        (a late delete) the PATCHes that stop them naming it."""
        kind = change.kind
        needs: set[Key] = set()
        for live_reader, _ in self.graph.readers(change.address):
            address = reader_address(self.graph, live_reader)
            action = self.graph.action(address)
            if action in ("delete", "replace"):
                needs.add((delete_stage(_kind(address)), address))
            elif action == "update":
                needs.add((write_stage(_kind(address)), address))
        late = any(stage != delete_stage(_kind(a)) for stage, a in needs)
        stage = late_delete() if late else delete_stage(kind)
        live = self.graph.live.of(kind.name)[change.address.name]
        path = kind.api_path(self.ps_id, _live_id(live.id, change.address))
        return Draft(stage, "DELETE", path, None, change.address, needs)

    # --- creates and updates ------------------------------------------------------------------

    def _write(self, change: Change, first: set[Key]) -> Draft:
        graph, kind, address = self.graph, change.kind, change.address
        needs: set[Key] = set(first)
        needs |= {
            (write_stage(_kind(a)), a)
            for a in graph.reads(change)
            if graph.action(a) in ("create", "update")
        }
        needs |= {
            ((delete_stage if how == "delete" else write_stage)(_kind(a)), a)
            for a, how in graph.name_freeing(change)
        }
        if change.action == "replace":
            needs.add((delete_stage(kind), address))
        want = graph.desired.of(kind.name)[address.name]
        refs: dict[str, str] = {}
        if change.action == "update":
            live_name = graph.live_name(address) or address.name
            have = graph.live.of(kind.name)[live_name]
            body = _patch_body(kind, change, want.body)
            self._resolve(change, body, refs, only_present=True)
            path = kind.api_path(self.ps_id, _live_id(have.id, address))
            return Draft(write_stage(kind), "PATCH", path, body, address, needs, refs)
        body = json_copy(want.body)
        if kind.reference_field:
            body[kind.reference_field] = want.reference
        self._resolve(change, body, refs, only_present=False)
        lookup = {"collection": kind.path, "field": kind.identity, "value": address.name}
        path = kind.api_path(self.ps_id)
        return Draft(write_stage(kind), "POST", path, body, address, needs, refs, lookup)

    def _resolve(
        self, change: Change, body: Body, refs: dict[str, str], only_present: bool
    ) -> None:
        """Each object the body names (by name) → its live id, or a ref to its POST."""
        kind = change.kind
        top = body.get(kind.reference_field) if kind.reference_field else None
        for path, target in kind.references(body, top if isinstance(top, str) else None):
            if only_present and path_parts(path)[0] not in body:
                continue
            set_path(body, path, self._id_of(target, path, refs, change))

    def _id_of(self, target: Address, path: str, refs: dict[str, str], change: Change) -> Any:
        """The live id of a named object, or None and a ref when this plan creates it."""
        live_name = self.graph.live_name(target)
        if live_name is not None:
            live = self.graph.live.of(target.kind)[live_name]
            return _live_id(live.id, Address.of(target.kind, live_name))
        if self.graph.action(target) == "create":
            refs[path] = target
            return None
        label = _kind(target).label
        raise PlanError(
            f"{change.address} reads {label} {target.name!r}, which is neither live nor created "
            f"by this plan; add it to the configuration, or include its {target.kind} change"
        )


def _patch_body(kind: Kind, change: Change, wanted: Body) -> Body:
    """The whole body, or only the patchable fields the change shows changed (one the file
    dropped is sent as the API's default), as the kind's PATCH takes it."""
    if kind.patch_whole:
        whole: Body = json_copy(wanted)
        return whole
    changed = {_TOP.split(f.path, 1)[0] for f in change.fields}
    return {
        key: json_copy(wanted.get(key, kind.cleared.get(key)))
        for key in sorted(kind.patchable & changed)
    }


def _creates_and_updates_needed(graph: ChangeGraph, address: str) -> set[str]:
    """The creates and updates of collection kinds that ``address`` waits on."""
    needs = graph.requires(graph.by_address[address]) - {SETTING}
    return {str(a) for a in needs if graph.action(a) in ("create", "update")}


def _kind(address: str) -> Kind:
    kind = kind_of(address)
    if kind is None:
        raise PlanError(f"{address} is the address of no known kind")
    return kind


def _live_id(object_id: str | None, address: Address) -> str:
    if object_id is None:
        raise PlanError(f"{address} has no live id: it cannot be changed in place")
    return object_id
