"""``rtcfg discover``, and the reads ``rtcfg init`` needs before it asks anything.

Reads run concurrently: the parent segment, its RT configuration and the database list in one
round trip, then one table list per database (each carries every table's schema), so
discovery costs about two round trips of wall time whatever the number of tables or columns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtcfg.api.catalog import Catalog, Progress, read_catalog
from rtcfg.api.client import ApiClient
from rtcfg.api.live import (
    profile_key_guess,
    read_answers,
    read_audience,
    refused,
    state_from_answers,
)
from rtcfg.errors import RefusedError, UsageError
from rtcfg.model.kinds.setting import KEYS as SETTING_KEYS
from rtcfg.model.state import LiveState
from rtcfg.safe_text import safe
from rtcfg.setup.discover import Discovery, classify, did_you_mean


@dataclass
class Discovered:
    """Discovery plus what init needs to know first: is anything configured, and notices."""

    discovery: Discovery
    configured: LiveState | None  # None: nothing configured yet
    rt_disabled: bool = False  # its realtime_setting answers 404/403: RT 2.0 is not enabled
    notices: list[str] = field(default_factory=list)


async def discover_segment(
    api: ApiClient, ps_id: str, databases: Sequence[str] = (), progress: Progress | None = None
) -> Discovered:
    """The parent segment first (an unknown one stops here, before the catalog is read), then
    its RT configuration (if any) and the catalog, read concurrently."""
    audience = await read_audience(api, ps_id)
    results = await asyncio.gather(
        rt_configuration(api, ps_id), read_catalog(api, databases, progress), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    rt, catalog = results
    assert isinstance(rt, tuple) and isinstance(catalog, Catalog)
    configured, setting_missing = rt
    if catalog.missing:
        raise UsageError(
            f"database {', '.join(map(safe, catalog.missing))} not found: "
            + did_you_mean(catalog.missing[0], catalog.all_databases, "databases")
        )
    notices = []
    # The Audience schema publishes no RT flag (cdp-openapi.yml l.7608): RT 2.0 is off exactly
    # when the realtime_setting answers 404/403 (l.5161), as `rtcfg segments` and `status` read it.
    disabled = setting_missing
    if disabled:
        notices.append(
            f"RT 2.0 is not enabled for parent segment {ps_id} (its realtime_setting answers "
            f"404/403): `rtcfg status {ps_id} --csm-request FILE --use-case TEXT` writes the "
            "enablement request for your CSM"
        )
    profile_key = profile_key_guess(audience)
    discovery = classify(ps_id, audience, catalog, profile_key)
    return Discovered(discovery, configured, disabled, notices)


async def rt_configuration(api: ApiClient, ps_id: str) -> tuple[LiveState | None, bool]:
    """(the live RT configuration, or None when nothing is configured; whether the setting
    answered 404/403). "Nothing configured" covers no setting at all, a ``not_initialized`` one
    (the real API's answer for an RT-enabled segment that was never set up, NOTES.md §4) and
    an empty one."""
    answers = await read_answers(api, ps_id)
    for answer in answers.values():
        if isinstance(answer, Exception) and not refused(answer):
            raise answer
    readable = {k: a for k, a in answers.items() if not isinstance(a, Exception)}
    live = state_from_answers(ps_id, readable)
    return (live if is_configured(live) else None), "setting" not in readable


def is_configured(live: LiveState) -> bool:
    """Anything set up at all: event tables, keys, batch attributes, the profile key, key
    events or attributes."""
    return any(live.setting.get(k) for k in SETTING_KEYS) or any(live.objects.values())


def refuse_if_configured(found: Discovered) -> None:
    """init writes a first configuration only, for a segment with RT 2.0 on; an existing
    configuration is imported instead."""
    ps_id = found.discovery.ps_id
    if found.rt_disabled:
        raise RefusedError(found.notices[0])
    if found.configured is not None:
        live = found.configured
        raise RefusedError(
            f"parent segment {ps_id} already has an RT 2.0 configuration "
            f"({len(live.key_events)} key events, {len(live.attributes)} attributes, "
            f"{len(live.setting.get('eventTables') or [])} event tables): init writes only a "
            f"first one. Run `rtcfg import {ps_id}` to put the existing configuration in a file, "
            "then edit that file."
        )
