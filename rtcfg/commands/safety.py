"""What apply refuses before it sends anything (exit 3): a saved plan that disagrees with
itself or with live state (``rtcfg.engine.plancheck``), and destructive steps without
``--allow-destroy``. Split from ``rtcfg.commands.workflow``, which re-exports both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


async def refuse_if_stale(api: Any, plan: Any) -> dict[str, Any]:
    """A saved plan is applied only if its steps agree with its changes (checked before any
    request: ``rtcfg.engine.plancheck``) and live state still matches what it was made from.
    Returns each parent segment's live setting, for :func:`refuse_destructive`."""
    import asyncio

    from rtcfg.api.live import read_live_state
    from rtcfg.engine.plan import drifted_addresses
    from rtcfg.engine.plancheck import live_problems, saved_plan_problems
    from rtcfg.errors import RefusedError

    _refuse_disagreement(saved_plan_problems(plan.segments))
    lives = await asyncio.gather(
        *(read_live_state(api, s.parent_segment_id) for s in plan.segments)
    )
    drifted = [
        f"{segment.parent_segment_id}: {address}"
        for segment, live in zip(plan.segments, lives, strict=True)
        for address in drifted_addresses(segment, live)
    ]
    if drifted:
        raise RefusedError(
            "the saved plan is stale: live state changed since it was made, at "
            + ", ".join(drifted)
            + ". Run `rtcfg plan -o` again and review the new plan."
        )
    pairs = zip(plan.segments, lives, strict=True)
    _refuse_disagreement([p for segment, live in pairs for p in live_problems(segment, live)])
    _refuse_disagreement(_rederived_problems(plan, lives))
    return {s.parent_segment_id: live.setting for s, live in zip(plan.segments, lives, strict=True)}


def _rederived_problems(plan: Any, lives: list[Any]) -> list[str]:
    """A plan whose steps, bodies and fields were all edited to agree still has to be what
    its config gives: each config file must still hash to ``config_sha256`` (when it exists),
    and each change must be what diffing that config against live state gives now. The plan
    does not record --target/--exclude, so only the addresses it holds are compared."""
    from rtcfg.commands.workflow import desired_for_saved_plan

    problems = [
        f"{s.parent_segment_id}: {s.config_file} changed since the plan was made "
        "(its sha256 is not the plan's config_sha256)"
        for s in plan.segments
        if _config_changed(s.config_file, s.config_sha256)
    ]
    if problems:
        return problems
    desired = desired_for_saved_plan(plan)  # [] when a file is gone or no longer loads
    for segment, live, wanted in zip(plan.segments, lives, desired, strict=False):
        problems += _changes_not_derived(segment, live, wanted.state)
    return problems


def _changes_not_derived(segment: Any, live: Any, desired: Any) -> list[str]:
    from rtcfg.engine.diff import diff_states
    from rtcfg.safe_text import safe

    fresh = {c.address: c for c in diff_states(desired, live)}
    problems = []
    for change in segment.changes:
        if fresh.get(change.address) != change:
            problems.append(
                f"{safe(change.address)}: the change is not what {segment.config_file} "
                "gives against live state now"
            )
    return [f"{segment.parent_segment_id}: {p}" for p in problems]


def _config_changed(file: str, digest: str) -> bool:
    """Whether the plan's config file exists and no longer hashes to ``digest`` (a path from
    the plan file: only a regular file, read capped)."""
    import hashlib
    from pathlib import Path

    from rtcfg.config.source import ConfigReadError, read_config_bytes

    if file == "-" or not Path(file).is_file():
        return False
    try:
        return hashlib.sha256(read_config_bytes(file)).hexdigest() != digest
    except ConfigReadError:
        return False


def _refuse_disagreement(problems: list[str]) -> None:
    from rtcfg.errors import RefusedError

    if problems:
        raise RefusedError(
            "the saved plan does not agree with itself, so none of it is applied:\n"
            + "\n".join(f"  {p}" for p in problems[:20])
            + (f"\n  and {len(problems) - 20} more" if len(problems) > 20 else "")
            + "\nWas it edited after `rtcfg plan -o`? Make the plan again and review it."
        )


def refuse_destructive(
    plan: Any, allow_destroy: bool, live_settings: Mapping[str, Any] | None = None
) -> None:
    """Replace and delete need ``--allow-destroy``; the message names each and says why.
    What needs it is decided by the steps apply would send too (every DELETE, every setting
    PATCH that drops an imported attribute), not by the changes' labels alone."""
    from rtcfg.engine.diff import SETTING
    from rtcfg.engine.plancheck import destroying_steps
    from rtcfg.errors import RefusedError
    from rtcfg.safe_text import safe

    lines, count, unchecked = [], 0, set()
    for segment in plan.segments:
        flagged = {c.address for c in segment.destructive}
        for c in segment.destructive:
            count += 1
            lines.append(f"  {c.action} {safe(c.address)}: {'; '.join(map(safe, c.reasons))}")
            # what the change breaks (rtcfg.api.references), read when the plan was made
            lines += [f"    breaks {safe(used)}" for used in segment.breaks.get(c.address, [])]
        if segment.destructive and segment.references_unchecked:
            unchecked.add(safe(segment.references_unchecked))
        before = next((c.before for c in segment.changes if c.address == SETTING), None)
        live = (live_settings or {}).get(segment.parent_segment_id, before) or {}
        for line in destroying_steps(segment, live):
            if line.split(" ", 1)[0] not in flagged:
                count += 1
                lines.append(f"  {line}")
    lines += [f"  {note}" for note in sorted(unchecked)]
    if count and not allow_destroy:
        raise RefusedError(
            f"{count} destructive change(s) need --allow-destroy:\n"
            + "\n".join(lines)
            + "\nA replaced object gets a new id and a deleted one is gone: personalizations and "
            "journeys that use it break, and a counter starts again from zero. Review, then run "
            "apply again with --allow-destroy."
        )
