"""Plan order on plain data when a batch attribute and a realtime attribute trade a name.

Realtime attributes and the setting's batch attributes share display names and identifiers
(``rtcfg.engine.names``): the one that frees a name goes first, whichever kind it is.
"""

from __future__ import annotations

import pytest

from rtcfg.errors import PlanError
from rtcfg.model.state import State
from tests.builders import ATTRIBUTES, desired, emulated_live, plan, step

LAST_PV, SEEN, PV_24H, TIER = ATTRIBUTES


def renamed_last_pv_and_batch_takes_its_name() -> tuple[State, State]:
    have = emulated_live(desired())
    attrs = [
        {**LAST_PV, "name": "last_pv_old", "identifier": "last_pv"},
        SEEN,
        PV_24H,
        TIER,
        {"name": "last_pv", "column": "city", "type": "imported_batch"},
    ]
    return desired(attributes=attrs), have


def test_the_setting_waits_for_the_rename_that_frees_a_batch_attributes_name() -> None:
    segment = plan(*renamed_last_pv_and_batch_takes_its_name())
    rename, setting = step(segment, "attribute.last_pv", "PATCH"), step(segment, "setting")
    assert rename.body == {"name": "last_pv_old"}
    assert rename.id in setting.depends_on
    assert setting.id not in rename.depends_on and rename.id < setting.id
    assert [s.id for s in segment.steps] == list(range(1, len(segment.steps) + 1))


def test_excluding_the_rename_leaves_the_setting_out_and_targeting_brings_it() -> None:
    want, have = renamed_last_pv_and_batch_takes_its_name()
    assert plan(want, have, excludes=["attribute.last_pv"]).empty
    targeted = plan(want, have, targets=["setting"])
    assert [c.address for c in targeted.changes] == ["setting", "attribute.last_pv"]


def test_a_realtime_attribute_taking_a_dropped_batch_name_waits_for_the_setting() -> None:
    have = emulated_live(desired())
    want = desired(
        attributes=[LAST_PV, SEEN, PV_24H, {**LAST_PV, "name": "tier", "identifier": "t"}]
    )
    segment = plan(want, have)
    assert step(segment, "setting").id in step(segment, "attribute.t").depends_on
    kept = plan(want, have, excludes=["setting"])
    assert "attribute.t" not in [c.address for c in kept.changes]


def test_a_rename_needing_the_name_the_setting_frees_is_a_circle() -> None:
    """last_pv → tier needs the setting to drop batch 'tier'; the setting's new batch
    'last_pv' needs the rename to free 'last_pv'."""
    have = emulated_live(desired())
    attrs = [
        {**LAST_PV, "name": "tier", "identifier": "last_pv"},
        SEEN,
        PV_24H,
        {"name": "last_pv", "column": "city", "type": "imported_batch"},
    ]
    with pytest.raises(PlanError, match=r"circle \(setting → attribute\.last_pv → setting\)"):
        plan(desired(attributes=attrs), have)
