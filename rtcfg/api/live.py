"""The live RT configuration of a parent segment, read through the client (GETs only).

One read per registered kind (setting, key events, attributes), run concurrently, so reading
a segment of any size costs about one round trip plus pagination. Server fields rtcfg does not
manage are dropped here (lenient on output), and an attribute's ``realtimeKeyEventId`` becomes
the name of its key event, the identity the diff compares.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rtcfg.api.client import ApiClient
from rtcfg.errors import (
    ApiError,
    NotFoundError,
    RtcfgError,
    RtNotEnabledError,
    SegmentNotFoundError,
)
from rtcfg.model.kinds import all_kinds
from rtcfg.model.kinds import setting as setting_kind
from rtcfg.model.kinds.base import Kind
from rtcfg.model.kinds.setting import whole
from rtcfg.model.state import Body, LiveState, Resource

SETTING_KIND = setting_kind.KIND

# How rtcfg tells that RT 2.0 is enabled for a parent segment. TD's published Audience schema
# (cdp-openapi.yml l.7608) has no RT flag, so the realtime_setting answer decides (l.5161): a
# setting with a status means enabled; 404 or 403 means not enabled. The status enum (l.17050)
# has two values that mean "enabled, nothing deployed yet", where a first setup starts.
RT_REFUSED_STATUSES = (403, 404)
SETTING_NOT_CONFIGURED = ("not_initialized", "initialized")
# Assumed (no field names the profile key in the Audience schema): the parent segment's
# attribute tables join the master table on ``attributes[].foreignKey`` ("Foreign key of the
# master table", l.7279); when they all use one column, that column is most likely the
# profile key. Anything else: rtcfg says it cannot check.
AUDIENCE_JOIN_FIELD = "foreignKey"
READ_ONLY_FIELDS = frozenset(
    {
        "id",
        "createdAt",
        "updatedAt",
        "createdBy",
        "updatedBy",
        "notation",
        "audienceId",
    }
)
# Lists inside an attribute whose entries may carry a read-only ``notation`` (the entities view
# has it on aggregations and subDurations, l.16466 and l.16352).
NESTED_READ_ONLY = ("aggregations", "subDurations")
SETTING_META = ("id", "status", "statusDetailed")


def inconsistent_message(detailed: Any) -> str:
    """The setting says what TD deployed differs from the configuration (status l.17050)."""
    return (
        f"the realtime setting is inconsistent (statusDetailed: {json.dumps(detailed)}): what "
        "is deployed differs from the configuration. Read statusDetailed for the cause, fix it "
        "in rt_config.yaml if it names a table, column or key, then run `rtcfg apply` again "
        "(it sends the whole setting); if it stays inconsistent, contact Treasure Data support"
    )


def _without_read_only(item: Body) -> Body:
    out = {k: v for k, v in item.items() if k not in READ_ONLY_FIELDS}
    for key in NESTED_READ_ONLY:
        if isinstance(out.get(key), list):
            out[key] = [
                {k: v for k, v in e.items() if k != "notation"} if isinstance(e, dict) else e
                for e in out[key]
            ]
    return out


async def read_rt_setting(api: ApiClient, ps_id: str) -> Body | None:
    """The realtime_setting of ``ps_id``, or None when it answers 404/403 (RT 2.0 is not
    enabled for it). Other failures are raised."""
    try:
        setting = await api.get(f"/audiences/{ps_id}/realtime_setting")
    except ApiError as exc:
        if exc.info.status in RT_REFUSED_STATUSES:
            return None
        raise
    return setting if isinstance(setting, dict) else {}


def profile_key_guess(audience: Body) -> str | None:
    """The master-table column every attribute table joins on, if there is exactly one."""
    attributes = audience.get("attributes")
    keys = {
        a.get(AUDIENCE_JOIN_FIELD)
        for a in attributes or []
        if isinstance(a, dict) and isinstance(a.get(AUDIENCE_JOIN_FIELD), str)
    }
    return keys.pop() if len(keys) == 1 else None


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


async def read_answers(api: ApiClient, ps_id: str) -> dict[str, Any]:
    """Every registered kind read with concurrent GETs (a singleton's one GET, a collection's
    pages): kind name → its answer, or the exception its read raised."""
    kinds = all_kinds()
    answers = await asyncio.gather(
        *(_read_kind(api, ps_id, kind) for kind in kinds), return_exceptions=True
    )
    for answer in answers:  # Ctrl-C and the like are not an answer
        if isinstance(answer, BaseException) and not isinstance(answer, Exception):
            raise answer
    return {kind.name: answer for kind, answer in zip(kinds, answers, strict=True)}


def refused(answer: Any) -> bool:
    """A read answered 404 or 403 (for the setting: RT 2.0 is not enabled)."""
    return isinstance(answer, ApiError) and answer.info.status in RT_REFUSED_STATUSES


async def read_live_state(api: ApiClient, ps_id: str) -> LiveState:
    """The full live configuration of one parent segment, every kind read at once. Only the
    setting's 404/403 means "RT 2.0 is not enabled"; any other failed read is raised."""
    answers = await read_answers(api, ps_id)
    setting = answers.get(SETTING_KIND.name)
    if isinstance(setting, ApiError) and refused(setting):
        raise await _explain_missing(api, ps_id, setting.info.status) from None
    for answer in answers.values():
        if isinstance(answer, Exception):
            raise answer
    # not_initialized / initialized: enabled, nothing deployed yet; the lists are empty and a
    # plan creates everything (a first setup)
    return state_from_answers(ps_id, answers)


async def _read_kind(api: ApiClient, ps_id: str, kind: Kind) -> Any:
    if kind.singleton:
        return await api.get(kind.api_path(ps_id))
    params = dict(kind.list_params) or None
    return await api.list_all(kind.api_path(ps_id), params)


async def _explain_missing(api: ApiClient, ps_id: str, status: int) -> RtcfgError:
    """A 404/403 on a realtime path: unknown parent segment, or RT 2.0 not enabled for it
    (the parent segment exists, so the realtime paths' refusal is read as "not enabled")."""
    try:
        audience = await api.get(f"/audiences/{ps_id}")
    except NotFoundError as missing:
        return _segment_not_found(ps_id, missing)
    name = audience.get("name") if isinstance(audience, dict) else None
    return RtNotEnabledError(
        f"RT 2.0 is not enabled for parent segment {ps_id} ({name}): its realtime_setting "
        f"answers {status}; `rtcfg status {ps_id} --csm-request FILE` writes the enablement "
        "request"
    )


def build_live_state(
    ps_id: str, setting: Body, key_events: list[Body], attributes: list[Body]
) -> LiveState:
    """Raw API answers of the setting, key events and attributes → LiveState."""
    answers = {"setting": setting, "key_event": key_events, "attribute": attributes}
    return state_from_answers(ps_id, answers)


def state_from_answers(ps_id: str, answers: dict[str, Any]) -> LiveState:
    """Raw API answers (kind name → the singleton's body, or a collection's items) → a
    LiveState keyed by identity, each object's references turned from ids into names."""
    setting = answers.get(SETTING_KIND.name) or {}
    state = LiveState(
        ps_id,
        setting=whole(setting),
        setting_meta={k: setting.get(k) for k in SETTING_META},
    )
    names = {
        kind.name: {str(o.get("id")): o.get(kind.identity) for o in answers.get(kind.name) or []}
        for kind in all_kinds()
        if not kind.singleton
    }
    for kind in all_kinds():
        if kind.singleton or kind.make is None:
            continue
        objects = state.of(kind.name)
        for item in answers.get(kind.name) or []:
            if kind.manages(item):
                identity = item[kind.identity]
                objects[identity] = _live_object(kind, item, names.get(kind.reference_kind or ""))
    return state


def _live_object(kind: Kind, item: Body, names_by_id: dict[str, Any] | None) -> Resource:
    """One listed object: read-only fields dropped, the ids it names turned into names."""
    body = _without_read_only(item)
    body.pop(kind.reference_field or "", None)  # held as a name outside the body
    reference = None
    if kind.reference_field and names_by_id is not None:
        reference = _event_name(names_by_id, item.get(kind.reference_field))
        for field in kind.reference_lists:
            if isinstance(body.get(field), list):
                body[field] = [
                    {
                        **a,
                        kind.reference_field: _event_name(names_by_id, a.get(kind.reference_field)),
                    }
                    for a in body[field]
                ]
    assert kind.make is not None
    made: Resource = kind.make(item[kind.identity], body, reference, str(item["id"]))
    return made


def _event_name(names_by_id: dict[str, Any], event_id: object) -> str | None:
    """An id → the name of the live object with that id (``#<id>`` when there is none)."""
    if event_id is None:
        return None
    return str(names_by_id.get(str(event_id), f"#{event_id}"))


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
