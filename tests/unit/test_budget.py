"""rtcfg.engine.budget on plan data: the worst state apply may pass through, and the waits added."""

from __future__ import annotations

import itertools
import random

from rtcfg.engine.budget import Key, freeing_first, waited_on, worst_state
from rtcfg.engine.plan import SegmentPlan
from tests.builders import desired, emulated_live, outline, plan, step

EVENTS = [{"name": "a", "database": "events_db", "table": "pageviews"}]


def filtered(name: str, length: int) -> dict[str, object]:
    """A key event whose filter pattern is ``length`` characters long."""
    return {
        "name": name,
        "database": "events_db",
        "table": "pageviews",
        "filter": {"field": "td_url", "pattern": "x" * length},
    }


def patterns(a: int, b: int) -> SegmentPlan:
    """Key event a's pattern goes from 400 to ``a`` characters, b's from 200 to ``b`` (each
    filter counts about 110 characters more than its pattern)."""
    live = emulated_live(desired(events=[filtered("a", 400), filtered("b", 200)], attributes=[]))
    return plan(desired(events=[filtered("a", a), filtered("b", b)], attributes=[]), live)


def test_without_pressure_the_order_is_left_alone() -> None:
    segment = patterns(100, 250)  # at worst (b first) 400 + 250 + 2 * 110 < 1000
    assert step(segment, "key_event.b").depends_on == []
    assert outline(segment) == [
        (1, 4, "PATCH", "key_event.a", []),
        (2, 4, "PATCH", "key_event.b", []),
    ]


def test_under_pressure_the_lengthened_filter_waits_on_the_shortened_one() -> None:
    segment = patterns(100, 550)  # b first: 400 + 550 + 2 * 110 > 1000; a first: 870
    assert segment.steps == sorted(segment.steps, key=lambda s: s.id)
    lengthened, shortened = step(segment, "key_event.b"), step(segment, "key_event.a")
    assert lengthened.depends_on == [shortened.id]
    assert shortened.depends_on == []


def brute_force(weights: dict[Key, int], needs: dict[Key, set[Key]]) -> int:
    """The best sum over every set of steps that holds what each of its steps waits on."""
    keys = list(weights)
    best = 0
    for size in range(1, len(keys) + 1):
        for chosen in itertools.combinations(keys, size):
            done = set(chosen)
            if all(needs[k] <= done for k in done):
                best = max(best, sum(weights[k] for k in done))
    return best


def random_plan(seed: int) -> tuple[dict[Key, int], dict[Key, set[Key]]]:
    """Up to eight steps, weights in -5..5 (zeros too), each waiting on some earlier ones."""
    rng = random.Random(seed)
    keys: list[Key] = [(rng.randint(1, 6), f"s{i}") for i in range(rng.randint(1, 8))]
    weights = {k: rng.randint(-5, 5) for k in keys}
    needs = {k: {e for e in keys[:i] if rng.random() < 0.3} for i, k in enumerate(keys)}
    return weights, needs


def test_the_worst_state_is_the_best_closure_found_by_brute_force() -> None:
    for seed in range(300):
        weights, needs = random_plan(seed)
        peak, done = worst_state(weights, needs)
        assert peak == brute_force(weights, needs), seed
        assert sum(weights[k] for k in done) == peak, seed
        for key in done:  # what a done step waits on is done (or adds nothing)
            assert all(weights[k] == 0 or k in done for k in waited_on(key, needs)), seed


def test_freeing_first_never_makes_a_circle_and_never_raises_the_peak() -> None:
    for seed in range(300):
        weights, needs = random_plan(seed)
        before, _ = worst_state(weights, needs)
        freeing_first(weights, needs)
        after, _ = worst_state(weights, needs)
        assert after <= before, seed
        for key in needs:  # no step waits on itself through others
            seen, todo = set(), list(needs[key])
            while todo:
                other = todo.pop()
                assert other != key, seed
                if other not in seen:
                    seen.add(other)
                    todo.extend(needs[other])


def test_a_freeing_step_that_waits_on_an_adding_one_keeps_its_order() -> None:
    free, add, other = (6, "key_event.a"), (5, "attribute.l"), (5, "attribute.s")
    weights = {free: -300, add: 200, other: 400}
    needs: dict[Key, set[Key]] = {free: {add}, add: set(), other: set()}
    assert worst_state(weights, needs)[0] == 600
    assert freeing_first(weights, needs) == {other: {free}}
    assert worst_state(weights, needs) == (300, {add, other, free})
