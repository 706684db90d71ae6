"""The seed (and ``--state``) format: every key but a few ids is optional; missing ones get the
defaults below when the seed is loaded, so any subset of the format serves without errors.

    {"nextId"?: int (default: one past the highest id in the seed, at least 1001),
     "parentSegments"?: [ParentSegment] (default []), "databases"?: [Database] (default [])}
    ParentSegment: {"id": str|int (required), "name"?: "Parent segment <id>", "description"?: "",
     "population"?: null, "profileKey"?: "td_canonical_id", "attributes"?: [] (each {"name",
     "type"?: "string", "column"?, "groupingName"?}), "master"?: {"database"?:
     "cdp_audience_<id>", "table"?: "customers"}, "realtimeEnabled"?: bool,
     "realtime"?: Realtime}
    Realtime: {"id"?: the segment's id, "status"?: "ok" when it configures anything, else
     "not_initialized", "statusDetailed"?: null, "keyColumns"?: [], "eventTables"?: [],
     "batchAttributes"?: [] (each "name"?: null), "extLookupKey"?: null, "keyEvents"?: [],
     "attributes"?: [], "importedIds"?: {}, "personalizations"?: [], "journeys"?: []}
    key event: "id"? (a new one), "filterRule"?: {"type": "And", "conditions": []}
    attribute: "id"? (a new one), "description"?: null, "filterRule"?: the empty And,
     "createdAt"/"updatedAt"?: "2026-01-05T09:00:00Z"; single: "sensitive"?: false,
     "backfill"?: null; list: "actions"?: [], "aggregations"?: []; counter: "counterType"?:
     "sliding", "backfill"?: null, "subDurations"?: []
    Database: {"name" (required), "tables"?: []}; Table: {"name" (required), "schema"?: [],
     "count"?: 0, "description"?: null, "lastLogSecondsAgo"? (null = absent),
     "lastLogTimestamp"?, "updatedAt"?}

RT 2.0 (the Audience has no such flag, OAS l.7608): a segment is RT-enabled when it has a
``realtime`` block, unless it says ``"realtimeEnabled": false`` (the meaning of older seeds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Json = dict[str, Any]
STAMP = "2026-01-05T09:00:00Z"
_SETTING_LISTS = ("keyColumns", "eventTables", "batchAttributes", "keyEvents", "attributes")
_ATTRIBUTE_DEFAULTS: dict[str, Json] = {
    "single": {"sensitive": False, "backfill": None},
    "list": {"actions": [], "aggregations": []},
    "counter": {"counterType": "sliding", "backfill": None, "subDurations": []},
}


def rt_enabled(ps: Json) -> bool:
    """RT 2.0 is on for a segment with a ``realtime`` block unless ``realtimeEnabled: false``."""
    return ps.get("realtime") is not None and ps.get("realtimeEnabled") is not False


def _mapping(value: Any, where: str) -> Json:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object")
    return value


def _items(parent: Json, key: str, where: str) -> list[Json]:
    value = parent.get(key)
    if value is None:
        value = parent[key] = []
    if not isinstance(value, list):
        raise ValueError(f"{where}.{key} must be a list")
    return [_mapping(item, f"{where}.{key}[{i}]") for i, item in enumerate(value)]


def _required(obj: Json, key: str, where: str) -> str:
    if obj.get(key) is None:
        raise ValueError(f"{where}.{key} is required")
    obj[key] = str(obj[key])
    return str(obj[key])


def normalise_seed(data: Json, new_id: Callable[[], str]) -> None:
    """Fill ``data`` (decoded seed, changed in place) with the defaults of the module doc.
    Items without an id get ``new_id()``; a shape no default can mend is a ValueError."""
    for i, db in enumerate(_items(data, "databases", "seed")):
        _required(db, "name", f"databases[{i}]")
        for j, tbl in enumerate(_items(db, "tables", f"databases[{i}]")):
            _table(tbl, f"databases[{i}].tables[{j}]")
    for i, ps in enumerate(_items(data, "parentSegments", "seed")):
        _parent_segment(ps, f"parentSegments[{i}]", new_id)


def _table(tbl: Json, where: str) -> None:
    _required(tbl, "name", where)
    for key, default in (("schema", []), ("count", 0)):
        if tbl.get(key) is None:
            tbl[key] = default
    tbl.setdefault("description", None)
    if tbl.get("lastLogSecondsAgo", 0) is None:
        del tbl["lastLogSecondsAgo"]


def _parent_segment(ps: Json, where: str, new_id: Callable[[], str]) -> None:
    ps_id = _required(ps, "id", where)
    ps.setdefault("name", f"Parent segment {ps_id}")
    ps.setdefault("description", "")
    ps.setdefault("population", None)
    ps.setdefault("profileKey", "td_canonical_id")
    for j, attr in enumerate(_items(ps, "attributes", where)):
        attr.setdefault("type", "string")
        _required(attr, "name", f"{where}.attributes[{j}]")
    master = _mapping(ps.setdefault("master", {}), f"{where}.master")
    master.setdefault("database", f"cdp_audience_{ps_id}")
    master.setdefault("table", "customers")
    if ps.get("realtime") is not None:
        _realtime(_mapping(ps["realtime"], f"{where}.realtime"), ps_id, f"{where}.realtime", new_id)


def _realtime(rt: Json, ps_id: str, where: str, new_id: Callable[[], str]) -> None:
    configured = any(rt.get(key) for key in _SETTING_LISTS)
    rt.setdefault("id", ps_id)
    rt.setdefault("status", "ok" if configured else "not_initialized")
    rt.setdefault("statusDetailed", None)
    rt.setdefault("extLookupKey", None)
    for key in ("keyColumns", "eventTables"):
        _items(rt, key, where)
    for batch in _items(rt, "batchAttributes", where):
        batch.setdefault("name", None)
    if not isinstance(rt.setdefault("importedIds", {}), dict):
        raise ValueError(f"{where}.importedIds must be a JSON object")
    for ke in _items(rt, "keyEvents", where):
        _with_id(ke, new_id)
        ke.setdefault("filterRule", {"type": "And", "conditions": []})
    for attr in _items(rt, "attributes", where):
        _with_id(attr, new_id)
        attr.setdefault("description", None)
        attr.setdefault("filterRule", {"type": "And", "conditions": []})
        attr.setdefault("createdAt", STAMP)
        attr.setdefault("updatedAt", STAMP)
        for key, default in _ATTRIBUTE_DEFAULTS.get(str(attr.get("type")), {}).items():
            attr.setdefault(key, list(default) if isinstance(default, list) else default)


def _with_id(item: Json, new_id: Callable[[], str]) -> None:
    item["id"] = new_id() if item.get("id") is None else str(item["id"])


def highest_id(data: Json) -> int:
    """The highest numeric id of key events, attributes and imported ids in a seed (min 1000)."""
    ids = [1000]
    for ps in data.get("parentSegments") or []:
        rt = ps.get("realtime") if isinstance(ps, dict) else None
        if not isinstance(rt, dict):
            continue
        items = [*(rt.get("keyEvents") or []), *(rt.get("attributes") or [])]
        values = [i.get("id") for i in items if isinstance(i, dict)]
        values += list((rt.get("importedIds") or {}).values())
        ids += [int(str(v)) for v in values if str(v).isdigit() and len(str(v)) < 19]
    return max(ids)
