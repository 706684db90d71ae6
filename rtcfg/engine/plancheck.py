"""A saved plan is data from disk: before apply sends one of its steps, every step must agree
with the change it carries out, and ``--allow-destroy`` is decided by the steps themselves.

The summary a reviewer read (and ``--allow-destroy``) come from a plan's ``changes``; apply
runs its ``steps``. A file edited after ``rtcfg plan -o`` (by hand, a merge, a tool) could
relabel a DELETE as an update, point a PATCH at another object or another parent segment, or
add a step no change explains. :func:`saved_plan_problems` (before any request) and
:func:`live_problems` (against the live state just read) list every disagreement; the caller
refuses the whole plan (exit 3) if there is one. Pure: no I/O.

What each change may send (``plan.py`` builds exactly this):

=========  ==============================================================
create     one POST to the collection
update     one PATCH to the object's live id (the setting: one or two PATCHes)
delete     one DELETE of the object's live id
replace    one DELETE of the live id and one POST to the collection
=========  ==============================================================
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any

from rtcfg.config.text import is_decimal_id
from rtcfg.engine.fingerprint import live_fingerprint
from rtcfg.engine.plan import SegmentPlan, Step
from rtcfg.engine.plan_bodies import body_problems, fields_problems, key_event_id_problems
from rtcfg.model.kinds import all_kinds, kind_of
from rtcfg.model.kinds.base import Kind
from rtcfg.model.kinds.setting import removed_batch_columns
from rtcfg.model.state import State
from rtcfg.safe_text import safe


@cache
def _path_of(kinds: tuple[Kind, ...]) -> re.Pattern[str]:
    """/audiences/{ps}/<a kind's path>[/{id}]: plain segments only, so no "..", "@", "?",
    "#", "%" or "//" can reach the URL."""
    return re.compile(
        r"/audiences/(?P<ps>[0-9]{1,20})/(?P<collection>"
        + "|".join(re.escape(k.path) for k in kinds)
        + r")(?:/(?P<id>[A-Za-z0-9_-]{1,64}))?"
    )


def _path_match(path: str) -> re.Match[str] | None:
    return _path_of(all_kinds()).fullmatch(path)


_REF_PATH = re.compile(r"[A-Za-z]+(?:\[[0-9]{1,4}\]\.[A-Za-z]+)?")  # field, or list[i].field
_ALLOWED = {
    "create": Counter({"POST": 1}),
    "update": Counter({"PATCH": 1}),
    "delete": Counter({"DELETE": 1}),
    "replace": Counter({"DELETE": 1, "POST": 1}),
}


def saved_plan_problems(segments: list[SegmentPlan]) -> list[str]:
    """Every way the plan's steps disagree with its changes (no request needed)."""
    problems: list[str] = []
    seen: set[str] = set()
    for segment in segments:
        ps_id = segment.parent_segment_id
        if not is_decimal_id(ps_id):
            problems.append(f"parent_segment_id {safe(repr(ps_id))} is not an id of digits")
            continue
        if ps_id in seen:
            problems.append(f"parent segment {ps_id} appears twice")
        seen.add(ps_id)
        problems += [f"{ps_id}: {p}" for p in _segment_problems(segment)]
    return problems


def _segment_problems(segment: SegmentPlan) -> list[str]:
    problems: list[str] = []
    ids = Counter(s.id for s in segment.steps)
    problems += [f"step id {i} is used {n} times" for i, n in ids.items() if n > 1]
    changes = {c.address: c for c in segment.changes}
    if len(changes) != len(segment.changes):
        problems.append("an address has more than one change")
    posts: set[str] = {s.address for s in segment.steps if s.method == "POST"}
    for step in segment.steps:
        change = changes.get(step.address)
        if change is None:
            problems.append(f"step {step.id} ({safe(step.address)}) belongs to no change")
            continue
        problems += [
            f"step {step.id} ({safe(step.address)}): {p}"
            for p in _step_problems(step, change.action, segment.parent_segment_id, posts)
            + body_problems(step, change, segment.changes)
        ]
    for change in segment.changes:
        problems += [f"{safe(change.address)}: {p}" for p in fields_problems(change)]
    for address, change in changes.items():
        sent = Counter(s.method for s in segment.steps if s.address == address)
        if not _sends_what_it_says(address, change.action, sent):
            what = ", ".join(f"{n} {m}" for m, n in sorted(sent.items())) or "no step"
            problems.append(f"{safe(address)} is planned as {change.action} but sends {what}")
    return problems


def _sends_what_it_says(address: str, action: str, sent: Counter[str]) -> bool:
    kind = kind_of(address)
    if kind is not None and kind.singleton:  # one PATCH, and maybe its cleanup PATCH
        return action == "update" and set(sent) == {"PATCH"} and sent["PATCH"] <= 2
    return action in _ALLOWED and sent == _ALLOWED[action]


def _step_problems(step: Step, action: str, ps_id: str, posts: set[str]) -> list[str]:
    kind = kind_of(step.address)
    if kind is None:
        return [f"{safe(step.address)} is the address of no kind rtcfg manages"]
    match = _path_match(step.path)
    if match is None:
        return [f"path {safe(repr(step.path))} is not a plain path of this API"]
    problems = []
    if match["ps"] != ps_id:
        problems.append(f"its path goes to parent segment {match['ps']}, not {ps_id}")
    if match["collection"] != kind.path:
        problems.append(f"its path {step.path} is not where a {kind.name} lives")
    wants_id = step.method in ("PATCH", "DELETE") and not kind.singleton
    if (match["id"] is not None) != wants_id:
        problems.append(f"{step.method} {step.path} does not fit a {action}")
    if (step.method == "DELETE") != (step.body is None):
        problems.append("a DELETE has no body, and every other step has one")
    problems += _lookup_and_ref_problems(step, kind, posts)
    problems += _body_problems(step, kind)
    return problems


def _body_problems(step: Step, kind: Kind) -> list[str]:
    """The body names the object of the address, and a PATCH holds only what it may."""
    body, name = step.body, step.address.name
    if body is None:
        return []
    if kind.singleton and set(body) != kind.patchable:
        return [f"its body is not a whole {kind.label} ({', '.join(sorted(kind.patchable))})"]
    if kind.singleton:
        return []
    carries = step.method == "POST" or kind.patch_whole  # the body holds the identity
    if carries and body.get(kind.identity) != name:
        return [f"its body names {kind.label} {safe(repr(body.get(kind.identity)))}"]
    if step.method == "PATCH" and not set(body) <= kind.patchable:
        extra = sorted(set(body) - kind.patchable)
        return [f"its PATCH body holds fields no {kind.label} PATCH sends: {safe(extra)}"]
    return []


def _lookup_and_ref_problems(step: Step, kind: Kind, posts: set[str]) -> list[str]:
    problems = []
    if step.lookup is not None:
        expected = {"collection": kind.path, "field": kind.identity, "value": step.address.name}
        if step.method != "POST" or step.lookup != expected:
            problems.append("its lookup does not look for the object it creates")
    for path, address in step.refs.items():
        if not _REF_PATH.fullmatch(path) or address not in posts:
            problems.append(f"its ref {safe(path)} → {safe(address)} names no created object")
    return problems


def live_problems(segment: SegmentPlan, live: State) -> list[str]:
    """What disagrees with the live state the plan is applied to: the fingerprint, and ids
    that are not the live ids of the objects the steps say they change."""
    fingerprint, _ = live_fingerprint(live)
    problems = []
    if fingerprint != segment.live_fingerprint:
        problems.append("its live_fingerprint is not that of live state")
    changes = {c.address: c for c in segment.changes}
    for step in segment.steps:
        change = changes[step.address]
        problems += [
            f"step {step.id} ({safe(step.address)}): {p}"
            for p in key_event_id_problems(step, change, segment.changes, live)
        ]
        match = _path_match(step.path)
        if match is None or match["id"] is None:
            continue
        allowed = _live_ids(step.address, changes[step.address].before, live)
        if match["id"] not in allowed:
            problems.append(
                f"step {step.id} ({step.method} {step.path}) does not go to the live "
                f"{safe(step.address)}"
            )
    return [f"{segment.parent_segment_id}: {p}" for p in problems]


def _live_ids(address: str, before: dict[str, Any] | None, live: State) -> set[str | None]:
    kind = kind_of(address)
    if kind is None or kind.singleton:
        return set()
    # a renamed object is changed under its live (old) identity
    names = {address.partition(".")[2], (before or {}).get(kind.identity)}
    return {o.id for n, o in live.of(kind.name).items() if n in names}


def destroying_steps(segment: SegmentPlan, live_setting: dict[str, Any]) -> list[str]:
    """What the steps would destroy, whatever the changes say: every DELETE, and every
    setting PATCH that drops an imported (batch) attribute from the live setting."""
    lines = []
    for step in segment.steps:
        if step.method == "DELETE":
            lines.append(f"{step.address} (DELETE {step.path})")
        elif _is_singleton(step.address) and isinstance(step.body, dict):
            for column in removed_batch_columns(live_setting, step.body):
                lines.append(f"setting (removes imported attribute {column})")
    return [safe(line) for line in lines]


def _is_singleton(address: str) -> bool:
    kind = kind_of(address)
    return kind is not None and kind.singleton
