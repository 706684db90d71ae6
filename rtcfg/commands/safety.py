"""What apply refuses about a saved plan before it sends anything (exit 3): a plan that
disagrees with itself (``rtcfg.engine.plancheck``, no request needed) or with live state now.
These need live reads, so they are here; the refusal of destructive steps without
``--allow-destroy`` is plan policy (``rtcfg.engine.policy``)."""

from __future__ import annotations

from rtcfg.api.client import ApiClient
from rtcfg.commands.desired import desired_for_saved_plan, file_digest
from rtcfg.commands.plan import read_live_states
from rtcfg.engine.diff import diff_states
from rtcfg.engine.plan import Plan, SegmentPlan, drifted_addresses
from rtcfg.engine.plancheck import live_problems, saved_plan_problems
from rtcfg.errors import RefusedError
from rtcfg.model.state import Body, DesiredState, LiveState
from rtcfg.safe_text import safe

SHOWN_PROBLEMS = 20


async def refuse_if_stale(api: ApiClient, plan: Plan) -> dict[str, Body]:
    """A saved plan is applied only if its steps agree with its changes (checked before any
    request: ``rtcfg.engine.plancheck``) and live state still matches what it was made from.
    Returns each parent segment's live setting, for ``rtcfg.engine.policy.refuse_destructive``."""
    _refuse_disagreement(saved_plan_problems(plan.segments))
    lives = await read_live_states(api, [s.parent_segment_id for s in plan.segments])
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


def _rederived_problems(plan: Plan, lives: list[LiveState]) -> list[str]:
    """A plan whose steps, bodies and fields were all edited to agree still has to be what
    its config gives: each config file must still hash to ``config_sha256`` (when it exists),
    and each change must be what diffing that config against live state gives now. The plan
    does not record --target/--exclude, so only the addresses it holds are compared."""
    problems = [
        f"{s.parent_segment_id}: {s.config_file} changed since the plan was made "
        "(its sha256 is not the plan's config_sha256)"
        for s in plan.segments
        if file_digest(s.config_file) not in (None, s.config_sha256)
    ]
    if problems:
        return problems
    desired = desired_for_saved_plan(plan)  # [] when a file is gone or no longer loads
    for segment, live, wanted in zip(plan.segments, lives, desired, strict=False):
        problems += _changes_not_derived(segment, live, wanted.state)
    return problems


def _changes_not_derived(segment: SegmentPlan, live: LiveState, desired: DesiredState) -> list[str]:
    fresh = {c.address: c for c in diff_states(desired, live)}
    problems = []
    for change in segment.changes:
        if fresh.get(change.address) != change:
            problems.append(
                f"{safe(change.address)}: the change is not what {segment.config_file} "
                "gives against live state now"
            )
    return [f"{segment.parent_segment_id}: {p}" for p in problems]


def _refuse_disagreement(problems: list[str]) -> None:
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        raise RefusedError(
            "the saved plan does not agree with itself, so none of it is applied:\n"
            + "\n".join(f"  {p}" for p in problems[:SHOWN_PROBLEMS])
            + (f"\n  and {more} more" if more > 0 else "")
            + "\nWas it edited after `rtcfg plan -o`? Make the plan again and review it."
        )
