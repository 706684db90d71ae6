"""Offline semantic checks of a Config (spec/config-format.md, "Checks").

Each check is a small function yielding located Problems; ``rtcfg.checks.validate`` runs them
all, so a user sees every problem of a file in one run. Limits mirror the API's documented ones.
The checks of each attribute are in ``rtcfg.checks.attributes``; the limits measured on the API
form of a value in ``rtcfg.checks.limits``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from rtcfg.checks.attributes import duplicate_problems
from rtcfg.config.models import Config
from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import Problem

MAX_EVENT_TABLES = 100
MAX_STITCHING_KEYS = 100


def check_uniqueness(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    """Event names, attribute names and identifiers, stitching keys: each unique."""
    yield from duplicate_problems(
        doc, "event name", ((e.name, ("events", i, "name")) for i, e in enumerate(config.events))
    )
    yield from duplicate_problems(
        doc,
        "attribute name",
        ((a.name, ("attributes", i, "name")) for i, a in enumerate(config.attributes)),
    )
    yield from duplicate_problems(
        doc,
        "attribute identifier",
        (
            (a.effective_identifier, ("attributes", i, "identifier" if a.identifier else "name"))
            for i, a in enumerate(config.attributes)
            if a.kind != "imported_batch"
        ),
    )
    yield from duplicate_problems(
        doc,
        "imported_batch column",
        (
            # without an explicit column, a repeated column is a repeated name: reported above
            (a.column or a.name, ("attributes", i, "column" if a.column else "name"))
            for i, a in enumerate(config.attributes)
            if a.kind == "imported_batch" and a.column
        ),
    )
    yield from duplicate_problems(
        doc,
        "stitching key",
        (
            (k.name, ("id_stitching", "stitching_keys", i, "name"))
            for i, k in enumerate(config.id_stitching.stitching_keys)
        ),
    )


def _one_of(
    doc: LoadedDocument, path: KeyPath, item: object, first: str, second: str, hint: str
) -> Iterator[Problem]:
    """Two keys that say the same thing in two ways: at most one may be given."""
    if getattr(item, first) is not None and getattr(item, second) is not None:
        yield doc.problem((*path, second), f"give either '{first}' or '{second}'", hint, key=True)


def check_events(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    """Filters (one form at a time, valid regex), renames, and the no-filter warning."""
    names = {e.name for e in config.events}
    for i, event in enumerate(config.events):
        path: KeyPath = ("events", i)
        yield from _one_of(
            doc,
            path,
            event,
            "filter",
            "filter_rule",
            "'filter' is sugar for the common filter_rule; keep one of them",
        )
        if event.filter:
            yield from _regex_problems(doc, (*path, "filter", "pattern"), event.filter.pattern)
        if event.filter_rule is not None:
            yield from _filter_rule_problems(doc, (*path, "filter_rule"), event.filter_rule)
        if not event.filter and event.filter_rule is None:
            yield doc.problem(
                (*path, "name"),
                f"event '{event.name}' has no filter: every row "
                f"of {event.database}.{event.table} is processed",
                "add filter: {field: …, pattern: …} to keep only matching rows",
                severity="warning",
            )
        if event.renamed_from and event.renamed_from in names - {event.name}:
            yield doc.problem(
                (*path, "renamed_from"),
                f"renamed_from '{event.renamed_from}' names another event in this file",
                "renamed_from names the key event's old name, which must be gone",
            )


def _regex_problems(doc: LoadedDocument, path: KeyPath, pattern: str) -> Iterator[Problem]:
    try:
        re.compile(pattern)
    except re.error as exc:
        yield doc.problem(
            path,
            f"invalid regular expression '{pattern}': {exc}",
            "escape special characters with a backslash, e.g. \\. for a dot",
        )


def _filter_rule_problems(
    doc: LoadedDocument, path: KeyPath, rule: dict[str, object]
) -> Iterator[Problem]:
    if rule.get("type") not in ("And", "Or") or not isinstance(rule.get("conditions"), list):
        yield doc.problem(
            path,
            "filter_rule must be a rule: {type: And|Or, conditions: [...]}",
            "an empty rule is {type: And, conditions: []}",
        )


def check_event_tables(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    """At most 100 distinct event tables."""
    tables = {(e.database, e.table) for e in config.events}
    tables |= {(t.database, t.table) for t in config.event_tables}
    if len(tables) > MAX_EVENT_TABLES:
        yield doc.problem(
            ("events",),
            f"{len(tables)} event tables; the API allows at most {MAX_EVENT_TABLES}",
            "register fewer tables",
        )


def check_stitching(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    """Stitching keys: limits, regexes, one form at a time; primary and lookup keys."""
    stitching = config.id_stitching
    names = [k.name for k in stitching.stitching_keys]
    base: KeyPath = ("id_stitching",)
    if len(names) > MAX_STITCHING_KEYS:
        yield doc.problem(
            (*base, "stitching_keys"),
            f"{len(names)} stitching keys; the API allows at most {MAX_STITCHING_KEYS}",
        )
    for i, key in enumerate(stitching.stitching_keys):
        path = (*base, "stitching_keys", i)
        yield from _one_of(
            doc,
            path,
            key,
            "exclude_regex",
            "valid_regexp",
            "exclude_regex is turned into a validRegexp; keep one",
        )
        yield from _one_of(
            doc,
            path,
            key,
            "internal",
            "workflow_only",
            "workflow_only is an alias of internal; keep one",
        )
        for field in ("exclude_regex", "valid_regexp"):
            value = getattr(key, field)
            if value is not None:
                yield from _regex_problems(doc, (*path, field), value)
    primary = stitching.primary_key
    if primary is not None and primary not in names and primary not in doc.dropped_names:
        close = difflib.get_close_matches(primary, names, n=1)
        yield doc.problem(
            (*base, "primary_key"),
            f"primary_key '{stitching.primary_key}' is not a stitching key",
            f"did you mean '{close[0]}'?"
            if close
            else "add it to stitching_keys, or name one of them",
        )
    # An ext_lookup_key that is also a stitching key is right when it is the profile key found
    # in the event tables (the guide's primary key, 4.6): only `validate --online` can tell.
