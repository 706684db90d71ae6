"""The stages of a plan, derived from the kinds' write order, and a step before it has an id.

A kind is written after the kinds it may reference (``Kind.order``), so with ``N`` kinds:

=====================  ===========  ==============================================
stage                  today        what
=====================  ===========  ==============================================
``N - order``          1, 2         DELETE attributes, then key events (reverse order)
``N + order``          3, 4, 5      PATCH the setting, POST/PATCH key events, then attributes
``2 N``                6            late DELETEs: an object still named by a PATCH of stage 5
``2 N + 1``            7            the setting's cleanup PATCH (``rtcfg.engine.setting_steps``)
=====================  ===========  ==============================================

The singleton setting (order 0) is never deleted, so its write stage ``N`` is the only one.
Stages only sort the list of steps; what runs when is ``depends_on``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rtcfg.model.addresses import Address
from rtcfg.model.kinds import KINDS
from rtcfg.model.kinds.base import Body, Kind

_N = len(KINDS)
LATE_DELETE = 2 * _N
SETTING_CLEANUP = 2 * _N + 1

Key = tuple[int, str]  # a step before it has an id: (stage, address)


def delete_stage(kind: Kind) -> int:
    return _N - kind.order


def write_stage(kind: Kind) -> int:
    return _N + kind.order


def is_early_delete(stage: int) -> bool:
    """A delete that runs before every write (not a late one)."""
    return stage < _N or (stage == _N and not KINDS[0].singleton)


def stage_name(stage: int) -> str:
    """What a stage does, in words (``delete attribute``, ``write setting``…)."""
    for kind in KINDS:
        if stage == write_stage(kind):
            return f"write {kind.label}"
        if stage == delete_stage(kind) and not kind.singleton:
            return f"delete {kind.label}"
    return "late delete" if stage == LATE_DELETE else "setting cleanup"


@dataclass
class Draft:
    """A step before it has an id; ``needs`` names other drafts by (stage, address)."""

    stage: int
    method: str
    path: str
    body: Body | None
    address: Address
    needs: set[Key] = field(default_factory=set)
    refs: dict[str, str] = field(default_factory=dict)
    lookup: dict[str, str] | None = None

    @property
    def key(self) -> Key:
        return (self.stage, self.address)
