"""``rtcfg init``: the guide's questions (4.2, 4.6-4.8) and the rt_config.yaml it writes (Phase 5).

:func:`ask_choices` asks, through an :class:`Asker`, what the flags left open; with ``-y`` or no
terminal nothing is asked and the recommendations stand. :func:`render_config` writes the
file: the schema modeline on the first line, a header saying how it was made, and a comment
before each choice saying why it was made (or, for what the guide recommends and the data
cannot have, what was looked for). The use case is kept in the header (``--use-case NAME``) so
that the summary after ``rtcfg apply`` and ``rtcfg report`` can name the next steps.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from rtcfg.api.catalog import age_text, rows_text
from rtcfg.config.yamlio import dump_yaml
from rtcfg.errors import UsageError
from rtcfg.model.importer import SCHEMA_LINE, escape_dollars
from rtcfg.safe_text import safe
from rtcfg.setup.discover import Discovery
from rtcfg.setup.recommend import (
    Choices,
    LeftOut,
    PlannedAttribute,
    Recommendation,
    pick_database,
    recommend,
)

_USE_CASE_MARK = re.compile(r"^#.*--use-case[ =]([a-z]+)", re.MULTILINE)
_WIDTH = 98


@dataclass(frozen=True)
class Option:
    """One answer offered by a question."""

    label: str
    value: str
    checked: bool = False


class Asker(Protocol):
    """Asks the user; :mod:`rtcfg.setup.prompts` implements it on a terminal."""

    def choose_many(self, question: str, options: Sequence[Option]) -> list[str]: ...

    def choose_one(self, question: str, options: Sequence[Option], default: str) -> str: ...


def ask_choices(discovery: Discovery, use_case: str, flags: Choices, asker: Asker) -> Choices:
    """The guide's questions, in its order, for what the flags did not settle."""
    choices = flags
    if choices.database is None:
        choices = replace(choices, database=_ask_database(discovery, asker))
    first = recommend(discovery, use_case, choices)
    if choices.tables is None:
        choices = replace(choices, tables=_ask_tables(discovery, first, asker))
    second = recommend(discovery, use_case, choices)
    if choices.keys is None:
        options = [Option(f"{k.name} - {k.advice}", k.name, True) for k in second.keys]
        options += [Option(f"{s.what} - {s.why}", s.what) for s in second.skipped_keys]
        keys = asker.choose_many("Which columns should be used for ID stitching?", options)
        choices = replace(choices, keys=tuple(keys))
    third = recommend(discovery, use_case, choices)
    if choices.primary_key is None and len(third.keys) > 1:
        options = [Option(k.name, k.name) for k in third.keys]
        primary = asker.choose_one(
            "Which stitching key is the primary key?", options, third.primary_key or ""
        )
        choices = replace(choices, primary_key=primary)
    if choices.attributes is None:
        choices = replace(choices, attributes=_ask_attributes(third, asker))
    return choices


def _ask_database(discovery: Discovery, asker: Asker) -> str | None:
    counts: dict[str, int] = {}
    for event in discovery.stitchable:
        counts[event.table.database] = counts.get(event.table.database, 0) + 1
    if len(counts) < 2:
        return None  # one candidate (or none: recommend says why)
    options = [Option(f"{db} ({n} event tables)", db) for db, n in sorted(counts.items())]
    return asker.choose_one(
        "Which database contains your streaming event data?", options, pick_database(discovery)
    )


def _ask_tables(discovery: Discovery, rec: Recommendation, asker: Asker) -> tuple[str, ...]:
    chosen = {e.table.address for e in rec.events}
    options = [
        Option(
            f"{e.table.name} - {e.kind.description} ({rows_text(e.table.row_count)}, "
            f"updated {age_text(e.table.last_update)})",
            e.table.address,
            e.table.address in chosen,
        )
        for e in discovery.stitchable
        if e.table.database == rec.database
    ]
    answer = asker.choose_many("Which event tables should RT 2.0 track?", options)
    if not answer:
        raise UsageError("no event table chosen: RT 2.0 needs at least one")
    return tuple(answer)


def _ask_attributes(rec: Recommendation, asker: Asker) -> tuple[str, ...]:
    planned = rec.attributes + rec.batch
    options = [
        Option(f"{a.entry['name']} ({_kind(a)}) - {a.why}", str(a.entry["name"]), True)
        for a in planned
    ]
    if not options:
        return ()
    return tuple(asker.choose_many("Which recommended attributes should be created?", options))


def _kind(attribute: PlannedAttribute) -> str:
    kind = str(attribute.entry["type"])
    return "batch" if kind == "imported_batch" else kind


# --- the file -----------------------------------------------------------------------------------


def render_config(rec: Recommendation, command: str, refused: Sequence[str] = ()) -> str:
    """rt_config.yaml for ``rec``, with a comment for each choice; ``command`` is the command
    line that made it (kept in the header); ``refused`` the live names left out
    (``rtcfg.setup.init_names``), named in a comment."""
    if not rec.events:
        raise UsageError("no key event could be made from the chosen tables; name others")
    if not rec.keys:
        raise UsageError(
            "the chosen tables have no identity column to stitch on; choose tables "
            "with a cookie id, email or user id (see `rtcfg discover`)"
        )
    parts = [
        _header(rec, command) + _refused(refused),
        dump_yaml(_segment(rec)),
        _events(rec),
        _attributes(rec),
        _stitching(rec),
    ]
    return "\n".join(p.rstrip("\n") + "\n" for p in parts if p)


def _segment(rec: Recommendation) -> dict[str, str]:
    names = {"parent_segment_id": rec.ps_id}
    if rec.ps_name is not None:  # None: the API gave none, or one rtcfg refuses (see above)
        names["parent_segment_name"] = rec.ps_name
    return names


def use_case_of(text: str) -> str | None:
    """The use case a file made by ``rtcfg init`` names in its header, if any."""
    match = _USE_CASE_MARK.search(text[:2000])
    return match.group(1) if match else None


def _comment(text: str, indent: int = 0) -> str:
    """``text`` as comment lines at ``indent``; a "- " item continues under its text. Its
    unsafe characters escaped: a newline would end the comment, an escape reach a terminal."""
    pad = " " * indent + "# "
    more = pad + ("  " if text.startswith("- ") else "")
    lines = textwrap.wrap(safe(text), _WIDTH, initial_indent=pad, subsequent_indent=more)
    return "\n".join(lines) + "\n"


def _items(entries: list[dict[str, Any]], comments: list[str], indent: int = 2) -> str:
    out = []
    for entry, comment in zip(entries, comments, strict=True):
        out.append(_comment(comment, indent))
        dumped = dump_yaml([escape_dollars(entry)])
        out.append("".join(" " * indent + line + "\n" for line in dumped.splitlines()))
    return "".join(out)


def _header(rec: Recommendation, command: str) -> str:
    name = f"{rec.ps_name} ({rec.ps_id})" if rec.ps_name else rec.ps_id
    lines = [
        SCHEMA_LINE + "\n",
        _comment(f"RT 2.0 configuration of parent segment {name}, use case: {rec.use_case}."),
        f"# Written by `{safe(command)}`\n",
        _comment(
            f"from the tables and columns found in {rec.database}; every table and column "
            "named below exists. Review it, then run `rtcfg validate --online`, `rtcfg plan` "
            "and `rtcfg apply` on this file."
        ),
    ]
    return "".join(lines)


def _refused(refused: Sequence[str]) -> str:
    if not refused:
        return ""
    text = _comment(
        "Left out: live names with a control or format character (a newline, an escape, a "
        "bidi override), which rtcfg refuses in a config file; rename them to use them:"
    )
    return text + "".join(_comment(f"- {name}") for name in refused)


def _events(rec: Recommendation) -> str:
    entries, comments = [], []
    for event in rec.events:
        entry: dict[str, Any] = {
            "name": event.name,
            "database": event.table.database,
            "table": event.table.name,
            "description": event.description,
        }
        why = event.why
        if event.filter_field:
            entry["filter"] = {"field": event.filter_field, "pattern": ".+"}
            why += f"; keeps the rows where {event.filter_field} is set"
        entries.append(entry)
        comments.append(f"{event.name}: {why}")
    text = _comment("Key events: each reads one event table (which joins the event tables).")
    text += "events:\n" + _items(entries, comments)
    text += "".join(_comment(f"Not used: {s.what}: {s.why}", 2) for s in rec.skipped_tables)
    return text


def _attributes(rec: Recommendation) -> str:
    text = _comment(f"Attributes the guide recommends for {rec.use_case} (Phase 4.5).")
    planned = rec.attributes + rec.batch
    if not planned:
        return text + "attributes: []\n" + _left_out(rec.left_out)
    text += "attributes:\n"
    if rec.attributes:
        text += _comment("Real-time attributes, from the events above:", 2)
        text += _items([a.entry for a in rec.attributes], [a.why for a in rec.attributes])
    if rec.batch:
        text += _comment("Batch attributes, imported from the parent segment (its schedule):", 2)
        text += _items([a.entry for a in rec.batch], [a.why for a in rec.batch])
    return text + _left_out(rec.left_out)


def _left_out(left_out: list[LeftOut]) -> str:
    if not left_out:
        return ""
    text = _comment("Left out (recommended by the guide, but not possible or not chosen):", 2)
    return text + "".join(_comment(f"- {item.what}: {item.why}", 2) for item in left_out)


def _stitching(rec: Recommendation) -> str:
    text = _comment("ID stitching (Phase 4.6).") + "id_stitching:\n"
    if rec.primary_key:
        text += _comment(
            f"primary_key: {rec.primary_why}. It must be one of the stitching keys; rtcfg "
            "checks it and never sends it (the API has no such field).",
            2,
        )
        text += f"  primary_key: {_scalar(rec.primary_key)}\n"
    keys = [{"name": k.name} for k in rec.keys]
    comments = [
        f"{k.advice}" + (f"; in {', '.join(k.tables)}" if k.tables else "") for k in rec.keys
    ]
    text += "  stitching_keys:\n" + _items(keys, comments, 4)
    text += "".join(_comment(f"Not chosen: {s.what}: {s.why}", 4) for s in rec.skipped_keys)
    if rec.ext_lookup_key:
        text += _comment("The parent segment's profile key (fixed when it was created).", 2)
        text += f"  ext_lookup_key: {_scalar(rec.ext_lookup_key)}\n"
    else:
        text += _comment(
            "ext_lookup_key left out: the API did not name the parent segment's profile key.", 2
        )
    return text


def _scalar(value: str) -> str:
    return dump_yaml(value).splitlines()[0]


def command_line(ps_id: str, use_case: str, choices: Choices, output: str | None = None) -> str:
    """The non-interactive command that writes the same file (for the header)."""
    parts = ["rtcfg init", ps_id, f"--use-case {use_case}"]
    if choices.database:
        parts.append(f"--database {choices.database}")
    if choices.tables is not None:
        parts.append(f"--tables {','.join(choices.tables)}")
    if output:
        parts.append(f"-o {output}")
    return " ".join(parts)
