"""What ``rtcfg init`` writes, as data: the user's choices and the recommendation made from them
(:mod:`rtcfg.setup.recommend` makes it, :mod:`rtcfg.setup.init_config` writes it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtcfg.api.catalog import Table
from rtcfg.setup.stitching import PlannedKey


@dataclass(frozen=True)
class Choices:
    """What the user chose (flags or answers); None everywhere takes the recommendations."""

    database: str | None = None
    tables: tuple[str, ...] | None = None  # "table" (in the database) or "db.table"
    keys: tuple[str, ...] | None = None
    primary_key: str | None = None
    attributes: tuple[str, ...] | None = None  # names of recommended attributes to keep


@dataclass
class PlannedEvent:
    name: str
    table: Table
    description: str
    filter_field: str | None
    why: str


@dataclass
class PlannedAttribute:
    entry: dict[str, Any]  # the rt_config.yaml entry
    why: str


@dataclass
class LeftOut:
    what: str
    why: str


@dataclass
class Recommendation:
    """What ``rtcfg init`` writes, each part with its reason, and what it left out."""

    ps_id: str
    ps_name: str | None
    use_case: str
    database: str
    events: list[PlannedEvent] = field(default_factory=list)
    attributes: list[PlannedAttribute] = field(default_factory=list)
    batch: list[PlannedAttribute] = field(default_factory=list)
    keys: list[PlannedKey] = field(default_factory=list)
    primary_key: str | None = None
    primary_why: str = ""
    ext_lookup_key: str | None = None
    left_out: list[LeftOut] = field(default_factory=list)
    skipped_keys: list[LeftOut] = field(default_factory=list)
    skipped_tables: list[LeftOut] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # for stderr: what init could not do
