"""Changes → the ordered API steps of a plan, its safety rules and fingerprint (its JSON form
is in ``rtcfg.engine.planfile``).

Pure: no I/O. A step names the steps it needs in ``depends_on``, so apply may run each one as
soon as those are done; ``stage`` keeps the order of spec/cli.md and the list is sorted by it:

1. DELETE attributes (deletes, and the delete half of replacements)
2. DELETE key events (after every attribute that reads them is gone)
3. PATCH the setting (the complete object, after every delete)
4. POST / PATCH key events
5. POST / PATCH attributes (``realtimeKeyEventId`` from live, or a ref to a stage-4 POST)
6. DELETE key events that a list's ``actions`` name until that list is PATCHed in stage 5

A name or identifier is freed before it is taken, whichever kinds hold it: an attribute
waits on the delete, replace or rename of the one that holds its name, a key event on the
rename of the one that holds its name, and the setting on an attribute renamed away from the
name of a batch attribute it adds (such a rename and what it needs come before the setting;
``rtcfg.engine.names`` says which names batch attributes hold). The list is sorted by stage, except
that a step always comes after the steps it waits on; a circle is refused.

Steps hold only ids that exist live; the id of an object made during apply is a ``ref``.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from rtcfg.engine.budget import fit_filter_budget
from rtcfg.engine.diff import (
    KEY_EVENT_FIELD,
    SETTING,
    Change,
    ChangeGraph,
    address_order,
    attribute_address,
    comparable_attribute_state,
    diff_states,
    key_event_address,
)
from rtcfg.engine.diff import live_fingerprint as live_fingerprint  # part of this module's API
from rtcfg.errors import PlanError
from rtcfg.model.state import PATCHABLE_ATTRIBUTE_FIELDS, SETTING_KEYS, AttributeState, Body, State
from rtcfg.safe_text import safe

FORMAT_VERSION = "1"
METHODS = ("POST", "PATCH", "DELETE")
# What a PATCH sends for a patchable field the file no longer sets (the API's own default).
_CLEARED: Body = {"actions": [], "subDurations": []}


@dataclass
class Step:
    """One API request of a plan; ``refs`` maps a body path to the address whose new id fills
    it, ``lookup`` finds the object a lost POST may have made."""

    id: int
    method: str
    path: str
    body: Body | None
    address: str
    depends_on: list[int]
    refs: dict[str, str]
    stage: int
    lookup: dict[str, str] | None = None


@dataclass
class SegmentPlan:
    """The plan for one parent segment, and the live state it was made from."""

    parent_segment_id: str
    config_file: str
    config_sha256: str
    live_fingerprint: str
    live_objects: dict[str, str]
    changes: list[Change]
    steps: list[Step]
    # address of a replace/delete → the personalizations and journeys it breaks
    # (rtcfg.api.references); ``references_unchecked`` says why that could not be checked
    breaks: dict[str, list[str]] = field(default_factory=dict)
    references_unchecked: str | None = None
    left_out: int = 0  # changes --target / --exclude left out (not saved: a plan runs as is)

    @property
    def summary(self) -> dict[str, int]:
        """How many changes of each action."""
        counts = dict.fromkeys(("create", "update", "replace", "delete"), 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    @property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]

    @property
    def empty(self) -> bool:
        return not self.changes


@dataclass
class Plan:
    """Every segment's plan; what ``rtcfg plan -o`` saves and ``rtcfg apply`` runs."""

    segments: list[SegmentPlan]
    rtcfg_version: str
    format_version: str = FORMAT_VERSION


def build_segment_plan(
    desired: State,
    live: State,
    *,
    config_file: str,
    config_sha256: str,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
) -> SegmentPlan:
    """Diff, select (``--target``/``--exclude``), check what cannot be done, order the steps."""
    graph = ChangeGraph(desired, live, diff_states(desired, live))
    _check_patterns(graph, targets, "--target")
    _check_patterns(graph, excludes, "--exclude")
    every = len(graph.changes)
    _select(graph, targets, excludes)
    _check_key_event_deletes(graph)
    _check_ext_lookup_key(graph, config_file)
    fingerprint, objects = live_fingerprint(live)
    return SegmentPlan(
        desired.parent_segment_id,
        config_file,
        config_sha256,
        fingerprint,
        objects,
        graph.changes,
        _Steps(graph).build(),
        left_out=every - len(graph.changes),
    )


# --- which changes: targets, excludes, and what cannot be done ---------------------------------


def _select(graph: ChangeGraph, targets: Sequence[str], excludes: Sequence[str]) -> None:
    """Like Terraform: a targeted change brings what it needs; an excluded one takes what
    needs it along. A key event delete is not dropped with its readers: that is an error."""
    chosen = set(graph.by_address)
    if targets:
        chosen = _closure({a for a in chosen if _matches(a, targets)}, graph, _target_needs)
    dropped = {a for a in chosen if _matches(a, excludes)}
    while True:
        more = {a for a in chosen - dropped if graph.requires(graph.by_address[a]) & dropped}
        if not more:
            break
        dropped |= more
    graph.keep([c for c in graph.changes if c.address in chosen - dropped])


def _target_needs(graph: ChangeGraph, address: str) -> set[str]:
    change = graph.by_address[address]
    needs = graph.requires(change)
    if change.address.startswith("key_event.") and change.action == "delete":
        # a key event can go only after the attributes that read it
        name = change.address.split(".", 1)[1]
        needs |= {attribute_address(a.identifier) for a in graph.readers(name)}
    return {a for a in needs if a in graph.by_address}


def _matches(address: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(address, p) for p in patterns)


def _closure(
    start: set[str], graph: ChangeGraph, needs: Callable[[ChangeGraph, str], set[str]]
) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for address in needs(graph, todo.pop()) - seen:
            seen.add(address)
            todo.append(address)
    return seen


def _check_patterns(graph: ChangeGraph, patterns: Sequence[str], option: str) -> None:
    """A pattern that matches no object at all is a typo, not a request for nothing."""
    known = {SETTING, *graph.by_address}
    known |= {key_event_address(n) for n in [*graph.desired.key_events, *graph.live.key_events]}
    known |= {attribute_address(i) for i in [*graph.desired.attributes, *graph.live.attributes]}
    for pattern in patterns:
        if not any(fnmatchcase(a, pattern) for a in known):
            raise PlanError(
                f"{option} {pattern!r} matches nothing in the configuration or live state; "
                "addresses are setting, key_event.NAME and attribute.IDENTIFIER (* globs)"
            )


def _check_key_event_deletes(graph: ChangeGraph) -> None:
    """A key event may go only when every attribute reading it goes or stops reading it."""
    for change in graph.changes:
        if not change.address.startswith("key_event.") or change.action != "delete":
            continue
        name = change.address.split(".", 1)[1]
        for reader in graph.readers(name):
            address = attribute_address(reader.identifier)
            kept = graph.by_address.get(address)
            if kept is None or (kept.action == "update" and graph.still_reads(kept, name)):
                who, what = safe(change.address), safe(address)  # live names: hostile
                raise PlanError(
                    f"{who} cannot be deleted: {what} reads it and stays live "
                    "(its change is excluded or not targeted); include "
                    f"{what} in the plan, or keep the key event in the configuration"
                )


def _check_ext_lookup_key(graph: ChangeGraph, config_file: str) -> None:
    if SETTING not in graph.by_address:
        return
    current = graph.live.setting.get("extLookupKey")
    if current is not None and graph.desired.setting.get("extLookupKey") is None:
        current = safe(current)  # a live value: shown escaped
        raise PlanError(
            f"ext_lookup_key cannot be unset once set: parent segment "
            f"{graph.live.parent_segment_id} has extLookupKey {current!r}. Add "
            f"`ext_lookup_key: {current}` under id_stitching in {config_file}, "
            "or leave the setting out of this plan with --exclude setting"
        )


# --- steps --------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A step before it has an id; ``needs`` names other drafts by (stage, address)."""

    stage: int
    method: str
    path: str
    body: Body | None
    address: str
    needs: set[tuple[int, str]] = field(default_factory=set)
    refs: dict[str, str] = field(default_factory=dict)
    lookup: dict[str, str] | None = None

    @property
    def key(self) -> tuple[int, str]:
        return (self.stage, self.address)


class _Steps:
    """Turns the selected changes of a ChangeGraph into numbered steps."""

    def __init__(self, graph: ChangeGraph) -> None:
        self.c = graph
        base = f"/audiences/{graph.desired.parent_segment_id}"
        self.attributes_path = f"{base}/realtime_attributes"
        self.key_events_path = f"{base}/realtime_key_events"
        self.setting_path = f"{base}/realtime_setting"

    def build(self) -> list[Step]:
        drafts = self._deletes()
        early = {d.key for d in drafts if d.stage < 3}
        freeing = self.c.setting_name_freeing()
        renames = {a for a in freeing if self.c.action(a) == "update"}
        setting = self._setting(early | {(5, a) for a in renames})
        before_setting = _closure(renames, self.c, _creates_and_updates_needed)
        for change in self.c.changes:
            kind = change.address.split(".", 1)[0]
            if change.action != "delete" and kind != SETTING:
                first = self._first(change, setting, early, before_setting)
                build = self._key_event if kind == "key_event" else self._attribute
                drafts.append(build(change, first))
        drafts += [setting] if setting else []
        drafts += self._setting_cleanup(setting, drafts)
        waits = fit_filter_budget(drafts, self.c)  # the filter limit holds all through apply
        for draft in drafts:
            draft.needs |= waits.get(draft.key, set())
        return _numbered(drafts)

    def _first(
        self,
        change: Change,
        setting: _Draft | None,
        early: set[tuple[int, str]],
        before_setting: set[str],
    ) -> set[tuple[int, str]]:
        """What a create or update waits on besides its own needs. Creates and updates come
        after every delete, directly or through the setting; but a step the setting waits on
        (a rename that frees a name a batch attribute takes, and what that rename needs) waits
        on the deletes, and on the setting only if it needs it: a circle the plan refuses."""
        if setting is None:
            return early
        if change.address not in before_setting:
            return {setting.key}
        return early | ({setting.key} if SETTING in self.c.requires(change) else set())

    def _tables_during(self, drafts: list[_Draft]) -> list[Body]:
        """Event tables that live key events still read while the setting is PATCHed (those
        not deleted in stage 2): the API refuses to remove a table a key event uses."""
        gone = {d.address for d in drafts if d.stage == 2 and d.method == "DELETE"}
        return [
            _table_of(k.body)
            for name, k in self.c.live.key_events.items()
            if key_event_address(name) not in gone
        ]

    def _tables_after(self, drafts: list[_Draft]) -> list[Body]:
        """Event tables that live key events read once this plan is done: the desired table of
        one it updates, the live table of one it leaves alone (e.g. --exclude)."""
        deleted = {d.address for d in drafts if d.method == "DELETE"}
        moved = {self.c.matches.get(n): n for n in self.c.desired.key_events}
        tables = []
        for live_name, live_event in self.c.live.key_events.items():
            if key_event_address(live_name) in deleted:
                continue
            body = live_event.body
            desired_name = moved.get(live_name)
            if desired_name is not None and self.c.action(key_event_address(desired_name)):
                body = self.c.desired.key_events[desired_name].body
            tables.append(_table_of(body))
        return tables

    def _batch_in_use(self, drafts: list[_Draft]) -> list[Body]:
        """Batch attributes that the backfill of an attribute this plan keeps still uses."""
        deleted = {d.address for d in drafts if d.method == "DELETE"}
        columns = {
            str((a.body.get("backfill") or {}).get("attributeIdentifier"))
            for i, a in self.c.live.attributes.items()
            if a.body.get("backfill") and attribute_address(i) not in deleted
        }
        live_batch = self.c.live.setting.get("batchAttributes") or []
        return [b for b in live_batch if b.get("column") in columns]

    def _setting_cleanup(self, setting: _Draft | None, drafts: list[_Draft]) -> list[_Draft]:
        """The setting PATCH keeps what live objects still use while it runs (tables of key
        events, batch attributes of backfills); when that is more than what stays in use
        after the plan, a second PATCH (stage 7) drops the rest once key events have moved."""
        if setting is None or setting.body is None:
            return []
        desired = json_copy(setting.body)
        after = _with(desired, self._tables_after(drafts), self._batch_in_use(drafts))
        during = _with(after, self._tables_during(drafts), [])
        setting.body = during
        if during == after:
            return []
        needs = {d.key for d in drafts if d.stage in (4, 6)} | {setting.key}
        return [_Draft(7, "PATCH", self.setting_path, after, SETTING, needs)]

    def _deletes(self) -> list[_Draft]:
        drafts = []
        for change in self.c.changes:
            kind, _, name = change.address.partition(".")
            if kind == "attribute" and change.action in ("delete", "replace"):
                have = self.c.live.attributes[name]
                path = f"{self.attributes_path}/{_live_id(have.id, change.address)}"
                drafts.append(_Draft(1, "DELETE", path, None, change.address))
            elif kind == "key_event" and change.action == "delete":
                drafts.append(self._key_event_delete(change, name))
        return drafts

    def _key_event_delete(self, change: Change, name: str) -> _Draft:
        needs = set()
        for reader in self.c.readers(name):
            address = attribute_address(reader.identifier)
            action = self.c.action(address)
            if action in ("delete", "replace"):
                needs.add((1, address))
            elif action == "update":
                needs.add((5, address))
        stage = 6 if any(stage == 5 for stage, _ in needs) else 2
        path = f"{self.key_events_path}/{_live_id(self.c.live.key_events[name].id, change.address)}"
        return _Draft(stage, "DELETE", path, None, change.address, needs)

    def _setting(self, deletes: set[tuple[int, str]]) -> _Draft | None:
        if SETTING not in self.c.by_address:
            return None
        wanted = self.c.desired.setting
        body = {k: wanted.get(k, None if k == "extLookupKey" else []) for k in SETTING_KEYS}
        return _Draft(3, "PATCH", self.setting_path, json_copy(body), SETTING, set(deletes))

    def _key_event(self, change: Change, first: set[tuple[int, str]]) -> _Draft:
        name = change.address.split(".", 1)[1]
        body = json_copy(self.c.desired.key_events[name].body)
        needs = set(first) | {(4, a) for a in self.c.key_event_name_freeing(change)}
        if change.action == "create":
            lookup = {"collection": "realtime_key_events", "field": "name", "value": name}
            return _Draft(4, "POST", self.key_events_path, body, change.address, needs, {}, lookup)
        have = self.c.live.key_events[self.c.matches[name]]
        path = f"{self.key_events_path}/{_live_id(have.id, change.address)}"
        return _Draft(4, "PATCH", path, body, change.address, needs)

    def _attribute(self, change: Change, first: set[tuple[int, str]]) -> _Draft:
        identifier = change.address.split(".", 1)[1]
        want = self.c.desired.attributes[identifier]
        needs = set(first)
        needs |= {
            (4, a)
            for a in self.c.key_events_read(change)
            if self.c.action(a) in ("create", "update")
        }
        needs |= {
            (5 if self.c.action(a) == "update" else 1, a)
            for a in self.c.name_freeing_changes(change)
        }
        if change.action == "replace":
            needs.add((1, change.address))
        refs: dict[str, str] = {}
        if change.action == "update":
            have = self.c.live.attributes[identifier]
            body = self._attribute_patch(want, have, refs, change)
            path = f"{self.attributes_path}/{_live_id(have.id, change.address)}"
            return _Draft(5, "PATCH", path, body, change.address, needs, refs)
        body = json_copy(want.body)
        body[KEY_EVENT_FIELD] = self._key_event_id(want.key_event, KEY_EVENT_FIELD, refs, change)
        if isinstance(body.get("actions"), list):
            body["actions"] = self._actions(body["actions"], refs, change)
        lookup = {"collection": "realtime_attributes", "field": "identifier", "value": identifier}
        return _Draft(5, "POST", self.attributes_path, body, change.address, needs, refs, lookup)

    def _attribute_patch(
        self, want: AttributeState, have: AttributeState, refs: dict[str, str], change: Change
    ) -> Body:
        """Only the patchable fields that differ; one the file dropped is sent as its default."""
        before = comparable_attribute_state(have, self.c.forward)
        after = comparable_attribute_state(want, {})
        body = {
            key: json_copy(want.body.get(key, _CLEARED.get(key)))
            for key in sorted(PATCHABLE_ATTRIBUTE_FIELDS)
            if before.get(key) != after.get(key)
        }
        if isinstance(body.get("actions"), list):
            body["actions"] = self._actions(body["actions"], refs, change)
        return body

    def _actions(self, actions: list[Any], refs: dict[str, str], change: Change) -> list[Any]:
        for i, action in enumerate(actions):
            path = f"actions[{i}].{KEY_EVENT_FIELD}"
            action[KEY_EVENT_FIELD] = self._key_event_id(
                action.get(KEY_EVENT_FIELD), path, refs, change
            )
        return actions

    def _key_event_id(
        self, name: Any, path: str, refs: dict[str, str], change: Change
    ) -> str | None:
        """The live id of a key event, or None and a ref when this plan creates it."""
        live_name = self.c.matches.get(name) if isinstance(name, str) else None
        if live_name is not None:
            return _live_id(self.c.live.key_events[live_name].id, key_event_address(live_name))
        if isinstance(name, str) and self.c.action(key_event_address(name)) == "create":
            refs[path] = key_event_address(name)
            return None
        raise PlanError(
            f"{change.address} reads key event {name!r}, which is neither live nor created by "
            "this plan; add it to events, or include its key_event change"
        )


def _creates_and_updates_needed(graph: ChangeGraph, address: str) -> set[str]:
    """The key event and attribute creates and updates that ``address`` waits on."""
    needs = graph.requires(graph.by_address[address]) - {SETTING}
    return {a for a in needs if graph.action(a) in ("create", "update")}


def _table_of(key_event: Body) -> Body:
    return {"database": key_event.get("databaseName"), "table": key_event.get("tableName")}


def _with(setting: Body, tables: list[Body], batch: list[Body]) -> Body:
    """``setting`` plus the event tables and batch attributes it lacks (by identity)."""
    out: Body = json_copy(setting)
    for table in tables:
        if table not in out["eventTables"]:
            out["eventTables"].append(table)
    columns = {b.get("column") for b in out["batchAttributes"]}
    for item in batch:
        if item.get("column") not in columns:
            out["batchAttributes"].append(json_copy(item))
            columns.add(item.get("column"))
    return out


def _live_id(object_id: str | None, address: str) -> str:
    if object_id is None:
        raise PlanError(f"{address} has no live id: it cannot be changed in place")
    return object_id


def _numbered(drafts: list[_Draft]) -> list[Step]:
    drafts = _in_order(drafts)
    ids = {d.key: i for i, d in enumerate(drafts, 1)}
    steps = []
    for d in drafts:
        needs = sorted(ids[n] for n in d.needs if n in ids)
        steps.append(
            Step(ids[d.key], d.method, d.path, d.body, d.address, needs, d.refs, d.stage, d.lookup)
        )
    check_step_order(steps, "the plan")
    return steps


def _in_order(drafts: list[_Draft]) -> list[_Draft]:
    """By stage and address, except that a step comes after every step it waits on (a rename
    the setting waits on comes before it), so ids only point backwards. On a circle: plain
    order, which ``check_step_order`` then refuses."""
    by_key = {d.key: d for d in drafts}
    waiting = {d.key: {n for n in d.needs if n in by_key and n != d.key} for d in drafts}
    waited_by: dict[tuple[int, str], list[tuple[int, str]]] = {k: [] for k in by_key}
    for k, needs in waiting.items():
        for n in needs:
            waited_by[n].append(k)
    order = {k: (d.stage, address_order(d.address), k) for k, d in by_key.items()}
    ready = [order[k] for k, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    ordered: list[_Draft] = []
    while ready:
        done = heapq.heappop(ready)[2]
        ordered.append(by_key[done])
        for other in waited_by[done]:
            waiting[other].discard(done)
            if not waiting[other]:
                heapq.heappush(ready, order[other])
    if len(ordered) < len(drafts):
        return sorted(drafts, key=lambda d: (d.stage, address_order(d.address)))
    return ordered


def check_step_order(steps: list[Step], source: str) -> None:
    """Every ``depends_on`` names another step, and no step waits on itself through others
    (apply would wait forever): e.g. two attributes swapping display names."""
    by_id = {s.id: s for s in steps}
    state: dict[int, str] = {}

    def visit(step: Step, path: list[str]) -> None:
        if state.get(step.id) == "done":
            return
        if state.get(step.id) == "active":
            cycle = " → ".join([*path, step.address])
            raise PlanError(
                f"{source}: steps wait on each other in a circle ({cycle}); make the change in "
                "two applies (e.g. give one attribute a temporary name first)"
            )
        state[step.id] = "active"
        for dependency in step.depends_on:
            if dependency not in by_id or dependency == step.id:
                raise PlanError(f"{source}: step {step.id} depends on unknown step {dependency}")
            visit(by_id[dependency], [*path, step.address])
        state[step.id] = "done"

    for step in steps:
        visit(step, [])


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (bodies in a plan never share objects with a State)."""
    return json.loads(json.dumps(value))


# --- fingerprint --------------------------------------------------------------------------------


def drifted_addresses(saved: SegmentPlan, live: State) -> list[str]:
    """Objects added, removed or changed live since ``saved`` was made."""
    _, now = live_fingerprint(live)
    addresses = set(now) | set(saved.live_objects)
    changed = [a for a in addresses if now.get(a) != saved.live_objects.get(a)]
    return sorted(changed, key=address_order)
