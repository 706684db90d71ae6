"""The client's asyncio pieces: the loop handler that keeps a known, harmless race of the HTTP
stack quiet, and the request slots (one connection per request in flight)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

import pytest

from rtcfg.api.client import quiet_cancelled_reads
from rtcfg.api.slots import Slots, SlotTimeout

RACE = "Fatal error: protocol.data_received() call failed."


def report(context: dict[str, object]) -> None:
    loop = asyncio.new_event_loop()
    try:
        quiet_cancelled_reads(loop)
        loop.call_exception_handler(context)
    finally:
        loop.close()


def test_the_answer_of_a_cancelled_request_is_not_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # by name: in-process CLI runs with -v leave rtcfg.http at INFO
    caplog.set_level(logging.DEBUG, logger="rtcfg.http")
    report({"message": RACE, "exception": asyncio.InvalidStateError("invalid state")})
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "answer of a cancelled request dropped" in caplog.text


@pytest.mark.parametrize(
    "context",
    [
        {"message": RACE, "exception": ValueError("a real bug")},
        {"message": "Task exception was never retrieved", "exception": asyncio.InvalidStateError()},
    ],
)
def test_anything_else_is_reported_as_usual(
    caplog: pytest.LogCaptureFixture, context: dict[str, object]
) -> None:
    report(context)
    assert [r for r in caplog.records if r.name == "asyncio" and r.levelno == logging.ERROR]


# --- request slots: one connection per request in flight ----------------------------------------


def counter() -> Callable[[], int]:
    """A factory of 0, 1, 2, ...: which object a slot lends tells when it was made."""
    made = itertools.count()
    return lambda: next(made)


def test_slots_make_no_more_objects_than_run_at_once() -> None:
    async def main() -> tuple[list[int], int]:
        slots: Slots[int] = Slots(counter(), size=3)
        in_flight = peak = 0

        async def use() -> None:
            nonlocal in_flight, peak
            async with slots.lend(timeout=5.0):
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0)
                in_flight -= 1

        await asyncio.gather(*(use() for _ in range(20)))
        return slots.take_all(), peak

    made, peak = asyncio.run(main())
    assert sorted(made) == [0, 1, 2] and peak == 3


def test_the_slot_freed_last_is_lent_first() -> None:
    # the warmest connection goes first (over https a new one costs a TLS handshake)
    async def main() -> int:
        slots: Slots[int] = Slots(counter(), size=3)
        async with slots.lend(timeout=5.0), slots.lend(timeout=5.0) as second:
            assert second == 1
        # freed: 1, then 0
        async with slots.lend(timeout=5.0) as next_one:
            return next_one

    assert asyncio.run(main()) == 0


def test_a_slot_that_does_not_come_free_in_time_is_a_slot_timeout() -> None:
    async def main() -> None:
        slots: Slots[str] = Slots(lambda: "only", size=1)
        async with slots.lend(timeout=5.0):
            with pytest.raises(SlotTimeout, match="no connection came free"):
                async with slots.lend(timeout=0.01):
                    pass
        async with slots.lend(timeout=0.01) as again:  # freed: lent at once
            assert again == "only"

    asyncio.run(main())
