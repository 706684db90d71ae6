"""The pydantic models of rt_config.yaml (spec/config-format.md): the shape of a config.

``extra="forbid"``: unknown keys are errors with a "did you mean" (``rtcfg.config.problems``).
Parsing a file is ``rtcfg.config.load``; judging it is ``rtcfg.checks``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rtcfg.config.text import id_hint, id_problem

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
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        problem = id_problem(text)
        if problem is not None:
            raise ValueError(f"{problem}; {id_hint(text)}")
        assert isinstance(text, str)
        return text.strip()
