"""The rules a new realtime setting meets against the rest of a parent segment's state."""

from __future__ import annotations

from .catalog import Catalog
from .errors import conflict, invalid
from .validation import Json


def check_setting_refs(catalog: Catalog, ps: Json, rt: Json, new: Json) -> None:
    """S6, S13, S14: a new setting against the tables, key events, attributes it touches."""
    for i, tbl in enumerate(new["eventTables"]):
        if catalog.table(tbl["database"], tbl["table"]) is None:
            raise invalid(f"eventTables[{i}]: table {tbl['database']}.{tbl['table']} not found")
    tables = {(t["database"], t["table"]) for t in new["eventTables"]}
    for ke in rt["keyEvents"]:
        if (ke["databaseName"], ke["tableName"]) not in tables:
            raise conflict(
                f"event table {ke['databaseName']}.{ke['tableName']} is used by key event "
                f"'{ke['name']}' (id {ke['id']})"
            )
    string_cols = {
        c["dataColumn"]
        for t in new["eventTables"]
        for c in catalog.columns(t["database"], t["table"])
        if c["dataType"] == "string"
    }
    for i, col in enumerate(new["keyColumns"]):
        if col["name"] not in string_cols:
            raise invalid(
                f"keyColumns[{i}]: '{col['name']}' is not a string column of any event table"
            )
    ps_attrs = {a["name"] for a in ps.get("attributes", [])}
    columns = set()
    for i, attr in enumerate(new["batchAttributes"]):
        if attr["column"] not in ps_attrs:
            raise invalid(
                f"batchAttributes[{i}]: '{attr['column']}' is not an attribute of the parent "
                "segment"
            )
        columns.add(attr["column"])
    _check_batch_names(rt, new["batchAttributes"])
    for attr in rt["attributes"]:
        backfill = attr.get("backfill")
        if backfill and backfill["attributeIdentifier"] not in columns:
            raise conflict(
                f"batch attribute '{backfill['attributeIdentifier']}' is used by the backfill "
                f"of attribute '{attr['identifier']}'"
            )
        if attr["identifier"] in columns:
            raise invalid(
                f"batch attribute '{attr['identifier']}' has the identifier of an existing "
                "attribute",
                "VIOLATES_UNIQUENESS_CONSTRAINT",
            )
    if rt["extLookupKey"] is not None and new["extLookupKey"] is None:
        raise invalid("extLookupKey cannot be set back to null once set")
    if new["extLookupKey"] not in (None, ps["profileKey"]):
        raise invalid(f"extLookupKey must be the parent segment's profile key '{ps['profileKey']}'")


def _check_batch_names(rt: Json, batch: list[Json]) -> None:
    """S7: imported attributes take part in name uniqueness (display name, else column)."""
    taken = {a["name"] for a in rt["attributes"]}
    for i, attr in enumerate(batch):
        name = attr["name"] if attr["name"] is not None else attr["column"]
        if name in taken:
            raise invalid(
                f"batchAttributes[{i}]: attribute name '{name}' has already been taken",
                "VIOLATES_UNIQUENESS_CONSTRAINT",
            )
        taken.add(name)
