"""Plan policy: what a plan may not do without the user's explicit leave (pure, no I/O).

A replace gives an object a new id and a delete makes it gone: personalizations and journeys
that use it break, and a counter starts again from zero. So every destructive change, and
every step that destroys whatever its change says (each DELETE, each setting PATCH that drops
an imported attribute, ``rtcfg.engine.plancheck.destroying_steps``), is refused unless
``--allow-destroy`` is given; the refusal names each one, what it breaks (read when the plan
was made, ``rtcfg.api.references``) and the override.
"""

from __future__ import annotations

from collections.abc import Mapping

from rtcfg.engine.diff import SETTING
from rtcfg.engine.plan import Plan, SegmentPlan
from rtcfg.engine.plancheck import destroying_steps
from rtcfg.errors import RefusedError
from rtcfg.model.state import Body
from rtcfg.safe_text import safe

ALLOW_DESTROY = "--allow-destroy"


def refuse_destructive(
    plan: Plan, allow_destroy: bool, live_settings: Mapping[str, Body] | None = None
) -> None:
    """Replace and delete need ``--allow-destroy``; the message names each and says why.
    ``live_settings`` (parent segment → live setting) is what a saved plan is applied to; a
    fresh plan's own before is used otherwise."""
    lines: list[str] = []
    unchecked: set[str] = set()
    count = 0
    for segment in plan.segments:
        found = _destructive_lines(segment, live_settings or {})
        count += len(found)
        lines += [line for entry in found for line in entry]
        if segment.destructive and segment.references_unchecked:
            unchecked.add(safe(segment.references_unchecked))
    lines += [f"  {note}" for note in sorted(unchecked)]
    if count and not allow_destroy:
        raise RefusedError(
            f"{count} destructive change(s) need {ALLOW_DESTROY}:\n"
            + "\n".join(lines)
            + "\nA replaced object gets a new id and a deleted one is gone: personalizations and "
            "journeys that use it break, and a counter starts again from zero. Review, then run "
            f"apply again with {ALLOW_DESTROY}."
        )


def _destructive_lines(segment: SegmentPlan, live_settings: Mapping[str, Body]) -> list[list[str]]:
    """One entry of lines per destructive change or destroying step of ``segment``."""
    found = []
    flagged = {c.address for c in segment.destructive}
    for c in segment.destructive:
        entry = [f"  {c.action} {safe(c.address)}: {'; '.join(map(safe, c.reasons))}"]
        # what the change breaks (rtcfg.api.references), read when the plan was made
        entry += [f"    breaks {safe(used)}" for used in segment.breaks.get(c.address, [])]
        found.append(entry)
    before = next((c.before for c in segment.changes if c.address == SETTING), None)
    live = live_settings.get(segment.parent_segment_id, before) or {}
    for line in destroying_steps(segment, live):
        if line.split(" ", 1)[0] not in flagged:
            found.append([f"  {line}"])
    return found
