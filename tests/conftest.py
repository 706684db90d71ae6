"""Fixtures shared across the suite (builders that are plain functions live in tests/builders.py;
test modules never import one another, tests/unit/test_test_layout.py checks it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtcfg.emulator import EmulatorThread
from tests.functional.guided_support import OWN_SEED


@pytest.fixture(scope="module")
def own() -> Iterator[EmulatorThread]:
    """An emulator serving the guided-setup seed whose tables and ids have other names."""
    with EmulatorThread(OWN_SEED, update_seconds=0.0) as thread:
        yield thread
