"""Fixtures: one emulator per test module over a real socket, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rtcfg.emulator import EmulatorThread
from tests.builders import AUTH


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


@pytest.fixture()
def client(emu: EmulatorThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, headers=AUTH, timeout=10.0) as c:
        c.post("/_emulator/reset").raise_for_status()
        yield c
