"""The registry of resource kinds: every kind the engine plans, in write order.

To add a kind, write its module beside these (see ``base.Kind`` and ARCHITECTURE.md) and add
its ``KIND`` to ``KINDS``.
"""

from __future__ import annotations

from rtcfg.model.addresses import Address
from rtcfg.model.kinds import attribute, key_event, setting
from rtcfg.model.kinds.base import Kind

KINDS: tuple[Kind, ...] = tuple(
    sorted((setting.KIND, key_event.KIND, attribute.KIND), key=lambda k: k.order)
)
_BY_NAME = {kind.name: kind for kind in KINDS}
SETTING = setting.KIND.address()


def kind_named(name: str) -> Kind | None:
    return _BY_NAME.get(name)


def kind_of(address: str) -> Kind | None:
    """The kind an address belongs to (None for an address of no known kind)."""
    return _BY_NAME.get(address.partition(".")[0])


def address_order(address: str) -> tuple[int, str]:
    """Sort key: kinds in write order (the setting, key events, attributes), then by name."""
    kind = kind_of(address)
    return (kind.order if kind else len(KINDS), address)


def address_help() -> str:
    """How addresses look, for messages: ``setting, key_event.NAME and attribute.IDENTIFIER``."""
    forms = [
        k.name if k.singleton else f"{k.name}.{k.identity.upper()}".replace("IDENTITY", "NAME")
        for k in KINDS
    ]
    return ", ".join(forms[:-1]) + " and " + forms[-1]


__all__ = ["KINDS", "SETTING", "Address", "Kind", "address_order", "kind_named", "kind_of"]
