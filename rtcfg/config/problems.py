"""pydantic's errors → located Problems, and the salvage of a Config from the valid parts.

Each error becomes one Problem at the YAML key or value it concerns, worded for a person (an
unknown key gets a "did you mean"). After errors, the valid parts still form a Config, so the
checks can report the rest of the file in the same run.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from rtcfg.config.models import (
    Attribute,
    Config,
    Event,
    EventTable,
    Filter,
    IdStitching,
    StitchingKey,
    SubDuration,
)
from rtcfg.config.yamlio import LoadedDocument
from rtcfg.errors import Problem


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[tuple[str | int, ...], bool]:
    """Map a pydantic error location onto the YAML path, dropping union member names.

    Returns the path and whether its last element is a key absent from the data.
    """
    path: list[str | int] = []
    node = data
    for element in loc:
        in_dict = isinstance(node, dict) and element in node
        in_list = isinstance(node, list) and isinstance(element, int) and element < len(node)
        if in_dict or in_list:
            path.append(element)
            node = node[element]
        elif isinstance(node, dict) and element in _all_field_names():
            return (*path, element), True
    return tuple(path), False


def _all_field_names() -> set[str]:
    models: list[type[BaseModel]] = [
        Config,
        Event,
        EventTable,
        Filter,
        Attribute,
        SubDuration,
        StitchingKey,
        IdStitching,
    ]
    return {name for model in models for name in model.model_fields}


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel]:
    """The model that validates the mapping at ``path`` (for "did you mean" suggestions)."""
    keys = [p for p in path if isinstance(p, str)]
    table: dict[tuple[str, ...], type[BaseModel]] = {
        (): Config,
        ("events",): Event,
        ("events", "filter"): Filter,
        ("event_tables",): EventTable,
        ("attributes",): Attribute,
        ("attributes", "sub_durations"): SubDuration,
        ("id_stitching",): IdStitching,
        ("id_stitching", "stitching_keys"): StitchingKey,
    }
    return table.get(tuple(keys), Config)


_READABLE = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "bool_type": "expected true or false",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list (lines starting with -)",
    "string_too_short": "must not be empty",
}


def _describe(value: object) -> str:
    """How a wrong value reads in a message: its YAML kind and, when short, itself."""
    kinds = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        dict: "a mapping",
        list: "a list",
    }
    kind = kinds.get(type(value), type(value).__name__)
    short = isinstance(value, int | float | str) and not isinstance(value, bool)
    shown = repr(value) if short and len(repr(value)) < 30 else ""
    return f"{kind} {shown}".strip()


def _pydantic_problem(doc: LoadedDocument, error: Mapping[str, Any]) -> Problem:
    path, absent = _data_path(doc.data, tuple(error["loc"]))
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        known = sorted(_model_at(path[:-1]).model_fields)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        suggestion = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
        return doc.problem(path, f"unknown key '{key}'", suggestion, key=True)
    if kind == "missing" or (kind in _READABLE and error.get("input") is None and path):
        if kind != "missing":
            return doc.problem(
                path, f"{path[-1]}: has no value", f"write a value after '{path[-1]}:'"
            )
        parent = path[:-1] if absent else path
        return doc.problem(
            parent, f"missing required key '{path[-1]}'", f"add '{path[-1]}: …' here"
        )
    where = str(path[-1]) if path else "document"
    if path and isinstance(path[-1], int):
        where = f"item {path[-1] + 1}"
    message = _READABLE.get(kind, str(error["msg"]).removeprefix("Value error, "))
    if path and path[-1] in ("duration", "expiry_days", "window_duration") and kind in _READABLE:
        message = "expected a duration such as 30m, 24h or 7d"
    if kind in _READABLE and kind != "string_too_short" and error.get("input") is not None:
        message += f", not {_describe(error.get('input'))}"
    hint: str | None = None
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        nearest = difflib.get_close_matches(str(error.get("input")), options, n=1, cutoff=0.5)
        message = f"'{error.get('input')}' is not one of {', '.join(options)}"
        hint = f"did you mean '{nearest[0]}'?" if nearest else None
    return doc.problem(path, f"{where}: {message}", hint)


_ITEM_LISTS: tuple[tuple[str, ...], ...] = (
    ("events",),
    ("event_tables",),
    ("attributes",),
    ("id_stitching", "stitching_keys"),
)


_UNKNOWN_KEY = "\0unknown"


def _remove_key(data: Any, path: tuple[str | int, ...]) -> None:
    """Take the unknown key at ``path`` out so the rest of its mapping can still be checked.

    A misspelt known key (the one "did you mean" names) is read as that key, so a typo is
    reported once, not again as a missing required key.
    """
    node = data
    for element in path[:-1]:
        node = node[element]
    if not isinstance(node, dict) or path[-1] not in node:
        return
    value = node.pop(path[-1])
    known = _model_at(path[:-1]).model_fields
    close = difflib.get_close_matches(str(path[-1]), list(known), n=1, cutoff=0.6)
    if close and close[0] not in node:
        node[close[0]] = value


def _salvage(doc: LoadedDocument, error_paths: list[tuple[str | int, ...]]) -> Config | None:
    """A Config of the parts that are valid, so the semantic checks can still run.

    List items with model errors are dropped (their event names remembered, so attributes
    that use them are not reported twice); an invalid parent segment id is replaced.
    """
    data = copy.deepcopy(doc.data)
    drop: dict[tuple[str, ...], set[int]] = {}
    for path in error_paths:
        if path and path[-1] == _UNKNOWN_KEY:
            _remove_key(data, path[:-1])
            continue
        prefix = next((p for p in _ITEM_LISTS if path[: len(p)] == p and len(path) > len(p)), None)
        if prefix is not None and isinstance(path[len(prefix)], int):
            drop.setdefault(prefix, set()).add(int(path[len(prefix)]))
        elif path[:1] == ("parent_segment_id",):
            data["parent_segment_id"] = "0"
        else:
            return None
    for prefix, indexes in drop.items():
        holder = data if len(prefix) == 1 else dict(data.get(prefix[0]) or {})
        items = holder.get(prefix[-1])
        if not isinstance(items, list):
            return None
        if prefix in (("events",), ("id_stitching", "stitching_keys")):
            doc.dropped_names |= {
                str(items[i].get("name")) for i in indexes if isinstance(items[i], dict)
            }
        holder[prefix[-1]] = [item for i, item in enumerate(items) if i not in indexes]
        data[prefix[0]] = holder[prefix[-1]] if len(prefix) == 1 else holder
    try:
        return Config.model_validate(data)
    except ValidationError:
        return None


def validate_model(doc: LoadedDocument) -> tuple[Config | None, list[Problem], bool]:
    """Run the pydantic models over the document; map every error to a located Problem.

    Returns the Config (salvaged from the valid parts when there were errors), the problems,
    and whether the Config is complete.
    """
    try:
        return Config.model_validate(doc.data), [], True
    except ValidationError as exc:
        problems: list[Problem] = []
        seen: set[tuple[int, int, str]] = set()
        for error in exc.errors():
            problem = _pydantic_problem(doc, error)
            key = (problem.line, problem.col, problem.message.split(":")[0])
            if key not in seen:
                seen.add(key)
                problems.append(problem)
        paths = [
            (*_data_path(doc.data, tuple(e["loc"]))[0], _UNKNOWN_KEY)
            if e["type"] == "extra_forbidden"
            else _data_path(doc.data, tuple(e["loc"]))[0]
            for e in exc.errors()
        ]
        return _salvage(doc, paths), problems, False
