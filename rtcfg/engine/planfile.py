"""A plan as the JSON document of spec/cli.md (``rtcfg plan -o``, ``--format json``), and back.

A saved plan is read back key by key: a file from another tool or version fails here with a
message that names the key, never later as a KeyError in apply.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rtcfg.engine.diff import ACTIONS, Change, FieldChange
from rtcfg.engine.plan import (
    FORMAT_VERSION,
    METHODS,
    Plan,
    SegmentPlan,
    Step,
    check_step_order,
    json_copy,
)
from rtcfg.errors import PlanError, SavedPlanRefused


def _spec(text: str) -> dict[str, tuple[type, ...]]:
    """``"id:int body:dict?"`` → the type(s) each key may hold (``?``: may also be null)."""
    types: dict[str, type] = {"int": int, "str": str, "dict": dict, "list": list, "any": object}
    spec = {}
    for item in text.split():
        key, kind = item.split(":")
        spec[key] = (types[kind.rstrip("?")], *([type(None)] if kind.endswith("?") else []))
    return spec


_FIELD = _spec("path:str before:any after:any")
_CHANGE = _spec(
    "address:str action:str before:dict? after:dict? fields:list reasons:list reference:str?"
)
_STEP = _spec(
    "id:int method:str path:str body:dict? address:str depends_on:list refs:dict stage:int "
    "lookup:dict?"
)
_SEGMENT = _spec(
    "parent_segment_id:str config_file:str config_sha256:str live_fingerprint:str "
    "live_objects:dict changes:list steps:list"
)
MAX_PLAN_BYTES = 64 * 1024 * 1024  # a plan of 600 objects is a few MiB
# What a destructive change breaks (rtcfg.api.references); plans saved before it have neither key.
_SEGMENT_OPTIONAL = _spec("breaks:dict references_unchecked:str?")


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The document of spec/cli.md "Plan output", plus what apply needs (stages, lookups,
    the per-object fingerprint)."""
    return {
        "format_version": plan.format_version,
        "rtcfg_version": plan.rtcfg_version,
        "segments": [_segment_to_json(s) for s in plan.segments],
    }


def _segment_to_json(segment: SegmentPlan) -> dict[str, Any]:
    out = {key: getattr(segment, key) for key in _SEGMENT if key not in ("changes", "steps")}
    out.update({key: getattr(segment, key) for key in _SEGMENT_OPTIONAL})
    out["summary"] = segment.summary
    out["changes"] = [_change_to_json(c) for c in segment.changes]
    out["steps"] = [{key: getattr(s, key) for key in _STEP} for s in segment.steps]
    copied: dict[str, Any] = json_copy(out)
    return copied


def _change_to_json(change: Change) -> dict[str, Any]:
    out = {key: getattr(change, key) for key in _CHANGE}
    out["destructive"] = change.destructive
    out["fields"] = [{"path": f.path, "before": f.before, "after": f.after} for f in change.fields]
    return out


def plan_from_json(data: Any, source: str) -> Plan:
    """A saved plan document → Plan; anything else is a PlanError that names ``source``."""
    if not isinstance(data, dict) or "format_version" not in data:
        # a document with the other keys of a plan is a plan with one cut away: exit 3
        broken = isinstance(data, dict) and {"rtcfg_version", "segments"} & set(data)
        error = SavedPlanRefused if broken else PlanError
        raise error(f"{source}: not an rtcfg plan (it has no format_version)")
    if data["format_version"] != FORMAT_VERSION:
        raise PlanError(
            f"{source}: plan format_version {data['format_version']!r} is not supported "
            f"(this rtcfg reads {FORMAT_VERSION!r}); make the plan again with `rtcfg plan -o`"
        )
    top = _read(source, data, _spec("rtcfg_version:str segments:list"), "plan")
    _expect(bool(top["segments"]), source, "segments is empty (a plan has one per config file)")
    items = enumerate(top["segments"])
    segments = [_segment_from_json(source, item, f"segments[{i}]") for i, item in items]
    return Plan(segments, top["rtcfg_version"], FORMAT_VERSION)


def _segment_from_json(source: str, data: Any, where: str) -> SegmentPlan:
    values = _read(source, data, _SEGMENT, where)
    present = {k: v for k, v in _SEGMENT_OPTIONAL.items() if isinstance(data, dict) and k in data}
    values.update(_read(source, data, present, where))  # absent in plans of older versions
    changes = enumerate(values["changes"])
    values["changes"] = [_change_from_json(source, c, f"{where}.changes[{i}]") for i, c in changes]
    steps = enumerate(values["steps"])
    values["steps"] = [_step_from_json(source, s, f"{where}.steps[{i}]") for i, s in steps]
    try:
        check_step_order(values["steps"], source)
    except PlanError as exc:
        raise SavedPlanRefused(str(exc)) from None
    except RecursionError:  # a chain of thousands of steps: no plan rtcfg makes
        raise SavedPlanRefused(
            f"{source}: {where}: steps depend on each other too deeply"
        ) from None
    return SegmentPlan(**values)


def _change_from_json(source: str, data: Any, where: str) -> Change:
    values = _read(source, data, _CHANGE, where)
    _expect(values["action"] in ACTIONS, source, f"{where}.action is not one of {ACTIONS}")
    items = enumerate(values["fields"])
    values["fields"] = [
        FieldChange(**_read(source, item, _FIELD, f"{where}.fields[{i}]")) for i, item in items
    ]
    return Change(**values)


def _step_from_json(source: str, data: Any, where: str) -> Step:
    step = Step(**_read(source, data, _STEP, where))
    _expect(step.method in METHODS, source, f"{where}.method is not one of {METHODS}")
    ids = all(isinstance(i, int) and not isinstance(i, bool) for i in step.depends_on)
    _expect(ids, source, f"{where}.depends_on holds something other than step ids")
    return step


def _read(source: str, data: Any, spec: dict[str, tuple[type, ...]], where: str) -> dict[str, Any]:
    """The keys of ``spec`` from the object ``data``, each checked against its type."""
    _expect(isinstance(data, dict), source, f"{where} is not an object")
    values = {}
    for key, kinds in spec.items():
        _expect(key in data, source, f"{where}.{key} is missing")
        value = data[key]
        # JSON true is not a step id, although bool is an int to Python
        wrong = not isinstance(value, kinds) or (
            isinstance(value, bool) and not {bool, object} & set(kinds)
        )
        _expect(not wrong, source, f"{where}.{key} has the wrong type ({type(value).__name__})")
        values[key] = value
    return values


def _expect(condition: bool, source: str, problem: str) -> None:
    if not condition:  # a file of a known format that cannot be right: refused, exit 3
        raise SavedPlanRefused(f"{source}: not a plan this rtcfg can read: {problem}")


def read_saved_plan(path: str) -> Plan:
    """A plan written by ``rtcfg plan -o``; a file that is not one is a clear error."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_PLAN_BYTES + 1)
        if len(raw) > MAX_PLAN_BYTES:
            raise ValueError(f"larger than {MAX_PLAN_BYTES // (1024 * 1024)} MiB")
        data = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except _NotJson as exc:  # a plan file of numbers no API body carries: refused, exit 3
        raise SavedPlanRefused(f"{path}: not a plan this rtcfg can read: {exc}") from None
    except (OSError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise PlanError(f"{path}: not a readable plan file ({reason})") from None
    if isinstance(data, dict) and data.get("status") == "failed":
        raise PlanError(
            f"{path} records a plan that could not be made (`rtcfg plan --format json` after an "
            "error): there is nothing to apply; fix the errors it lists and plan again"
        )
    return plan_from_json(data, path)


class _NotJson(ValueError):
    """A value Python's decoder accepts and JSON cannot carry (NaN, Infinity, 1e999)."""


def _no_constant(name: str) -> Any:
    raise _NotJson(f"it holds {name}, which is not a JSON value (and no API body holds it)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"it holds the number {text[:40]}, too large for any API body")
    return value


def looks_like_saved_plan(path: str) -> bool:
    """Whether a file is a plan document by its content, whatever its name: a JSON object
    with ``format_version`` or ``rtcfg_version``, and ``segments`` (or a failed plan's
    ``status``), or with both versions. A config is YAML, and one written in JSON syntax has
    none of these keys; a plan that lacks the others is refused as a broken plan, never read
    as a config."""
    if path == "-":
        return False  # standard input is read once, as a config
    try:
        with open(path, "rb") as handle:  # bounded: the path may be /dev/zero or a FIFO
            head = handle.read(4096)
            if not head.lstrip().startswith(b"{"):
                return False
            text = (head + handle.read(MAX_PLAN_BYTES + 1 - len(head))).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # the config loader reports an unreadable file at its place
    if len(text) > MAX_PLAN_BYTES or not text.lstrip().startswith("{"):
        return False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(data, dict):
        return False
    versioned = "format_version" in data or "rtcfg_version" in data
    both = "format_version" in data and "rtcfg_version" in data
    return both or (versioned and ("segments" in data or data.get("status") == "failed"))
