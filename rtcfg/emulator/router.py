"""Path → handler over every API family's route table, query parsing and authentication."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from .behaviours import error_body
from .cdp import CDP_ROUTES
from .errors import ApiError, bad_request
from .http import WRITE_METHODS, Auth, Request, Route
from .state import Store
from .v3 import V3_ROUTES

ROUTES: list[Route] = [*CDP_ROUTES, *V3_ROUTES]


def parse_query(query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters; unknown, repeated or malformed ones are a 400 (S4)."""
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
    """S1: ``Authorization: TD1 <key>``; a read-only key gets 403 on writes."""
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
    try:
        check_auth(req, auth)
        for found in ROUTES:
            match = found.pattern.match(req.path)
            if match is None:
                continue
            if req.method not in found.methods:
                raise ApiError(405, "method_not_allowed", f"{req.method} not allowed here")
            return 200, found.handler(store, req, parse_query(req.query, found.query), match)
        raise ApiError(404, "not_found", f"no route for {req.path}")
    except ApiError as err:
        if req.path.startswith("/v3/"):
            return err.status, err.v3_body()
        return err.status, error_body(err, store.behaviours["error_envelope"])
