"""An HTTP answer, once received: its JSON value, or a :class:`Failure` with the error to raise.

Beside ``rtcfg.api.answers`` (which reads bodies) this module classifies a whole answer: a
2xx whose body is not JSON (a proxy's page: transient, it may pass), a 4xx that is not the
API's error envelope (a wrong endpoint: final, with a hint), the API's error envelope mapped
to :class:`ApiError` and its subclasses, and the transient statuses with their
``Retry-After``. It knows no HTTP library: the client hands over status, headers and bytes.
Whatever a server says is redacted of the key before it can reach a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rtcfg.api.answers import (
    decode_json,
    describe_body,
    is_api_error_body,
    parse_error,
    retry_after_seconds,
    wrong_endpoint_hint,
)
from rtcfg.api.connection import Connection, shown_url
from rtcfg.api.retry import Attempt, Failure, is_transient_status
from rtcfg.errors import ApiError, ApiErrorInfo, ConflictError, NotFoundError
from rtcfg.safe_text import mask_secrets, redact


@dataclass(frozen=True)
class Answer:
    """What an attempt received: status line, the headers that matter here, and the body."""

    status: int
    reason: str
    content: bytes
    content_type: str = ""
    retry_after: str | None = None


def interpret(
    attempt: Attempt, answer: Answer, connection: Connection, max_retry_after: float
) -> Any:
    """The decoded JSON body (None when empty), or a :class:`Failure`."""
    status = answer.status
    if 200 <= status < 300:
        if not answer.content.strip():
            return None
        try:
            return decode_json(answer.content)
        except ValueError:
            what = describe_body(answer.content, answer.content_type)
            return Failure(
                f"{attempt.shown} answered HTTP {status} with {what}, not JSON: "
                + wrong_endpoint_hint(),
                reached=True,
            )
    if not is_api_error_body(answer.content) and status < 500 and status != 429:
        what = describe_body(answer.content, answer.content_type)
        reason = f"{attempt.shown} answered HTTP {status} with {what}: {wrong_endpoint_hint()}"
        return Failure(reason, reached=True, transient=False)
    error = api_error(attempt, answer, connection)
    if not is_transient_status(status):
        return Failure(f"HTTP {status}", reached=True, transient=False, error=error)
    wait = retry_after_seconds(answer.retry_after, max_retry_after)
    reached = status != 429  # a 429 says the request was refused before it was acted on
    return Failure(
        f"HTTP {status}", reached=reached, retry_after=wait, error=error, throttled=not reached
    )


def api_error(attempt: Attempt, answer: Answer, connection: Connection) -> ApiError:
    """The API's error envelope as an :class:`ApiError` (404 and 409 have their own types)."""
    code, message, details = parse_error(
        answer.content, answer.reason, lambda text: redact(redact_key(text, connection))
    )
    if answer.status in (401, 403):
        message += _key_hint(connection)
    info = ApiErrorInfo(
        answer.status,
        code,
        message,
        attempt.method,
        attempt.path,
        details,
        shown_url(attempt.url),
    )
    kind = {404: NotFoundError, 409: ConflictError}.get(answer.status, ApiError)
    return kind(info)


def redact_key(text: str, connection: Connection) -> str:
    """Servers may echo what they were sent; the key (and its secret half) never passes."""
    key = connection.api_key
    secrets = [s for s in (key, key.partition("/")[2]) if len(s) >= 4]
    return mask_secrets(text, secrets)  # also a cut-short or re-cased copy


def _key_hint(connection: Connection) -> str:
    source = connection.key_source or "the API key"
    return f" (check {source}: it must be a master API key of site {connection.site})"
