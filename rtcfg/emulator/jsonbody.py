"""Request bodies read as hostile bytes: any JSON a client sends gets an answer, never a
dropped connection (a RecursionError or ValueError from ``json.loads`` used to end it).

Refused with 400: text that is not UTF-8 JSON, NaN/Infinity (not JSON at all), integers of
more than MAX_INT_DIGITS digits (no field of the API holds one; Python's own limit is 4300
digits, past which ``int()`` raises), and nesting deeper than MAX_DEPTH.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import bad_request

MAX_DEPTH = 64  # the deepest API body (a filterRule in a list action) needs about ten
MAX_INT_DIGITS = 30


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth_ok(value: Any) -> bool:
    """No container nested deeper than MAX_DEPTH (iterative: no recursion of its own)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                return False
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return True


def parse_json(body: bytes, what: str = "request body") -> Any:
    """The JSON value of ``body``, or a 400 ApiError that says what is wrong with it."""
    try:
        value = json.loads(body, parse_int=_int, parse_constant=_constant)
    except RecursionError:
        raise bad_request(f"{what} nests deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise bad_request(f"{what} is not valid JSON: {exc}") from None
    if not _depth_ok(value):
        raise bad_request(f"{what} nests deeper than {MAX_DEPTH} levels")
    return value
