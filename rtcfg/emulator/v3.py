"""TD API v3 discovery endpoints (``/v3/database/list``, ``/v3/table/list|show``)."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Any

from .http import Request, Route, route
from .state import Store
from .validation import Json

STAMP = "2026-01-05 09:00:00 UTC"


def _db_view(db: Json) -> Json:
    return {
        "name": db["name"],
        "count": sum(int(t.get("count", 0)) for t in db.get("tables", [])),
        "created_at": db.get("createdAt", STAMP),
        "updated_at": db.get("updatedAt", STAMP),
        "delete_protected": False,
        "organization": None,
        "permission": "administrator",
    }


def _table_ids(store: Store) -> dict[tuple[str, str], int]:
    """Table ids: 50001, 50002, ... in seed order (stable across runs, never reused)."""
    tables = (
        (db["name"], t["name"]) for db in store.data["databases"] for t in db.get("tables", [])
    )
    return {key: 50001 + n for n, key in enumerate(tables)}


def _last_log(tbl: Json) -> int | None:
    """``lastLogSecondsAgo`` in a seed keeps a table looking alive ("updated 2 minutes ago")
    whenever the emulator runs; ``lastLogTimestamp`` is a fixed time."""
    if "lastLogSecondsAgo" in tbl:
        return int(time.time()) - int(tbl["lastLogSecondsAgo"])
    stamp = tbl.get("lastLogTimestamp")
    return int(stamp) if stamp is not None else None


def _stamp(epoch: int | None) -> str:
    if epoch is None:
        return STAMP
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _table_view(
    db_name: str, tbl: Json, descriptions: bool, ids: dict[tuple[str, str], int]
) -> Json:
    last_log = _last_log(tbl)
    schema: list[list[str]] = [
        [name, td_type, name, ""] if descriptions else [name, td_type]
        for name, td_type in tbl["schema"]
    ]
    return {
        "id": ids.get((db_name, tbl["name"]), 50000),
        "name": tbl["name"],
        "type": "log",
        "count": int(tbl.get("count", 0)),
        "schema": json.dumps(schema),
        "description": tbl.get("description"),
        "counter_updated_at": None,
        "created_at": STAMP,
        "updated_at": tbl.get("updatedAt") or _stamp(last_log),
        "delete_protected": False,
        "estimated_storage_size": int(tbl.get("count", 0)) * 200,
        "expire_days": None,
        "include_v": False,
        "last_log_timestamp": last_log,
    }


def _flag(q: dict[str, str]) -> bool:
    return q.get("include_descriptions", "false").lower() == "true"


def _database_list(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return {"databases": [_db_view(db) for db in s.catalog.databases()]}


def _table_list(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    db = s.catalog.database(m["db"])
    ids = _table_ids(s)
    tables = [_table_view(db["name"], t, _flag(q), ids) for t in db.get("tables", [])]
    return {"database": db["name"], "tables": tables}


def _table_show(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return _table_view(
        m["db"], s.catalog.existing_table(m["db"], m["table"]), _flag(q), _table_ids(s)
    )


V3_ROUTES: list[Route] = [
    route(r"/v3/database/list", ("GET",), _database_list, ("require_permissions",)),
    route(r"/v3/table/list/(?P<db>[^/]+)", ("GET",), _table_list, ("include_descriptions",)),
    route(
        r"/v3/table/show/(?P<db>[^/]+)/(?P<table>[^/]+)",
        ("GET",),
        _table_show,
        ("include_descriptions",),
    ),
]
