"""Paths into an API body, as plans write them: ``realtimeKeyEventId``, ``actions[0].x``."""

from __future__ import annotations

import json
import re
from typing import Any

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_parts(path: str) -> list[str | int]:
    """``actions[0].x`` → ``["actions", 0, "x"]``."""
    return [
        m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _PATH_PART.finditer(path)
    ]


def set_path(body: Any, path: str, value: Any) -> None:
    """Set ``value`` at a ref path such as ``realtimeKeyEventId`` or ``actions[0].x``."""
    parts = path_parts(path)
    node: Any = body
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (bodies in a plan never share objects with a State): one
    round trip through the C encoder and decoder is several times faster than deepcopy."""
    return json.loads(json.dumps(value))
