"""Does planning stay linear? Plan time for 60, 120, 300 and 600 attributes, in process, no HTTP.

For each size N a configuration with N attributes and N / 10 key events (the proportion of
examples/large.yaml) is generated in the manner of ``make_large_example.py``, written as YAML
and read back through rtcfg's config loader; ``rtcfg.model.translate.desired_state`` turns it
into the desired State. The live State is what ``rtcfg.api.live.build_live_state`` makes of
the API answers for the same objects with another description on every attribute, so the
plan has N attribute updates (the "updates" case); the "creates" case plans the same file
onto a segment with only its setting live. Then ``rtcfg.engine.plan.build_segment_plan`` is
timed, median of ``--runs`` runs (each as many plans as fill 0.2 s) after a warm-up.

Printed: time per attribute at each size, relative to 60, and the growth against linear,
(t600 / t60) / 10 (goal <= 1.2), twice: with Python's cyclic collector paused while timing
(the planner's own work) and running with the thresholds ``rtcfg.cli.main`` sets (what a
command pays). The two differ because a collection traverses every object alive, and a larger
plan keeps more of them alive: that share is the collector's, not an O(N^2) step of the
planner. ``--profile`` adds cProfile's top functions of the 600 updates plan.

Run: ``.venv/bin/python bench/bench_plan_scaling.py [--runs N] [--profile]``
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from _harness import environment_line, median, row
from make_large_example import FIELDS, NUMERIC, TABLES, WINDOWS

from rtcfg.api.live import build_live_state
from rtcfg.checks.validate import load_config_or_raise
from rtcfg.engine.plan import build_segment_plan
from rtcfg.model.state import State
from rtcfg.model.translate import desired_state

SIZES = (60, 120, 300, 600)
ATTRIBUTES_PER_EVENT = 10
PS_ID = "1069944"
FIRST_ID = 1000
LOOP_SECONDS = 0.2
CLI_GC_THRESHOLD = (100_000, 50, 100)  # rtcfg.cli.main


def config_data(attributes: int, description: str | None) -> dict[str, Any]:
    """rt_config.yaml as data: ``attributes`` attributes over attributes / 10 key events."""
    events = max(1, attributes // ATTRIBUTES_PER_EVENT)
    names = [f"event_{i:03d}_{TABLES[i % len(TABLES)]}" for i in range(events)]
    data: dict[str, Any] = {
        "parent_segment_id": PS_ID,
        "events": [
            {"name": name, "database": "events_db", "table": TABLES[i % len(TABLES)]}
            for i, name in enumerate(names)
        ],
        "attributes": [attribute(n, names, description) for n in range(attributes)],
        "id_stitching": {"ext_lookup_key": "customer_id"},
    }
    return data


def attribute(n: int, events: list[str], description: str | None) -> dict[str, Any]:
    """Single, list and counter attributes in turn, each reading a column of its event's table."""
    event = n % len(events)
    table = TABLES[event % len(TABLES)]
    field = FIELDS[table][n % len(FIELDS[table])]
    kind = ("single", "list", "counter")[n % 3]
    head: dict[str, Any] = {"name": f"attr_{n:04d}_{kind}", "source_event": events[event]}
    if description is not None:
        head["description"] = description
    if kind == "single":
        data_type = "number" if field in NUMERIC else "string"
        return {**head, "type": "single", "source_field": field, "data_type": data_type}
    if kind == "list":
        return {**head, "type": "list", "source_field": field, "max_items": 10 + n % 90}
    window = WINDOWS[n % len(WINDOWS)]
    return {**head, "type": "counter", "aggregation": "count", "window_duration": window}


def loaded_state(data: dict[str, Any], folder: Path) -> State:
    """The desired State of ``data``, through a YAML file and rtcfg's loader."""
    path = folder / "rt_config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return desired_state(load_config_or_raise(path, {}))


def live_of(state: State, *, with_objects: bool) -> State:
    """What read_live_state would build from the API's answers for ``state``'s objects."""
    ids = {name: str(FIRST_ID + i) for i, name in enumerate(state.key_events)}
    setting = {**copy.deepcopy(state.setting), "id": "7", "status": "ok", "statusDetailed": None}
    key_events: list[dict[str, Any]] = []
    attributes: list[dict[str, Any]] = []
    if with_objects:
        key_events = [{"id": ids[n], **ke.body} for n, ke in state.key_events.items()]
        for i, attr in enumerate(state.attributes.values()):
            body = copy.deepcopy(attr.body)
            body["realtimeKeyEventId"] = ids[str(attr.key_event)]
            attributes.append({"id": str(FIRST_ID + 10_000 + i), **body})
    return build_live_state(state.parent_segment_id, setting, key_events, attributes)


Planner = tuple[Callable[[], Any], int, Callable[[], Any]]


def planner(size: int, case: str, folder: Path) -> Planner:
    """A function that plans ``size`` attributes for ``case``, the plan's step count, and the
    baseline: a JSON round trip of each body of both States, work that is O(N) by
    construction (what it grows by beyond 10x is the machine's memory, not an algorithm)."""
    desired = loaded_state(config_data(size, None), folder)
    before = loaded_state(config_data(size, "before"), folder)
    live = live_of(before, with_objects=case == "updates")
    bodies = [o.body for s in (desired, live) for k in s.objects.values() for o in k.values()]

    def plan() -> Any:
        return build_segment_plan(
            desired, live, config_file="rt_config.yaml", config_sha256="0" * 64
        )

    def copy_bodies() -> Any:
        return [json.loads(json.dumps(body)) for body in bodies]

    return plan, len(plan().steps), copy_bodies


def median_time(plan: Callable[[], Any], runs: int, *, collector: bool) -> float:
    """Median seconds of one plan over ``runs`` runs, each of as many plans as fill
    LOOP_SECONDS (a small plan takes well under a millisecond: one timing would be noise);
    ``collector`` False pauses the cyclic collector for the timing."""
    gc.collect()
    if not collector:
        gc.disable()
    try:
        return _median_time(plan, runs)
    finally:
        gc.enable()


def _median_time(plan: Callable[[], Any], runs: int) -> float:
    start = time.perf_counter()
    plan()  # warm-up, and how long one takes
    loops = max(1, round(LOOP_SECONDS / max(time.perf_counter() - start, 1e-6)))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(loops):
            plan()
        times.append((time.perf_counter() - start) / loops)
    return median(times)


def profile(plan: Callable[[], Any], top: int = 12) -> str:
    """cProfile's top functions of one run of ``plan``, by own time, then by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(plan)
    out = io.StringIO()
    for key in ("tottime", "cumulative"):
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key)
        stats.print_stats(top)
    return out.getvalue()


def report(planners: dict[int, Planner], runs: int, *, collector: bool) -> None:
    """Rows of time per attribute for each size, and the growth against linear: raw, and
    against the baseline's own growth on the same States."""
    per_attribute: dict[int, float] = {}
    baseline: dict[int, float] = {}
    for size, (plan, steps, copy_bodies) in planners.items():
        per_attribute[size] = median_time(plan, runs, collector=collector) / size
        baseline[size] = median_time(copy_bodies, runs, collector=collector) / size
        ratio = per_attribute[size] / per_attribute[SIZES[0]]
        note = f"{steps} steps; per attribute {ratio:.2f}x that at {SIZES[0]}"
        row(f"N = {size}", f"{per_attribute[size] * 1e6:.0f} us", note, width=24)
    first, last = SIZES[0], SIZES[-1]
    growth = per_attribute[last] / per_attribute[first]
    copy_growth = baseline[last] / baseline[first]
    row(f"(t{last} / t{first}) / 10   goal <= 1.2", f"{growth:.2f}", width=40)
    row("  a JSON copy of the bodies (O(N))", f"{copy_growth:.2f}", width=40)
    row("  planning against that copy", f"{growth / copy_growth:.2f}", width=40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per size (median)")
    parser.add_argument("--profile", action="store_true", help="profile the 600 updates plan")
    parser.add_argument(
        "--python-gc",
        action="store_true",
        help="keep Python's default collector thresholds instead of the CLI's",
    )
    options = parser.parse_args()
    print(f"build_segment_plan, in process; median of {options.runs} runs; {environment_line()}")
    if not options.python_gc:
        gc.set_threshold(*CLI_GC_THRESHOLD)  # as `rtcfg plan` runs
    print(f"collector thresholds when running: {gc.get_threshold()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for case in ("updates", "creates"):
            planners = {size: planner(size, case, folder) for size in SIZES}
            for collector in (False, True):
                what = "running" if collector else "paused (the planner's own work)"
                print(
                    f"\n{case}: N attributes, N / {ATTRIBUTES_PER_EVENT} key events; "
                    f"collector {what}"
                )
                report(planners, options.runs, collector=collector)
        if options.profile:
            print(f"\ncProfile of the {SIZES[-1]} attribute updates plan")
            print(profile(planner(SIZES[-1], "updates", folder)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
