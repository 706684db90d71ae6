"""Request slots: each request in flight holds one HTTP client (and so one connection) alone.

Why not one client with a pool of ``max_connections``: httpcore's pool re-examines every
pooled connection on every request and every response (``_assign_requests_to_connections``:
an ``is_idle()`` scan of all connections inside a loop over them, and a ``poll()`` system call
per idle connection), so its CPU per request grows with the number of connections. Above 32
connections the client's CPU, not the network, set the pace: a GET 64 at a time cost 8 times
the client CPU of one 32 at a time, and ``apply --parallelism 64`` was slower than at 32
(``bench/bench_parallelism.py`` measures both). A pool of one connection per client costs the
same small constant for each request however many run.

HTTP/2 (one connection, many streams) avoids the scan too, and measured the same: against one
HTTP/1.1 + HTTP/2 server (50 ms per answer), 216 GETs 64 at a time took as long and as much
client CPU either way. It was not chosen because it needs three more packages (``h2``,
``hpack``, ``hyperframe``), helps only where the server offers it (over TLS, by ALPN; plain
http, the emulator's, would need prior knowledge) and falls back to the shared pool where it
does not: slots work with every server and proxy.

Slots are created when a request finds none free, up to ``size``, and reused last-in first-out,
so the most recently used, warmest connection goes first (over https, a new connection costs
a TLS handshake). A request beyond ``size`` waits for a slot to come free.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class SlotTimeout(Exception):
    """No slot came free in time: the request was never sent."""


class Slots(Generic[T]):
    """At most ``size`` objects made by ``make``, each lent to one user at a time."""

    def __init__(self, make: Callable[[], T], size: int) -> None:
        self._make = make
        self._free = asyncio.Semaphore(max(1, size))
        self._idle: list[T] = []
        self._made: list[T] = []

    @asynccontextmanager
    async def lend(self, timeout: float) -> AsyncIterator[T]:
        """One object for the duration of the block; :class:`SlotTimeout` after ``timeout``
        seconds without one free."""
        if self._free.locked():  # wait_for only when there is something to wait for
            try:
                await asyncio.wait_for(self._free.acquire(), timeout)
            except asyncio.TimeoutError:
                raise SlotTimeout(f"no connection came free in {timeout:g}s") from None
        else:
            await self._free.acquire()
        try:
            item = self._idle.pop() if self._idle else self._new()
            try:
                yield item
            finally:
                self._idle.append(item)
        finally:
            self._free.release()

    def prepare(self) -> None:
        """Make one object now, so that ``make`` fails here rather than in a request."""
        if not self._made:
            self._idle.append(self._new())

    def _new(self) -> T:
        item = self._make()
        self._made.append(item)
        return item

    def take_all(self) -> list[T]:
        """Every object made so far, forgotten here (the caller closes them)."""
        made, self._made, self._idle = self._made, [], []
        return made
