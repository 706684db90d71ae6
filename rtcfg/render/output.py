"""Writing for people: colour, the terminal's encoding, and problems as text or JSON."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from rtcfg.errors import Problem

if TYPE_CHECKING:
    pass


_COLORS = {"error": "\033[31m", "warning": "\033[33m", "ok": "\033[32m", "bold": "\033[1m"}
_RESET = "\033[0m"


def use_color(stream: TextIO, no_color: bool = False) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set or --no-color is given."""
    if no_color or "NO_COLOR" in os.environ or stream is None:
        return False
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def paint(text: str, style: str, color: bool) -> str:
    """Wrap ``text`` in the ANSI colour of ``style`` when colour is on."""
    return f"{_COLORS[style]}{text}{_RESET}" if color else text


def problems_text(
    file: str, problems: Sequence[Problem], *, color: bool = False, strict: bool = False
) -> str:
    """Problems of one file, each as FILE:LINE:COL: severity: message, then a summary line
    (with ``strict``, warnings are counted as what they are then: errors)."""
    lines = []
    for problem in problems:
        first, *rest = problem.format().split("\n")
        lines.append(
            first.replace(
                f": {problem.severity}: ",
                f": {paint(problem.severity, problem.severity, color)}: ",
                1,
            )
        )
        lines.extend(rest)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if strict and warnings:
        counted = (  # "N error(s) ... treated as errors" would read as if errors were upgraded
            f"{errors} error(s) and {warnings} warning(s) (warnings count as errors with --strict)"
            if errors
            else f"{warnings} warning(s) treated as errors (--strict)"
        )
        summary = paint(f"{file}: {counted}", "error", color)
    elif errors:
        summary = paint(f"{file}: {errors} error(s), {warnings} warning(s)", "error", color)
    else:
        extra = f" ({warnings} warning(s))" if warnings else ""
        summary = paint(f"{file}: valid{extra}", "ok", color)
    lines.append(summary)
    return "\n".join(lines)


def problems_json(problems: Sequence[Problem]) -> str:
    """All problems as a JSON list of objects (``validate --format json``)."""
    return json.dumps([p.as_dict() for p in problems], indent=2)


# Symbols of rtcfg's own output, and what they become on a stream that cannot encode them.
_ASCII = str.maketrans({"\u2192": "->", "\u2026": "...", "\u2014": "-", "\u2013": "-"})


def printable(text: str, encoding: str | None) -> str:
    """``text`` as it may be written: the key redacted, unsafe characters escaped (only
    rtcfg's own colours and line breaks stay), and, for a stream that is not UTF-8 (cp1252,
    ascii), ASCII symbols and ``\\u`` escapes instead of what it cannot encode."""
    from rtcfg.safe_text import escape_output, redact

    text = escape_output(redact(text))
    try:
        text.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        text = text.translate(_ASCII)
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text


def echo(text: str, *, err: bool = False) -> None:
    """Write a line to stdout (results) or stderr (progress, errors); see :func:`printable`."""
    from rtcfg.errors import OutputError

    stream = sys.stderr if err else sys.stdout
    if stream is None:  # started with the stream closed (`rtcfg plan >&-`)
        raise OutputError(f"standard {'error' if err else 'output'} is closed")
    try:
        stream.write(printable(text, getattr(stream, "encoding", None)) + "\n")
    except BrokenPipeError:
        raise  # the reader went away (`| head`): main ends quietly
    except (OSError, ValueError) as exc:  # a full disk, a closed file
        name = "error" if err else "output"
        raise OutputError(f"cannot write to standard {name}: {exc}") from None
