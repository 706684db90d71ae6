"""Path → handler, query parsing, pagination and authentication. No sockets here."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from .behaviours import error_body
from .errors import ApiError, bad_request
from .jsonbody import parse_json
from .state import Store
from .tdapi import V3_ROUTES, v3_error
from .validation import ATTRIBUTE_TYPES, Json

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
PAGE_QUERY = ("page[size]", "page[after]", "sorted_by", "name_include")


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Auth:
    api_key: str | None = None
    read_only_key: str | None = None


Handler = Callable[[Store, Request, dict[str, str], re.Match[str]], Any]


def _json_body(req: Request) -> Any:
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
    return s.patch_setting(m["ps"], _json_body(r))


def _key_events(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "GET":
        return paginate(s.key_events(m["ps"]), q, r.path, ())
    return s.create_key_event(m["ps"], _json_body(r))


def _key_event(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "GET":
        return s.get_key_event(m["ps"], m["id"])
    if r.method == "PATCH":
        return s.update_key_event(m["ps"], m["id"], _json_body(r))
    return s.delete_key_event(m["ps"], m["id"])


def _key_event_columns(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return s.key_event_columns(m["ps"], m["id"])


def _table_columns(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    return s.event_table_columns(m["ps"], m["db"], m["table"])


def _attributes(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    if r.method == "POST":
        return {"data": s.create_attribute(m["ps"], _json_body(r))}
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
        return s.update_attribute(m["ps"], m["id"], _json_body(r))
    return s.delete_attribute(m["ps"], m["id"])


def _entities(s: Store, r: Request, q: dict[str, str], m: re.Match[str]) -> Any:
    """JSON:API lists of personalizations (OAS l.6480) and journeys (l.6058)."""
    if "permissions" in q and q["permissions"] not in ("edit", "view"):
        raise bad_request("permissions must be edit or view")
    return paginate(s.entities(m["ps"], m["kind"]), q, r.path, ("permissions",))


_PS = r"/audiences/(?P<ps>[0-9]+)"
_NAME = r"[^/]+"
# (regex, methods, handler, allowed query parameters)
CDP_ROUTES: list[tuple[str, tuple[str, ...], Handler, tuple[str, ...]]] = [
    (r"/audiences", ("GET",), _audiences, ()),
    (_PS, ("GET",), _audience, ()),
    (_PS + r"/realtime_setting", ("GET", "PATCH"), _setting, ()),
    (_PS + r"/realtime_key_events", ("GET", "POST"), _key_events, PAGE_QUERY),
    (_PS + r"/realtime_key_events/(?P<id>[0-9]+)", ("GET", "PATCH", "DELETE"), _key_event, ()),
    (_PS + r"/realtime_key_events/(?P<id>[0-9]+)/columns", ("GET",), _key_event_columns, ()),
    (
        _PS + rf"/realtime_event_tables/(?P<db>{_NAME})/(?P<table>{_NAME})/columns",
        ("GET",),
        _table_columns,
        (),
    ),
    (_PS + r"/realtime_attributes", ("GET", "POST"), _attributes, (*PAGE_QUERY, "types")),
    (_PS + r"/realtime_attributes/(?P<id>[0-9]+)", ("GET", "PATCH", "DELETE"), _attribute, ()),
    (
        r"/entities/parent_segments/(?P<ps>[0-9]+)/(?P<kind>realtime_personalizations|"
        r"realtime_journeys)",
        ("GET",),
        _entities,
        ("page[size]", "page[after]", "permissions"),
    ),
]
ROUTES = [
    (re.compile(p + "$"), methods, h, allowed) for p, methods, h, allowed in CDP_ROUTES + V3_ROUTES
]
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def parse_query(query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise bad_request(f"malformed query string: {exc}") from exc
    for key, value in pairs:
        if key not in allowed:
            raise bad_request(f"unknown query parameter '{key}'")
        if key in out:
            raise bad_request(f"query parameter '{key}' given twice")
        out[key] = value
    return out


def check_auth(req: Request, auth: Auth) -> None:
    header = req.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme != "TD1" or not key:
        raise ApiError(401, "unauthorized", "Authorization: TD1 <API key> header is required")
    if auth.api_key is not None and key not in (auth.api_key, auth.read_only_key):
        raise ApiError(401, "unauthorized", "invalid API key")
    if req.method in WRITE_METHODS and key == auth.read_only_key:
        raise ApiError(403, "forbidden", "this API key is read-only; writes are not allowed")


def handle(store: Store, req: Request, auth: Auth) -> tuple[int, Any]:
    """Answer one API request: (status, JSON body). Writes are committed when this returns."""
    is_v3 = req.path.startswith("/v3/")
    try:
        check_auth(req, auth)
        for regex, methods, handler, allowed in ROUTES:
            match = regex.match(req.path)
            if match is None:
                continue
            if req.method not in methods:
                raise ApiError(405, "method_not_allowed", f"{req.method} not allowed here")
            return 200, handler(store, req, parse_query(req.query, allowed), match)
        raise ApiError(404, "not_found", f"no route for {req.path}")
    except ApiError as err:
        if is_v3:
            return err.status, v3_error(err)
        return err.status, error_body(err, store.behaviours["error_envelope"])
