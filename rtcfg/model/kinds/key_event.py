"""Real-time key events (cdp-openapi.yml l.15923): a filter over one event table, named.

A key event is matched by name, or through ``renamed_from`` (a rename is a PATCH: the id, and
every attribute reading it, stay). Every field can be PATCHed, and a PATCH sends the whole
body.
"""

from __future__ import annotations

from rtcfg.model.kinds.base import Body, Kind
from rtcfg.model.state import KeyEventState
from rtcfg.model.translate import EMPTY_FILTER_RULE

NAME = "key_event"
FIELDS = ("name", "description", "databaseName", "tableName", "filterRule")


def comparable(body: Body) -> Body:
    """A key event body as diff compares it."""
    out = {k: body.get(k) for k in FIELDS if body.get(k) is not None}
    out["filterRule"] = body.get("filterRule") or EMPTY_FILTER_RULE
    return out


def as_live_shows(after: Body, live_body: Body) -> Body:
    """RealtimeKeyEventAttributes (cdp-openapi.yml l.15923) has no description: a server that
    drops it would otherwise show a change on every plan."""
    if "description" not in live_body:
        return {k: v for k, v in after.items() if k != "description"}
    return after


KIND = Kind(
    name=NAME,
    label="key event",
    path="realtime_key_events",
    order=1,
    comparable=comparable,
    identity="name",
    patchable=frozenset(FIELDS),
    unique=("name",),
    filter_budget=True,
    patch_whole=True,
    make=lambda identity, body, reference, object_id: KeyEventState(identity, body, object_id),
    renamable=True,
    as_live_shows=as_live_shows,
)
