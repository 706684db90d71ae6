"""Everything a person reads: problems, plans and results as text, markdown or JSON.

The only module besides cli that prints, and the home of tabulate and jinja2 (imported lazily
so that ``rtcfg validate`` starts fast).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from rtcfg.errors import Problem

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "ok": "\033[32m", "bold": "\033[1m"}
_RESET = "\033[0m"


def use_color(stream: TextIO, no_color: bool = False) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set or --no-color is given."""
    return not no_color and "NO_COLOR" not in os.environ and stream.isatty()


def paint(text: str, style: str, color: bool) -> str:
    """Wrap ``text`` in the ANSI colour of ``style`` when colour is on."""
    return f"{_COLORS[style]}{text}{_RESET}" if color else text


def problems_text(file: str, problems: Sequence[Problem], *, color: bool = False) -> str:
    """Problems of one file, each as FILE:LINE:COL: severity: message, then a summary line."""
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
    if errors:
        summary = paint(f"{file}: {errors} error(s), {warnings} warning(s)", "error", color)
    else:
        extra = f" ({warnings} warning(s))" if warnings else ""
        summary = paint(f"{file}: valid{extra}", "ok", color)
    lines.append(summary)
    return "\n".join(lines)


def problems_json(problems: Sequence[Problem]) -> str:
    """All problems as a JSON list of objects (``validate --format json``)."""
    return json.dumps([p.as_dict() for p in problems], indent=2)


def echo(text: str, *, err: bool = False) -> None:
    """Write a line to stdout (results) or stderr (progress, errors)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
