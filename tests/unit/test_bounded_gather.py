"""bounded_gather, how plan reads many segments: at most ``limit`` at once, results in the
items' order, and a failure raised only after every call ended (the first in the items' order)."""

from __future__ import annotations

import asyncio

import pytest

from rtcfg.commands.plan import bounded_gather


def test_results_keep_the_order_of_the_items_and_the_limit_holds() -> None:
    running, most = 0, 0

    async def work(item: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (10 - item))  # later items finish first
        running -= 1
        return item * 2

    assert asyncio.run(bounded_gather(list(range(10)), work, limit=3)) == [i * 2 for i in range(10)]
    assert most == 3


def test_the_first_failure_in_item_order_is_raised_after_every_call_ended() -> None:
    ended: list[int] = []

    async def work(item: int) -> int:
        await asyncio.sleep(0.001 * (5 - item))  # item 4 fails first in time
        ended.append(item)
        if item in (1, 4):
            raise LookupError(f"segment {item}")
        return item

    with pytest.raises(LookupError, match="segment 1"):
        asyncio.run(bounded_gather(list(range(5)), work, limit=5))
    assert sorted(ended) == [0, 1, 2, 3, 4]
