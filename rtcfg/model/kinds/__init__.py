"""The registry of resource kinds: every kind the engine plans, in write order.

To add a kind, write its module beside these (see ``base.Kind`` and ARCHITECTURE.md) and add
its ``KIND`` to ``_REGISTERED``. The engine asks :func:`all_kinds` when it runs (it never
keeps a copy), so :func:`registered` can add a kind for the length of a ``with`` block: the
tests plan a kind the API does not have yet this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rtcfg.model.addresses import Address
from rtcfg.model.kinds import attribute, key_event, setting
from rtcfg.model.kinds.base import Kind

_REGISTERED: list[Kind] = [setting.KIND, key_event.KIND, attribute.KIND]
SETTING = setting.KIND.address()


def all_kinds() -> tuple[Kind, ...]:
    """Every registered kind, by write order (a kind after the kinds it may reference)."""
    return tuple(sorted(_REGISTERED, key=lambda k: k.order))


@contextmanager
def registered(kind: Kind) -> Iterator[Kind]:
    """``kind`` registered for the length of the block."""
    if any(k.name == kind.name for k in _REGISTERED):
        raise ValueError(f"a kind named {kind.name!r} is registered already")
    _REGISTERED.append(kind)
    try:
        yield kind
    finally:
        _REGISTERED.remove(kind)


def kind_named(name: str) -> Kind | None:
    return next((k for k in _REGISTERED if k.name == name), None)


def kind_of(address: str) -> Kind | None:
    """The kind an address belongs to (None for an address of no known kind)."""
    return kind_named(address.partition(".")[0])


def address_order(address: str) -> tuple[int, str]:
    """Sort key: kinds in write order (the setting, key events, attributes), then by name."""
    kind = kind_of(address)
    return (kind.order if kind else len(_REGISTERED), address)


def address_help() -> str:
    """How addresses look, for messages: ``setting, key_event.NAME and attribute.IDENTIFIER``."""
    forms = [k.name if k.singleton else f"{k.name}.{k.identity.upper()}" for k in all_kinds()]
    return ", ".join(forms[:-1]) + " and " + forms[-1]


__all__ = [
    "SETTING",
    "Address",
    "Kind",
    "address_order",
    "all_kinds",
    "kind_named",
    "kind_of",
    "registered",
]
