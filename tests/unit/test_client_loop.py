"""The event loop handler that keeps a known, harmless race of the HTTP stack quiet."""

from __future__ import annotations

import asyncio
import logging

import pytest

from rtcfg.api.client import quiet_cancelled_reads

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
