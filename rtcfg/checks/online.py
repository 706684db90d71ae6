"""Online checks of a Config against the API (spec/config-format.md, "Checks", ``--online``).

What is read, all at once: the parent segment (``GET /audiences/{id}``) and, for each distinct
database of the event tables, its tables with their schemas (TD API ``GET
/v3/table/list/{db}``). That is 1 + (number of databases) requests in one round trip of wall
time. Only when a database is missing does a second round trip list the databases, for a
"did you mean".

The checks, each a Problem at the YAML value it concerns:

* the parent segment exists (otherwise that one error is all); RT 2.0 is enabled for it;
  ``parent_segment_name`` matches the live name (a warning);
* every event table exists; a missing database and a missing table read differently;
* filter columns (``filter.field``, and ``Column`` conditions of a raw ``filter_rule``) are
  columns of the event's table;
* attribute columns (``source_field``, a list's ``fields`` and ``aggregations[].column``) are
  columns of the source event's table; ``aggregation: sum`` adds up a number column; a single
  attribute's ``data_type`` matches its column (number column ↔ number). The mismatch is an
  error, not a warning: the API refuses such an attribute;
* each stitching key is a string column of at least one event table. A key that is missing
  from *some* tables is not reported: tables carry different identifiers (an email only on
  form fills) and stitching links them through rows that carry two keys. A key that exists
  only as a non-string column is an error naming its type;
* ``imported_batch`` columns are attributes of the parent segment;
* ``ext_lookup_key`` is the parent segment's profile key.

A check whose input is missing (an unknown table, an event that does not exist) is skipped:
the table check or the offline checks already report the cause. API failures other than an
unknown parent segment or database (401, 5xx after retries, no connection) are raised as
usual: they are not problems of the file.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rtcfg.api.catalog import (
    Column,
    database_names,
    is_number_type,
    is_string_type,
    parse_columns,
    read_tables,
)
from rtcfg.api.client import ApiClient
from rtcfg.api.live import profile_key_guess, read_audience, read_rt_setting
from rtcfg.config.models import Attribute, Config, Event
from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import ApiError, Problem, SegmentNotFoundError

# The TD API v3 is read by ``rtcfg.api.catalog`` (its shapes are named there). Every TD table
# has a ``time`` column, and TD's schemas may leave it out: the online checks count it.
IMPLICIT_COLUMNS = {"time": "long"}
# Assumed (no field in TD's published Audience schema names them): the parent segment's
# attributes are "attributes": [{"name", "type"}], and a batchAttributes column names one.
AUDIENCE_ATTRIBUTES_FIELD = "attributes"
AUDIENCE_NAME_FIELD = "name"
MAX_LISTED = 12  # names listed in a hint when no close match exists

Columns = dict[str, str]  # column name (and alias) → TD type, lower case
Tables = dict[str, Columns]  # table name → its columns


@dataclass
class _Catalog:
    """What the API said: the parent segment, and the tables of each database named."""

    audience: dict[str, Any]
    databases: dict[str, Tables | None]  # None: the database does not exist
    rt_enabled: bool = True  # the realtime_setting answered (cdp-openapi.yml l.5161)
    all_databases: list[str] = field(default_factory=list)  # read only if one is missing

    def columns(self, database: str, table: str) -> Columns | None:
        return (self.databases.get(database) or {}).get(table)


async def online_problems(api: ApiClient, config: Config, doc: LoadedDocument) -> list[Problem]:
    """Every online problem of ``config`` (errors and warnings), in file order.

    An unknown parent segment is a Problem; an API that cannot answer raises (ApiError,
    TransportError), as everywhere else.
    """
    catalog = await _read_catalog(api, config)
    if catalog is None:
        ps_id = config.parent_segment_id
        return [
            doc.problem(
                ("parent_segment_id",),
                f"parent segment {ps_id} not found",
                "`rtcfg segments` lists the parent segments this API key can see",
            )
        ]
    checks = (
        _segment_problems,
        _table_problems,
        _filter_problems,
        _attribute_problems,
        _stitching_problems,
        _imported_problems,
        _lookup_key_problems,
    )
    problems = [p for check in checks for p in check(config, doc, catalog)]
    return sorted(problems, key=lambda p: (p.line, p.col))


# --- reading ------------------------------------------------------------------------------------


def _event_tables(config: Config) -> list[tuple[KeyPath, str, str]]:
    """(YAML path, database, table) of every event table: events first, then event_tables."""
    found: list[tuple[KeyPath, str, str]] = [
        (("events", i), e.database, e.table) for i, e in enumerate(config.events)
    ]
    found += [(("event_tables", i), t.database, t.table) for i, t in enumerate(config.event_tables)]
    return found


async def _read_catalog(api: ApiClient, config: Config) -> _Catalog | None:
    """The parent segment and the named databases' tables, concurrently; None: no segment."""
    names = sorted({database for _, database, _ in _event_tables(config)})
    # every read runs to its end before the first failure is raised, so none is left behind
    results = await asyncio.gather(
        _audience_or_none(api, config.parent_segment_id),
        read_rt_setting(api, config.parent_segment_id),
        *(_tables_or_none(api, name) for name in names),
        return_exceptions=True,
    )
    audience, setting, *tables = results
    if audience is None:
        return None
    for result in results:
        if isinstance(result, BaseException):
            raise result
    assert isinstance(audience, dict)
    catalog = _Catalog(audience, dict(zip(names, tables, strict=True)), setting is not None)
    if None in catalog.databases.values():
        catalog.all_databases = await _database_names(api)
    return catalog


async def _audience_or_none(api: ApiClient, ps_id: str) -> dict[str, Any] | None:
    try:
        return await read_audience(api, ps_id)
    except SegmentNotFoundError:
        return None


async def _tables_or_none(api: ApiClient, database: str) -> Tables | None:
    tables = await read_tables(api, database)
    return None if tables is None else {t.name: _columns(t.columns) for t in tables}


async def _database_names(api: ApiClient) -> list[str]:
    try:
        return await database_names(api)
    except ApiError:
        return []  # the list only feeds a "did you mean"; the missing database is reported


def _columns(listed: Iterable[Column]) -> Columns:
    """Columns by name and by alias, plus the implicit ``time`` column."""
    columns: Columns = dict(IMPLICIT_COLUMNS)
    for column in listed:
        # a column is known under its name and, when one is given, its SQL alias
        for name in (column.name, column.alias):
            if name:
                columns[name] = column.td_type
    return columns


def parse_schema(schema: object) -> Columns:
    """A TD table schema (JSON text or list of ``[name, type(, alias, description)]``) →
    columns by name and by alias, plus the implicit ``time`` column."""
    return _columns(parse_columns(schema))


# --- problems -----------------------------------------------------------------------------------


def _suggest(name: str, options: Iterable[str], what: str) -> str:
    """A "did you mean" when a name is close to one of ``options``, else a short list."""
    known = sorted(set(options))
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if not known:
        return f"there are no {what}"
    more = ", …" if len(known) > MAX_LISTED else ""
    return f"{what}: {', '.join(known[:MAX_LISTED])}{more}"


def _segment_problems(config: Config, doc: LoadedDocument, cat: _Catalog) -> Iterator[Problem]:
    ps_id = config.parent_segment_id
    live_name = cat.audience.get(AUDIENCE_NAME_FIELD)
    if not cat.rt_enabled:
        yield doc.problem(
            ("parent_segment_id",),
            f"RT 2.0 is not enabled for parent segment {ps_id} ({live_name})",
            "Treasure Data enables it on request: "
            f"`rtcfg status {ps_id} --csm-request FILE` writes the request for your CSM",
        )
    wanted = config.parent_segment_name
    if wanted is not None and isinstance(live_name, str) and wanted != live_name:
        yield doc.problem(
            ("parent_segment_name",),
            f"parent_segment_name '{wanted}' differs from the live name '{live_name}'",
            f"write parent_segment_name: {live_name}, or check parent_segment_id",
            severity="warning",
        )


def _table_problems(config: Config, doc: LoadedDocument, cat: _Catalog) -> Iterator[Problem]:
    for path, database, table in _event_tables(config):
        tables = cat.databases.get(database)
        if tables is None:
            yield doc.problem(
                (*path, "database"),
                f"database '{database}' not found",
                _suggest(database, cat.all_databases, "databases"),
            )
        elif table not in tables:
            yield doc.problem(
                (*path, "table"),
                f"table '{table}' not found in database '{database}'",
                _suggest(table, tables, f"tables of {database}"),
            )


def _missing_column(
    doc: LoadedDocument, path: KeyPath, column: str, event: Event, columns: Columns
) -> Problem:
    return doc.problem(
        path,
        f"column '{column}' not found in {event.database}.{event.table} "
        f"(the table of event '{event.name}')",
        _suggest(column, columns, f"columns of {event.table}"),
    )


def _rule_columns(rule: object, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """(path, column) of every ``Column`` condition of a filterRule, nested groups included."""
    if not isinstance(rule, dict):
        return
    if rule.get("type") == "Column" and isinstance(rule.get("column"), str):
        yield (*path, "column"), rule["column"]
    conditions = rule.get("conditions")
    for k, condition in enumerate(conditions if isinstance(conditions, list) else []):
        yield from _rule_columns(condition, (*path, "conditions", k))


def _filter_problems(config: Config, doc: LoadedDocument, cat: _Catalog) -> Iterator[Problem]:
    events = _events_by_name(config)
    for i, event in enumerate(config.events):
        columns = cat.columns(event.database, event.table)
        if columns is None:
            continue
        used = list(_rule_columns(event.filter_rule, ("events", i, "filter_rule")))
        if event.filter:
            used.append((("events", i, "filter", "field"), event.filter.field))
        for path, column in used:
            if column not in columns:
                yield _missing_column(doc, path, column, event, columns)
    for i, attr in enumerate(config.attributes):
        source = events.get(attr.source_event or "")
        columns = cat.columns(source.database, source.table) if source else None
        if source is None or columns is None:
            continue
        for path, column in _rule_columns(attr.filter_rule, ("attributes", i, "filter_rule")):
            if column not in columns:
                yield _missing_column(doc, path, column, source, columns)


def _events_by_name(config: Config) -> dict[str, Event]:
    events: dict[str, Event] = {}
    for event in config.events:
        events.setdefault(event.name, event)  # a repeated name is an offline error already
    return events


def _attribute_problems(config: Config, doc: LoadedDocument, cat: _Catalog) -> Iterator[Problem]:
    events = _events_by_name(config)
    for i, attr in enumerate(config.attributes):
        event = events.get(attr.source_event or "")
        if attr.kind == "imported_batch" or event is None:
            continue
        columns = cat.columns(event.database, event.table)
        if columns is not None:
            yield from _attribute_columns(doc, ("attributes", i), attr, event, columns)


def _attribute_columns(
    doc: LoadedDocument, path: KeyPath, attr: Attribute, event: Event, columns: Columns
) -> Iterator[Problem]:
    used: list[tuple[KeyPath, str]] = []
    if attr.source_field is not None:
        used.append(((*path, "source_field"), attr.source_field))
    used += [((*path, "fields", j), name) for j, name in enumerate(attr.fields or [])]
    used += [
        ((*path, "aggregations", j, "column"), agg.column)
        for j, agg in enumerate(attr.aggregations or [])
    ]
    for where, column in used:
        if column not in columns:
            yield _missing_column(doc, where, column, event, columns)
    field_type = columns.get(attr.source_field or "")
    if field_type is None:
        return
    if attr.kind == "single":
        yield from _data_type_problems(doc, path, attr, event, field_type)
    elif attr.kind == "counter" and attr.aggregation == "sum" and not is_number_type(field_type):
        numbers = sorted(c for c, t in columns.items() if is_number_type(t) and c != "time")
        yield doc.problem(
            (*path, "source_field"),
            f"aggregation: sum needs a number column; '{attr.source_field}' of "
            f"{event.database}.{event.table} is {field_type}",
            f"number columns of {event.table}: {', '.join(numbers)}"
            if numbers
            else "count the events instead: aggregation: count",
        )


def _data_type_problems(
    doc: LoadedDocument, path: KeyPath, attr: Attribute, event: Event, field_type: str
) -> Iterator[Problem]:
    want = "number" if is_number_type(field_type) else "string"
    have = attr.data_type or "string"
    if have == want:
        return
    given = "" if attr.data_type else " (the default)"
    yield doc.problem(
        (*path, "data_type" if attr.data_type else "source_field"),
        f"data_type {have}{given} does not fit column '{attr.source_field}' of "
        f"{event.database}.{event.table}, which is {field_type}",
        f"write data_type: {want}",
    )


def _stitching_problems(config: Config, doc: LoadedDocument, cat: _Catalog) -> Iterator[Problem]:
    known = [
        (f"{database}.{table}", columns)
        for _, database, table in _event_tables(config)
        if (columns := cat.columns(database, table)) is not None
    ]
    if not known:
        return  # no event table exists: the table problems say why
    strings = {c for _, columns in known for c, t in columns.items() if is_string_type(t)}
    for i, key in enumerate(config.id_stitching.stitching_keys):
        path: KeyPath = ("id_stitching", "stitching_keys", i, "name")
        if key.name in strings:
            continue
        types = {where: cols[key.name] for where, cols in known if key.name in cols}
        if types:
            where, td_type = next(iter(types.items()))
            yield doc.problem(
                path,
                f"stitching key '{key.name}' is not a string column ({where} has it as {td_type})",
                "stitching keys must be string columns of an event table",
            )
        else:
            yield doc.problem(
                path,
                f"stitching key '{key.name}' is not a column of any event table",
                _suggest(key.name, strings, "string columns of the event tables"),
            )


def _imported_problems(config: Config, doc: LoadedDocument, cat: _Catalog) -> Iterator[Problem]:
    attributes = cat.audience.get(AUDIENCE_ATTRIBUTES_FIELD)
    if not isinstance(attributes, list):
        return  # the server does not say: nothing to compare against
    names = [str(a.get("name")) for a in attributes if isinstance(a, dict)]
    for i, attr in enumerate(config.attributes):
        if attr.kind != "imported_batch":
            continue
        column = attr.column or attr.name
        if column not in names:
            yield doc.problem(
                ("attributes", i, "column" if attr.column else "name"),
                f"'{column}' is not an attribute of parent segment {config.parent_segment_id}",
                _suggest(column, names, "attributes of the parent segment"),
            )


def _lookup_key_problems(config: Config, doc: LoadedDocument, cat: _Catalog) -> Iterator[Problem]:
    """The Audience schema names no profile key (l.7608); the one column every attribute table
    joins the master table on (``foreignKey``, l.7279) stands in for it. Without that, say
    plainly that the check could not be made."""
    wanted = config.id_stitching.ext_lookup_key
    if wanted is None:
        return
    profile_key = profile_key_guess(cat.audience)
    where = ("id_stitching", "ext_lookup_key")
    # Also a stitching key is right for the profile key found in the event tables (the guide's
    # primary key, 4.6): said only when it may not be the profile key.
    stitched = wanted in {k.name for k in config.id_stitching.stitching_keys}
    also = (
        "; it is also a stitching key, which is right only for the profile key" if stitched else ""
    )
    if profile_key is None:
        yield doc.problem(
            where,
            f"could not check that ext_lookup_key '{wanted}' is the profile key: the API does "
            f"not publish the profile key of parent segment {config.parent_segment_id}{also}",
            "check it yourself: `tdx ps desc ID --json` shows it under master",
            severity="warning",
        )
    elif wanted != profile_key:
        yield doc.problem(
            where,
            f"ext_lookup_key '{wanted}' is not '{profile_key}', the master-table column that "
            f"every attribute table of parent segment {config.parent_segment_id} joins on "
            f"(most likely its profile key){also}",
            f"write ext_lookup_key: {profile_key} unless `tdx ps desc ID --json` names another "
            "profile key under master (it is fixed when the parent segment is created)",
            severity="warning",
        )
