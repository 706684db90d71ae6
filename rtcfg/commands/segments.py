"""``rtcfg segments``: the parent segments this key can see, and whether RT 2.0 is on for each."""

from __future__ import annotations

import asyncio
import fnmatch
from dataclasses import dataclass

from rtcfg.api.client import ApiClient
from rtcfg.api.live import read_rt_setting

# How many realtime_setting reads ``rtcfg segments`` keeps in flight at once: enough that a few
# hundred parent segments take a handful of round trips, few enough not to be rate limited.
SEGMENT_READS_IN_FLIGHT = 16


@dataclass
class SegmentRow:
    """One parent segment: id, name (as the API gives it), RT 2.0 enabled, setting status."""

    id: str
    name: object
    rt_enabled: bool = False
    rt_status: object = None

    def as_json(self) -> dict[str, object]:
        """The row of ``rtcfg segments --json``."""
        return {
            "id": self.id,
            "name": self.name,
            "rt_enabled": self.rt_enabled,
            "rt_status": self.rt_status,
        }


async def list_segments(api: ApiClient, pattern: str | None) -> list[SegmentRow]:
    """Parent segments (id, name, RT enabled, setting status) whose name or id matches
    ``pattern`` (a glob). The Audience has no RT flag (cdp-openapi.yml l.7608), so each
    matching segment's realtime_setting is read, concurrently and at most
    SEGMENT_READS_IN_FLIGHT at a time: a setting answer means RT 2.0 is enabled."""
    audiences = await api.get("/audiences")
    rows = [SegmentRow(str(a.get("id")), a.get("name")) for a in audiences]
    if pattern:
        rows = [r for r in rows if _matches(r, pattern)]
    slots = asyncio.Semaphore(SEGMENT_READS_IN_FLIGHT)
    await asyncio.gather(*(_add_rt_status(api, row, slots) for row in rows))
    return sorted(rows, key=lambda r: (str(r.name).lower(), r.id))


def _matches(row: SegmentRow, pattern: str) -> bool:
    """A glob matches the name (case-insensitively) or the id; plain text matches a part."""
    glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    return fnmatch.fnmatch(str(row.name).lower(), glob.lower()) or fnmatch.fnmatch(row.id, glob)


async def _add_rt_status(api: ApiClient, row: SegmentRow, slots: asyncio.Semaphore) -> None:
    async with slots:
        setting = await read_rt_setting(api, row.id)
    row.rt_enabled = setting is not None
    row.rt_status = None if setting is None else setting.get("status")
