"""Limits of the API measured on the API form of a value (the translated body), not the YAML.

The API allows 1000 characters of filters in all, counted as compact JSON rules; a ``filter:``
sugar counts as the rule it becomes, so the count comes from ``rtcfg.model.translate``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rtcfg.config.models import Config
from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import Problem
from rtcfg.model.translate import filter_rule_length, filter_text_length

MAX_FILTER_CHARS = 1000


def check_filter_length(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    """All filters together stay within the API's 1000-character limit; the problem is placed
    at the filter that crosses it, in file order (events, then attributes)."""
    total = 0
    for path, length in _filter_lengths(config, doc):
        if total + length > MAX_FILTER_CHARS:
            yield doc.problem(
                path,
                f"this filter ({length} characters) brings all filters to {total + length} "
                f"characters; the API allows {MAX_FILTER_CHARS} in all",
                "each filter counts as its compact JSON rule (about 100 characters plus column "
                "and pattern); shorten the patterns or drop some filters",
                key=True,
            )
            return
        total += length


def _filter_lengths(config: Config, doc: LoadedDocument) -> Iterator[tuple[KeyPath, int]]:
    """(where each filter is written, the characters it counts), for filters that count."""
    counted: list[tuple[str, str, str, int]] = [
        ("events", e.name, "filter" if e.filter else "filter_rule", filter_text_length(e))
        for e in config.events
    ]
    counted += [
        ("attributes", a.name, "filter_rule", filter_rule_length(a.filter_rule))
        for a in config.attributes
    ]
    data = doc.data if isinstance(doc.data, dict) else {}
    for section, name, key, length in counted:
        if length:
            index = _index_by_name(data.get(section), name)
            yield ((section, index, key) if index is not None else (section,)), length


def _index_by_name(items: Any, name: str) -> int | None:
    # config lists can be shorter than the file's when items with errors were dropped
    if not isinstance(items, list):
        return None
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == name:
            return index
    return None
