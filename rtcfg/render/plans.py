"""Plans as text (Terraform's symbols), JSON and Markdown for a pull request comment."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rtcfg.safe_text import safe

if TYPE_CHECKING:
    from rtcfg.engine.diff import Change
    from rtcfg.engine.plan import Plan, SegmentPlan
from rtcfg.render.output import paint
from rtcfg.render.templates import jinja_environment

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


def change_details(change: Change, created: frozenset[str] = frozenset()) -> list[str]:
    """Why (for a replace: what forces it) and which fields, one line each. ``created`` are
    the addresses the same plan creates (or replaces): their ids are known only after apply."""
    return _reason_lines(change) + _field_lines(change, created)


def _reason_lines(change: Change) -> list[str]:
    prefix = "# forces replacement: " if change.action == "replace" else "# "
    return [prefix + reason for reason in change.reasons]


def _field_lines(change: Change, created: frozenset[str]) -> list[str]:
    from rtcfg.model.translate import yaml_label

    kind, ids = _object_kind(change), _IdLabels(change, created)
    if change.action == "create":
        return [f"{yaml_label(kind, f.path)} = {ids.shown(f.path, f.after)}" for f in change.fields]
    if change.action == "delete":
        return []  # "not in the configuration" says it all; the body is in the JSON plan
    before = _IdLabels(change, frozenset())  # what live holds has an id already
    return [
        f"{yaml_label(kind, f.path)}: {before.shown(f.path, f.before)} → "
        f"{ids.shown(f.path, f.after)}"
        for f in change.fields
    ]


def _object_kind(change: Change) -> str:
    """The kind, or for an attribute its type (single, list, counter): what names its fields
    in the YAML."""
    kind = change.address.kind
    if kind != "attribute":
        return kind
    return str((change.after or change.before or {}).get("type"))


class _IdLabels:
    """Where a change's body names another object (its kind's reference field, at the top or
    in list items), the plan holds that object's name; shown as the id it stands for."""

    def __init__(self, change: Change, created: frozenset[str]) -> None:
        # imported here, as yaml_label above: the kinds pull in the config models (pydantic),
        # which `from rtcfg import render` must not load for every command
        from rtcfg.model.kinds import kind_of

        kind = kind_of(change.address)
        self.field = kind.reference_field if kind else None
        self.target = kind.reference_kind if kind else None
        self.created = created

    def label(self, name: str) -> str:
        # a plan compares objects by name; the id is only known live (or after apply)
        address = f"{self.target}.{name}"
        if address in self.created:
            return f"(known after apply: id of {address})"
        return f"(id of {address})"

    def shown(self, path: str, value: Any) -> str:
        if self.field and path.endswith(self.field) and isinstance(value, str):
            return self.label(value)
        if not isinstance(value, dict | list):
            return _value(value)
        labels: dict[str, str] = {}  # a placeholder in the JSON text → the label it stands for
        text = _value(self._with_placeholders(value, labels))
        for placeholder, label in labels.items():
            text = text.replace(json.dumps(placeholder), label)
        return text

    def _with_placeholders(self, value: Any, labels: dict[str, str]) -> Any:
        """``value`` with each nested name (a list's ``actions``) replaced by a placeholder
        that :meth:`shown` turns into its id label after the JSON is written."""
        if isinstance(value, list):
            return [self._with_placeholders(v, labels) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            if self.field and key == self.field and isinstance(item, str):
                placeholder = f"\u0000id{len(labels)}"
                labels[placeholder] = self.label(item)
                out[key] = placeholder
            else:
                out[key] = self._with_placeholders(item, labels)
        return out


def created_addresses(segment: SegmentPlan) -> frozenset[str]:
    """What this segment's plan creates or replaces (their ids are not known yet)."""
    return frozenset(str(c.address) for c in segment.changes if c.action in ("create", "replace"))


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
        pending = created_addresses(segment)
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
    segments, budget = [], max_objects
    for segment in plan.segments:
        shown = segment.changes if budget is None else segment.changes[: max(budget, 0)]
        budget = None if budget is None else budget - len(shown)
        pending = created_addresses(segment)
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
    env = jinja_environment(markdown=None)  # the views are escaped already
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
    created: frozenset[str],
    breaks: Sequence[str] = (),
) -> dict[str, Any]:
    fields = _field_lines(change, created)
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
