"""The exception tree, problems and exit codes of rtcfg.

Every failure a user can cause or meet is one of these, and every ``RtcfgError`` subclass is
defined here (``tests/unit/test_error_tree.py`` checks it). The CLI maps them to exit codes in
one place and never shows a traceback for them::

    RtcfgError                      exit 1 unless said otherwise
    ├── ConfigError                 a config file has problems (carries every Problem found)
    ├── UsageError                  options that do not fit together, a missing file
    ├── OutputError                 standard output cannot be written (closed, disk full)
    ├── CredentialsError            no API key, or a key that may not be sent to that URL
    ├── ApiError                    the API answered with an error (status, code, message)
    │   ├── NotFoundError           404: unknown parent segment / object, RT disabled
    │   └── ConflictError           409: the server refused because of current state
    ├── SegmentNotFoundError        no parent segment of that id is visible to the key
    ├── RtNotEnabledError           the parent segment exists, RT 2.0 is not enabled for it
    ├── TransportError              no usable answer: connection, timeout, bad body, deadline
    │   ├── WriteOutcomeUnknown     a POST may or may not have been stored: look it up first
    │   └── AttemptFailed           one attempt (retry=False) failed before it was acted on
    ├── PlanError                   a plan that cannot be carried out (unset extLookupKey, …)
    │   └── SavedPlanRefused        exit 3: a saved plan whose content cannot be right
    ├── StepFailed                  one apply step could not be done (its row says why)
    └── RefusedError                exit 3: stale saved plan, destroy not allowed, not confirmed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

from rtcfg.safe_text import safe

Severity = Literal["error", "warning"]


class ExitCode(IntEnum):
    """Process exit codes of spec/cli.md."""

    OK = 0
    ERROR = 1
    CHANGES = 2
    REFUSED = 3


@dataclass(frozen=True)
class Problem:
    """One finding about a config file, located at a line and column (1-based)."""

    file: str
    line: int
    col: int
    message: str
    hint: str | None = None
    severity: Severity = "error"

    def format(self) -> str:
        """Render as ``FILE:LINE:COL: severity: message (hint)``, the form editors jump to.
        Messages quote the file's own values: each part is escaped, so a value never adds
        a line or a terminal escape (``rtcfg.safe_text``)."""
        text = f"{safe(self.file)}:{self.line}:{self.col}: {self.severity}: {safe(self.message)}"
        return f"{text}\n  hint: {safe(self.hint)}" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``--format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class RtcfgError(Exception):
    """Base of every error rtcfg reports to the user without a traceback."""

    exit_code: ExitCode = ExitCode.ERROR


class UsageError(RtcfgError):
    """The command line asks for something that cannot be done."""


class ConfigError(RtcfgError):
    """A config file has one or more problems; all of them are carried."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in config")


class OutputError(RtcfgError):
    """Standard output or error cannot be written (closed, a full disk)."""


class CredentialsError(RtcfgError):
    """No API key was found, or it may not be sent to the requested endpoint."""


@dataclass
class ApiErrorInfo:
    """What the API said about a failed request."""

    status: int
    code: str | None = None
    message: str = ""
    method: str = ""
    path: str = ""
    details: dict[str, object] = field(default_factory=dict)
    url: str = ""  # what answered: scheme, host, port and path (never userinfo or query)


class ApiError(RtcfgError):
    """The API answered with an error status."""

    def __init__(self, info: ApiErrorInfo) -> None:
        self.info = info
        code = f" {info.code}" if info.code else ""
        super().__init__(
            f"{info.method} {info.path} failed: HTTP {info.status}{code}: {info.message}".strip()
        )

    @property
    def status(self) -> int:
        return self.info.status


class NotFoundError(ApiError):
    """404: the parent segment or object does not exist, or RT 2.0 is not enabled."""


class ConflictError(ApiError):
    """409: the server refused the request because of the current state."""


class TransportError(RtcfgError):
    """No usable answer came back: connection failure, timeout, malformed body, deadline."""


class WriteOutcomeUnknown(TransportError):
    """A POST failed after it may have reached the server: the caller must look the object up
    by name/identifier before creating it again, or a duplicate could be made."""


class AttemptFailed(TransportError):
    """A request sent with ``retry=False`` failed transiently and surely was not acted on
    (connection refused, 429): the caller decides what to send next, and when."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PlanError(RtcfgError):
    """The desired state cannot be reached by any plan (for example unsetting extLookupKey)."""


class SavedPlanRefused(PlanError):
    """A saved plan of a known format whose content cannot be right (a key of the wrong type,
    an unknown method, a step that depends on itself): refused like a plan that disagrees with
    itself (exit 3), never run."""

    exit_code = ExitCode.REFUSED


class SegmentNotFoundError(RtcfgError):
    """No parent segment with that id is visible to this key."""


class RtNotEnabledError(RtcfgError):
    """The parent segment exists but RT 2.0 is not enabled for it (its realtime paths answer
    404 or 403)."""


class StepFailed(RtcfgError):
    """One step could not be done; the message says why."""


class RefusedError(RtcfgError):
    """rtcfg refused to act: stale plan, destructive change not allowed, not confirmed."""

    exit_code = ExitCode.REFUSED
