"""What a destructive change breaks: the personalizations and journeys that use an object.

Personalizations and journeys reference attributes and key events by id, so replacing one
(it gets a new id) or deleting it breaks them. Only when a plan holds such a change does
rtcfg read the two lists (so an ordinary plan costs no extra round trip), concurrently:

* ``GET /entities/parent_segments/{ps}/realtime_personalizations`` (cdp-openapi.yml l.6480):
  each carries ``referencingRealtimeAttributes[].id`` (l.17012) and, in its sections,
  ``entryCriteria.keyEventCriteria.keyEventId`` (l.17338);
* ``GET /entities/parent_segments/{ps}/realtime_journeys`` (l.6058): stage criteria carry
  ``keyEventCriteria.keyEventId`` (l.16768, l.17335).

Both are JSON:API lists (``{data: [{id, type, attributes}], pagination}``). Beyond those two
documented fields, any ``realtimeAttributeId`` (personalization payloads, profile criteria) and
any ``keyEventId`` found anywhere in a resource count as a reference: the criteria objects are
untyped in the OAS, and a reference missed is worse than one shown. A 403 or 404 (the feature
is off for the account, or the key may not read it) is "could not check", and the plan goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rtcfg.api.client import ApiClient
from rtcfg.errors import ApiError
from rtcfg.model.addresses import Address
from rtcfg.model.state import State

ENTITY_LISTS = (("personalization", "realtime_personalizations"), ("journey", "realtime_journeys"))
REFUSED = (403, 404)
ATTRIBUTE_ID_KEYS = ("realtimeAttributeId",)
KEY_EVENT_ID_KEYS = ("keyEventId",)


@dataclass
class References:
    """Per address of a destructive change, what it breaks; ``unchecked`` says why a list
    could not be read (None: both were read)."""

    breaks: dict[str, list[str]] = field(default_factory=dict)
    unchecked: str | None = None


async def find_references(api: ApiClient, live: State, addresses: Sequence[str]) -> References:
    """The personalizations and journeys that use the live objects at ``addresses``."""
    ids = _live_ids(live, addresses)
    base = f"/entities/parent_segments/{live.parent_segment_id}"
    results = await asyncio.gather(
        *(api.list_all(f"{base}/{path}") for _, path in ENTITY_LISTS), return_exceptions=True
    )
    found = References()
    refused = []
    for (kind, path), result in zip(ENTITY_LISTS, results, strict=True):
        if isinstance(result, ApiError) and result.info.status in REFUSED:
            refused.append(f"GET {base}/{path} answered {result.info.status}")
            continue
        if isinstance(result, BaseException):
            raise result
        for resource in result:
            _add_breaks(found.breaks, ids, kind, resource)
    if refused:
        found.unchecked = (
            "could not check which personalizations and journeys use the objects replaced "
            f"or deleted ({'; '.join(refused)}: the feature may be off, or this key may not "
            "read it); check them in the console before you apply"
        )
    return found


def _live_ids(live: State, addresses: Sequence[str]) -> dict[tuple[str, str], str]:
    """(kind, live id) → address, for key events and attributes at ``addresses``."""
    ids: dict[tuple[str, str], str] = {}
    for address in map(Address, addresses):
        found = live.of(address.kind).get(address.name) if address.name else None
        if found is not None:
            ids[(address.kind, str(found.id))] = address
    return ids


def _add_breaks(
    breaks: dict[str, list[str]], ids: dict[tuple[str, str], str], kind: str, resource: Any
) -> None:
    if not isinstance(resource, dict):
        return
    attributes = resource.get("attributes")
    if not isinstance(attributes, dict):
        return
    label = f"{kind} '{attributes.get('name')}' (id {resource.get('id')})"
    used = {("attribute", i) for i in _referencing_attribute_ids(attributes)}
    used |= {("attribute", i) for i in _values_of(attributes, ATTRIBUTE_ID_KEYS)}
    used |= {("key_event", i) for i in _values_of(attributes, KEY_EVENT_ID_KEYS)}
    for ref in sorted(used):
        address = ids.get(ref)
        if address is not None and label not in breaks.setdefault(address, []):
            breaks[address].append(label)


def _referencing_attribute_ids(attributes: dict[str, Any]) -> set[str]:
    items = attributes.get("referencingRealtimeAttributes")
    if not isinstance(items, list):
        return set()
    return {
        str(item["id"]) for item in items if isinstance(item, dict) and item.get("id") is not None
    }


def _values_of(node: Any, keys: tuple[str, ...]) -> set[str]:
    """Every value held under one of ``keys`` anywhere inside ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in keys and isinstance(value, (str, int)) and not isinstance(value, bool):
                    found.add(str(value))
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found
