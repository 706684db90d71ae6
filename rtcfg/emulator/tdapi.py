"""TD API v3 discovery endpoints (``/v3/database/list``, ``/v3/table/list|show``)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .validation import Json

if TYPE_CHECKING:
    from .routes import Handler, Request
    from .state import Store

STAMP = "2026-01-05 09:00:00 UTC"


def v3_error(err: ApiError) -> Json:
    """TD API v3 ``ErrorResponse``: ``{error, message, text, severity, status_code}``."""
    return {
        "error": err.code,
        "message": err.message,
        "text": err.message,
        "severity": "error",
        "status_code": err.status,
    }


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


def _table_view(store: Store, db_name: str, tbl: Json, descriptions: bool) -> Json:
    table_id = 50000
    for db in store.data["databases"]:
        for t in db.get("tables", []):
            table_id += 1
            if db["name"] == db_name and t["name"] == tbl["name"]:
                break
        else:
            continue
        break
    schema: list[list[str]] = [
        [name, td_type, name, ""] if descriptions else [name, td_type]
        for name, td_type in tbl["schema"]
    ]
    return {
        "id": table_id,
        "name": tbl["name"],
        "type": "log",
        "count": int(tbl.get("count", 0)),
        "schema": json.dumps(schema),
        "description": tbl.get("description"),
        "counter_updated_at": None,
        "created_at": STAMP,
        "updated_at": STAMP,
        "delete_protected": False,
        "estimated_storage_size": int(tbl.get("count", 0)) * 200,
        "expire_days": None,
        "include_v": False,
        "last_log_timestamp": tbl.get("lastLogTimestamp"),
    }


def _flag(q: dict[str, str]) -> bool:
    return q.get("include_descriptions", "false").lower() == "true"


def _database_list(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return {"databases": [_db_view(db) for db in s.databases()]}


def _table_list(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    db = s.database(m["db"])
    tables = [_table_view(s, db["name"], t, _flag(q)) for t in db.get("tables", [])]
    return {"database": db["name"], "tables": tables}


def _table_show(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return _table_view(s, m["db"], s.table(m["db"], m["table"]), _flag(q))


V3_ROUTES: list[tuple[str, tuple[str, ...], Handler, tuple[str, ...]]] = [
    (r"/v3/database/list", ("GET",), _database_list, ("require_permissions",)),
    (r"/v3/table/list/(?P<db>[^/]+)", ("GET",), _table_list, ("include_descriptions",)),
    (
        r"/v3/table/show/(?P<db>[^/]+)/(?P<table>[^/]+)",
        ("GET",),
        _table_show,
        ("include_descriptions",),
    ),
]
