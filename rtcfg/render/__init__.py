"""Everything a person reads: problems, plans and results as text, markdown or JSON.

The only module besides cli that prints, and the home of tabulate and jinja2 (imported lazily
so that ``rtcfg validate`` starts fast).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from rtcfg.errors import Problem
from rtcfg.safe_text import safe

if TYPE_CHECKING:
    from rtcfg.engine.diff import Change
    from rtcfg.engine.plan import Plan, SegmentPlan
    from rtcfg.model.status import SegmentStatus

KEY_EVENT_FIELD = "realtimeKeyEventId"  # holds a key event's name inside a plan
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


def segments_table(rows: Sequence[dict[str, object]]) -> str:
    """``rtcfg segments`` as a table."""
    from tabulate import tabulate

    if not rows:
        return "No parent segments match."
    table = [[safe(r["id"]), safe(r["name"]), safe(_rt_cell(r))] for r in rows]
    return tabulate(table, headers=["ID", "NAME", "RT 2.0"], tablefmt="plain")


def _rt_cell(row: dict[str, object]) -> str:
    if not row["rt_enabled"]:
        return "no"
    if row.get("rt_status") in ("not_initialized", "initialized"):
        return "yes, not configured yet"
    return "yes" if row.get("rt_status") in ("ok", None) else f"yes ({row.get('rt_status')})"


def status_text(status: SegmentStatus) -> str:
    """``rtcfg status`` for a person."""
    report = status.as_json()
    lines = [
        f"Parent segment {safe(report['parent_segment_id'])} "
        f"({safe(report['parent_segment_name'])})",
        f"  RT 2.0 enabled:   {'yes' if report['rt_enabled'] else 'no'}",
    ]
    if not report["rt_enabled"]:
        return "\n".join([*lines, f"  {safe(report['message'])}"])
    attributes = report["attributes"]
    assert isinstance(attributes, dict)
    lines += [
        f"  config exists:    {'yes' if report['config_exists'] else 'no'}",
        f"  setting status:   {safe(report['status'])}"
        + (f" ({safe(report['status_detailed'])})" if report.get("status_detailed") else ""),
        f"  event tables:     {report['event_tables']}",
        f"  stitching keys:   {report['stitching_keys']}",
        f"  key events:       {report['key_events']}",
        f"  attributes:       {sum(attributes.values())} ("
        + ", ".join(f"{safe(n)} {safe(t)}" for t, n in attributes.items())
        + ")",
        f"  imported (batch): {report['imported_batch_attributes']}",
    ]
    if report.get("message"):
        lines.append(f"  {report['message']}")
    return "\n".join(lines)


def csm_request(
    report: dict[str, object],
    site: str,
    use_case: str | None = None,
    environment: str = "production",
) -> str:
    """The RT 2.0 enablement request of the seed guide's Phase 2, from a jinja2 template;
    ``site`` names the site and endpoint actually in use, ``environment`` what that endpoint is.
    Live values are escaped as in every template; the use case, the user's own text, may keep
    its lines."""
    import jinja2

    from rtcfg.safe_text import escape, redact

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rtcfg", "templates"),
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_finalizer(False),
    )
    told = Trusted(escape(redact(use_case), "\n\t")) if use_case else None
    return env.get_template("csm_request.md.j2").render(
        **report, site=site, use_case=told, environment=environment
    )


class Trusted(str):
    """Text rtcfg composed itself with every value from data already escaped (a Mermaid
    graph, a Markdown cell): a template prints it as it is."""


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finalizer(markdown: bool) -> Callable[[Any], str]:
    """Every ``{{ value }}`` of a template: redacted, unsafe characters escaped (a value never
    adds a line nor moves the cursor) and, in Markdown, HTML escaped, as plan's markdown."""

    def finalize(value: Any) -> str:
        if isinstance(value, Trusted):
            return value
        text = safe("" if value is None else value)
        return _html(text) if markdown else text

    return finalize


def _cell(text: Any) -> Trusted:
    """A Markdown table cell: one line, its pipes escaped (a code span is escaped already)."""
    shown = text if isinstance(text, Trusted) else _html(safe(text))
    return Trusted(shown.replace("|", "\\|"))


def render_template(name: str, **context: Any) -> str:
    """A text or Markdown template of templates/ (blocks trimmed); every value printed is
    escaped (:func:`_finalizer`); the filters ``rows``, ``age``, ``columns`` and ``cell``
    format discovery and report values."""
    import jinja2

    from rtcfg.api.catalog import age_text, rows_text

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rtcfg", "templates"),
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalizer(name.endswith(".md.j2")),
    )
    env.filters["cell"] = _cell
    env.filters["code"] = _code_span
    env.globals.update(rows=rows_text, age=age_text, columns=_column_lines, wrap=_wrap)
    return env.get_template(name).render(**context)


def _code_span(text: str) -> Trusted:
    """Markdown inline code that survives backticks in ``text`` (regexes, raw filters); its
    text escaped (a code span shows HTML as it is, so no HTML escaping)."""
    if not text:
        return Trusted("")
    text = safe(text)
    fence = "``" if "`" in text else "`"
    return Trusted(f"{fence} {text} {fence}" if fence == "``" else f"`{text}`")


def _column_lines(table: Any) -> list[str]:
    """A table's columns, identity columns marked as the guide marks them (4.3)."""
    from rtcfg.setup.discover import id_kind

    def shown(column: Any) -> str:
        marks = [column.td_type] + (
            ["ID"] if column.kind == "string" and id_kind(column.name) else []
        )
        return f"{column.name} ({', '.join(marks)})"

    return _wrap(", ".join(shown(c) for c in table.columns)) or ["(no columns listed)"]


def _wrap(text: str, width: int = 88) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, break_on_hyphens=False)


# --- plans ---------------------------------------------------------------------------------------

PLAN_MARKER = "<!-- rtcfg-plan -->"
# Terraform's symbols, and the colour of each action.
_SYMBOLS = {
    "create": ("+", "ok"),
    "update": ("~", "warning"),
    "replace": ("-/+", "error"),
    "delete": ("-", "error"),
}
# How far each object's details are cut, in turn, until a markdown plan fits its limit.
_DETAIL_LIMITS = (None, 4000, 1000, 200, 0)
_LISTED_DESTRUCTIVE = 20


def plan_summary(plan: Plan) -> str:
    """``Plan: 3 to create, 1 to update, 0 to replace, 0 to delete.`` or ``No changes.``, and
    how many changes ``--target``/``--exclude`` left out, so a narrowed plan never reads as
    "nothing to do" when there is."""
    counts = dict.fromkeys(_SYMBOLS, 0)
    for segment in plan.segments:
        for action, count in segment.summary.items():
            counts[action] += count
    left_out = sum(getattr(s, "left_out", 0) for s in plan.segments)
    note = f" {left_out} other change(s) left out by --target/--exclude." if left_out else ""
    if not any(counts.values()):
        return ("No changes among the selected objects." if left_out else "No changes.") + note
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['delete']} to delete.{note}"
    )


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def change_details(change: Change, new_key_events: frozenset[str] = frozenset()) -> list[str]:
    """Why (for a replace: what forces it) and which fields, one line each. ``new_key_events``
    are created (or replaced) by the same plan: their ids are known only after apply."""
    return _reason_lines(change) + _field_lines(change, new_key_events)


def _reason_lines(change: Change) -> list[str]:
    prefix = "# forces replacement: " if change.action == "replace" else "# "
    return [prefix + reason for reason in change.reasons]


def _field_lines(change: Change, new_key_events: frozenset[str]) -> list[str]:
    from rtcfg.model.translate import yaml_label

    kind = _object_kind(change)
    if change.action == "create":
        return [
            f"{yaml_label(kind, f.path)} = {_shown(f.path, f.after, new_key_events)}"
            for f in change.fields
        ]
    if change.action == "delete":
        return []  # "not in the configuration" says it all; the body is in the JSON plan
    return [
        f"{yaml_label(kind, f.path)}: {_shown(f.path, f.before)} → "
        f"{_shown(f.path, f.after, new_key_events)}"
        for f in change.fields
    ]


def _object_kind(change: Change) -> str:
    """``setting``, ``key_event``, or an attribute's type (single, list, counter)."""
    kind = change.address.kind
    if kind != "attribute":
        return kind
    return str((change.after or change.before or {}).get("type"))


def _id_label(name: str, new_key_events: frozenset[str]) -> str:
    # a plan compares key events by name; the id is only known live (or after apply)
    if name in new_key_events:
        return f"(known after apply: id of key_event.{name})"
    return f"(id of key_event.{name})"


def _shown(path: str, value: Any, new_key_events: frozenset[str] = frozenset()) -> str:
    if path.endswith(KEY_EVENT_FIELD) and isinstance(value, str):
        return _id_label(value, new_key_events)
    if not isinstance(value, dict | list):
        return _value(value)
    labels: dict[str, str] = {}  # a placeholder in the JSON text → the label it stands for
    text = _value(_with_id_placeholders(value, new_key_events, labels))
    for placeholder, label in labels.items():
        text = text.replace(json.dumps(placeholder), label)
    return text


def _with_id_placeholders(
    value: Any, new_key_events: frozenset[str], labels: dict[str, str]
) -> Any:
    """``value`` with each nested key event name (list ``actions``) replaced by a placeholder
    that ``_shown`` turns into its id label after the JSON is written."""
    if isinstance(value, list):
        return [_with_id_placeholders(v, new_key_events, labels) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == KEY_EVENT_FIELD and isinstance(item, str):
            placeholder = f"\u0000id{len(labels)}"
            labels[placeholder] = _id_label(item, new_key_events)
            out[key] = placeholder
        else:
            out[key] = _with_id_placeholders(item, new_key_events, labels)
    return out


def created_key_events(segment: SegmentPlan) -> frozenset[str]:
    """Key events this segment's plan creates or replaces (their ids are not known yet)."""
    return frozenset(
        c.address.name
        for c in segment.changes
        if c.address.kind == "key_event" and c.action in ("create", "replace")
    )


def breaks_lines(segment: SegmentPlan, change: Change) -> list[str]:
    """``# breaks personalization 'X' (id 1)``: what a replace or delete leaves broken."""
    return [f"# breaks {used}" for used in segment.breaks.get(change.address, [])]


def _segment_header(segment: SegmentPlan) -> str:
    return f"Parent segment {safe(segment.parent_segment_id)} ({safe(segment.config_file)})"


def plan_text(plan: Plan, color: bool = False) -> str:
    """The plan for a person at a terminal, Terraform-like."""
    lines = []
    for segment in plan.segments:
        lines.append(paint(_segment_header(segment), "bold", color))
        if segment.empty:
            lines.append("  no changes")
        pending = created_key_events(segment)
        for change in segment.changes:
            symbol, style = _SYMBOLS[change.action]
            lines.append(f"  {paint(symbol, style, color)} {safe(change.address)}")
            lines += [f"      {safe(line)}" for line in change_details(change, pending)]
            lines += [f"      {safe(line)}" for line in breaks_lines(segment, change)]
        if segment.references_unchecked and segment.destructive:
            unchecked = safe(segment.references_unchecked)
            lines.append(f"  {paint('!', 'warning', color)} {unchecked}")
        lines.append("")
    summary = plan_summary(plan)
    lines.append(paint(summary, "bold", color) if color else summary)
    return "\n".join(lines)


def plan_json_text(plan: Plan) -> str:
    """The saved plan document (``-o`` and ``--format json``): stable key order."""
    from rtcfg.engine.planfile import plan_to_json

    return json.dumps(plan_to_json(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def plan_failure(error: Exception, fmt: str) -> str:
    """The document a plan prints when it could not be made (``--format markdown`` or
    ``json``): the same marker as a plan, so a CI job updates its comment in place and the
    pull request shows why; the command still exits 1."""
    from rtcfg import __version__
    from rtcfg.errors import ConfigError

    if isinstance(error, ConfigError):
        problems = [p.as_dict() for p in error.problems]
        lines = [p.format() for p in error.problems]
    else:
        problems = [{"file": None, "line": None, "column": None, "severity": "error",
                     "message": str(error), "hint": None}]  # fmt: skip
        lines = [f"Error: {error}"]
    if fmt == "json":
        document = {"rtcfg_version": __version__, "status": "failed", "errors": problems}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    detail = "\n".join(lines)
    fence = "~~~~" if "```" in detail else "```"
    return "\n".join(
        [
            PLAN_MARKER,
            "## rtcfg plan",
            "",
            f"**Plan failed: {len(problems)} error(s).** Nothing was applied.",
            "",
            "> [!CAUTION]",
            "> rtcfg could not make a plan. Fix what is listed below and push again.",
            "",
            fence,
            detail,
            fence,
            "",
        ]
    )


def plan_markdown(plan: Plan, limit: int = 60000) -> str:
    """The plan as a pull request comment: a hidden marker a CI job finds its comment by, the
    summary, and a collapsible block per object. Field details are cut (never the summary or
    the reasons) until the comment fits in ``limit`` characters; only if even that is not
    enough are the last objects left out."""
    text = ""
    for detail_limit in _DETAIL_LIMITS:
        text = _markdown(plan, detail_limit, None)
        if len(text) <= limit:
            return text
    low, high = 0, sum(len(s.changes) for s in plan.segments)
    while low < high:  # the most objects that still fit
        middle = (low + high + 1) // 2
        if len(_markdown(plan, 0, middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    return _markdown(plan, 0, low)


def _markdown(plan: Plan, detail_limit: int | None, max_objects: int | None) -> str:
    import jinja2

    segments, budget = [], max_objects
    for segment in plan.segments:
        shown = segment.changes if budget is None else segment.changes[: max(budget, 0)]
        budget = None if budget is None else budget - len(shown)
        pending = created_key_events(segment)
        views = [_change_view(c, detail_limit, pending, breaks_lines(segment, c)) for c in shown]
        left_out = len(segment.changes) - len(shown)
        header = _segment_header(segment)
        unchecked = segment.references_unchecked if segment.destructive else None
        segments.append(
            {"header": header, "changes": views, "left_out": left_out, "unchecked": unchecked}
        )
    destructive = [safe(c.address) for s in plan.segments for c in s.destructive]
    listed = destructive[:_LISTED_DESTRUCTIVE]
    if len(destructive) > len(listed):
        listed.append(f"and {len(destructive) - len(listed)} more")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rtcfg", "templates"),
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("plan.md.j2").render(
        marker=PLAN_MARKER,
        summary=plan_summary(plan),
        destructive=listed,
        destructive_count=len(destructive),
        segments=segments,
    )


def _change_view(
    change: Change,
    detail_limit: int | None,
    new_key_events: frozenset[str],
    breaks: Sequence[str] = (),
) -> dict[str, Any]:
    fields = _field_lines(change, new_key_events)
    text = "\n".join(fields)
    if detail_limit is not None and len(text) > detail_limit:
        kept = text[:detail_limit].rsplit("\n", 1)[0] if detail_limit else ""
        hidden = len(fields) - (kept.count("\n") + 1 if kept else 0)
        note = f"… {hidden} field change(s) not shown: run `rtcfg plan` to see them"
        fields = [*kept.splitlines(), note]
    detail = "\n".join(safe(line) for line in _reason_lines(change) + list(breaks) + fields)
    return {
        "symbol": _SYMBOLS[change.action][0],
        "address": safe(change.address),
        "action": change.action,
        "destructive": change.destructive,
        "detail": detail,
        "fence": _fence(detail),
    }


def _fence(detail: str) -> str:
    """A code fence longer than any run of backticks or tildes in ``detail``: a value can
    never close the block and write markdown (or HTML) of its own into a review comment."""
    import re

    if "```" not in detail:
        return "```"
    longest = max((len(m) for m in re.findall(r"~+", detail)), default=0)
    return "~" * max(4, longest + 1)


def apply_report(plan: Plan, outcome: Any) -> str:
    """After apply: Terraform's "Apply complete!" line, or a table of what was done, what
    failed and why, and what was skipped, plus anything still different after the re-read."""
    if outcome.ok:
        counts = dict.fromkeys(_SYMBOLS, 0)
        for segment in plan.segments:
            for action, count in segment.summary.items():
                counts[action] += count
        return (
            f"Apply complete! {counts['create']} created, {counts['update']} updated, "
            f"{counts['replace']} replaced, {counts['delete']} deleted."
        )
    from tabulate import tabulate

    rows = [
        [r.step.id, safe(r.step.method), safe(r.step.address), r.status, safe(r.error or "")]
        for result in outcome.results
        for r in result.results
    ]
    lines = [tabulate(rows, headers=["step", "method", "address", "status", "why"])]
    if outcome.remaining:
        lines.append("Still different after apply: " + ", ".join(map(safe, outcome.remaining)))
    if outcome.unverified:
        lines.append(f"Not verified: {safe(outcome.unverified)}")
    return "\n".join([*lines, _apply_verdict(outcome)])


def _apply_verdict(outcome: Any) -> str:
    """The last line: failed steps, a result that is still different, or one not verified
    (worded apart: "not verified" says nothing is known to be wrong, only unchecked)."""
    failed = sum(1 for result in outcome.results for _ in result.failed)
    if failed:
        return (
            f"Apply failed: {failed} step(s) not done. Fix the cause and run apply again; "
            "it finishes the rest."
        )
    if outcome.remaining:
        return (
            "Apply failed: every step was done, but the result is not what the plan "
            "meant; `rtcfg plan` shows what is left."
        )
    return (
        "Apply not verified: every step was done, but the result could not be checked; "
        "run `rtcfg plan` on the config to see where live state stands."
    )
