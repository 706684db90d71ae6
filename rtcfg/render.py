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


def segments_table(rows: Sequence[dict[str, object]]) -> str:
    """``rtcfg segments`` as a table."""
    from tabulate import tabulate

    if not rows:
        return "No parent segments match."
    table = [[r["id"], r["name"], "yes" if r["rt_enabled"] else "no"] for r in rows]
    return tabulate(table, headers=["ID", "NAME", "RT 2.0"], tablefmt="plain")


def status_text(report: dict[str, object]) -> str:
    """``rtcfg status`` for a person."""
    lines = [
        f"Parent segment {report['parent_segment_id']} ({report['parent_segment_name']})",
        f"  RT 2.0 enabled:   {'yes' if report['rt_enabled'] else 'no'}",
    ]
    if not report["rt_enabled"]:
        return "\n".join([*lines, f"  {report['message']}"])
    attributes = report["attributes"]
    assert isinstance(attributes, dict)
    lines += [
        f"  config exists:    {'yes' if report['config_exists'] else 'no'}",
        f"  setting status:   {report['status']}"
        + (f" ({report['status_detailed']})" if report.get("status_detailed") else ""),
        f"  event tables:     {report['event_tables']}",
        f"  stitching keys:   {report['stitching_keys']}",
        f"  key events:       {report['key_events']}",
        f"  attributes:       {sum(attributes.values())} ("
        + ", ".join(f"{n} {t}" for t, n in attributes.items())
        + ")",
        f"  imported (batch): {report['imported_batch_attributes']}",
    ]
    return "\n".join(lines)


def csm_request(report: dict[str, object], site: str, use_case: str | None = None) -> str:
    """The RT 2.0 enablement request of the seed guide's Phase 2, from a jinja2 template."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rtcfg", "templates"),
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.get_template("csm_request.md.j2").render(**report, site=site, use_case=use_case)
