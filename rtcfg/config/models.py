"""rt_config.yaml → validated ``Config`` (spec/config-format.md).

Loading runs in passes and collects every problem before stopping: YAML syntax (yamlio),
``${VAR}`` interpolation, the pydantic models (``extra="forbid"``: unknown keys are errors with
a "did you mean"), then the semantic checks of ``rtcfg.checks.offline``. Each problem carries the
file, line and column of the offending key or value.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rtcfg.config.source import (
    ConfigReadError,
    decode_config,
    interpolate,
    read_config_bytes,
)
from rtcfg.config.yamlio import LoadedDocument, YamlLoadError, load_config_text
from rtcfg.errors import ConfigError, Problem

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*(m|min|minutes?|h|hours?|d|days?)\s*$")
_UNITS = {"m": "minute", "h": "hour", "d": "day"}
AttributeType = Literal["single", "list", "counter", "imported_batch", "imported"]
DurationText = Annotated[str | int, Field(description="30m, 24h, 7d (or a number of days)")]


def parse_duration(value: str | int, *, bare_unit: str = "day") -> tuple[int, str]:
    """``"24h"`` → ``(24, "hour")``; a bare number counts in ``bare_unit``. ValueError if bad."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 24h or 7d")
    if isinstance(value, int):
        amount, unit = value, bare_unit
    else:
        match = _DURATION_RE.match(value)
        if not match:
            raise ValueError(
                f"'{value}' is not a duration; write a whole number followed by m, h or d "
                "(minutes, hours, days), e.g. 30m, 24h, 7d"
            )
        amount, unit = int(match.group(1)), _UNITS[match.group(2)[0]]
    if amount < 1:
        raise ValueError("a duration must be at least 1")
    return amount, unit


def duration_days(value: str | int, *, bare_unit: str = "day") -> float:
    """A duration's length in days, for limit checks."""
    amount, unit = parse_duration(value, bare_unit=bare_unit)
    return amount / {"minute": 1440, "hour": 24, "day": 1}[unit]


class _Model(BaseModel):
    # strict: YAML's yes/no must not turn into 1/0, nor "5" into 5
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Filter(_Model):
    """Sugar for the common key event filter: one column matching one regular expression."""

    field: str = Field(min_length=1, description="column of the event table")
    pattern: str = Field(min_length=1, description="regular expression the column must match")


class Event(_Model):
    """A key event; its table joins the realtime setting's eventTables."""

    name: str = Field(min_length=1, description="unique; the key event's identity")
    database: str = Field(min_length=1)
    table: str = Field(min_length=1)
    description: str | None = None
    filter: Filter | None = None
    filter_rule: dict[str, Any] | None = Field(
        default=None, description="raw API filterRule, passed through as is"
    )
    renamed_from: str | None = Field(
        default=None, description="live key event of this name is renamed in place"
    )


class EventTable(_Model):
    """An event table registered without a key event."""

    database: str = Field(min_length=1)
    table: str = Field(min_length=1)


class SubDuration(_Model):
    """A sliding counter's sub-window (API subDurations)."""

    name: str = Field(min_length=1)
    identifier: str = Field(min_length=1)
    duration: DurationText


class ListAggregation(_Model):
    """One aggregation of a list attribute (API aggregations[]), for lists that keep several
    columns; the plain ``aggregation:`` key covers the common one-column list."""

    name: str = Field(min_length=1)
    identifier: str = Field(min_length=1)
    column: str = Field(min_length=1)
    aggregation: str = Field(description="distinct_list | first | last | sum | min | max")


class ListAction(_Model):
    """A list action (API actions[]): an event that clears the list or deletes an item."""

    action: Literal["clear", "delete_item"]
    source_event: str = Field(min_length=1, description="name of an event in this file")
    filter_rule: dict[str, Any] | None = Field(default=None, description="raw API filterRule")


class Backfill(_Model):
    """Where a counter or single attribute takes its initial value (API backfill)."""

    attribute: str = Field(min_length=1, description="identifier of an imported attribute")
    timestamp: str = Field(min_length=1, description="identifier of its timestamp")


class Attribute(_Model):
    """A real-time attribute (single, list, counter) or an imported batch attribute."""

    name: str = Field(min_length=1, description="display name")
    identifier: str | None = Field(default=None, description="immutable system id; default name")
    type: AttributeType
    source_event: str | None = None
    source_field: str | None = None
    data_type: Literal["string", "number"] | None = Field(default=None, description="single only")
    aggregation: str | None = None
    sensitivity: Literal["sensitive", "non-sensitive"] | None = None
    description: str | None = None
    duration: DurationText | None = Field(default=None, description="single only; default 1d")
    max_items: int | None = Field(default=None, description="list only; ≤100, default 100")
    expiry_days: DurationText | None = Field(default=None, description="list only; ≤60 days")
    window_duration: DurationText | None = Field(default=None, description="counter only")
    counter_type: Literal["sliding", "total"] | None = Field(default=None, description="counter")
    sub_durations: list[SubDuration] | None = Field(default=None, description="counter only")
    filter_rule: dict[str, Any] | None = Field(default=None, description="raw API filterRule")
    fields: list[str] | None = Field(default=None, description="list only; default [source_field]")
    aggregations: list[ListAggregation] | None = Field(default=None, description="list only")
    actions: list[ListAction] | None = Field(default=None, description="list only")
    backfill: Backfill | None = Field(default=None, description="single / counter")
    source: Literal["parent_segment"] | None = Field(default=None, description="imported_batch")
    column: str | None = Field(default=None, description="imported_batch only; default name")

    @property
    def kind(self) -> str:
        """The type with the ``imported`` alias folded into ``imported_batch``."""
        return "imported_batch" if self.type == "imported" else self.type

    @property
    def effective_identifier(self) -> str:
        """``identifier``, or ``name`` when none is given (checked to be valid elsewhere)."""
        return self.identifier if self.identifier is not None else self.name


class StitchingKey(_Model):
    """An ID-stitching key column (API keyColumns[])."""

    name: str = Field(min_length=1)
    exclude_regex: str | None = Field(default=None, description="values matching are ignored")
    valid_regexp: str | None = Field(default=None, description="raw API validRegexp")
    invalid_texts: list[str] | None = None
    internal: bool | None = None
    workflow_only: bool | None = Field(default=None, description="alias of internal")


class IdStitching(_Model):
    """ID stitching: keys, the (checked only) primary key and the external lookup key."""

    primary_key: str | None = Field(default=None, description="checked, never sent")
    stitching_keys: list[StitchingKey] = Field(default_factory=list)
    ext_lookup_key: str | None = Field(default=None, description="the parent segment's profile key")


def _text_or_whole_number(schema: dict[str, Any]) -> None:
    schema.pop("type", None)
    schema["anyOf"] = [{"type": "string"}, {"type": "integer", "minimum": 0}]


class Config(_Model):
    """One rt_config.yaml: the RT 2.0 configuration of one parent segment."""

    parent_segment_id: str = Field(
        description="string or integer; ${VAR} allowed",
        # the validator below takes an unquoted number too: the schema must say so
        json_schema_extra=_text_or_whole_number,
    )
    parent_segment_name: str | None = None
    events: list[Event] = Field(default_factory=list)
    event_tables: list[EventTable] = Field(default_factory=list)
    attributes: list[Attribute] = Field(default_factory=list)
    id_stitching: IdStitching = Field(default_factory=IdStitching)

    @field_validator("parent_segment_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        from rtcfg.checks.text import id_hint, id_problem

        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        problem = id_problem(text)
        if problem is not None:
            raise ValueError(f"{problem}; {id_hint(text)}")
        assert isinstance(text, str)
        return text.strip()


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
    if isinstance(path[-1:] and path[-1], int):
        where = f"item {path[-1] + 1}"  # type: ignore[operator]
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


def load_config(
    path: str | Path, env: Mapping[str, str] | None = None
) -> tuple[Config | None, LoadedDocument | None, list[Problem]]:
    """Load and check one config file (``-``: standard input); returns the Config (None on
    errors), the document (its ``sha256`` is that of the bytes read) and all problems."""
    import hashlib

    from rtcfg.checks.offline import check_config
    from rtcfg.checks.text import text_problems

    file = str(path)
    try:
        raw = read_config_bytes(path)
    except ConfigReadError as exc:
        return None, None, [Problem(file, 1, 1, str(exc))]
    text = decode_config(raw, file)
    if isinstance(text, Problem):
        return None, None, [text]
    try:
        doc = load_config_text(text, file)
    except YamlLoadError as exc:
        return None, None, [exc.problem]
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    environment = os.environ if env is None else env
    problems = interpolate(doc, environment)
    problems += text_problems(doc, environment)
    config, model_problems, _ = validate_model(doc)
    if config is not None:
        model_problems += check_config(config, doc)
    # a value with an unset ${VAR} or an unsafe text is reported once, for that
    unset_at = {(p.line, p.col) for p in problems}
    problems += sorted(
        (p for p in model_problems if (p.line, p.col) not in unset_at),
        key=lambda p: (p.line, p.col),
    )
    has_errors = any(p.severity == "error" for p in problems)
    return (None if has_errors else config), doc, problems


def load_config_or_raise(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Load a config for plan/apply: any error (warnings are fine) raises ConfigError."""
    return load_config_and_digest(path, env)[0]


def load_config_and_digest(
    path: str | Path, env: Mapping[str, str] | None = None
) -> tuple[Config, str]:
    """The Config and the sha256 of the bytes it was read from (read once: ``-`` works)."""
    config, doc, problems = load_config(path, env)
    if config is None or doc is None:
        raise ConfigError([p for p in problems if p.severity == "error"])
    return config, doc.sha256
