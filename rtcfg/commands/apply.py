"""``rtcfg apply``: make live state match the files, or run a saved plan; then check the result.

The order, each step refusing before anything is sent: a saved plan or the files; the plan
(a saved one checked against itself and live state, ``rtcfg.commands.safety``); the
destructive-change policy (``rtcfg.engine.policy``); the user's confirmation; the steps; the
re-read of live state; the summary of each segment. One ``ApiSession`` carries it all, so
the writes reuse the plan's connections. What is shown and asked is the caller's
(:class:`ApplyView`): the cli prints and prompts, a test answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rtcfg.api.client import ApiClient
from rtcfg.api.connection import Connection
from rtcfg.commands.desired import Desired, desired_for_saved_plan, load_desired
from rtcfg.commands.plan import plan_files, read_live_states
from rtcfg.commands.report import summaries, summary_targets
from rtcfg.commands.safety import refuse_if_stale
from rtcfg.commands.session import ApiSession
from rtcfg.engine.apply import ApplyOptions, ApplyOutcome, Progress, apply_plan
from rtcfg.engine.diff import diff_states
from rtcfg.engine.plan import Plan
from rtcfg.engine.planfile import looks_like_saved_plan, read_saved_plan
from rtcfg.engine.policy import refuse_destructive
from rtcfg.errors import RtcfgError, UsageError
from rtcfg.model.state import Body
from rtcfg.setup.report import SegmentSummary


@dataclass(frozen=True)
class ApplyRequest:
    """What to apply and how: config files or one saved plan, and apply's options."""

    files: Sequence[str]
    allow_destroy: bool = False
    parallelism: int = 8
    targets: Sequence[str] = ()
    excludes: Sequence[str] = ()


class ApplyView(Protocol):
    """What apply shows and asks along the way."""

    def show_plan(self, plan: Plan) -> None:
        """The plan, before anything is refused or asked."""

    def confirm(self) -> None:
        """Ask to go ahead; raise ``RefusedError`` when the answer is not yes."""

    def step(self, line: str) -> None:
        """One line of progress while the steps run."""

    def wants_summaries(self, applied: bool) -> bool:
        """Whether to read each segment's summary afterwards (``applied``: steps ran)."""


@dataclass
class ApplyRun:
    """A finished ``rtcfg apply``: the plan, the outcome (None: there was nothing to apply),
    each segment's summary, and why there is none if reading them failed."""

    plan: Plan
    outcome: ApplyOutcome | None
    summaries: list[SegmentSummary] = field(default_factory=list)
    summary_error: RtcfgError | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is None or self.outcome.ok


def is_saved_plan(files: Sequence[str]) -> bool:
    """``rtcfg apply PLAN``: one argument whose content is a saved plan."""
    return len(files) == 1 and looks_like_saved_plan(files[0])


def apply_files(connection: Connection, request: ApplyRequest, view: ApplyView) -> ApplyRun:
    """Plan (or take the saved plan), refuse what policy refuses, confirm, apply, verify."""
    saved = _saved_plan(request)
    desired = desired_for_saved_plan(saved) if saved else load_desired(request.files)
    # one loop and one client from the plan's reads to the check after the writes
    with ApiSession(connection) as session:
        plan, live_settings = _the_plan(session, saved, desired, request)
        view.show_plan(plan)
        if all(s.empty and not s.steps for s in plan.segments):
            return _finish(session, view, plan, desired, None)
        refuse_destructive(plan, request.allow_destroy, live_settings)
        view.confirm()
        options = ApplyOptions(parallelism=request.parallelism)
        # no deadline for the writes: each request has its retries, the setting wait its limit
        outcome = session.run(
            lambda api: apply_planned(api, plan, desired, options, view.step), deadline=None
        )
        return _finish(session, view, plan, desired, outcome)


def _saved_plan(request: ApplyRequest) -> Plan | None:
    if not is_saved_plan(request.files):
        return None
    if request.targets or request.excludes:
        raise UsageError("a saved plan is applied as it is: --target/--exclude go to `rtcfg plan`")
    return read_saved_plan(request.files[0])


def _the_plan(
    session: ApiSession, saved: Plan | None, desired: list[Desired], request: ApplyRequest
) -> tuple[Plan, dict[str, Body] | None]:
    """The plan to run, and the live settings a saved plan was checked against."""
    if saved is not None:
        return saved, session.run(lambda api: refuse_if_stale(api, saved))
    targets, excludes = request.targets, request.excludes
    return session.run(lambda api: plan_files(api, desired, targets, excludes)), None


def _finish(
    session: ApiSession,
    view: ApplyView,
    plan: Plan,
    desired: list[Desired],
    outcome: ApplyOutcome | None,
) -> ApplyRun:
    """The run, with each segment's summary when it went well and the view wants them."""
    run = ApplyRun(plan, outcome)
    if not run.ok or not view.wants_summaries(outcome is not None):
        return run
    targets, site = summary_targets(plan, desired), session.connection.site
    try:
        run.summaries = session.run(lambda api: summaries(api, targets, site))
    except RtcfgError as exc:  # the apply is done and checked: only the summary is missing
        run.summary_error = exc
    return run


async def apply_planned(
    api: ApiClient,
    plan: Plan,
    desired: Sequence[Desired] | None,
    options: ApplyOptions,
    progress: Progress,
) -> ApplyOutcome:
    """Run each segment's steps, then re-read live state and diff it with the config: what
    this plan meant to change and is still different failed (objects it left out, by
    --target / --exclude, are not its business, nor are refusals about them). ``api`` has no
    deadline: each request has its retries, and the wait for the setting its own limit."""
    results = [await apply_plan(api, s, options, progress) for s in plan.segments if s.steps]
    intended: set[tuple[str, str]] = {
        (s.parent_segment_id, c.address) for s in plan.segments for c in s.changes
    }
    remaining: list[str] = []
    unverified = None
    if not desired:  # never skipped silently: no config to compare with is "not verified"
        files = ", ".join(s.config_file for s in plan.segments)
        unverified = (
            f"the config file(s) the plan was made from ({files}) are gone, changed or no "
            "longer load, so live state was not compared with them"
        )
    else:
        try:
            remaining = await still_different(api, desired, intended)
        except RtcfgError as exc:  # the writes are made: report them, and say what is unknown
            unverified = f"re-reading live state failed: {exc}"
    return ApplyOutcome(results, remaining, unverified)


async def still_different(
    api: ApiClient, desired: Sequence[Desired], intended: set[tuple[str, str]]
) -> list[str]:
    """Re-read live state and diff it with the config, keeping only the plan's own addresses
    (``intended``: parent segment, address). That is the plan's selection as it was made: a
    saved plan records no patterns, only the changes they chose, and a pattern re-matched now
    could pick objects the plan never touched. Only the diff, never the plan's refusals: a
    refusal (``ext_lookup_key cannot be unset``) of an object the plan left out is not the
    apply's failure, and one inside it shows as that address still being different."""
    lives = await read_live_states(api, [d.state.parent_segment_id for d in desired])
    return [
        change.address
        for d, live in zip(desired, lives, strict=True)
        for change in diff_states(d.state, live)
        if (d.state.parent_segment_id, change.address) in intended
    ]


def apply_document(run: ApplyRun) -> dict[str, Any]:
    """``apply --format json``: the result counts, what failed, and each segment's summary
    (no outcome: there was nothing to apply)."""
    counts = dict.fromkeys(("create", "update", "replace", "delete"), 0)
    for segment in run.plan.segments:
        for action, count in segment.summary.items():
            counts[action] += count
    outcome = run.outcome
    document: dict[str, Any] = {
        "ok": run.ok,
        "applied": counts if outcome is not None else dict.fromkeys(counts, 0),
    }
    if outcome is not None and not outcome.ok:
        document["remaining"] = outcome.remaining
        document["failed"] = [
            {"address": r.step.address, "error": r.error}
            for result in outcome.results
            for r in result.results
            if r.error
        ]
    document["segments"] = [s.as_json() for s in run.summaries]
    return document
