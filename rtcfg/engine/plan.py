"""Changes → the ordered API steps of a plan (its JSON form is in ``rtcfg.engine.planfile``).

Pure: no I/O. ``build_segment_plan`` diffs (``diff``), relates the changes (``graph``),
selects (``select``: ``--target`` / ``--exclude``), refuses what cannot be done (``refusals``)
and builds the steps (``steps``, ``setting_steps``). A step names the steps it needs in
``depends_on``, so apply may run each one as soon as those are done; ``stage`` (``stages``:
derived from the kinds' write order) sorts the list:

1. DELETE attributes (deletes, and the delete half of replacements)
2. DELETE key events (after every attribute that reads them is gone)
3. PATCH the setting (the complete object, after every delete)
4. POST / PATCH key events
5. POST / PATCH attributes (``realtimeKeyEventId`` from live, or a ref to a stage-4 POST)
6. DELETE key events that a list's ``actions`` name until that list is PATCHed in stage 5
7. PATCH the setting again, dropping event tables that stage 3 had to keep

A name or identifier is freed before it is taken, whichever kinds hold it: an attribute
waits on the delete, replace or rename of the one that holds its name, a key event on the
rename of the one that holds its name, and the setting on an attribute renamed away from the
name of a batch attribute it adds (such a rename and what it needs come before the setting;
``rtcfg.engine.names`` says which names batch attributes hold). The list is sorted by stage,
except that a step always comes after the steps it waits on; a circle is refused.

Steps hold only ids that exist live; the id of an object made during apply is a ``ref``.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtcfg.engine.diff import Change, diff_states
from rtcfg.engine.fingerprint import drifted_addresses as _drifted
from rtcfg.engine.fingerprint import live_fingerprint as live_fingerprint  # part of the API
from rtcfg.engine.graph import ChangeGraph
from rtcfg.engine.refusals import check_deletes, check_ext_lookup_key
from rtcfg.engine.select import select
from rtcfg.engine.stages import Draft, Key
from rtcfg.engine.steps import build_drafts
from rtcfg.errors import PlanError
from rtcfg.model.addresses import Address
from rtcfg.model.bodypath import json_copy as json_copy  # part of the API
from rtcfg.model.kinds import address_order
from rtcfg.model.state import Body, State

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
    address: Address
    depends_on: list[int]
    refs: dict[str, str]
    stage: int
    lookup: dict[str, str] | None = None

    def __post_init__(self) -> None:
        self.address = Address(self.address)

    def __repr__(self) -> str:
        return f"Step({self.id} {self.method} {self.address}, after {self.depends_on})"


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

    def __repr__(self) -> str:
        # short: Python 3.11's asyncio formats the objects a task holds, on every run
        return (
            f"SegmentPlan({self.parent_segment_id}: {len(self.changes)} changes, "
            f"{len(self.steps)} steps)"
        )

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

    def __repr__(self) -> str:
        return f"Plan({len(self.segments)} segments)"


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
    left_out = select(graph, targets, excludes)
    check_deletes(graph)
    check_ext_lookup_key(graph, config_file)
    fingerprint, objects = live_fingerprint(live)
    return SegmentPlan(
        desired.parent_segment_id,
        config_file,
        config_sha256,
        fingerprint,
        objects,
        graph.changes,
        _numbered(build_drafts(graph)),
        left_out=left_out,
    )


def _numbered(drafts: list[Draft]) -> list[Step]:
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


def _in_order(drafts: list[Draft]) -> list[Draft]:
    """By stage and address, except that a step comes after every step it waits on (a rename
    the setting waits on comes before it), so ids only point backwards. On a circle: plain
    order, which ``check_step_order`` then refuses."""
    by_key = {d.key: d for d in drafts}
    waiting = {d.key: {n for n in d.needs if n in by_key and n != d.key} for d in drafts}
    waited_by: dict[Key, list[Key]] = {k: [] for k in by_key}
    for k, needs in waiting.items():
        for n in needs:
            waited_by[n].append(k)
    order = {k: (d.stage, address_order(d.address), k) for k, d in by_key.items()}
    ready = [order[k] for k, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    ordered: list[Draft] = []
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


# --- fingerprint --------------------------------------------------------------------------------


def drifted_addresses(saved: SegmentPlan, live: State) -> list[Address]:
    """Objects added, removed or changed live since ``saved`` was made."""
    return _drifted(saved.live_objects, live)
