"""TD API v3 Table objects → catalog tables, leniently."""

from __future__ import annotations

import json

from rtcfg.api.catalog import Column, parse_columns, table_from_api


def test_a_table_keeps_its_listed_columns_rows_and_last_log() -> None:
    body = {
        "name": "web_pageviews",
        "count": 4800000,
        "last_log_timestamp": 1767603600,
        "schema": json.dumps([["td_client_id", "string"], ["price", "DOUBLE", "p", "Price"]]),
    }
    table = table_from_api("web", body)
    assert table.address == "web.web_pageviews" and table.row_count == 4800000
    assert table.last_update == 1767603600
    assert table.columns == (Column("td_client_id", "string"), Column("price", "double"))
    assert table.column("price") is not None and table.column("price").kind == "number"  # type: ignore[union-attr]


def test_odd_fields_become_none_and_updated_at_stands_in_for_the_last_log() -> None:
    body: dict[str, object] = {
        "name": "t",
        "count": "many",
        "updated_at": "2026-01-05 09:00:00 UTC",
        "schema": "{",
    }
    table = table_from_api("db", body)
    assert table.row_count is None and table.columns == ()
    assert table.last_update == 1767603600
    assert table_from_api("db", {"name": "t", "updated_at": "yesterday"}).last_update is None


def test_schemas_as_lists_and_junk_entries() -> None:
    columns = parse_columns([["a", "array<string>"], ["b"], "c", [1, "int"], ["d", "varchar(8)"]])
    assert [(c.name, c.kind) for c in columns] == [("a", "other"), ("d", "string")]
