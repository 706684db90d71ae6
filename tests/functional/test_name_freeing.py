"""A name or identifier one object gives up and another takes in the same apply.

Realtime attributes and the setting's batch (imported) attributes share display names and
identifiers (S7, ``rtcfg.engine.names``): whichever kind frees a name (delete, replace, rename, drop
from the setting) must be done before the kind that takes it. Each case applies a first
configuration, then a second, through the emulator, and checks that the second apply succeeds
and leaves nothing to plan. A circle (each waits on the other) is refused before any write.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcfg.errors import PlanError
from tests.functional.emulator_support import Segment


def realtime(name: str, identifier: str = "x") -> str:
    return (
        f"  - {{name: {name}, identifier: {identifier}, type: single, source_event: pv, "
        "source_field: td_url}\n"
    )


def batch(name: str, column: str = "city") -> str:
    return f"  - {{name: {name}, column: {column}, type: imported_batch}}\n"


CASES = {
    # the example: a rename frees 'b', a new batch attribute takes it
    "realtime renamed, batch takes its old name": (realtime("b"), realtime("a") + batch("b")),
    "realtime deleted, batch takes its name": (realtime("b"), batch("b")),
    "realtime replaced, batch takes its name": (
        realtime("b"),
        realtime("a", "y") + batch("b"),
    ),
    "realtime deleted, batch takes its identifier": (realtime("b", "city"), batch("c")),
    "batch dropped, realtime takes its name": (batch("b"), realtime("b")),
    "batch renamed, realtime renamed to its old name": (
        realtime("a") + batch("b"),
        realtime("b") + batch("c"),
    ),
    "batch dropped, realtime takes its identifier": (batch("b"), realtime("c", "city")),
    "two renames and a new batch in a chain": (
        realtime("b") + realtime("c", "y"),
        realtime("a") + realtime("b", "y") + batch("c", "email"),
    ),
}


@pytest.mark.parametrize(("before", "after"), CASES.values(), ids=CASES.keys())
def test_the_name_is_freed_before_it_is_taken(tmp_path: Path, before: str, after: str) -> None:
    segment = Segment(tmp_path)
    assert segment.apply(before) == []
    assert segment.apply(after) == []
    assert segment.plan(after).empty


def test_a_rename_and_a_batch_attribute_waiting_on_each_other_are_refused(
    tmp_path: Path,
) -> None:
    """The rename to 'a' needs the setting to drop batch 'a'; the setting's new batch 'b'
    needs the rename to free 'b'."""
    segment = Segment(tmp_path)
    assert segment.apply(realtime("b") + batch("a", "email")) == []
    with pytest.raises(PlanError, match=r"circle \(setting → attribute\.x → setting\)"):
        segment.plan(realtime("a") + batch("b"))
