"""The TD databases of the emulator's state: tables, their columns, and the v3 lookups."""

from __future__ import annotations

import copy

from .errors import not_found
from .validation import Json
from .views import column_type


class Catalog:
    """Read-only lookups over ``data["databases"]`` (the dict is shared with the store)."""

    def __init__(self, data: Json) -> None:
        self.data = data

    def table(self, database: str, table: str) -> Json | None:
        """A table of the seed (a shallow copy), or None."""
        for db in self.data["databases"]:
            if db["name"] == database:
                for tbl in db.get("tables", []):
                    if tbl["name"] == table:
                        return dict(tbl)
        return None

    def columns(self, database: str, table: str) -> list[Json]:
        """The CDP column views of a table (none for a table that does not exist)."""
        tbl = self.table(database, table)
        if tbl is None:
            return []
        return [
            {"queryAs": name, "dataColumn": name, "dataType": column_type(td_type)}
            for name, td_type in tbl["schema"]
        ]

    def databases(self) -> list[Json]:
        return [copy.deepcopy(db) for db in self.data["databases"]]

    def database(self, name: str) -> Json:
        """A database, or 404 in TD API v3's words."""
        for db in self.data["databases"]:
            if db["name"] == name:
                return copy.deepcopy(db)
        raise not_found(f"Database '{name}' does not exist")

    def existing_table(self, database: str, table: str) -> Json:
        """A table, or 404 naming the database or the table that is missing."""
        self.database(database)
        tbl = self.table(database, table)
        if tbl is None:
            raise not_found(f"Table '{database}.{table}' does not exist")
        return copy.deepcopy(tbl)
