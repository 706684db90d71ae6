"""Addresses: how a plan names the object a change is about (``setting``, ``key_event.NAME``,
``attribute.IDENTIFIER``), like Terraform's resource addresses.

An :class:`Address` is a ``str`` subclass. That is a decision: addresses are written into saved
plans and JSON output, matched by ``--target`` globs and shown to users as text, and keeping
them ``str`` keeps all of that unchanged, while the type says where an address (and not any
string) is expected and its parts are read in one place instead of by ``split(".")`` at every
use. A singleton kind (the setting) has no name: its address is the kind alone.
"""

from __future__ import annotations


class Address(str):
    """``kind.name``, or ``kind`` for a singleton."""

    __slots__ = ()

    @classmethod
    def of(cls, kind: str, name: str | None = None) -> Address:
        """The address of object ``name`` of ``kind`` (``None``: the singleton of ``kind``)."""
        return cls(kind if name is None else f"{kind}.{name}")

    @property
    def kind(self) -> str:
        return self.partition(".")[0]

    @property
    def name(self) -> str:
        """The identity part (a key event's name, an attribute's identifier); ``""`` for a
        singleton."""
        return self.partition(".")[2]

    def __repr__(self) -> str:
        return f"Address({str(self)!r})"
