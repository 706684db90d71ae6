"""Errors raised by the emulator's rules, turned into HTTP error responses by the router."""

from __future__ import annotations

from typing import Any

VALIDATION_CODES = (
    "VIOLATES_UNIQUENESS_CONSTRAINT",
    "IS_TOO_SHORT",
    "IS_TOO_LONG",
    "CANNOT_BE_BLANK",
    "INVALID_FORMAT_OR_ASSOCIATION",
    "IS_IMMUTABLE",
    "UNKNOWN",
)


class ApiError(Exception):
    """An error answer: HTTP status, error ``code``, message and optional ``validationCode``."""

    def __init__(
        self, status: int, code: str, message: str, validation_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.validation_code = validation_code

    def body(self) -> dict[str, Any]:
        """The CDP error envelope ``{code, message[, validationCode]}``."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.validation_code is not None:
            out["validationCode"] = self.validation_code
        return out

    def v3_body(self) -> dict[str, Any]:
        """TD API v3 ``ErrorResponse``: ``{error, message, text, severity, status_code}``."""
        return {
            "error": self.code,
            "message": self.message,
            "text": self.message,
            "severity": "error",
            "status_code": self.status,
        }


def invalid(message: str, validation_code: str = "INVALID_FORMAT_OR_ASSOCIATION") -> ApiError:
    """A 400 validation error."""
    return ApiError(400, "validation_error", message, validation_code)


def bad_request(message: str) -> ApiError:
    """A 400 error about the request itself (query string, JSON syntax)."""
    return ApiError(400, "bad_request", message, "UNKNOWN")


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)
