"""The API's 1000-character filter limit holds in every state apply passes through.

The API checks the total of all filters on every write, so a second configuration within the
limit can still cross it part-way through apply when a step that adds characters lands before
one that frees them. Each case applies a first configuration, then a second, through the
emulator: the second apply succeeds and leaves nothing to plan, and the plan makes the step
that adds characters wait on the one that frees them. Where no order keeps the limit, the
plan is refused before any write.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcfg.engine.plan import SegmentPlan
from rtcfg.errors import PlanError
from rtcfg.model.translate import filter_rule_from_sugar, filter_rule_length
from tests.functional.emulator_support import PS, Segment

FIELD = "td_url"
HEAD = f"""parent_segment_id: "{PS}"
id_stitching:
  stitching_keys: [{{name: td_client_id}}]
"""


class Whole(Segment):
    """A segment planned from whole configuration files."""

    def plan(self, text: str) -> SegmentPlan:
        self.file.write_text(text, encoding="utf-8")
        return self.plan_file(self.file, "rt.yaml")

    def writes(self) -> int:
        requests = self.emulator.requests()
        return sum(1 for r in requests if r["method"] in ("POST", "PATCH", "DELETE"))


def pattern(chars: int) -> str:
    """A regexp whose filter counts exactly ``chars`` characters."""
    bare = filter_rule_length(filter_rule_from_sugar(FIELD, ""))
    return "^" + "x" * (chars - bare - 1)


def event(name: str, chars: int = 0) -> str:
    line = f"  - {{name: {name}, database: events_db, table: pageviews"
    return line + (
        f", filter: {{field: {FIELD}, pattern: '{pattern(chars)}'}}}}\n" if chars else "}\n"
    )


def single(name: str, source: str, chars: int = 0) -> str:
    text = f"  - name: {name}\n    type: single\n    source_event: {source}\n"
    text += f"    source_field: {FIELD}\n"
    if chars:
        operator = f"{{type: Regexp, not: false, rightValue: '{pattern(chars)}'}}"
        text += (
            "    filter_rule: {type: And, conditions: [{type: Column, "
            f"column: {FIELD}, operator: {operator}}}]}}\n"
        )
    return text


def listed(name: str, source: str, clear_on: str) -> str:
    return (
        f"  - name: {name}\n    type: list\n    source_event: {source}\n"
        f"    source_field: {FIELD}\n    aggregations: []\n    max_items: 1\n"
        f"    expiry_days: 1m\n    actions:\n      - action: clear\n"
        f"        source_event: {clear_on}\n"
    )


def config(events: str, attributes: str) -> str:
    return HEAD + "events:\n" + events + ("attributes:\n" + attributes if attributes else "")


def step(plan: SegmentPlan, method: str, address: str) -> int:
    return next(s.id for s in plan.steps if s.method == method and s.address == address)


def waits_on(plan: SegmentPlan, later: tuple[str, str], earlier: tuple[str, str]) -> bool:
    """Whether step ``later`` waits, directly or not, on step ``earlier``."""
    by_id = {s.id: s for s in plan.steps}
    target, todo, seen = step(plan, *earlier), [step(plan, *later)], set()
    while todo:
        for dependency in by_id[todo.pop()].depends_on:
            if dependency == target:
                return True
            if dependency not in seen:
                seen.add(dependency)
                todo.append(dependency)
    return False


# (first config, second config, the step that frees characters, one that must wait on it);
# the comments give the filter totals: before, after, and at worst without the wait.
CASES = {
    # key event a (350) is replaced by K (300); list 'l' must move its action from a to K
    # before a can go; new 's' (400) could land while a and K are both live
    "key event replaced, an attribute moved to it, a filtered attribute created": (
        config(event("b") + event("a", 350), listed("l", "b", "a")),
        config(event("b") + event("K", 300), listed("l", "b", "K") + single("s", "b", 400)),
        ("DELETE", "key_event.a"),
        ("POST", "attribute.s"),
    ),
    # 900 → 900; the lengthened PATCH first would make 1300
    "one key event's filter shortened, another's lengthened": (
        config(event("a_long", 300) + event("b_short", 600), ""),
        config(event("a_long", 700) + event("b_short", 200), ""),
        ("PATCH", "key_event.b_short"),
        ("PATCH", "key_event.a_long"),
    ),
    # 950 → 750; the new attribute before the shortened key event would make 1050
    "a filtered attribute replaced near the limit while a key event's filter shortens": (
        config(event("b") + event("e", 450), single("x", "b", 500)),
        config(event("b") + event("e", 150), single("x", "b", 600)),
        ("PATCH", "key_event.e"),
        ("POST", "attribute.x"),
    ),
}


@pytest.mark.parametrize(("before", "after", "freeing", "adding"), CASES.values(), ids=CASES.keys())
def test_characters_are_freed_before_they_are_taken(
    tmp_path: Path,
    before: str,
    after: str,
    freeing: tuple[str, str],
    adding: tuple[str, str],
) -> None:
    segment = Whole(tmp_path)
    assert segment.apply(before) == []
    assert waits_on(segment.plan(after), adding, freeing)
    assert segment.apply(after) == []
    assert segment.plan(after).empty


def test_a_plan_that_must_cross_the_limit_is_refused_before_any_write(tmp_path: Path) -> None:
    """The list moves its action from a (550) to K (500) before a can go: both are live."""
    segment = Whole(tmp_path)
    assert segment.apply(config(event("b") + event("a", 550), listed("l", "b", "a"))) == []
    writes = segment.writes()
    second = config(event("b") + event("K", 500), listed("l", "b", "K"))
    with pytest.raises(
        PlanError, match=r"1050 characters.*key_event\.K \(\+500.*key_event\.a \(-550.*two steps"
    ):
        segment.plan(second)
    assert segment.writes() == writes
