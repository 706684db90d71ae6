"""The TD catalog (databases, tables, their columns, row counts and last update) through the TD
API v3, for discovery and ``rtcfg init``.

What is read: ``GET /v3/database/list`` once (skipped when every database is named), then
``GET /v3/table/list/{db}`` for each database, all at once (at most ``MAX_CONCURRENT_READS`` in
flight). A table list carries every table of its database *with its schema*
(``Table.schema``, api/td-api-v3-openapi.yml, ``/table/list/{database_name}``), so the cost is
one request per database, however many tables and columns it has; ``/v3/table/show`` is never
needed.

Columns are the ones the schema lists. TD tables always have a ``time`` column that a schema may
leave out; discovery does not add it, because the CDP API checks attribute columns against the
listed schema (emulator S15), so a recommendation built on an unlisted ``time`` could be refused.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import quote

from rtcfg.api.client import ApiClient
from rtcfg.errors import NotFoundError

MAX_CONCURRENT_READS = 16
# TD (Hive/Presto) column types that the CDP API counts as "number"; everything else that is
# not an array, map or boolean counts as "string".
NUMBER_TYPES = frozenset(
    {"int", "integer", "long", "bigint", "smallint", "tinyint", "double", "float", "real"}
    | {"decimal", "number"}
)
STRING_TYPES = frozenset({"string", "varchar", "char", "text"})
# TD's parent segment workflows write their output to ``cdp_audience_<id>`` databases: profile
# tables, not event streams, so discovery without --database leaves them out.
OUTPUT_DATABASE_PREFIX = "cdp_audience_"

Progress = Callable[[int, int, int], None]  # (databases read, databases to read, tables read)


def is_number_type(td_type: str) -> bool:
    """True for TD types the API treats as numbers (``decimal(10,2)`` included)."""
    return td_type.split("(")[0].strip() in NUMBER_TYPES


def is_string_type(td_type: str) -> bool:
    """True for TD text types (``varchar(64)`` included)."""
    return td_type.split("(")[0].strip() in STRING_TYPES


@dataclass(frozen=True)
class Column:
    """One column of a TD table, with its TD type in lower case and its SQL alias, if any."""

    name: str
    td_type: str
    alias: str | None = field(default=None, compare=False)  # the online checks accept it

    @property
    def kind(self) -> str:
        """``number``, ``string`` or ``other`` (arrays, maps, booleans), as the CDP API sees it."""
        if is_number_type(self.td_type):
            return "number"
        return "string" if is_string_type(self.td_type) else "other"


@dataclass(frozen=True)
class Table:
    """One TD table: where it is, how big, when it last received data, and its columns."""

    database: str
    name: str
    row_count: int | None
    last_update: int | None  # epoch seconds of the last imported row (or of the last change)
    columns: tuple[Column, ...]

    @property
    def address(self) -> str:
        return f"{self.database}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Catalog:
    """The databases read and their tables; ``missing`` are requested databases that do not
    exist, ``all_databases`` every database the key can see (when the list was read)."""

    databases: tuple[str, ...]
    tables: tuple[Table, ...]
    missing: tuple[str, ...] = ()
    all_databases: tuple[str, ...] = ()


async def read_catalog(
    api: ApiClient, databases: Sequence[str] = (), progress: Progress | None = None
) -> Catalog:
    """The tables of ``databases`` (all visible databases except parent segment outputs when
    none are named), read concurrently, one request per database."""
    every: tuple[str, ...] = ()
    names = list(dict.fromkeys(databases))
    if not names:
        every = tuple(await database_names(api))
        names = [n for n in every if not n.startswith(OUTPUT_DATABASE_PREFIX)]
    limit = asyncio.Semaphore(MAX_CONCURRENT_READS)
    done = read = 0

    async def one(name: str) -> tuple[Table, ...] | None:
        nonlocal done, read
        async with limit:
            tables = await read_tables(api, name)
        done += 1
        read += len(tables or ())
        if progress is not None:
            progress(done, len(names), read)
        return tables

    # every read runs to its end before the first failure is raised, so none is left behind
    results = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    found = [n for n, r in zip(names, results, strict=True) if r is not None]
    missing = tuple(n for n, r in zip(names, results, strict=True) if r is None)
    if missing and not every:
        every = tuple(await database_names(api))
    tables = tuple(t for r in results if isinstance(r, tuple) for t in r)
    return Catalog(tuple(found), tables, missing, every)


async def database_names(api: ApiClient) -> list[str]:
    """Every database this key can see (``GET /v3/database/list``)."""
    body = await api.get("/v3/database/list", td=True)
    databases = body.get("databases") if isinstance(body, dict) else None
    return [str(d["name"]) for d in databases or [] if isinstance(d, dict) and "name" in d]


async def read_tables(api: ApiClient, database: str) -> tuple[Table, ...] | None:
    """The tables of ``database`` with their schemas (``GET /v3/table/list/{db}``); None when
    the database does not exist."""
    try:
        body = await api.get(f"/v3/table/list/{quote(database, safe='')}", td=True)
    except NotFoundError:
        return None
    raw = body.get("tables") if isinstance(body, dict) else None
    return tuple(
        table_from_api(database, t) for t in raw or [] if isinstance(t, dict) and "name" in t
    )


def table_from_api(database: str, body: dict[str, object]) -> Table:
    """A TD API ``Table`` object → Table (lenient: missing or odd fields become None)."""
    count = body.get("count")
    return Table(
        database=database,
        name=str(body["name"]),
        row_count=count if isinstance(count, int) else None,
        last_update=_last_update(body),
        columns=parse_columns(body.get("schema")),
    )


def _last_update(body: dict[str, object]) -> int | None:
    stamp = body.get("last_log_timestamp")
    if isinstance(stamp, int) and stamp > 0:
        return stamp
    text = body.get("updated_at")
    if not isinstance(text, str):
        return None
    # DateTimeAsString: "2020-12-31 11:22:33 UTC" or "2020-12-31 11:22:33 -0500"
    text = text.replace(" UTC", " +0000")
    try:
        return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").timestamp())
    except ValueError:
        return None


def parse_columns(schema: object) -> tuple[Column, ...]:
    """``Table.schema`` (JSON text or list of ``[name, type(, alias, description)]``) →
    the columns it lists, in order, each with its alias when one is given."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema) if schema.strip() else []
        except ValueError:
            schema = []
    columns: list[Column] = []
    for entry in schema if isinstance(schema, list) else []:
        if isinstance(entry, list) and len(entry) >= 2 and isinstance(entry[0], str):
            alias = entry[2] if len(entry) > 2 and isinstance(entry[2], str) and entry[2] else None
            columns.append(Column(entry[0], str(entry[1]).strip().lower(), alias))
    return tuple(columns)


def age_text(last_update: int | None, now: float | None = None) -> str:
    """How long ago, for a person ("2 minutes ago"); JSON keeps the timestamp."""
    if last_update is None:
        return "at an unknown time"
    seconds = max(0, int((now if now is not None else _now()) - last_update))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def rows_text(count: int | None) -> str:
    """12500000 → "12.5M rows" (the guide's short form)."""
    if count is None:
        return "? rows"
    for suffix, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if count >= size:
            return f"{count / size:.1f}".rstrip("0").rstrip(".") + f"{suffix} rows"
    return f"{count} row{'s' if count != 1 else ''}"


def _now() -> float:
    return datetime.now(timezone.utc).timestamp()
