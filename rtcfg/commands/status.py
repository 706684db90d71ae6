"""``rtcfg status``: is RT 2.0 enabled for a parent segment, is it configured, the setting's
status, and the counts of what is configured."""

from __future__ import annotations

import asyncio

from rtcfg.api.client import ApiClient
from rtcfg.api.live import (
    SETTING_NOT_CONFIGURED,
    inconsistent_message,
    read_audience,
    read_live_state,
    summarize,
)
from rtcfg.errors import RtNotEnabledError
from rtcfg.model.state import LiveState
from rtcfg.model.status import SegmentStatus

DISABLED_MESSAGE = (
    "RT 2.0 is not enabled; ask your CSM to enable it (--csm-request FILE writes the request)"
)


async def segment_status(api: ApiClient, ps_id: str) -> SegmentStatus:
    """RT enabled? config exists? the setting's status and the counts of what is configured.
    The parent segment and its RT configuration are read at the same time (one round trip);
    RT 2.0 counts as enabled when the realtime_setting answers (the Audience has no flag)."""
    audience, live = await asyncio.gather(
        read_audience(api, ps_id), read_live_state(api, ps_id), return_exceptions=True
    )
    if isinstance(audience, BaseException):
        raise audience
    name = audience.get("name")
    if isinstance(live, RtNotEnabledError):
        return SegmentStatus(ps_id, name, False, False, "disabled", message=DISABLED_MESSAGE)
    if isinstance(live, BaseException):
        raise live
    return _enabled_status(ps_id, name, live)


def _enabled_status(ps_id: str, name: object, live: LiveState) -> SegmentStatus:
    counts = summarize(live)
    exists = bool(counts["event_tables"] or counts["key_events"] or counts["stitching_keys"])
    status = live.setting_meta.get("status")
    detailed = live.setting_meta.get("statusDetailed")
    message = _status_message(status, detailed, ps_id)
    return SegmentStatus(ps_id, name, True, exists, status, detailed, message, counts)


def _status_message(status: object, detailed: object, ps_id: str) -> str | None:
    """What a person should know about the setting's status, or None when all is well."""
    if status in SETTING_NOT_CONFIGURED:
        return (
            f"RT 2.0 is enabled, not configured yet (status {status}): write rt_config.yaml "
            f"(or `rtcfg import {ps_id} -o rt_config.yaml`), then `rtcfg plan` and `rtcfg apply`"
        )
    if status == "inconsistent":
        return inconsistent_message(detailed)
    return None
