"""How often apply polls the setting's status while it is ``updating``."""

from __future__ import annotations

import pytest

from rtcfg.engine.apply import ApplyOptions, poll_interval

DEFAULT = ApplyOptions()


@pytest.mark.parametrize(
    ("elapsed", "interval"),
    [(0.0, 0.1), (1.9, 0.1), (2.0, 0.1), (10.0, 0.5), (30.0, 1.5), (40.0, 2.0), (600.0, 2.0)],
)
def test_polls_start_fast_and_stay_within_five_percent_of_the_wait(
    elapsed: float, interval: float
) -> None:
    assert poll_interval(elapsed, DEFAULT) == pytest.approx(interval)


def test_a_minute_long_wait_costs_about_ninety_polls() -> None:
    elapsed, polls = 0.0, 0
    while elapsed < 60.0:
        elapsed += poll_interval(elapsed, DEFAULT)
        polls += 1
    assert 60 <= polls <= 100
