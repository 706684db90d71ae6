"""`rtcfg segments` and `rtcfg status` as text, and the RT 2.0 enablement request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rtcfg.safe_text import safe

if TYPE_CHECKING:
    from rtcfg.model.status import SegmentStatus
from rtcfg.render.tables import table
from rtcfg.render.templates import Trusted, jinja_environment


def segments_table(rows: Sequence[dict[str, object]]) -> str:
    """``rtcfg segments`` as a table."""

    if not rows:
        return "No parent segments match."
    rows_shown = [[safe(r["id"]), safe(r["name"]), safe(_rt_cell(r))] for r in rows]
    return table(rows_shown, ["ID", "NAME", "RT 2.0"], fmt="plain")


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
    from rtcfg.safe_text import escape, redact

    env = jinja_environment(markdown=False, trim=False)
    told = Trusted(escape(redact(use_case), "\n\t")) if use_case else None
    text: str = env.get_template("csm_request.md.j2").render(
        **report, site=site, use_case=told, environment=environment
    )
    return text
