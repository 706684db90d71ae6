"""What ``rtcfg init`` may write: the names of discovery that a config file can hold.

A live name with a control or format character (a newline, an ANSI escape, a bidi override,
NUL) is refused by ``rtcfg validate`` wherever a config names it (``rtcfg.config.text``). init
writes a file that validates, so it leaves such tables, columns and attributes out (and the
parent segment's name and profile key, which are checked against live state) and says so in a
comment, with the name escaped.
"""

from __future__ import annotations

from dataclasses import replace

from rtcfg.api.catalog import Table
from rtcfg.safe_text import first_unsafe, safe
from rtcfg.setup.discover import Discovery, EventTable, id_candidates


def usable(discovery: Discovery) -> tuple[Discovery, list[str]]:
    """``discovery`` without the names rtcfg would refuse, and one line for each left out."""
    refused: list[str] = []

    def ok(name: str | None, what: str) -> bool:
        if name is None or first_unsafe(name) is None:
            return True
        refused.append(f"{what} '{safe(name)}'")
        return False

    def kept_table(table: Table) -> Table | None:
        if not (ok(table.database, "database") and ok(table.name, f"table in {table.database}")):
            return None
        columns = [c for c in table.columns if ok(c.name, f"column of {table.address}")]
        return replace(table, columns=tuple(columns))

    events = []
    for event in discovery.event_tables:
        table = kept_table(event.table)
        if table is not None:
            ids = tuple(c for c in event.id_columns if first_unsafe(c) is None)
            events.append(EventTable(table, event.kind, ids))
    cleaned = replace(
        discovery,
        ps_name=discovery.ps_name if ok(discovery.ps_name, "parent segment name") else None,
        profile_key=discovery.profile_key if ok(discovery.profile_key, "profile key") else None,
        event_tables=events,
        unmatched_tables=[t for t in discovery.unmatched_tables if first_unsafe(t.address) is None],
        id_candidates=id_candidates([e.table for e in events]),
        batch_attributes=[a for a in discovery.batch_attributes if ok(a.name, "batch attribute")],
    )
    return cleaned, refused
