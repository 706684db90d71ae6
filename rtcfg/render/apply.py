"""What apply did: Terraform's "Apply complete!" line, or a table of every step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rtcfg.safe_text import safe

if TYPE_CHECKING:
    from rtcfg.engine.apply import ApplyOutcome
    from rtcfg.engine.plan import Plan
from rtcfg.render.tables import table


def apply_report(plan: Plan, outcome: ApplyOutcome) -> str:
    """After apply: Terraform's "Apply complete!" line, or a table of what was done, what
    failed and why, and what was skipped, plus anything still different after the re-read."""
    if outcome.ok:
        counts: dict[str, int] = {}
        for segment in plan.segments:
            for action, count in segment.summary.items():
                counts[action] = counts.get(action, 0) + count
        done = [counts.get(a, 0) for a in ("create", "update", "replace", "delete")]
        return (
            f"Apply complete! {done[0]} created, {done[1]} updated, "
            f"{done[2]} replaced, {done[3]} deleted."
        )
    rows = [
        [r.step.id, safe(r.step.method), safe(r.step.address), r.status, safe(r.error or "")]
        for result in outcome.results
        for r in result.results
    ]
    lines = [table(rows, ["step", "method", "address", "status", "why"])]
    if outcome.remaining:
        lines.append("Still different after apply: " + ", ".join(map(safe, outcome.remaining)))
    if outcome.unverified:
        lines.append(f"Not verified: {safe(outcome.unverified)}")
    return "\n".join([*lines, _apply_verdict(outcome)])


def _apply_verdict(outcome: ApplyOutcome) -> str:
    """The last line: failed steps, a result that is still different, or one not verified
    (worded apart: "not verified" says nothing is known to be wrong, only unchecked)."""
    failed = sum(1 for result in outcome.results for _ in result.failed)
    if failed:
        return (
            f"Apply failed: {failed} step(s) not done. Fix the cause and run apply again; "
            "it finishes the rest."
        )
    if outcome.remaining:
        return (
            "Apply failed: every step was done, but the result is not what the plan "
            "meant; `rtcfg plan` shows what is left."
        )
    return (
        "Apply not verified: every step was done, but the result could not be checked; "
        "run `rtcfg plan` on the config to see where live state stands."
    )
