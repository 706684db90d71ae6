"""What a server answered, read as hostile bytes: error envelopes and answers that are not
the API's (pure: no I/O, no httpx; ``rtcfg.api.client`` hands over the bytes).

* Every field of an error (``code``, ``message``, JSON:API ``errors[].code/detail/title``,
  ``meta``, a plain-text body, the reason phrase) is redacted before anything else, then
  cut short, then escaped: a server that echoes the key, or a very long page with the key
  near its end, never shows it; a message never adds a line or a terminal escape.
* An answer whose body is an HTML page or other non-JSON text did not come from the API:
  :func:`describe_body` says what it was, so the message can say which URL answered what
  and ask whether ``--endpoint`` is right (a proxy's login page, a web server's 404, a
  load balancer's 502).
"""

from __future__ import annotations

import json
import math
import ssl
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

from rtcfg.errors import TransportError
from rtcfg.safe_text import escape

TEXT_LIMIT = 300  # characters of a server text kept in a message
MAX_ERROR_BODY = 64 * 1024  # bytes of an error body parsed at all
Redact = Callable[[str], str]


def _clean(value: object, redact: Redact) -> str:
    text = redact(str(value))
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "…"
    return escape(text)


def _clean_meta(value: Any, redact: Redact, depth: int = 0) -> Any:
    """Details kept from an error body: strings cleaned, nesting and size bounded."""
    if depth > 3:
        return "…"
    if isinstance(value, str):
        return _clean(value, redact)
    if isinstance(value, dict):
        items = list(value.items())[:20]
        return {_clean(k, redact): _clean_meta(v, redact, depth + 1) for k, v in items}
    if isinstance(value, list):
        return [_clean_meta(v, redact, depth + 1) for v in value[:20]]
    return value if isinstance(value, (int, float, bool)) or value is None else str(value)


def decode_json(content: bytes) -> Any:
    """The JSON value of a body, or ``ValueError`` (also for nesting too deep to decode)."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def parse_error(
    content: bytes, reason: str, redact: Redact
) -> tuple[str | None, str, dict[str, object]]:
    """(code, message, details) from the CDP, JSON:API or TD envelopes, or plain text."""
    try:
        body = decode_json(content[:MAX_ERROR_BODY])
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            texts = [
                _clean(e.get("detail") or e.get("title") or "", redact)
                for e in errors[:10]
                if isinstance(e, dict)
            ]
            meta = _clean_meta(first.get("meta"), redact)
            details: dict[str, object] = meta if isinstance(meta, dict) else {}
            return _code(first.get("code"), redact), "; ".join(t for t in texts if t), details
        message = body.get("message") or body.get("error") or body.get("detail") or ""
        code = body.get("code") or (body.get("error") if body.get("message") else None)
        extra = {
            k: _clean_meta(v, redact)
            for k, v in body.items()
            if k in ("validationCode", "severity")
        }
        return _code(code, redact), _clean(message, redact), extra
    text = content[:MAX_ERROR_BODY].decode("utf-8", "replace").strip()
    return None, _clean(" ".join(text.split()) or reason, redact), {}


def _code(value: object, redact: Redact) -> str | None:
    return None if value is None else _clean(value, redact)


def is_api_error_body(content: bytes) -> bool:
    """A JSON object, as every API error envelope is (also an empty body: nothing said)."""
    if not content.strip():
        return True
    try:
        return isinstance(decode_json(content[:MAX_ERROR_BODY]), dict)
    except ValueError:
        return False


def describe_body(content: bytes, content_type: str) -> str:
    """``an HTML page``, ``a text that is not JSON``, ``an empty body``: for messages."""
    head = content[:512].lstrip().lower()
    if not head:
        return "an empty body"
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        return "an HTML page"
    return "a body that is not JSON"


def wrong_endpoint_hint(option: str = "--endpoint") -> str:
    return f"is {option} right? It should be the CDP API base URL of your site (or the emulator)"


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), capped; None if bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


def proxy_problem(exc: Exception) -> str:
    # the proxy's URL may carry a user and password: never shown
    if isinstance(exc, ImportError):
        why = "a SOCKS proxy needs the socksio package"
    else:
        why = "its URL is no usable proxy URL"
    return (
        f"the proxy set in HTTPS_PROXY / ALL_PROXY cannot be used ({why}); fix or unset it "
        "(NO_PROXY lists hosts that bypass it)"
    )


def is_tls_failure(exc: BaseException) -> bool:
    """An error of the TLS handshake itself (wrong protocol, bad certificate), not of TCP."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError) or "SSL" in str(current)[:200]:
            return True
        current = current.__cause__ or current.__context__
    return False


def unwrap(body: Any) -> Any:
    """``{"data": {...}}`` (with at most pagination/meta/links beside it) → the object."""
    if (
        isinstance(body, dict)
        and isinstance(body.get("data"), dict)
        and set(body) <= {"data", "pagination", "meta", "links", "included"}
    ):
        return body["data"]
    return body


def page_of(body: Any, path: str) -> tuple[list[dict[str, Any]], str | None]:
    """(items, nextPage) of one page of a list."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        pagination = body.get("pagination") or {}
        next_page = pagination.get("nextPage") if isinstance(pagination, dict) else None
        return body["data"], next_page if isinstance(next_page, str) else None
    if isinstance(body, list):  # an unpaginated list
        return body, None
    raise TransportError(
        f"GET {path.partition('?')[0]}: expected a list, got {type(body).__name__}: "
        + wrong_endpoint_hint()
    )
