"""Hostile live state shared by the tests that render it: a seed whose names carry newlines,
ANSI and OSC escapes, bidi overrides and markdown/HTML, and the checks that output is inert."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

from rtcfg.safe_text import first_unsafe

# a config for the populated segment that manages nothing but the ext lookup key
EMPTY_CONFIG = 'parent_segment_id: "1069935"\nid_stitching:\n  ext_lookup_key: customer_id\n'


FORGED = "pv\x1b[2K\rPlan: 0 to create, 0 to update, 0 to replace, 0 to delete.\n\u202eeno"


HTML = "x</code></summary><img src=x onerror=alert(1)>```~~~~"


def hostile_seed() -> dict[str, Any]:
    text = resources.files("rtcfg.emulator").joinpath("seed.json").read_text()
    seed: dict[str, Any] = copy.deepcopy(json.loads(text))
    populated = next(p for p in seed["parentSegments"] if p["id"] == "1069935")
    populated["name"] = "ACME\x1b]0;pwned\x07\u202e"
    populated["realtime"]["keyEvents"][0]["name"] = FORGED
    populated["realtime"]["keyEvents"][1]["description"] = HTML
    populated["realtime"]["attributes"][0]["name"] = "Last\nPlan: 9 to create"
    return seed


def outside_fences(markdown: str) -> str:
    """The markdown that a renderer reads as markdown/HTML: everything but fenced blocks."""
    kept, fence = [], None
    for line in markdown.splitlines():
        if fence is None and re.fullmatch(r"`{3,}|~{3,}", line):
            fence = line
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    assert fence is None, "a fence is never closed"
    return "\n".join(kept)


def assert_inert(text: str) -> None:
    """No control or format character but line breaks, and no forged line."""
    for line in text.splitlines():
        assert first_unsafe(line) is None, repr(line)
    plan_lines = [line for line in text.splitlines() if line.lstrip().startswith("Plan: ")]
    assert len(plan_lines) <= 1, plan_lines
