"""Desired and live state in API terms, keyed by kind and identity (spec/config-format.md
"Identity").

Bodies are the API's flat camelCase objects. An attribute's ``realtimeKeyEventId`` is kept out
of its body and held as the key event's *name* (``key_event``): ids are only known live, names
are what the diff compares and what apply resolves into ids. The same goes for the
``realtimeKeyEventId`` of each list ``actions[]`` entry: inside a State it holds the key event's
name, on both sides (plan turns names back into ids, or into refs for key events not yet made).

What comparison treats as equal, and every other fact about a kind, is in
``rtcfg.model.kinds``; this module only holds the objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, cast

Body = dict[str, Any]


class Resource(Protocol):
    """One object of a collection kind, as a State holds it."""

    body: Body
    id: str | None

    @property
    def identity(self) -> str: ...

    @property
    def reference(self) -> str | None:
        """The name of the object its body's top-level reference field names (kept outside
        the body, see above), or None."""


@dataclass
class KeyEventState:
    """One key event; ``id`` is None until it exists live."""

    name: str
    body: Body
    id: str | None = None

    @property
    def identity(self) -> str:
        return self.name

    @property
    def reference(self) -> str | None:
        return None


@dataclass
class AttributeState:
    """One real-time attribute; ``key_event`` is the name of the key event it reads."""

    identifier: str
    body: Body
    key_event: str | None = None
    id: str | None = None

    @property
    def identity(self) -> str:
        return self.identifier

    @property
    def reference(self) -> str | None:
        return self.key_event


@dataclass
class ObjectState:
    """One object of any collection kind: what a kind without a State class of its own makes
    (``Kind.make=ObjectState``)."""

    identity: str
    body: Body
    reference: str | None = None
    id: str | None = None


@dataclass
class State:
    """The RT configuration of one parent segment: what a file asks for, or what is live.

    ``objects`` holds every collection kind's objects: kind name → identity → object. The
    singleton setting is ``setting`` (its body) and ``setting_meta`` (live only: its read-only
    id, status and statusDetailed). ``renames`` are the renames a file asks for, per kind:
    new identity → old (live) identity. ``managed`` names the collection kinds a desired
    State speaks for (those the config format has sections for); live objects of any other
    registered kind are left alone, neither deleted nor changed. None: every kind.
    """

    parent_segment_id: str
    setting: Body = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    renames: dict[str, dict[str, str]] = field(default_factory=dict)
    setting_meta: Body = field(default_factory=dict)
    managed: frozenset[str] | None = None

    def manages(self, kind: str) -> bool:
        return self.managed is None or kind in self.managed

    def of(self, kind: str) -> dict[str, Resource]:
        """The objects of ``kind`` by identity (an empty dict that stays, if none yet)."""
        return cast("dict[str, Resource]", self.objects.setdefault(kind, {}))

    @property
    def key_events(self) -> dict[str, KeyEventState]:
        return cast("dict[str, KeyEventState]", self.objects.setdefault("key_event", {}))

    @property
    def attributes(self) -> dict[str, AttributeState]:
        return cast("dict[str, AttributeState]", self.objects.setdefault("attribute", {}))


DesiredState = State
LiveState = State
