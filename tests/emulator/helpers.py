"""Helpers for the emulator tests that speak to it with an httpx client (bodies and the seed's
parent segments are in tests/builders.py)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.builders import POP_PATH


def setting_body(c: httpx.Client, ps: str = POP_PATH) -> dict[str, Any]:
    """The four writable keys of a parent segment's live setting."""
    s = c.get(f"{ps}/realtime_setting").json()
    return {k: s[k] for k in ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")}


def error_of(r: httpx.Response, status: int, validation_code: str | None = None) -> str:
    """The message of an error answer, after checking its status and envelope."""
    assert r.status_code == status, r.text
    body = r.json()
    if "status_code" in body:  # TD API v3 ErrorResponse
        assert body["status_code"] == status
        return str(body["message"])
    assert set(body) >= {"code", "message"}
    if validation_code is not None:
        assert body["validationCode"] == validation_code, body
    return str(body["message"])
