"""Everything a person reads: problems, plans and results as text, markdown or JSON.

The only package besides cli that prints. ``output`` writes (colour, encoding, problems),
``status`` shows segments and status, ``plans`` the plan in every format, ``apply`` what
apply did, ``templates`` the jinja2 templates (the one jinja2 user) and ``tables`` the one
tabulate user; both libraries are imported only when used, so that ``rtcfg validate`` starts
fast. The names below are the package's API, so callers write ``render.plan_text``.
"""

from __future__ import annotations

from rtcfg.render.apply import apply_report
from rtcfg.render.output import (
    echo,
    paint,
    printable,
    problems_json,
    problems_text,
    use_color,
)
from rtcfg.render.plans import (
    PLAN_MARKER,
    breaks_lines,
    change_details,
    created_addresses,
    plan_failure,
    plan_json_text,
    plan_markdown,
    plan_summary,
    plan_text,
)
from rtcfg.render.status import csm_request, segments_table, status_text
from rtcfg.render.templates import Trusted, render_template

__all__ = [
    "PLAN_MARKER",
    "Trusted",
    "apply_report",
    "breaks_lines",
    "change_details",
    "created_addresses",
    "csm_request",
    "echo",
    "paint",
    "plan_failure",
    "plan_json_text",
    "plan_markdown",
    "plan_summary",
    "plan_text",
    "printable",
    "problems_json",
    "problems_text",
    "render_template",
    "segments_table",
    "status_text",
    "use_color",
]
