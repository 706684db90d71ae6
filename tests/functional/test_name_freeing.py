"""A name or identifier one object gives up and another takes in the same apply.

Realtime attributes and the setting's batch (imported) attributes share display names and
identifiers (S7, ``rtcfg.engine.names``): whichever kind frees a name (delete, replace, rename, drop
from the setting) must be done before the kind that takes it. Each case applies a first
configuration, then a second, through the emulator, and checks that the second apply succeeds
and leaves nothing to plan. A circle (each waits on the other) is refused before any write.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from rtcfg.api.client import ApiClient
from rtcfg.api.live import read_live_state
from rtcfg.checks.validate import load_config_or_raise
from rtcfg.emulator.app import Emulator
from rtcfg.engine.apply import ApplyOptions, apply_plan
from rtcfg.engine.plan import SegmentPlan, build_segment_plan
from rtcfg.errors import PlanError
from rtcfg.model.translate import desired_state
from tests.emulator_transport import EmulatorTransport
from tests.functional.emulator_support import FAST, connection

PS = "1069944"  # RT enabled, nothing configured; its batch columns include city, email
OPTIONS = ApplyOptions(first_poll=0.0, max_poll=0.0, status_timeout=5.0)
HEAD = f"""parent_segment_id: "{PS}"
events:
  - {{name: pv, database: events_db, table: pageviews}}
id_stitching:
  stitching_keys: [{{name: td_client_id}}]
attributes:
"""


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


class Segment:
    """One emulator in this process; plan and apply go through the real client."""

    def __init__(self, tmp_path: Path) -> None:
        self.transport = EmulatorTransport(Emulator(update_seconds=0.0))
        self.file = tmp_path / "rt_config.yaml"

    def run(self, action: Any) -> Any:
        async def main() -> Any:
            async with ApiClient(
                connection("http://127.0.0.1:9"), retry=FAST, transport=self.transport
            ) as api:
                return await action(api)

        return asyncio.run(main())

    def plan(self, attributes: str) -> SegmentPlan:
        self.file.write_text(HEAD + attributes, encoding="utf-8")
        desired = desired_state(load_config_or_raise(self.file, {}))

        async def make(api: ApiClient) -> SegmentPlan:
            live = await read_live_state(api, PS)
            return build_segment_plan(desired, live, config_file="rt.yaml", config_sha256="-")

        result: SegmentPlan = self.run(make)
        return result

    def apply(self, attributes: str) -> list[str]:
        """The errors of the failed steps (none: it worked)."""
        plan = self.plan(attributes)
        result = self.run(lambda api: apply_plan(api, plan, OPTIONS))
        return [str(r.error) for r in result.failed]


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
