"""``rtcfg report`` and the summary after ``rtcfg apply``: each parent segment's configuration
read from live state, annotated from its config file when there is one (``rtcfg.setup.report``
builds the summary)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from pathlib import Path

from rtcfg.api.client import ApiClient
from rtcfg.api.live import read_audience, read_live_state
from rtcfg.checks.validate import load_config_or_raise
from rtcfg.commands.desired import Desired
from rtcfg.engine.plan import Plan, build_segment_plan
from rtcfg.errors import UsageError
from rtcfg.model.state import LiveState
from rtcfg.model.translate import desired_state
from rtcfg.setup.init_config import use_case_of
from rtcfg.setup.report import FromFile, SegmentSummary, segment_summary


async def summaries(
    api: ApiClient, files: Sequence[tuple[str | None, str]], site: str
) -> list[SegmentSummary]:
    """The summary of each (config file, parent segment id), read from live state."""
    return list(await asyncio.gather(*(_summary(api, f, ps, site) for f, ps in files)))


async def _summary(api: ApiClient, file: str | None, ps_id: str, site: str) -> SegmentSummary:
    audience, live = await asyncio.gather(read_audience(api, ps_id), read_live_state(api, ps_id))
    from_file = _from_file(file, live) if file else None
    return segment_summary(live, audience, site, from_file)


def _from_file(path: str, live: LiveState) -> FromFile:
    config = load_config_or_raise(path)
    data = Path(path).read_bytes()
    plan = build_segment_plan(
        desired_state(config),
        live,
        config_file=path,
        config_sha256=hashlib.sha256(data).hexdigest(),
    )
    return FromFile(
        path,
        config.id_stitching.primary_key,
        use_case_of(data.decode("utf-8", errors="replace")),
        len(plan.changes),
    )


async def report_target(api: ApiClient, target: str, site: str) -> SegmentSummary:
    """``rtcfg report FILE`` (live state of the file's segment, annotated) or ``PS_ID``."""
    if Path(target).is_file():
        config = load_config_or_raise(target)
        return await _summary(api, target, config.parent_segment_id, site)
    if target.endswith((".yaml", ".yml")) or "/" in target:
        raise UsageError(f"{target}: no such file (give a config file or a parent segment id)")
    return await _summary(api, None, target, site)


def summary_targets(plan: Plan, desired: Sequence[Desired]) -> list[tuple[str | None, str]]:
    """(config file, parent segment) of each applied segment; no file for a saved plan whose
    config files changed since."""
    if desired:
        return [(d.file, d.state.parent_segment_id) for d in desired]
    return [(None, s.parent_segment_id) for s in plan.segments]
