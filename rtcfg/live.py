"""The live RT configuration of a parent segment, read through the client (GETs only).

The three reads (setting, key events, attributes) run concurrently, so reading a segment of
any size costs about one round trip plus pagination. Server fields rtcfg does not manage are
dropped here (lenient on output), and an attribute's ``realtimeKeyEventId`` becomes the name
of its key event, the identity the diff compares.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rtcfg.client import ApiClient
from rtcfg.errors import NotFoundError, RtcfgError
from rtcfg.state import SETTING_KEYS, AttributeState, Body, KeyEventState, LiveState

# Assumed (no field in TD's published Audience schema): how a parent segment says that RT 2.0 is
# enabled and which column is its profile key. Kept here so it changes in one place.
RT_ENABLED_FIELD = "realtimeEnabled"
PROFILE_KEY_FIELD = "masterKeyColumn"
READ_ONLY_FIELDS = frozenset(
    {
        "id",
        "createdAt",
        "updatedAt",
        "createdBy",
        "updatedBy",
        "notation",
        "audienceId",
        "realtimeKeyEventId",
    }
)
MANAGED_ATTRIBUTE_TYPES = "single,list,counter"
SETTING_META = ("id", "status", "statusDetailed")


class SegmentNotFoundError(RtcfgError):
    """No parent segment with that id is visible to this key."""


class RtNotEnabledError(RtcfgError):
    """The parent segment exists but RT 2.0 is not enabled (or not initialized) for it."""


def _without_read_only(item: Body) -> Body:
    return {k: v for k, v in item.items() if k not in READ_ONLY_FIELDS}


async def read_audience(api: ApiClient, ps_id: str) -> Body:
    """``GET /audiences/{id}``, with a 404 turned into a message that says what to do."""
    try:
        audience: Body = await api.get(f"/audiences/{ps_id}")
    except NotFoundError as exc:
        raise _segment_not_found(ps_id, exc) from exc
    return audience


def _segment_not_found(ps_id: str, exc: NotFoundError | None = None) -> SegmentNotFoundError:
    # a 404 comes from the API, or from whatever else --endpoint points at: say which answered
    where = f" ({exc.info.url or exc.info.path} answered 404: {exc.info.message})" if exc else ""
    return SegmentNotFoundError(
        f"parent segment {ps_id} not found{where}; `rtcfg segments` lists the ones this key "
        "can see (or is --endpoint right?)"
    )


async def read_live_state(api: ApiClient, ps_id: str) -> LiveState:
    """The full live configuration of one parent segment, read with concurrent GETs."""
    base = f"/audiences/{ps_id}"
    try:
        setting, key_events, attributes = await asyncio.gather(
            api.get(f"{base}/realtime_setting"),
            api.list_all(f"{base}/realtime_key_events"),
            api.list_all(f"{base}/realtime_attributes", {"types": MANAGED_ATTRIBUTE_TYPES}),
        )
    except NotFoundError as exc:
        raise await _explain_missing(api, ps_id, exc) from None
    if setting.get("status") == "not_initialized":
        raise RtNotEnabledError(
            f"RT 2.0 is not initialized for parent segment {ps_id} "
            f"(status not_initialized: {setting.get('statusDetailed')})"
        )
    return build_live_state(ps_id, setting, key_events, attributes)


async def _explain_missing(api: ApiClient, ps_id: str, exc: NotFoundError) -> RtcfgError:
    """A 404 on a realtime path: unknown parent segment, or RT 2.0 not enabled for it?"""
    try:
        audience = await api.get(f"/audiences/{ps_id}")
    except NotFoundError as missing:
        return _segment_not_found(ps_id, missing)
    if not audience.get(RT_ENABLED_FIELD, True):
        return RtNotEnabledError(
            f"RT 2.0 is not enabled for parent segment {ps_id} ({audience.get('name')}); "
            f"`rtcfg status {ps_id} --csm-request FILE` writes the enablement request"
        )
    return exc


def build_live_state(
    ps_id: str, setting: Body, key_events: list[Body], attributes: list[Body]
) -> LiveState:
    """Raw API answers → LiveState keyed by identity."""
    names_by_id = {str(ke["id"]): ke["name"] for ke in key_events}
    state = LiveState(
        ps_id,
        setting={k: setting.get(k, [] if k != "extLookupKey" else None) for k in SETTING_KEYS},
        setting_meta={k: setting.get(k) for k in SETTING_META},
    )
    for ke in key_events:
        state.key_events[ke["name"]] = KeyEventState(
            ke["name"], _without_read_only(ke), str(ke["id"])
        )
    for attr in attributes:
        if attr.get("type") not in MANAGED_ATTRIBUTE_TYPES.split(","):
            continue
        event = _event_name(names_by_id, attr.get("realtimeKeyEventId"))
        body = _without_read_only(attr)
        if isinstance(body.get("actions"), list):
            body["actions"] = [
                {**a, "realtimeKeyEventId": _event_name(names_by_id, a.get("realtimeKeyEventId"))}
                for a in body["actions"]
            ]
        state.attributes[attr["identifier"]] = AttributeState(
            attr["identifier"], body, event, str(attr["id"])
        )
    return state


def _event_name(names_by_id: dict[str, str], event_id: object) -> str | None:
    """A key event id → its name (``#<id>`` when no live key event has that id)."""
    if event_id is None:
        return None
    return names_by_id.get(str(event_id), f"#{event_id}")


def summarize(state: LiveState) -> dict[str, Any]:
    """Counts for ``rtcfg status``: tables, keys, key events, attributes by type."""
    by_type: dict[str, int] = {"single": 0, "list": 0, "counter": 0}
    for attr in state.attributes.values():
        by_type[attr.body.get("type", "?")] = by_type.get(attr.body.get("type", "?"), 0) + 1
    return {
        "event_tables": len(state.setting.get("eventTables") or []),
        "stitching_keys": len(state.setting.get("keyColumns") or []),
        "imported_batch_attributes": len(state.setting.get("batchAttributes") or []),
        "key_events": len(state.key_events),
        "attributes": by_type,
    }
