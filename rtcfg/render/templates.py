"""The jinja2 templates of ``rtcfg/templates/``: every value they print is redacted and
escaped (:func:`_finalizer`); :class:`Trusted` marks text rtcfg composed itself.

jinja2 is imported by this module only, and only when a template is rendered (start-up
time of the commands that never render one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rtcfg.safe_text import safe

if TYPE_CHECKING:
    import jinja2

    pass


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


def jinja_environment(*, markdown: bool | None, trim: bool = True) -> jinja2.Environment:
    """A jinja2 environment over ``rtcfg/templates/``. ``markdown`` says how every printed
    value is escaped (see :func:`_finalizer`); None leaves values as they are, for a template
    whose values are escaped already (the plan's Markdown views)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("rtcfg", "templates"),
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=trim,
        lstrip_blocks=trim,
        finalize=None if markdown is None else _finalizer(markdown),
    )


def render_template(name: str, **context: Any) -> str:
    """A text or Markdown template of templates/ (blocks trimmed); every value printed is
    escaped (:func:`_finalizer`); the filters ``rows``, ``age``, ``columns`` and ``cell``
    format discovery and report values."""
    from rtcfg.api.catalog import age_text, rows_text

    env = jinja_environment(markdown=name.endswith(".md.j2"))
    env.filters["cell"] = _cell
    env.filters["code"] = _code_span
    env.globals.update(rows=rows_text, age=age_text, columns=_column_lines, wrap=_wrap)
    text: str = env.get_template(name).render(**context)
    return text


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
