"""``rtcfg plan``: read each parent segment's live state (GETs only) and plan the changes.

Many files are many segments, read at the same time over the one client: at most
``PLAN_READS_IN_FLIGHT`` segments at once (each is three concurrent GETs plus pagination), so
twenty segments cost about the round trips of one. The plans come back in the order of the
files; when reads fail, the failure of the first such file is raised, after every read ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from rtcfg import __version__
from rtcfg.api.client import ApiClient
from rtcfg.api.live import read_live_state
from rtcfg.api.references import find_references
from rtcfg.commands.desired import Desired
from rtcfg.engine.plan import Plan, SegmentPlan, build_segment_plan
from rtcfg.model.state import LiveState

T = TypeVar("T")
U = TypeVar("U")

# Segments whose live state is read at once. Each is 3 GETs, so twenty keep 60 requests in
# flight, within the client's pool of 64 connections: up to twenty files cost one wave of round
# trips (a bound of 16 made twenty files two waves, 1.7x one file's plan instead of 1.3x), and
# a plan of hundreds of files neither opens hundreds of tasks at once nor floods the API.
PLAN_READS_IN_FLIGHT = 20


async def bounded_gather(
    items: Sequence[T], work: Callable[[T], Awaitable[U]], limit: int = PLAN_READS_IN_FLIGHT
) -> list[U]:
    """``work(item)`` for every item, at most ``limit`` at once, results in the items' order.
    Every call runs to its end before the first failure (in the items' order) is raised, so
    none is left running behind the error."""
    slots = asyncio.Semaphore(limit)

    async def one(item: T) -> U:
        async with slots:
            return await work(item)

    results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if not isinstance(r, BaseException)]  # all of them, by now


async def read_live_states(api: ApiClient, ps_ids: Sequence[str]) -> list[LiveState]:
    """The live state of each parent segment, read concurrently (bounded), in order."""
    return await bounded_gather(ps_ids, lambda ps_id: read_live_state(api, ps_id))


async def plan_files(
    api: ApiClient,
    desired: Sequence[Desired],
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
) -> Plan:
    """Read each parent segment's live state (GETs only, concurrently) and plan the changes."""
    lives = await read_live_states(api, [d.state.parent_segment_id for d in desired])
    segments = [
        build_segment_plan(
            d.state,
            live,
            config_file=d.file,
            config_sha256=d.sha256,
            targets=targets,
            excludes=excludes,
        )
        for d, live in zip(desired, lives, strict=True)
    ]
    pairs = list(zip(segments, lives, strict=True))
    await bounded_gather(pairs, lambda pair: _add_references(api, *pair))
    return Plan(segments, __version__)


async def _add_references(api: ApiClient, segment: SegmentPlan, live: LiveState) -> None:
    """Name what each replace/delete breaks; read only when the plan has one."""
    addresses = [c.address for c in segment.destructive]
    if not addresses:
        return
    found = await find_references(api, live, addresses)
    segment.breaks = found.breaks
    segment.references_unchecked = found.unchecked
