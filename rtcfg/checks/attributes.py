"""Offline checks of each attribute (spec/config-format.md, "Checks"): identifiers, references
to events, the fields each type takes, and the API's limits per type.

Also the duplicate finder that every uniqueness check shares. ``rtcfg.checks.offline`` runs
these with the checks of events, tables and ID stitching.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator

from rtcfg.config.models import IDENTIFIER_RE, Attribute, Config, duration_days, parse_duration
from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import Problem

MAX_LIST_ITEMS = 100
MAX_LIST_DAYS = 60
SHORT_TOTAL_WINDOW_DAYS = 30
SINGLE_AGGREGATIONS = {"last"}
LIST_AGGREGATIONS = ("distinct_list", "first", "last", "sum", "min", "max")
COUNTER_AGGREGATIONS = ("count", "sum")
PII_WORDS = (
    "email",
    "mail",
    "phone",
    "mobile",
    "name",
    "address",
    "birth",
    "ssn",
    "passport",
    "zip",
    "postal",
    "ip_address",
    "gender",
)

# Fields that belong to one attribute type only: key → the types that accept it.
TYPE_SPECIFIC: dict[str, tuple[str, ...]] = {
    "source_event": ("single", "list", "counter"),
    "source_field": ("single", "list", "counter"),
    "data_type": ("single",),
    "duration": ("single",),
    "max_items": ("list",),
    "expiry_days": ("list",),
    "window_duration": ("counter",),
    "counter_type": ("counter",),
    "sub_durations": ("counter",),
    "filter_rule": ("single", "list", "counter"),
    "fields": ("list",),
    "aggregations": ("list",),
    "actions": ("list",),
    "backfill": ("single", "counter"),
    "source": ("imported_batch",),
    "column": ("imported_batch",),
}


def _duplicates(items: Iterable[tuple[str, KeyPath]]) -> Iterator[tuple[str, KeyPath, KeyPath]]:
    first: dict[str, KeyPath] = {}
    for value, path in items:
        if value in first:
            yield value, path, first[value]
        else:
            first.setdefault(value, path)


def duplicate_problems(
    doc: LoadedDocument, what: str, items: Iterable[tuple[str, KeyPath]]
) -> Iterator[Problem]:
    """A problem at each repeat of a value, pointing back at its first definition."""
    for value, path, first in _duplicates(items):
        line = doc.mark_of(first)[0]
        yield doc.problem(
            path,
            f"duplicate {what} '{value}'",
            f"first defined at line {line}; each {what} must be unique",
        )


def check_attributes(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    """Per-attribute rules: identifiers, references, type-specific fields and limits."""
    event_names = [e.name for e in config.events]
    for i, attribute in enumerate(config.attributes):
        path: KeyPath = ("attributes", i)
        yield from _identifier_problems(doc, path, attribute)
        yield from _wrong_type_fields(doc, path, attribute)
        yield from _reference_problems(doc, path, attribute, event_names)
        yield from _action_problems(doc, path, attribute, event_names)
        by_type = {
            "single": _single_problems,
            "list": _list_problems,
            "counter": _counter_problems,
            "imported_batch": _imported_problems,
        }
        yield from by_type[attribute.kind](doc, path, attribute)
        yield from _sensitivity_warning(doc, path, attribute)


def _identifier_problems(doc: LoadedDocument, path: KeyPath, attr: Attribute) -> Iterator[Problem]:
    if attr.kind == "imported_batch":
        return
    if attr.identifier is not None and not IDENTIFIER_RE.match(attr.identifier):
        yield doc.problem(
            (*path, "identifier"),
            f"invalid identifier '{attr.identifier}'",
            "letters, digits and _, not starting with a digit",
        )
    elif attr.identifier is None and not IDENTIFIER_RE.match(attr.name):
        suggestion = re.sub(r"\W+", "_", attr.name.strip()).strip("_").lower() or "attr"
        if suggestion[0].isdigit():
            suggestion = f"_{suggestion}"
        yield doc.problem(
            (*path, "name"),
            f"name '{attr.name}' cannot serve as the identifier",
            f"add identifier: {suggestion}",
        )


def _wrong_type_fields(doc: LoadedDocument, path: KeyPath, attr: Attribute) -> Iterator[Problem]:
    for key, types in TYPE_SPECIFIC.items():
        if getattr(attr, key) is not None and attr.kind not in types:
            yield doc.problem(
                (*path, key),
                f"'{key}' does not apply to {attr.kind} attributes",
                f"'{key}' is for {' / '.join(types)} attributes; remove it",
                key=True,
            )


def _reference_problems(
    doc: LoadedDocument, path: KeyPath, attr: Attribute, event_names: list[str]
) -> Iterator[Problem]:
    if attr.kind == "imported_batch":
        return
    if attr.source_event in doc.dropped_names:
        pass
    elif attr.source_event is None:
        yield doc.problem(
            path,
            f"missing required key 'source_event' ({attr.kind} attribute)",
            "name the event that feeds this attribute",
        )
    elif attr.source_event not in event_names:
        close = difflib.get_close_matches(attr.source_event, event_names, n=1)
        hint: str | None = (
            f"did you mean '{close[0]}'?"
            if close
            else (f"events in this file: {', '.join(event_names) or 'none'}")
        )
        if doc.dropped_names:
            hint = None
        yield doc.problem(
            (*path, "source_event"), f"source_event '{attr.source_event}' names no event", hint
        )
    if attr.source_field is None and attr.kind in ("single", "list"):
        yield doc.problem(
            path,
            f"missing required key 'source_field' ({attr.kind} attribute)",
            "name the column whose value the attribute keeps",
        )


def _action_problems(
    doc: LoadedDocument, path: KeyPath, attr: Attribute, event_names: list[str]
) -> Iterator[Problem]:
    for j, action in enumerate(attr.actions or []):
        if action.source_event not in event_names:
            close = difflib.get_close_matches(action.source_event, event_names, n=1)
            yield doc.problem(
                (*path, "actions", j, "source_event"),
                f"source_event '{action.source_event}' names no event",
                f"did you mean '{close[0]}'?" if close else "name an event of this file",
            )


def _list_aggregation_problems(
    doc: LoadedDocument, path: KeyPath, attr: Attribute
) -> Iterator[Problem]:
    """The explicit ``aggregations:`` form: valid, unique identifiers and known types."""
    if attr.aggregations is None:
        return
    if attr.aggregation is not None:
        yield doc.problem(
            (*path, "aggregation"),
            "'aggregation' and 'aggregations' cannot both be given",
            "keep aggregations: (one entry per column) and remove aggregation",
            key=True,
        )
    seen: set[str] = set()
    for j, agg in enumerate(attr.aggregations):
        where = (*path, "aggregations", j)
        if not IDENTIFIER_RE.match(agg.identifier) or agg.identifier in seen:
            what = "duplicate" if agg.identifier in seen else "invalid"
            yield doc.problem(
                (*where, "identifier"),
                f"{what} aggregation identifier '{agg.identifier}'",
                "unique; letters, digits and _, not starting with a digit",
            )
        seen.add(agg.identifier)
        if agg.aggregation not in LIST_AGGREGATIONS:
            yield doc.problem(
                (*where, "aggregation"),
                f"unknown list aggregation '{agg.aggregation}'",
                f"one of: {', '.join(LIST_AGGREGATIONS)}",
            )


def _duration_problems(
    doc: LoadedDocument, path: KeyPath, value: str | int | None, bare_unit: str = "day"
) -> Iterator[Problem]:
    if value is None:
        return
    try:
        parse_duration(value, bare_unit=bare_unit)
    except ValueError as exc:
        yield doc.problem(path, str(exc))


def _single_problems(doc: LoadedDocument, path: KeyPath, attr: Attribute) -> Iterator[Problem]:
    aggregation = attr.aggregation
    if aggregation is not None and aggregation not in SINGLE_AGGREGATIONS:
        if aggregation == "sum":
            instead = "for a running sum write type: counter, aggregation: sum, source_field: …"
        else:
            instead = f"for '{aggregation}' write type: list, aggregation: {aggregation}"
        yield doc.problem(
            (*path, "aggregation"),
            f"a single attribute cannot aggregate with '{aggregation}': the API keeps the "
            "latest value",
            f"single attributes keep the latest value (aggregation: last); {instead}",
        )
    yield from _duration_problems(doc, (*path, "duration"), attr.duration)


def _list_problems(doc: LoadedDocument, path: KeyPath, attr: Attribute) -> Iterator[Problem]:
    yield from _list_aggregation_problems(doc, path, attr)
    if attr.aggregation is not None and attr.aggregation not in LIST_AGGREGATIONS:
        close = difflib.get_close_matches(attr.aggregation, LIST_AGGREGATIONS, n=1)
        yield doc.problem(
            (*path, "aggregation"),
            f"unknown list aggregation '{attr.aggregation}'",
            f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(LIST_AGGREGATIONS)}",
        )
    if attr.max_items is not None and not 1 <= attr.max_items <= MAX_LIST_ITEMS:
        yield doc.problem(
            (*path, "max_items"),
            f"max_items {attr.max_items} is out of range",
            f"a list keeps 1 to {MAX_LIST_ITEMS} items",
        )
    yield from _duration_problems(doc, (*path, "expiry_days"), attr.expiry_days)
    if attr.expiry_days is not None:
        try:
            days = duration_days(attr.expiry_days)
        except ValueError:
            return
        if days > MAX_LIST_DAYS:
            yield doc.problem(
                (*path, "expiry_days"),
                f"expiry of {days:g} days is too long",
                f"lists keep items at most {MAX_LIST_DAYS} days",
            )


def _counter_problems(doc: LoadedDocument, path: KeyPath, attr: Attribute) -> Iterator[Problem]:
    aggregation = attr.aggregation or "count"
    if aggregation not in COUNTER_AGGREGATIONS:
        yield doc.problem(
            (*path, "aggregation"),
            f"unknown counter aggregation '{aggregation}'",
            "a counter counts events (count) or adds up a field (sum + source_field)",
        )
    elif aggregation == "sum" and attr.source_field is None:
        yield doc.problem(
            (*path, "aggregation"),
            "aggregation: sum needs a source_field",
            "add source_field: the numeric column to add up",
        )
    elif aggregation == "count" and attr.source_field is not None:
        yield doc.problem(
            (*path, "source_field"),
            "a counting counter uses no source_field",
            "remove source_field, or use aggregation: sum to add it up",
            key=True,
        )
    if attr.window_duration is None:
        yield doc.problem(
            path,
            "missing required key 'window_duration' (counter attribute)",
            "add window_duration: 24h (or 30m, 7d, …)",
        )
    yield from _duration_problems(doc, (*path, "window_duration"), attr.window_duration)
    yield from _sub_duration_problems(doc, path, attr)
    if attr.counter_type == "total" and attr.window_duration is not None:
        try:
            short = duration_days(attr.window_duration) <= SHORT_TOTAL_WINDOW_DAYS
        except ValueError:
            short = False
        if short:
            yield doc.problem(
                (*path, "counter_type"),
                f"counter_type: total with a {attr.window_duration} window",
                "total counters are lifetime counts with backfill; a window "
                "like this one wants counter_type: sliding (the default)",
                severity="warning",
            )


def _sub_duration_problems(
    doc: LoadedDocument, path: KeyPath, attr: Attribute
) -> Iterator[Problem]:
    for j, sub in enumerate(attr.sub_durations or []):
        sub_path = (*path, "sub_durations", j)
        yield from _duration_problems(doc, (*sub_path, "duration"), sub.duration)
        if not IDENTIFIER_RE.match(sub.identifier):
            yield doc.problem(
                (*sub_path, "identifier"),
                f"invalid identifier '{sub.identifier}'",
                "letters, digits and _, not starting with a digit",
            )
    yield from duplicate_problems(
        doc,
        "sub-duration identifier",
        (
            (s.identifier, (*path, "sub_durations", j, "identifier"))
            for j, s in enumerate(attr.sub_durations or [])
        ),
    )


def _imported_problems(doc: LoadedDocument, path: KeyPath, attr: Attribute) -> Iterator[Problem]:
    if attr.aggregation is not None:
        yield doc.problem(
            (*path, "aggregation"),
            "imported_batch attributes take no aggregation",
            "they are copied from the parent segment as they are",
            key=True,
        )
    if attr.sensitivity == "sensitive":
        yield doc.problem(
            (*path, "sensitivity"),
            "sensitivity of an imported_batch attribute cannot be set through "
            "the API and is ignored",
            "mark the attribute sensitive on the parent segment instead",
            severity="warning",
        )


def _sensitivity_warning(doc: LoadedDocument, path: KeyPath, attr: Attribute) -> Iterator[Problem]:
    if attr.kind in ("list", "counter") and attr.sensitivity == "sensitive":
        yield doc.problem(
            (*path, "sensitivity"),
            f"{attr.kind} attributes cannot be marked sensitive: the API has the flag on single "
            "attributes only",
            "remove sensitivity here, or keep the personal value in a single attribute",
        )
    if attr.kind != "single" or attr.sensitivity == "sensitive":
        return
    words = re.split(r"[^a-z0-9]+", f"{attr.name} {attr.identifier or ''}".lower())
    joined = "_".join(words)
    if any(w in words or (len(w) > 4 and w in joined) for w in PII_WORDS):
        yield doc.problem(
            (*path, "name"),
            f"attribute '{attr.name}' looks like personal data but is not marked sensitive",
            "add sensitivity: sensitive to keep it out of API responses",
            severity="warning",
        )
