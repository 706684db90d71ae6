"""Desired and live state in API terms, keyed by identity (spec/config-format.md "Identity").

Bodies are the API's flat camelCase objects. An attribute's ``realtimeKeyEventId`` is kept out
of its body and held as the key event's *name* (``key_event``): ids are only known live, names
are what the diff compares and what apply resolves into ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Body = dict[str, Any]
SETTING_KEYS = ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")


@dataclass
class KeyEventState:
    """One key event; ``id`` is None until it exists live."""

    name: str
    body: Body
    id: str | None = None


@dataclass
class AttributeState:
    """One real-time attribute; ``key_event`` is the name of the key event it reads."""

    identifier: str
    body: Body
    key_event: str | None = None
    id: str | None = None


@dataclass
class State:
    """The RT configuration of one parent segment: what a file asks for, or what is live."""

    parent_segment_id: str
    setting: Body = field(default_factory=dict)
    key_events: dict[str, KeyEventState] = field(default_factory=dict)
    attributes: dict[str, AttributeState] = field(default_factory=dict)
    # key event renames asked for by the file: new name → old (live) name
    renames: dict[str, str] = field(default_factory=dict)
    # live only: setting's read-only fields (id, status, statusDetailed)
    setting_meta: Body = field(default_factory=dict)


DesiredState = State
LiveState = State
