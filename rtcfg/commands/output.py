"""Files a command writes (a plan, an imported config, a report): checked before any request
and written through the same filter as what is printed."""

from __future__ import annotations

from pathlib import Path

from rtcfg.errors import UsageError
from rtcfg.safe_text import escape_output, redact


def check_output_path(path: str) -> None:
    """Fail before any request when an output file cannot be written (its folder is missing)."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist")


def write_output(path: str, text: str) -> None:
    """Write a result file; a failure is a message, not a traceback."""
    try:  # what goes into a file passes the same filter as what is printed
        Path(path).write_text(escape_output(redact(text)), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
