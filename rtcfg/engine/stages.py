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
from rtcfg.model.kinds import all_kinds
from rtcfg.model.kinds.base import Body, Kind

Key = tuple[int, str]  # a step before it has an id: (stage, address)


def _count() -> int:
    return len(all_kinds())


def delete_stage(kind: Kind) -> int:
    return _count() - kind.order


def write_stage(kind: Kind) -> int:
    return _count() + kind.order


def late_delete() -> int:
    return 2 * _count()


def setting_cleanup() -> int:
    return 2 * _count() + 1


def is_early_delete(stage: int) -> bool:
    """A delete that runs before every write (not a late one)."""
    first = all_kinds()[0]
    return stage < _count() or (stage == _count() and not first.singleton)


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
