"""What the engine needs to know about one resource kind, declared once per kind.

A :class:`Kind` is data plus pure functions on API bodies. diff, plan, apply, render and the
saved-plan checks read these instead of naming kinds, so a new kind (a personalization
service, a journey) is its own module under ``rtcfg.model.kinds`` plus one line in the
registry (``_REGISTERED`` in ``rtcfg.model.kinds``). ARCHITECTURE.md walks through adding one.

Ordering comes from two facts: ``order`` (a kind is written after the kinds it may reference,
so writes go by ascending order and deletes by descending order) and ``references`` (which
object's id a body needs, so a step waits on the step that makes that object and takes its id
from it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rtcfg.model.addresses import Address

Body = dict[str, Any]
# (path in the API body, address of the object whose id goes there); in a State the path
# holds that object's *name*, and plan puts in its live id, or a ref to the step creating it
Reference = tuple[str, Address]
AfterWrite = Literal["none", "poll_status"]


def no_references(body: Body, top: str | None) -> list[Reference]:
    """For kinds whose bodies name no other object."""
    return []


def as_stored(after: Body, live_body: Body) -> Body:
    """For kinds whose server stores every field it is sent."""
    return after


def no_update_notes(before: Body | None, after: Body | None) -> list[str]:
    """For kinds whose updates destroy nothing."""
    return []


# eq=False: a kind is itself (compared and hashed by identity; its tables are dicts)
@dataclass(frozen=True, eq=False)
class Kind:
    """One resource kind of the API, as the engine sees it.

    ``path`` is where objects live under ``/audiences/{parent segment id}/``; a singleton
    (the realtime setting) is that one path, written whole by PATCH, never created or
    deleted. A collection kind's objects are at ``path/{id}``, created by POST to ``path``.
    ``identity`` is the body field that names an object (its address is ``name.<identity>``)
    and the field a lost POST is looked up by.
    """

    name: str
    label: str  # in messages: "key event"
    path: str
    order: int
    comparable: Callable[[Body], Body]  # a body as diff compares it (defaults and order folded)
    identity: str = ""
    singleton: bool = False
    # fields a PATCH may change; a change to any other forces a replace (see replace_reasons)
    patchable: frozenset[str] = frozenset()
    # lists addressed by the identity of their items in field paths, not by position
    keyed_lists: Mapping[str, Callable[[Body], str]] = field(default_factory=dict)
    # fields whose value no two objects of the kind may share (a display name): the object
    # giving a value up is changed before the one taking it
    unique: tuple[str, ...] = ()
    # its filterRules count toward the parent segment's shared filter limit (rtcfg.engine.budget)
    filter_budget: bool = False
    # a PATCH sends the whole body (key events), not only the patchable fields that differ
    patch_whole: bool = False
    # what a PATCH sends for a patchable field the file no longer sets (the API's default)
    cleared: Mapping[str, Any] = field(default_factory=dict)
    # objects of this kind can change identity in place (key events: ``renamed_from``)
    renamable: bool = False
    # the body field naming another object that a State holds outside the body, by name
    # (``Resource.reference``: an attribute's realtimeKeyEventId)
    reference_field: str | None = None
    # the kind of the objects the reference field (and reference lists) name
    reference_kind: str | None = None
    # lists whose items name other objects (a list attribute's ``actions``); their order may
    # follow those names, so a rename can reorder them
    reference_lists: tuple[str, ...] = ()
    # the objects a body names: (body, its Resource.reference) → references
    references: Callable[[Body, str | None], list[Reference]] = no_references
    # a desired comparable form as this server would show it, given the live body (a server
    # that drops a field it was sent must not show a change on every plan)
    as_live_shows: Callable[[Body, Body], Body] = as_stored
    # why a change cannot be PATCHed, one reason per cause shown in the plan: a replace. None:
    # every changed field outside ``patchable`` (the reference field too) is a reason
    replace_reasons: Callable[[Body, Body], list[str]] | None = None
    # what an update destroys (a setting PATCH dropping an imported attribute): destructive
    update_notes: Callable[[Body | None, Body | None], list[str]] = no_update_notes
    # what apply does after writing: poll_status waits for the object's status to be ok
    after_write: AfterWrite = "none"
    # a singleton's statuses at which it is sent again though it equals the file (the
    # setting's ``inconsistent``: what TD deployed differs from what it holds)
    resend_when: tuple[str, ...] = ()
    # reading live: query parameters of the list, which listed objects rtcfg manages, and
    # how one becomes a State object: (identity, body, reference name, id) → Resource
    list_params: Mapping[str, str] = field(default_factory=dict)
    manages: Callable[[Body], bool] = lambda body: True
    make: Callable[[str, Body, str | None, str | None], Any] | None = None

    def address(self, name: str | None = None) -> Address:
        return Address.of(self.name, None if self.singleton else name)

    def api_path(self, ps_id: str, object_id: str | None = None) -> str:
        """The URL path of the collection (or singleton), or of one object by its id."""
        base = f"/audiences/{ps_id}/{self.path}"
        return base if object_id is None else f"{base}/{object_id}"
