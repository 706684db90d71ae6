"""What apply refuses before it sends anything (exit 3): a saved plan that disagrees with
itself or with live state (``rtcfg.plancheck``), and destructive steps without
``--allow-destroy``. Split from ``rtcfg.workflow``, which re-exports both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


async def refuse_if_stale(api: Any, plan: Any) -> dict[str, Any]:
    """A saved plan is applied only if its steps agree with its changes (checked before any
    request: ``rtcfg.plancheck``) and live state still matches what it was made from.
    Returns each parent segment's live setting, for :func:`refuse_destructive`."""
    import asyncio

    from rtcfg.errors import RefusedError
    from rtcfg.live import read_live_state
    from rtcfg.plan import drifted_addresses
    from rtcfg.plancheck import live_problems, saved_plan_problems

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
    return {s.parent_segment_id: live.setting for s, live in zip(plan.segments, lives, strict=True)}


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
    from rtcfg.diff import SETTING
    from rtcfg.errors import RefusedError
    from rtcfg.plancheck import destroying_steps
    from rtcfg.safe_text import safe

    lines, count, unchecked = [], 0, set()
    for segment in plan.segments:
        flagged = {c.address for c in segment.destructive}
        for c in segment.destructive:
            count += 1
            lines.append(f"  {c.action} {safe(c.address)}: {'; '.join(map(safe, c.reasons))}")
            # what the change breaks (rtcfg.references), read when the plan was made
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
