"""Runs the steps of a plan against the API: exactly what the plan holds, nothing else.

A step starts as soon as every step it depends on is done (so the stages of spec/cli.md run in
order, and independent steps of a stage run together, at most ``parallelism`` at a time). A
failed step stops its dependents, which are reported as skipped; its independent siblings go on.

Safety rules, each in one function below:

* refs (``{"realtimeKeyEventId": "key_event.page_view"}``) are filled from the ids that earlier
  steps returned; a step whose ref has no id fails instead of sending a null.
* A POST whose outcome is unknown (lost response, 5xx after the request went out) is never
  blindly re-sent: the object is looked up by name / identifier first, and only when it is not
  there is the POST sent again, once. So no duplicate is ever made.
* A PATCH of the setting is followed by polling its ``status`` until ``ok`` (``inconsistent``
  fails at once with what to do; ``not_initialized`` / ``initialized`` / ``updating`` are waited
  through; a time limit gives a clear message), and when the PATCH's own
  outcome is unknown the setting is re-read and compared before anything is re-sent.
* A DELETE that finds the object already gone counts as done (the client returns None).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from rtcfg.api.client import ApiClient
from rtcfg.api.live import SETTING_NOT_CONFIGURED, inconsistent_message
from rtcfg.api.retry import backoff
from rtcfg.engine.plan import SegmentPlan, Step
from rtcfg.engine.setting_merge import SettingConflict, rebase_setting
from rtcfg.errors import (
    AttemptFailed,
    ConflictError,
    RtcfgError,
    StepFailed,
    WriteOutcomeUnknown,
)
from rtcfg.model.bodypath import json_copy, set_path
from rtcfg.model.kinds import SETTING, kind_of
from rtcfg.model.kinds.setting import comparable as comparable_setting
from rtcfg.model.state import Body
from rtcfg.safe_text import safe

StepStatus = Literal["done", "failed", "skipped"]
Progress = Callable[[str], None]
# How the realtime_setting says that its last PATCH has been applied, or never will be (status
# enum, cdp-openapi.yml l.17050). ``not_initialized`` and ``initialized`` are waited through like
# ``updating``: a first PATCH goes not_initialized → updating → ok, and a server that is slow to
# start may still answer the old status right after it.
SETTING_READY = "ok"
SETTING_FAILED = ("inconsistent",)
SETTING_ATTEMPTS = 8  # setting PATCHes sent (each re-planned) before the step fails


@dataclass
class StepResult:
    """What happened to one step."""

    step: Step
    status: StepStatus
    seconds: float = 0.0
    error: str | None = None
    object_id: str | None = None


@dataclass
class ApplyOptions:
    """How apply runs: concurrency, and how long and how often to wait for the setting."""

    parallelism: int = 8
    status_timeout: float = 600.0
    # How long the setting stays "updating" is unknown (seconds in the emulator; 30-90 s are
    # reported for the real API). Polls start poll_fraction x the time waited so far apart
    # (at least first_poll, at most max_poll): an ok is seen at most ~5% late, and a 60 s
    # wait costs about 90 GETs.
    first_poll: float = 0.1
    poll_fraction: float = 0.05
    max_poll: float = 2.0


@dataclass
class ApplyResult:
    """Every step's outcome, in plan order."""

    results: list[StepResult] = field(default_factory=list)

    @property
    def failed(self) -> list[StepResult]:
        """Steps that failed or were skipped because a step they need failed."""
        return [r for r in self.results if r.status != "done"]


@dataclass
class ApplyOutcome:
    """Step results per segment, and what is still different after apply."""

    results: list[ApplyResult]
    remaining: list[str]
    unverified: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.remaining or self.unverified) and not any(r.failed for r in self.results)


def _waits_after_write(step: Step) -> bool:
    """The step writes an object whose status must be ok before what follows (the setting)."""
    kind = kind_of(step.address)
    return kind is not None and kind.after_write == "poll_status" and step.method == "PATCH"


class _Run:
    """The state of one apply of one segment plan."""

    def __init__(
        self, api: ApiClient, plan: SegmentPlan, options: ApplyOptions, progress: Progress
    ) -> None:
        self.api, self.plan, self.options, self.progress = api, plan, options, progress
        self.ids: dict[str, str] = {}
        self.results: dict[int, StepResult] = {}
        self.finished: dict[int, asyncio.Event] = {s.id: asyncio.Event() for s in plan.steps}
        self.slots = asyncio.Semaphore(max(1, options.parallelism))
        self.running: set[int] = set()  # steps sent and not finished
        # the setting as the plan saw it live: what a concurrent writer's change is told by
        self.setting_base: Body | None = next(
            (c.before for c in plan.changes if c.address == SETTING and c.before), None
        )

    async def run(self) -> ApplyResult:
        try:
            await asyncio.gather(*(self._run_step(step) for step in self.plan.steps))
        # Ctrl-C: say where it stopped, then stop. Python 3.11+ cancels this task; 3.10 raises
        # KeyboardInterrupt in whichever step is running, and gather passes it on.
        except (asyncio.CancelledError, KeyboardInterrupt):
            done = sum(1 for r in self.results.values() if r.status == "done")
            self.progress(
                f"Stopped with {done} of {len(self.plan.steps)} steps done and "
                f"{len(self.running)} under way (those may or may not have been applied; the "
                "next apply reads live state first and finishes the rest)."
            )
            raise
        return ApplyResult([self.results[s.id] for s in self.plan.steps])

    async def _run_step(self, step: Step) -> None:
        for dependency in step.depends_on:
            await self.finished[dependency].wait()
        blocked = [d for d in step.depends_on if self.results[d].status != "done"]
        if blocked:
            reason = f"skipped: step {blocked[0]} ({self._address(blocked[0])}) did not succeed"
            self._finish(step, StepResult(step, "skipped", error=reason))
            return
        async with self.slots:
            self.running.add(step.id)
            clock = self.api.clock
            started = clock.monotonic()
            if _waits_after_write(step):  # the one kind of step that takes seconds
                self.progress(f"{_verb(step)} {safe(step.address)}… (then waiting for status ok)")
            try:
                object_id = await self._execute(step)
            except RtcfgError as exc:
                result = StepResult(step, "failed", clock.monotonic() - started, str(exc))
            else:
                result = StepResult(step, "done", clock.monotonic() - started, object_id=object_id)
        self._finish(step, result)

    def _address(self, step_id: int) -> str:
        return next(s.address for s in self.plan.steps if s.id == step_id)

    def _finish(self, step: Step, result: StepResult) -> None:
        self.running.discard(step.id)
        self.results[step.id] = result
        if result.status == "done" and result.object_id and step.method == "POST":
            self.ids[step.address] = result.object_id
        total = len(self.plan.steps)
        outcome = f"done in {result.seconds:.1f}s" if result.status == "done" else result.status
        self.progress(
            f"[{len(self.results)}/{total}] {_verb(step)} {safe(step.address)}… {outcome}"
        )
        self.finished[step.id].set()

    async def _execute(self, step: Step) -> str | None:
        body = self._resolved_body(step)
        if step.method == "POST":
            return await self._create(step, body)
        if step.method == "DELETE":
            await self.api.delete(step.path)
            return None
        if _waits_after_write(step):
            await self._patch_setting(step.path, body or {})
            return None
        await self._patch(step.path, body)
        return None

    def _resolved_body(self, step: Step) -> Body | None:
        if step.body is None:
            return None
        body: Body = json_copy(step.body)
        for path, address in step.refs.items():
            if address not in self.ids:
                raise StepFailed(f"the id of {address} is not known (its step did not run)")
            set_path(body, path, self.ids[address])
        return body

    # --- creates: never a duplicate ------------------------------------------------------------

    async def _create(self, step: Step, body: Body | None) -> str:
        try:
            created = await self.api.post(step.path, body)
        except WriteOutcomeUnknown:
            found = await self._look_up(step)
            if found is not None:
                return found
            self.progress(f"{safe(step.address)}: not there after a lost answer; sending it again")
            try:
                created = await self.api.post(step.path, body)
            except WriteOutcomeUnknown as again:
                # the next apply's plan reads live state first, so it never duplicates either
                raise StepFailed(f"not created after a lookup and one more try: {again}") from None
        return _id_of(created, step)

    async def _look_up(self, step: Step) -> str | None:
        """The id of the object a lost POST may have made, found by name / identifier."""
        if not step.lookup:
            return None
        base = step.path.rsplit("/", 1)[0]
        items = await self.api.list_all(f"{base}/{step.lookup['collection']}")
        for item in items:
            if item.get(step.lookup["field"]) == step.lookup["value"]:
                return str(item["id"])
        return None

    # --- updates --------------------------------------------------------------------------------

    async def _patch(self, path: str, body: Body | None) -> None:
        try:
            await self.api.patch(path, body)
        except WriteOutcomeUnknown:
            # a PATCH carries the whole change, so sending it once more is harmless
            await self.api.patch(path, body)

    async def _patch_setting(self, path: str, body: Body) -> None:
        """PATCH the whole setting, re-planned onto live state before every attempt
        (``setting_merge``): the live setting is read first, and when someone else changed
        it since the plan, their change is kept, or the step is refused. A failed attempt
        (409 while another PATCH is applied, a lost answer, a 5xx) is never resent as it
        was: the client does not retry it; this loop reads live state again and re-plans."""
        failures = 0
        while True:
            body, already = await self._rebased(path, body)
            if already:
                break
            try:
                await self.api.patch(path, body, retry=False)
                break
            except (ConflictError, WriteOutcomeUnknown, AttemptFailed) as exc:
                failures += 1
                if failures >= SETTING_ATTEMPTS:
                    raise StepFailed(f"the setting PATCH failed {failures} times: {exc}") from None
                await self.api.clock.sleep(self._setting_backoff(failures, exc))
        await self._wait_for_setting(path)
        self.setting_base = body  # what live now holds: the base of a second setting step

    def _setting_backoff(self, failures: int, exc: Exception) -> float:
        if isinstance(exc, ConflictError):
            return 0.0  # _rebased waits for the other PATCH to be applied
        retry_after = getattr(exc, "retry_after", None)
        return backoff(self.api.retry, failures, retry_after, self.api.chance)

    async def _rebased(self, path: str, body: Body) -> tuple[Body, bool]:
        """(the body to send, whether live already holds it)."""
        live: Body = await self.api.get(path)
        # only `updating` means another PATCH is being applied; not_initialized/initialized is
        # a first setup, which this PATCH starts
        patchable = (SETTING_READY, None, *SETTING_FAILED, *SETTING_NOT_CONFIGURED)
        if live.get("status") not in patchable:
            live = await self._wait_for_setting(path)
        now = comparable_setting(live)
        if now == comparable_setting(body) and live.get("status") not in SETTING_FAILED:
            return body, True  # an inconsistent setting is sent again even so (redeploy)
        base = self.setting_base
        if base is None or now == comparable_setting(base):
            return body, False
        try:
            rebased = rebase_setting(base, body, live)
        except SettingConflict as exc:
            raise StepFailed(
                "the setting was changed by someone else while this apply ran (another "
                f"apply of this parent segment?), and {exc}; nothing was sent. Run `rtcfg "
                "plan` again and review the new plan"
            ) from None
        self.progress("setting: changed live since the plan; keeping that change, re-planned")
        return rebased, comparable_setting(rebased) == now

    async def _wait_for_setting(self, path: str) -> Body:
        """Poll the setting until its status is ok; fail on a final bad status or the time limit."""
        started = last_note = self.api.clock.monotonic()
        while True:
            polled = self.api.clock.monotonic()
            setting: Body = await self.api.get(path)
            status = setting.get("status")
            if status == SETTING_READY or status is None:
                return setting
            if status in SETTING_FAILED:
                raise StepFailed(inconsistent_message(setting.get("statusDetailed")))
            elapsed = self.api.clock.monotonic() - started
            if elapsed > self.options.status_timeout:
                never = (
                    " (the first setup was never picked up)"
                    if status in SETTING_NOT_CONFIGURED
                    else ""
                )
                raise StepFailed(
                    f"the setting is still {status} after {elapsed:.0f}s{never}; check "
                    "`rtcfg status` and run apply again once it is ok"
                )
            if self.api.clock.monotonic() - last_note >= 10:
                self.progress(f"Still waiting for setting ({status})… [{elapsed:.0f}s elapsed]")
                last_note = self.api.clock.monotonic()
            await self.api.clock.sleep(self._next_poll_in(elapsed, polled))

    def _next_poll_in(self, elapsed: float, polled: float) -> float:
        """Seconds until the next poll, counted from the start of the last one (so a slow GET
        does not stretch the interval), but at least half an interval after a GET that took
        longer than one (it may have waited out a 429)."""
        interval = poll_interval(elapsed, self.options)
        return max(interval / 2, polled + interval - self.api.clock.monotonic())


def poll_interval(elapsed: float, options: ApplyOptions) -> float:
    """Seconds between the starts of two status polls, ``elapsed`` seconds into the wait."""
    return min(max(options.first_poll, elapsed * options.poll_fraction), options.max_poll)


def _verb(step: Step) -> str:
    if step.method == "POST":
        return "Creating"
    return "Deleting" if step.method == "DELETE" else "Updating"


def _id_of(created: Any, step: Step) -> str:
    if isinstance(created, dict) and created.get("id") is not None:
        return str(created["id"])
    raise StepFailed(f"POST {step.path} answered without an id")


async def apply_plan(
    api: ApiClient,
    plan: SegmentPlan,
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
) -> ApplyResult:
    """Run every step of ``plan``; ApiError and transport failures become failed steps."""
    run = _Run(api, plan, options or ApplyOptions(), progress or (lambda _: None))
    return await run.run()


__all__ = ["ApplyOptions", "ApplyOutcome", "ApplyResult", "StepResult", "apply_plan", "set_path"]
