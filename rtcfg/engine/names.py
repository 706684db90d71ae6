"""Which attribute names and identifiers the setting's batch (imported) attributes hold.

The one place of this assumption. TD's OpenAPI (``cdp-openapi.yml``) gives a batch attribute
only ``{column, name: string|null}`` (RealtimeBatchAttribute, l.16634) and names the error
``VIOLATES_UNIQUENESS_CONSTRAINT`` (l.6947), but says nothing of whether imported attributes
share the namespace of realtime ones. rtcfg keeps the strict reading, which the emulator plays
(S7): an imported attribute's display name is its ``name`` (its column when unnamed) and
clashes with a realtime attribute's name; its column is its identifier and clashes with a
realtime attribute's identifier. Under a looser real API the extra ordering costs nothing.
"""

from __future__ import annotations

from rtcfg.model.state import Body


def batch_names(setting: Body) -> set[str]:
    """Display names the setting's batch attributes hold."""
    return {
        str(b.get("name") if b.get("name") is not None else b.get("column"))
        for b in setting.get("batchAttributes") or []
    }


def batch_columns(setting: Body) -> set[str]:
    """Identifiers (columns) the setting's batch attributes hold."""
    return {str(b.get("column")) for b in setting.get("batchAttributes") or []}


def freed_by_setting(before: Body, after: Body) -> tuple[set[str], set[str]]:
    """Names and identifiers that going from setting ``before`` to ``after`` gives up."""
    names = batch_names(before) - batch_names(after)
    return names, batch_columns(before) - batch_columns(after)
