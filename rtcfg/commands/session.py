"""The one way a command runs its API work: an ``ApiSession`` (one event loop, one client).

Answers of an unexpected shape become a ``TransportError`` here (``guard_answers``), and
cancelled reads stay quiet (``quiet_cancelled_reads``), for every command alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rtcfg.api.client import ApiClient, quiet_cancelled_reads
from rtcfg.api.connection import Connection
from rtcfg.errors import TransportError
from rtcfg.safe_text import safe

T = TypeVar("T")
DEFAULT_DEADLINE = 600.0  # seconds a call's requests may take before they give up

# What code that reads an answer raises when the answer is not of the shape the API
# documents (a list where an object belongs, a number for a name): a wrong endpoint, a proxy,
# a broken server. Bytes from a server are hostile: a message, never a traceback.
_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError)


async def guard_answers(work: Awaitable[T]) -> T:
    """``await work``; an answer of an unexpected shape becomes a TransportError."""
    try:
        return await work
    except _SHAPE_ERRORS as exc:
        raise TransportError(
            "an answer of the API has a shape rtcfg does not understand "
            f"({type(exc).__name__}: {safe(str(exc))[:200]}): is --endpoint right? "
            "(-v lists the requests)"
        ) from None


class ApiSession:
    """One event loop and one API client for all the API work of a command, so that apply
    reuses the connections its plan opened, and the check after it those of the writes (over
    https every new connection costs a TLS handshake). Between two ``run`` calls the loop is
    idle: a confirmation prompt in between works as usual, and Ctrl-C inside a call cancels
    it cleanly (``asyncio.Runner``). Each call has its own deadline. Python 3.10 has no
    ``asyncio.Runner``; there each call runs on its own loop with its own client."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        runner = getattr(asyncio, "Runner", None)  # Python 3.11+
        # typed Any: the type checker reads the 3.10 standard library, which has no Runner
        self._runner: Any = runner() if runner is not None else None
        self._api: ApiClient | None = None

    def run(
        self,
        work: Callable[[ApiClient], Awaitable[T]],
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> T:
        """``await work(api)`` and return its result; requests give up after ``deadline``."""
        if self._runner is None:
            return asyncio.run(self._with_own_client(work, deadline))
        if self._api is None:
            quiet_cancelled_reads(self._runner.get_loop())
            self._api = ApiClient(self.connection, deadline=deadline)  # first: close() closes it
            self._runner.run(self._api.__aenter__())
        self._api.set_deadline(deadline)
        result: T = self._runner.run(guard_answers(work(self._api)))
        return result

    async def _with_own_client(
        self, work: Callable[[ApiClient], Awaitable[T]], deadline: float | None
    ) -> T:
        quiet_cancelled_reads(asyncio.get_running_loop())
        async with ApiClient(self.connection, deadline=deadline) as api:
            return await guard_answers(work(api))

    def close(self) -> None:
        """Close the client's connections and the loop (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            if self._api is not None:
                runner.run(self._api.aclose())
        finally:
            runner.close()

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def run_once(
    connection: Connection,
    work: Callable[[ApiClient], Awaitable[T]],
    deadline: float | None = DEFAULT_DEADLINE,
) -> T:
    """A command with one piece of API work: a session for just that."""
    with ApiSession(connection) as session:
        return session.run(work, deadline)
