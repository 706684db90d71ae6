"""The API's filter budget, kept in every state that apply passes through.

The API checks on every write that all filterRules of a parent segment's key events and
attributes (their ``actions`` too) total at most ``MAX_FILTER_CHARS`` characters. A file within
that limit can still cross it part-way through apply, when a step that adds characters (a
create, a PATCH that lengthens a filter) lands before one that frees them (a delete, a PATCH
that shortens a filter). Apply starts a step once the steps it ``depends_on`` are done, so
the states it may pass through are the sets of done steps that hold every dependency of each
of their steps; the worst of them is a maximum-weight closure, found here by a minimum cut.

When the plan's own order could cross the limit, every step that adds characters waits on
every step that frees some, where that makes no circle; if even that order can cross it, the
plan is refused, naming the objects, before anything is sent. A plan under no such pressure
keeps its order untouched.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from rtcfg.checks.limits import MAX_FILTER_CHARS
from rtcfg.engine.graph import ChangeGraph
from rtcfg.errors import PlanError
from rtcfg.model.kinds import all_kinds, kind_of
from rtcfg.model.state import Body, State
from rtcfg.model.translate import filter_rule_length
from rtcfg.safe_text import safe

Key = tuple[int, str]  # a plan step before it has an id: (stage, address)


class BudgetStep(Protocol):
    """What this module reads of a step being planned."""

    method: str
    needs: set[Key]

    @property
    def address(self) -> str: ...

    @property
    def key(self) -> Key: ...


def filter_chars(body: Body | None) -> int:
    """Characters an object's filters count: its filterRule and those of its actions."""
    if not body:
        return 0
    actions = body.get("actions")
    rules = [body.get("filterRule")]
    rules += [a.get("filterRule") for a in actions or [] if isinstance(a, dict)]
    return sum(filter_rule_length(r) for r in rules if isinstance(r, dict))


def live_total(live: State) -> int:
    """Characters the live filters of a parent segment count now."""
    counted = [k for k in all_kinds() if k.filter_budget]
    return sum(filter_chars(o.body) for k in counted for o in live.of(k.name).values())


def step_weight(method: str, address: str, graph: ChangeGraph) -> int:
    """Characters a step adds to the total (negative: frees); 0 for the setting."""
    kind = kind_of(address)
    if kind is None or not kind.filter_budget:
        return 0
    name = address.partition(".")[2]
    before = after = 0
    if method in ("DELETE", "PATCH"):
        # a DELETE names the live object; a PATCH the desired one, maybe renamed from another
        live_name = name if method == "DELETE" else graph.matches[kind.name][name]
        before = filter_chars(graph.live.of(kind.name)[live_name].body)
    if method in ("POST", "PATCH"):
        after = filter_chars(graph.desired.of(kind.name)[name].body)
    return after - before


def fit_filter_budget(
    steps: Sequence[BudgetStep], graph: ChangeGraph, limit: int = MAX_FILTER_CHARS
) -> dict[Key, set[Key]]:
    """The waits to add so that no state apply may pass through exceeds ``limit`` (none when
    the plan's order already keeps it); refuses the plan when no order found does."""
    weights = {s.key: step_weight(s.method, s.address, graph) for s in steps}
    base = live_total(graph.live)
    if base + sum(w for w in weights.values() if w > 0) <= limit:
        return {}  # even every addition at once fits: no pressure, nothing changes
    needs = {s.key: {n for n in s.needs if n in weights} for s in steps}
    peak, _ = worst_state(weights, needs)
    if base + peak <= limit:
        return {}
    added = freeing_first(weights, needs)
    peak, done = worst_state(weights, needs)
    if base + peak > limit and peak > 0:
        raise PlanError(_refusal(graph, weights, done, base + peak, limit))
    return added


def freeing_first(weights: Mapping[Key, int], needs: dict[Key, set[Key]]) -> dict[Key, set[Key]]:
    """Make each adding step wait on each freeing step, in plan order, unless the freeing
    step already waits on it (directly or not): that would be a circle. Greedy, in a fixed
    order, so one plan always gets the same waits. Updates ``needs``."""
    adding = sorted(k for k, w in weights.items() if w > 0)
    freeing = sorted(k for k, w in weights.items() if w < 0)
    added: dict[Key, set[Key]] = {}
    for free in freeing:
        for add in adding:
            if free in waited_on(add, needs) or add in waited_on(free, needs):
                continue  # already waits on it, or would wait on itself
            needs[add].add(free)
            added.setdefault(add, set()).add(free)
    return added


def waited_on(start: Key, needs: Mapping[Key, set[Key]]) -> set[Key]:
    """Every step ``start`` waits on, directly or through others."""
    seen: set[Key] = set()
    todo = [start]
    while todo:
        for other in needs.get(todo.pop(), set()) - seen:
            seen.add(other)
            todo.append(other)
    return seen


def worst_state(weights: Mapping[Key, int], needs: Mapping[Key, set[Key]]) -> tuple[int, set[Key]]:
    """The most characters a set of done steps (each with all it waits on) can add, and the
    weighted steps of such a set: a maximum-weight closure, by minimum cut."""
    weighted = [k for k, w in weights.items() if w]
    gain = sum(w for w in weights.values() if w > 0)
    capacity: dict[object, dict[object, int]] = {"source": {}, "sink": {}}
    for k in weighted:
        capacity.setdefault(k, {})
        if weights[k] > 0:
            _edge(capacity, "source", k, weights[k])
        else:
            _edge(capacity, k, "sink", -weights[k])
        for before in waited_on(k, needs) & set(weighted):
            _edge(capacity, k, before, gain + 1)  # "infinite": a done step's needs are done
    flow = _max_flow(capacity)
    reached = _reachable(capacity, "source")
    return gain - flow, {k for k in weighted if k in reached}


def _edge(capacity: dict[object, dict[object, int]], a: object, b: object, c: int) -> None:
    capacity.setdefault(a, {})[b] = capacity.get(a, {}).get(b, 0) + c
    capacity.setdefault(b, {}).setdefault(a, 0)


def _max_flow(capacity: dict[object, dict[object, int]]) -> int:
    """Edmonds-Karp; leaves the residual capacities in ``capacity``."""
    total = 0
    while True:
        node: object
        parents: dict[object, object] = {"source": "source"}
        queue: deque[object] = deque(["source"])
        while queue and "sink" not in parents:
            node = queue.popleft()
            for nxt, left in capacity[node].items():
                if left > 0 and nxt not in parents:
                    parents[nxt] = node
                    queue.append(nxt)
        if "sink" not in parents:
            return total
        path: list[tuple[object, object]] = []
        node = "sink"
        while node != "source":
            path.append((parents[node], node))
            node = parents[node]
        push = min(capacity[a][b] for a, b in path)
        for a, b in path:
            capacity[a][b] -= push
            capacity[b][a] += push
        total += push


def _reachable(capacity: Mapping[object, Mapping[object, int]], start: object) -> set[object]:
    seen, todo = {start}, [start]
    while todo:
        for nxt, left in capacity[todo.pop()].items():
            if left > 0 and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _refusal(
    graph: ChangeGraph, weights: Mapping[Key, int], done: set[Key], peak: int, limit: int
) -> str:
    adders = _listed(weights, [k for k in sorted(done) if weights[k] > 0])
    freers = [k for k in sorted(weights) if weights[k] < 0 and k not in done]
    if freers:
        why = (
            f"{adders} can be written while the filters of {_listed(weights, freers)} are "
            "still there: freeing them has to wait on steps that add characters"
        )
    else:
        why = f"{adders} add characters and nothing this plan frees can come first"
    return (
        f"parent segment {graph.desired.parent_segment_id}: part-way through apply its filters "
        f"could total {peak} characters, and the API checks at every write that they stay "
        f"within {limit}; {why}. Apply in two steps: first a configuration that only frees "
        "characters (drop or shorten filters; move attributes off a key event that goes), "
        "then this one; or shorten a filter here"
    )


def _listed(weights: Mapping[Key, int], keys: Iterable[Key]) -> str:
    return ", ".join(f"{safe(k[1])} ({weights[k]:+d} characters)" for k in keys)
