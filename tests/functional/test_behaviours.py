"""rtcfg's core flows under every value of every emulator behaviour (``--behaviour``).

Each behaviour is a reading of TD's API that the published contract leaves open. Under every
value: a first apply on a never-configured segment converges, planning again shows no change,
an import of the result plans no change, and an apply under injected faults (lost answers of
committed writes, 503, dropped connections) converges with one more apply and leaves no
duplicate. In process (the httpx transport into the emulator) to keep the matrix cheap.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rtcfg.api.client import ApiClient, RetryPolicy
from rtcfg.api.live import read_live_state
from rtcfg.emulator.app import Emulator
from rtcfg.emulator.behaviours import every_value
from rtcfg.engine.apply import ApplyOptions
from rtcfg.engine.plan import SegmentPlan
from rtcfg.model.importer import import_live
from tests.functional.emulator_support import InProcess

PS = "1070001"  # RT enabled, never configured
RETRY = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.005, max_retry_after=0.01)
OPTIONS = ApplyOptions(first_poll=0.002, max_poll=0.005, status_timeout=5.0)
HEAD = f"""parent_segment_id: "{PS}"
events:
  - name: page_view
    database: events_db
    table: pageviews
    description: Page views
    filter: {{field: td_url, pattern: "^https://"}}
  - name: add_to_cart
    database: events_db
    table: add_to_cart
"""
FIRST = (
    HEAD
    + """attributes:
  - name: last_url
    type: single
    source_event: page_view
    source_field: td_url
  - name: browsed
    type: list
    source_event: page_view
    source_field: td_url
    aggregations:
      - {name: urls, identifier: urls, column: td_url, aggregation: distinct_list}
      - {name: last, identifier: last, column: td_url, aggregation: last}
  - name: views_24h
    type: counter
    source_event: page_view
    window_duration: 24h
    sub_durations:
      - {name: views_1h, identifier: views_1h, duration: 1h}
  - name: loyalty_tier
    type: imported_batch
id_stitching:
  stitching_keys:
    - name: td_client_id
    - {name: email, invalid_texts: ["", "null"]}
  ext_lookup_key: customer_id
"""
)
# The second config changes in place what can be (descriptions, sub-durations, a list's
# aggregations) and adds objects, so the faulted apply PATCHes and POSTs.
SECOND = (
    HEAD.replace("Page views", "Every page view")
    + """attributes:
  - name: last_url
    type: single
    source_event: page_view
    source_field: td_url
    description: The last page
  - name: browsed
    type: list
    source_event: page_view
    source_field: td_url
    aggregations:
      - {name: urls, identifier: urls, column: td_url, aggregation: distinct_list}
  - name: views_24h
    type: counter
    source_event: page_view
    window_duration: 24h
    sub_durations:
      - {name: views_1h, identifier: views_1h, duration: 1h}
      - {name: views_6h, identifier: views_6h, duration: 6h}
  - name: cart_adds_7d
    type: counter
    source_event: add_to_cart
    window_duration: 7d
  - name: loyalty_tier
    type: imported_batch
  - name: email
    type: imported_batch
id_stitching:
  stitching_keys:
    - name: td_client_id
    - {name: email, invalid_texts: ["", "null"]}
  ext_lookup_key: customer_id
"""
)
FAULTS: list[dict[str, Any]] = [
    {"method": "PATCH", "path": "*/realtime_setting", "fault": "lost_response", "times": 1},
    {"method": "POST", "path": "*/realtime_key_events", "fault": "503", "times": 1},
    {"method": "POST", "path": "*/realtime_attributes", "fault": "lost_response", "times": 1},
    {"method": "PATCH", "path": "*/realtime_attributes/*", "fault": "drop", "times": 1},
    {"method": "PATCH", "path": "*/realtime_key_events/*", "fault": "lost_response", "times": 1},
]


class Segment(InProcess):
    """One emulator playing one behaviour value, and rtcfg's pipeline against it."""

    def __init__(self, behaviours: dict[str, str]) -> None:
        super().__init__(Emulator(update_seconds=0.01, behaviours=behaviours), RETRY, PS)

    def plan(self, file: Path) -> SegmentPlan:
        return self.plan_file(file)

    def apply(self, file: Path) -> list[str]:
        result = self.apply_plan(self.plan(file), OPTIONS)
        return [f"{r.step.address}: {r.error}" for r in result.failed]

    def imported(self) -> str:
        live = self.run(lambda api: read_live_state(api, PS))
        return str(import_live(live, None).text)

    def duplicates(self) -> list[str]:
        async def read(api: ApiClient) -> list[dict[str, Any]]:
            events = await api.list_all(f"/audiences/{PS}/realtime_key_events")
            attributes = await api.list_all(f"/audiences/{PS}/realtime_attributes")
            return [*events, *attributes]

        counts = Counter(str(item["name"]) for item in self.run(read))
        return [name for name, count in counts.items() if count > 1]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "value"), every_value(), ids=lambda v: str(v))
def test_core_flows_converge_under_every_behaviour(tmp_path: Path, name: str, value: str) -> None:
    seg = Segment({name: value})
    first = write(tmp_path, "first.yaml", FIRST)
    assert seg.apply(first) == []  # from not_initialized: everything is created
    assert seg.plan(first).empty, [c.address for c in seg.plan(first).changes]
    imported = write(tmp_path, "imported.yaml", seg.imported())
    assert seg.plan(imported).empty, [c.address for c in seg.plan(imported).changes]
    second = write(tmp_path, "second.yaml", SECOND)
    seg.emulator.faults.configure(script=FAULTS)
    seg.apply(second)  # may fail part way: the next apply finishes it
    seg.emulator.faults.configure(replace=True)
    assert seg.apply(second) == []
    assert seg.plan(second).empty, [c.address for c in seg.plan(second).changes]
    assert seg.duplicates() == []
    assert sum(1 for r in seg.emulator.requests() if r["fault"]) >= 3  # the faults did happen


def test_a_config_without_sensitive_sends_no_sensitive(
    tmp_path: Path, bodies_hold_to_the_contract: list[tuple[str, str, Any]]
) -> None:
    seg = Segment({"sensitive_field": "refuse"})  # a server that refuses the field
    assert seg.apply(write(tmp_path, "first.yaml", FIRST)) == []
    sent = bodies_hold_to_the_contract
    assert sent and not any("sensitive" in body for _, _, body in sent)
    asked = FIRST.replace("    source_field: td_url\n  - name: browsed", _SENSITIVE, 1)
    seg = Segment({})
    sent.clear()
    assert seg.apply(write(tmp_path, "sensitive.yaml", asked)) == []
    flagged = [body["identifier"] for _, _, body in sent if "sensitive" in body]
    assert flagged == ["last_url"]


_SENSITIVE = "    source_field: td_url\n    sensitivity: sensitive\n  - name: browsed"
