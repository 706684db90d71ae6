"""What live state looked like when a plan was made: a digest overall and per address, so a
stale saved plan is refused and can name what drifted. Pure: no I/O."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rtcfg.model.addresses import Address
from rtcfg.model.kinds import address_order, all_kinds
from rtcfg.model.state import State


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def live_fingerprint(live: State) -> tuple[str, dict[str, str]]:
    """sha256 of the live state as diff sees it (comparable body, id, the object it names
    outside its body): overall, and per address."""
    objects: dict[str, str] = {}
    for kind in all_kinds():
        if kind.singleton:
            entry = [kind.comparable(live.setting), live.setting_meta.get("id"), None]
            objects[kind.address()] = _digest(entry)
            continue
        for identity, obj in live.of(kind.name).items():
            entry = [kind.comparable(obj.body), obj.id, obj.reference]
            objects[kind.address(identity)] = _digest(entry)
    return _digest(sorted(objects.items())), objects


def drifted_addresses(saved_objects: dict[str, str], live: State) -> list[Address]:
    """Objects added, removed or changed live since a plan recorded ``saved_objects``."""
    _, now = live_fingerprint(live)
    addresses = set(now) | set(saved_objects)
    changed = [Address(a) for a in addresses if now.get(a) != saved_objects.get(a)]
    return sorted(changed, key=address_order)
