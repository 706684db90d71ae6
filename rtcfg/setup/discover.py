"""Discovery (the guide's Phase 4.1-4.4 and 4.6): which tables look like event tables, which
columns could stitch identities, and the parent segment's batch attributes.

Pure: :func:`classify` works on a :class:`~rtcfg.api.catalog.Catalog` and the parent segment's
``GET /audiences/{id}`` body; reading them is :mod:`rtcfg.api.catalog` and
:mod:`rtcfg.commands.discover`.

Tables and columns are matched by *patterns*, not by the guide's names, because real tables are
called ``web_pageviews``, ``order_transactions`` or ``basket_adds``. The event-table patterns are
the guide's grep (``pageview|page_view|formfill|form_fill|add_to_cart|cart|purchase|order|click|
event|activity|interaction|behavior``, 4.2) widened with the synonyms its list names (``pv``,
``form_submission``, ``transaction``, ``tracking``) and a few common ones (``basket``,
``checkout``, ``visit``). The ID patterns are the guide's 4.6 list: a cookie id, a master
(canonical) id, email, user/customer ids, phone, external ids, each in its common spellings
(``device_uuid``, ``advertising_id``, ``mail``, ``customer_number``); object ids such as
``product_id``, ``order_uuid`` or ``session_id`` are not identities of people and are never
candidates. The parent segment's profile key is an identity whatever its name: the master
customer id the guide recommends as the primary key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rtcfg.api.catalog import Catalog, Table
from rtcfg.safe_text import safe


@dataclass(frozen=True)
class EventKind:
    """A kind of event table: its usual event name, what it holds, and its name pattern."""

    name: str
    description: str
    pattern: str
    examples: str  # names it matches, for messages


# First match wins: "cart_events" is a cart table, "order_events" a purchase table.
EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("add_to_cart", "Shopping cart actions", r"cart|basket", "add_to_cart, cart_events"),
    EventKind(
        "purchase",
        "Purchase / order events",
        r"purchase|order|transaction|checkout|(?:^|_)sales?(?:_|$)",
        "purchase, orders, transactions",
    ),
    EventKind(
        "form_fill",
        "Form submissions",
        r"form_?fill|form_?submi|(?:^|_)forms?(?:_|$)|sign_?ups?|registration",
        "formfills, form_submissions",
    ),
    EventKind(
        "page_view",
        "Website page views",
        r"page_?views?|(?:^|_)pvs?(?:_|$)|(?:^|_)visits?(?:_|$)|(?:screen|product)_?views?"
        r"|(?:^|_)hits?(?:_|$)|access_?logs?",
        "pageviews, web_page_views, pv",
    ),
    EventKind("click", "Click tracking", r"click", "clicks, click_events"),
    EventKind(
        "activity",
        "User activity",
        r"activit|interaction|behaviou?r|engagement",
        "user_activity, interactions",
    ),
    EventKind(
        "event",
        "Generic event tracking",
        r"(?:^|_)events?(?:_|$)|tracking|(?:^|_)track|(?:^|_)(?:click)?stream(?:_|$)",
        "events, tracking_events",
    ),
)


@dataclass(frozen=True)
class IdKind:
    """A kind of identity column, with the guide's advice (4.6) about stitching on it."""

    name: str
    pattern: str
    advice: str
    recommended: bool


_PEOPLE = r"(?:user|customer|cust|member|account|acct|client|login|crm|shopper|subscriber|person)"
_DEVICES = (
    r"(?:device|advertising|ad|browser|visitor|anon(?:ymous)?|install(?:ation)?|app_?instance)"
)

ID_KINDS: tuple[IdKind, ...] = (
    IdKind(
        "cookie",
        r"^td_(?:client|global|ssc)_id$|cookie|^(?:idfa|idfv|gaid|aaid|adid|ifa)$"
        rf"|^{_DEVICES}_?(?:id|uuid|guid)$",
        "cookie / device ID: recommended always (present on most events)",
        True,
    ),
    IdKind(
        "canonical",
        r"canonical|^(?:master|golden|unified)_?(?:customer_?)?(?:id|key)$",
        "master customer ID: recommended as the primary key",
        True,
    ),
    IdKind(
        "email",
        r"e_?mail|(?:^|_)mail(?:_?addr(?:ess)?)?$",
        "email address: recommended when present",
        True,
    ),
    IdKind(
        "user",
        rf"^{_PEOPLE}_?(?:id|key|no|num|number|code|uuid|guid)$|^u_?id$",
        "user ID: caution, it is empty for anonymous visitors",
        False,
    ),
    IdKind(
        "phone", r"phone|mobile|^tel$|msisdn", "phone number: personal data, often sparse", False
    ),
    IdKind("external", r"external_?id|^ext_?id$|partner_?id", "external system ID", False),
)

# The parent segment's profile key, wherever it shows up in the event tables: the master
# customer id the guide recommends as the primary key (4.6), whatever it is called. Its pattern
# matches nothing: only :func:`id_kind` with ``profile_key`` gives it.
PROFILE_KEY = IdKind(
    "profile",
    r"(?!)",
    "profile key (master customer ID): recommended as the primary key",
    True,
)
ID_ORDER: tuple[IdKind, ...] = (ID_KINDS[0], PROFILE_KEY, *ID_KINDS[1:])


@dataclass(frozen=True)
class EventTable:
    """A table whose name looks like an event stream, and its identity columns."""

    table: Table
    kind: EventKind
    id_columns: tuple[str, ...]


@dataclass
class IdCandidate:
    """A column that could be a stitching key, and the event tables it appears in."""

    column: str
    kind: IdKind
    tables: list[str] = field(default_factory=list)  # db.table, string-typed there
    other_types: dict[str, str] = field(default_factory=dict)  # db.table → non-string type

    @property
    def note(self) -> str | None:
        """Why a table that has the column is not among :attr:`tables` (the API stitches on
        string columns only), or None."""
        if not self.other_types:
            return None
        typed = ", ".join(f"{t} ({kind})" for t, kind in self.other_types.items())
        return f"not a string column in {typed}: left out there, stitching keys must be strings"


@dataclass(frozen=True)
class BatchAttribute:
    """An attribute of the parent segment (the batch layer, 4.4)."""

    name: str
    type: str | None


@dataclass
class Discovery:
    """Everything discovery found for one parent segment."""

    ps_id: str
    ps_name: str | None
    profile_key: str | None
    catalog: Catalog
    event_tables: list[EventTable]
    unmatched_tables: list[Table]  # no event-like name
    id_candidates: list[IdCandidate]
    batch_attributes: list[BatchAttribute]

    @property
    def stitchable(self) -> list[EventTable]:
        """Event tables with at least one identity column (the others cannot join a profile)."""
        return [t for t in self.event_tables if t.id_columns]

    @property
    def without_ids(self) -> list[EventTable]:
        return [t for t in self.event_tables if not t.id_columns]


def event_kind(table_name: str) -> EventKind | None:
    """The kind of event table ``table_name`` looks like, or None."""
    name = _snake(table_name)
    return next((k for k in EVENT_KINDS if re.search(k.pattern, name)), None)


def id_kind(column_name: str, profile_key: str | None = None) -> IdKind | None:
    """The kind of identity ``column_name`` looks like, or None (``product_id`` is None); the
    parent segment's ``profile_key`` is :data:`PROFILE_KEY` whatever its name."""
    if profile_key is not None and column_name == profile_key:
        return PROFILE_KEY
    name = _snake(column_name)
    return next((k for k in ID_KINDS if re.search(k.pattern, name)), None)


def _snake(name: str) -> str:
    """``WebPageViews`` / ``web-page views`` → ``web_page_views`` (patterns see one form)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def classify(
    ps_id: str, audience: dict[str, Any], catalog: Catalog, profile_key: str | None = None
) -> Discovery:
    """Discovery of ``catalog`` for the parent segment described by ``audience`` (its
    ``GET /audiences/{id}`` body), whose profile key is ``profile_key``."""
    events: list[EventTable] = []
    unmatched: list[Table] = []
    for table in catalog.tables:
        kind = event_kind(table.name)
        if kind is None:
            unmatched.append(table)
            continue
        ids = tuple(
            c.name for c in table.columns if c.kind == "string" and id_kind(c.name, profile_key)
        )
        events.append(EventTable(table, kind, ids))
    events.sort(key=lambda e: (e.table.database, EVENT_KINDS.index(e.kind), e.table.name))
    return Discovery(
        ps_id=ps_id,
        ps_name=_text(audience.get("name")),
        profile_key=profile_key,
        catalog=catalog,
        event_tables=events,
        unmatched_tables=unmatched,
        id_candidates=id_candidates([e.table for e in events], profile_key),
        batch_attributes=batch_attributes(audience),
    )


def id_candidates(tables: list[Table], profile_key: str | None = None) -> list[IdCandidate]:
    """Identity columns across ``tables``, in the guide's order of preference."""
    found: dict[str, IdCandidate] = {}
    for table in tables:
        for column in table.columns:
            kind = id_kind(column.name, profile_key)
            if kind is None:
                continue
            candidate = found.setdefault(column.name, IdCandidate(column.name, kind))
            if column.kind == "string":
                candidate.tables.append(table.address)
            else:
                candidate.other_types[table.address] = column.td_type
    return sorted(found.values(), key=lambda c: (ID_ORDER.index(c.kind), -len(c.tables), c.column))


def batch_attributes(audience: dict[str, Any]) -> list[BatchAttribute]:
    """The parent segment's attributes (``Audience.attributes[].name/type``)."""
    raw = audience.get("attributes")
    items = raw if isinstance(raw, list) else []
    return [
        BatchAttribute(str(a["name"]), _text(a.get("type")))
        for a in items
        if isinstance(a, dict) and a.get("name")
    ]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def discovery_json(discovery: Discovery) -> dict[str, Any]:
    """``rtcfg discover --json``: stable field names for tools."""
    return {
        "parent_segment_id": discovery.ps_id,
        "parent_segment_name": discovery.ps_name,
        "profile_key": discovery.profile_key,
        "databases": list(discovery.catalog.databases),
        "missing_databases": list(discovery.catalog.missing),
        "event_tables": [_event_table_json(e) for e in discovery.event_tables],
        "other_tables": [_table_json(t) for t in discovery.unmatched_tables],
        "id_candidates": [
            {
                "column": c.column,
                "kind": c.kind.name,
                "recommended": c.kind.recommended and bool(c.tables),
                "advice": c.kind.advice,
                "tables": c.tables,
                "non_string_in": c.other_types,
                "note": c.note,
            }
            for c in discovery.id_candidates
        ],
        "batch_attributes": [{"name": a.name, "type": a.type} for a in discovery.batch_attributes],
    }


def _table_json(table: Table) -> dict[str, Any]:
    return {
        "database": table.database,
        "table": table.name,
        "rows": table.row_count,
        "last_update": table.last_update,
        "columns": [{"name": c.name, "type": c.td_type} for c in table.columns],
    }


def _event_table_json(event: EventTable) -> dict[str, Any]:
    return {
        **_table_json(event.table),
        "kind": event.kind.name,
        "description": event.kind.description,
        "id_columns": list(event.id_columns),
    }


def did_you_mean(name: str, options: Sequence[str], what: str) -> str:
    """A "did you mean" when ``name`` is close to one of ``options``, else a short list."""
    close = difflib.get_close_matches(name, list(options), n=1)
    if close:
        return f"did you mean '{safe(close[0])}'?"
    return f"{what}: {', '.join(map(safe, sorted(options)[:12])) or 'none'}"
