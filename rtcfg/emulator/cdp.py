"""The CDP API family: ``/audiences/...`` and ``/entities/...`` handlers, pagination, routes."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import quote

from .errors import ApiError, bad_request
from .http import Request, Route, route
from .jsonbody import parse_json
from .state import Store
from .validation import ATTRIBUTE_TYPES, Json

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
PAGE_QUERY = ("page[size]", "page[after]", "sorted_by", "name_include")


def json_body(req: Request) -> Any:
    """The JSON body of a write: 415 unless application/json, 400 when empty or not JSON."""
    ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    if not req.body:
        raise bad_request("request body is required")
    return parse_json(req.body)


def _encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise bad_request("page[after] is not a valid cursor") from exc
    if not isinstance(value, list) or len(value) != 2:
        raise bad_request("page[after] is not a valid cursor")
    return value


def paginate(items: list[Json], q: dict[str, str], path: str, keep: tuple[str, ...]) -> Json:
    """Cursor pagination of ``items`` per the OAS partial_pagination.yaml."""
    size_text = q.get("page[size]", str(DEFAULT_PAGE_SIZE))
    if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_PAGE_SIZE:
        raise bad_request(f"page[size] must be an integer between 1 and {MAX_PAGE_SIZE}")
    size = int(size_text)
    sort_field, _, order = q.get("sorted_by", "id:asc").partition(":")
    if sort_field not in ("id", "name") or order not in ("asc", "desc"):
        raise bad_request("sorted_by must be one of id:asc, id:desc, name:asc, name:desc")

    def key(item: Json) -> list[Any]:
        first = int(item["id"]) if sort_field == "id" else str(item["name"])
        return [first, int(item["id"])]

    if "name_include" in q:
        needle = q["name_include"].lower()
        items = [i for i in items if needle in str(i.get("name") or "").lower()]
    items = sorted(items, key=key, reverse=order == "desc")
    if "page[after]" in q:
        cursor = _decode_cursor(q["page[after]"])
        try:
            if order == "asc":
                items = [i for i in items if key(i) > cursor]
            else:
                items = [i for i in items if key(i) < cursor]
        except TypeError as exc:
            raise bad_request("page[after] is not a valid cursor") from exc
    page, rest = items[:size], items[size:]
    next_page = None
    if rest:
        params = [("page[after]", _encode_cursor(key(page[-1]))), ("page[size]", str(size))]
        params += [(k, q[k]) for k in (*keep, "sorted_by", "name_include") if k in q]
        next_page = (
            path + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
        )
    return {"data": page, "pagination": {"nextPage": next_page}}


# --- CDP handlers -------------------------------------------------------------------------------


def _audiences(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return s.audiences()


def _audience(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return s.audience(m["ps"])


def _setting(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "GET":
        return s.get_setting(m["ps"])
    return s.patch_setting(m["ps"], json_body(r))


def _key_events(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "GET":
        return paginate(s.key_events(m["ps"]), q, r.path, ())
    return s.create_key_event(m["ps"], json_body(r))


def _key_event(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "GET":
        return s.get_key_event(m["ps"], m["id"])
    if r.method == "PATCH":
        return s.update_key_event(m["ps"], m["id"], json_body(r))
    return s.delete_key_event(m["ps"], m["id"])


def _key_event_columns(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return s.key_event_columns(m["ps"], m["id"])


def _table_columns(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return s.event_table_columns(m["ps"], m["db"], m["table"])


def _attributes(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "POST":
        return {"data": s.create_attribute(m["ps"], json_body(r))}
    items = s.attributes(m["ps"])
    if "types" in q:
        types = q["types"].split(",")
        for t in types:
            if t not in ATTRIBUTE_TYPES:
                raise bad_request(f"types: unknown type '{t}'")
        items = [i for i in items if i["type"] in types]
    return paginate(items, q, r.path, ("types",))


def _attribute(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "GET":
        return s.get_attribute(m["ps"], m["id"])
    if r.method == "PATCH":
        return s.update_attribute(m["ps"], m["id"], json_body(r))
    return s.delete_attribute(m["ps"], m["id"])


def _entities(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    """JSON:API lists of personalizations (OAS l.6480) and journeys (l.6058)."""
    if "permissions" in q and q["permissions"] not in ("edit", "view"):
        raise bad_request("permissions must be edit or view")
    return paginate(s.entities(m["ps"], m["kind"]), q, r.path, ("permissions",))


_PS = r"/audiences/(?P<ps>[0-9]+)"
_NAME = r"[^/]+"
CDP_ROUTES: list[Route] = [
    route(r"/audiences", ("GET",), _audiences),
    route(_PS, ("GET",), _audience),
    route(_PS + r"/realtime_setting", ("GET", "PATCH"), _setting),
    route(_PS + r"/realtime_key_events", ("GET", "POST"), _key_events, PAGE_QUERY),
    route(_PS + r"/realtime_key_events/(?P<id>[0-9]+)", ("GET", "PATCH", "DELETE"), _key_event),
    route(_PS + r"/realtime_key_events/(?P<id>[0-9]+)/columns", ("GET",), _key_event_columns),
    route(
        _PS + rf"/realtime_event_tables/(?P<db>{_NAME})/(?P<table>{_NAME})/columns",
        ("GET",),
        _table_columns,
    ),
    route(_PS + r"/realtime_attributes", ("GET", "POST"), _attributes, (*PAGE_QUERY, "types")),
    route(_PS + r"/realtime_attributes/(?P<id>[0-9]+)", ("GET", "PATCH", "DELETE"), _attribute),
    route(
        r"/entities/parent_segments/(?P<ps>[0-9]+)/(?P<kind>realtime_personalizations|"
        r"realtime_journeys)",
        ("GET",),
        _entities,
        ("page[size]", "page[after]", "permissions"),
    ),
]
