"""The emulator's HTTP types: a request, the keys it accepts, a handler and a route.

Every API family (CDP in :mod:`.cdp`, TD API v3 in :mod:`.v3`) imports these and declares its
own route table; :mod:`.router` concatenates the tables. Nothing here imports a family.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .state import Store

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass
class Request:
    """One request as the emulator sees it: the path is unquoted, the query kept raw."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Auth:
    """The keys accepted: any non-empty TD1 key when ``api_key`` is None."""

    api_key: str | None = None
    read_only_key: str | None = None


# (store, request, parsed query, the path's match) → the JSON body of a 200
Handler = Callable[["Store", Request, dict[str, str], re.Match[str]], Any]


class Route(NamedTuple):
    """A path pattern (anchored at both ends), its methods, handler and query parameters."""

    pattern: re.Pattern[str]
    methods: tuple[str, ...]
    handler: Handler
    query: tuple[str, ...] = ()


def route(
    pattern: str, methods: tuple[str, ...], handler: Handler, query: tuple[str, ...] = ()
) -> Route:
    """A :class:`Route` from a regex text (``$`` added)."""
    return Route(re.compile(pattern + "$"), methods, handler, query)
