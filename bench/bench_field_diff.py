"""Field-level deltas: rtcfg's own ``field_changes`` against deepdiff, on the same bodies.

The product's stack names deepdiff for the diff. This measures whether it earns its place for
the field deltas of a plan: both are run over the comparable before/after pairs of a plan that
updates every object of a large segment (the setting with 40 key columns and 20 event tables,
100 key events, 600 attributes whose aggregations and sub-durations have identities), and
deepdiff is given what rtcfg needs: order ignored, list items matched by identity
(``iterable_compare_func``). Ratios in one run, medians of 5; nothing is asserted.

Run: ``python bench/bench_field_diff.py`` (needs the dev extra, which installs deepdiff).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import CannotCompare

from rtcfg.engine.diff import field_changes, keyed_lists
from rtcfg.model.kinds import attribute, key_event, setting

Pair = tuple[dict[str, Any], dict[str, Any]]


def _setting(version: int) -> dict[str, Any]:
    return {
        "keyColumns": [
            {"name": f"key_{i}", "validRegexp": f"^v{version % 2}.*$", "invalidTexts": ["x"]}
            for i in range(40)
        ],
        "eventTables": [{"database": "db", "table": f"t{(i + version) % 25}"} for i in range(20)],
        "batchAttributes": [{"column": f"c{i}", "name": None} for i in range(10)],
        "extLookupKey": "td_client_id",
    }


def _key_event(i: int, version: int) -> dict[str, Any]:
    rule = {"type": "And", "conditions": [{"type": "Value", "value": f"v{i}-{version}"}]}
    return {"name": f"ke_{i}", "databaseName": "db", "tableName": f"t{i % 20}", "filterRule": rule}


def _attribute(i: int, version: int) -> dict[str, Any]:
    if i % 2:
        return {
            "name": f"Attr {i}",
            "identifier": f"attr_{i}",
            "type": "counter",
            "description": f"v{version}",
            "duration": {"value": 7 + version, "unit": "day"},
            "subDurations": [
                {"identifier": f"d{j}", "value": j + version, "unit": "day"} for j in range(4)
            ],
        }
    return {
        "name": f"Attr {i}",
        "identifier": f"attr_{i}",
        "type": "list",
        "idColumn": "product_id",
        "fields": ["a", "b", "c"][: 2 + version],
        "maxItems": 100,
        "duration": {"value": 60, "unit": "day"},
        "aggregations": [
            {"identifier": f"g{j}", "type": "last", "column": f"col{j + version}"} for j in range(3)
        ],
    }


def pairs() -> list[Pair]:
    out: list[Pair] = [(setting.comparable(_setting(0)), setting.comparable(_setting(1)))]
    out += [
        (key_event.comparable(_key_event(i, 0)), key_event.comparable(_key_event(i, 1)))
        for i in range(100)
    ]
    out += [
        (attribute.comparable(_attribute(i, 0)), attribute.comparable(_attribute(i, 1)))
        for i in range(600)
    ]
    return out


def _by_identity(first: Any, second: Any, level: Any = None) -> bool:
    """deepdiff's hook: two list items are the same item when their identity agrees."""
    for identity in keyed_lists().values():
        if isinstance(first, dict) and isinstance(second, dict):
            try:
                return identity(first) == identity(second) and identity(first) != "None"
            except (KeyError, TypeError):
                continue
    raise CannotCompare() from None


def with_rtcfg(items: list[Pair]) -> int:
    return sum(len(field_changes(before, after)) for before, after in items)


def with_deepdiff(items: list[Pair]) -> int:
    total = 0
    for before, after in items:
        delta = DeepDiff(before, after, ignore_order=True, iterable_compare_func=_by_identity)
        total += sum(len(v) for v in delta.values())
    return total


def median_seconds(run: Callable[[list[Pair]], int], items: list[Pair], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run(items)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    items = pairs()
    ours, theirs = median_seconds(with_rtcfg, items), median_seconds(with_deepdiff, items)
    print(f"{len(items)} before/after pairs of one plan (medians of 5)")
    print(f"  rtcfg field_changes:   {ours * 1000:8.1f} ms, {with_rtcfg(items)} field deltas")
    print(f"  deepdiff (keyed):      {theirs * 1000:8.1f} ms, {with_deepdiff(items)} deltas")
    print(f"  deepdiff / rtcfg:      {theirs / ours:8.1f}x")


if __name__ == "__main__":
    main()
