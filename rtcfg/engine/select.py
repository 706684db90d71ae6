"""``--target`` and ``--exclude``: which changes a plan keeps. Pure: no I/O.

Like Terraform: a targeted change brings what it needs; an excluded one takes what needs it
along. An object's delete cannot be dropped while objects that name it stay (that is an
error, in ``rtcfg.engine.refusals``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase

from rtcfg.engine.graph import ChangeGraph
from rtcfg.errors import PlanError
from rtcfg.model.addresses import Address
from rtcfg.model.kinds import SETTING, address_help, all_kinds


def select(graph: ChangeGraph, targets: Sequence[str], excludes: Sequence[str]) -> int:
    """Narrow ``graph`` to the selected changes; returns how many were left out."""
    check_patterns(graph, targets, "--target")
    check_patterns(graph, excludes, "--exclude")
    every = len(graph.changes)
    chosen = set(graph.by_address)
    if targets:
        chosen = closure({a for a in chosen if _matches(a, targets)}, graph, _target_needs)
    dropped = {a for a in chosen if _matches(a, excludes)}
    # each change's needs, computed once (the loop asks again after every round), and only
    # when something is excluded
    needs = {a: graph.requires(graph.by_address[a]) for a in chosen - dropped} if dropped else {}
    while dropped:
        more = {a for a in chosen - dropped if needs[a] & dropped}
        if not more:
            break
        dropped |= more
    kept = chosen - dropped
    graph.keep([c for c in graph.changes if c.address in kept])
    return every - len(graph.changes)


def _target_needs(graph: ChangeGraph, address: str) -> set[str]:
    change = graph.by_address[address]
    needs = graph.requires(change)
    if change.action == "delete":
        # an object can go only after the objects that name it
        needs |= {reader_address(graph, a) for a, _ in graph.readers(change.address)}
    return {str(a) for a in needs if a in graph.by_address}


def reader_address(graph: ChangeGraph, live_address: Address) -> Address:
    """The address of the change of a live object (renamed objects go by their new name)."""
    kind = live_address.kind
    renamed = graph.forward.get(kind, {}).get(live_address.name)
    return Address.of(kind, renamed) if renamed is not None else live_address


def _matches(address: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(address, p) for p in patterns)


def closure(
    start: set[str],
    graph: ChangeGraph,
    needs: Callable[[ChangeGraph, str], set[str]],
) -> set[str]:
    """``start`` and everything it needs, transitively."""
    seen, todo = set(start), list(start)
    while todo:
        for address in needs(graph, todo.pop()) - seen:
            seen.add(address)
            todo.append(address)
    return seen


def check_patterns(graph: ChangeGraph, patterns: Sequence[str], option: str) -> None:
    """A pattern that matches no object at all is a typo, not a request for nothing."""
    if not patterns:
        return
    known: set[str] = {SETTING, *graph.by_address}
    for kind in all_kinds():
        if not kind.singleton:
            for state in (graph.desired, graph.live):
                known |= {kind.address(i) for i in state.of(kind.name)}
    for pattern in patterns:
        if not any(fnmatchcase(a, pattern) for a in known):
            raise PlanError(
                f"{option} {pattern!r} matches nothing in the configuration or live state; "
                f"addresses are {address_help()} (* globs)"
            )
