"""The guide's recommendations by use case (Phase 4.5-4.8) as rules on discovered data.

Pure: :func:`recommend` takes a :class:`~rtcfg.setup.discover.Discovery` and the user's choices and
returns what ``rtcfg init`` writes: key events, real-time attributes, imported batch
attributes, stitching keys, the primary key and the profile key, each with the reason it was
chosen, and everything the guide recommends that this data cannot have, with what was looked for.

The rules, in short:

* one database holds the event tables (the guide asks for one, 4.1): ``--database``, else the
  one with the most event tables that carry an identity column (then the most rows);
* each recommended attribute reads an event of a *role* (page views, product views, cart,
  purchase) and a column of a *role* (product, category, price, amount, time), both found by
  name patterns; a missing table or column leaves the attribute out, with a comment saying
  what was looked for. Nothing is invented: every table and column named exists;
* the guide's ``cart_value`` (single, sum) is a counter that sums the price: the API keeps only
  the latest value of a single attribute (spec/config-format.md);
* "both" is the guide's "both triggers and personalization": the recommendations and the
  triggers recipes together;
* each event keeps only rows that can be tied to a profile: a filter ``.+`` on the column the
  event is about (the product of a product view) or on its first identity column. That keeps
  ``rtcfg validate`` free of "no filter" warnings for a reason a user can read;
* stitching keys (4.6, :mod:`rtcfg.setup.stitching`): the cookie id, the master (canonical) id and
  email when present; a user id only when nothing better exists (it is empty for anonymous
  visitors); the primary key is the canonical id, else the key found in the most tables;
  ``ext_lookup_key`` is the parent segment's profile key when the API names it; found in the
  event tables, that key is the master customer id the guide recommends as the primary key
  (it is then both: a stitching key and the profile key);
* a table named with ``--tables`` must have an identity column (else its events could never
  reach a profile: a usage error); a use case whose attributes find no data says so on stderr.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rtcfg.api.catalog import Column, Table
from rtcfg.checks.limits import MAX_FILTER_CHARS
from rtcfg.errors import UsageError
from rtcfg.model.translate import filter_rule_from_sugar, filter_rule_length
from rtcfg.setup.discover import (
    EVENT_KINDS,
    Discovery,
    EventTable,
    did_you_mean,
    event_kind,
    id_kind,
)
from rtcfg.setup.recipes import (
    BATCH_RECIPES,
    EVENT_ROLES,
    EXTRA_EVENTS,
    RECIPES,
    ROLES,
    USE_CASES,
    EventRole,
    Recipe,
)
from rtcfg.setup.recommendation import (
    Choices,
    LeftOut,
    PlannedAttribute,
    PlannedEvent,
    Recommendation,
)
from rtcfg.setup.stitching import plan_stitching

__all__ = ["Choices", "LeftOut", "PlannedAttribute", "PlannedEvent", "Recommendation", "recommend"]


_RECOMMENDED = Choices()  # no choices: the recommendations stand


def recommend(
    discovery: Discovery, use_case: str, choices: Choices = _RECOMMENDED
) -> Recommendation:
    """The guide's recommendations for ``use_case`` on this data, narrowed by ``choices``."""
    if use_case not in USE_CASES:
        raise UsageError(f"unknown use case '{use_case}': use one of {', '.join(USE_CASES)}")
    database = choices.database or _named_database(choices.tables) or pick_database(discovery)
    rec = Recommendation(discovery.ps_id, discovery.ps_name, use_case, database)
    rec.ext_lookup_key = discovery.profile_key
    tables = _chosen_tables(discovery, database, choices.tables, use_case)
    rec.skipped_tables = [
        LeftOut(e.table.address, "no identity column: its rows cannot be tied to a profile")
        for e in discovery.without_ids
        if e.table.database == database and e.table not in tables
    ]
    events = _plan_events(tables, use_case, rec)
    _fit_filters(rec)
    _plan_attributes(events, use_case, choices.attributes, rec)
    _plan_batch(discovery, use_case, choices.attributes, rec)
    event_tables = list({e.table.address: e.table for e in rec.events}.values())
    _plan_keys(event_tables, choices, discovery.profile_key, rec)
    rec.warnings += _no_matching_data(rec)
    return rec


def _no_matching_data(rec: Recommendation) -> list[str]:
    """A use case none of whose attributes this data can have says so, and what it looked for
    (the file's comments say it too, but a 0 exit with ``attributes: []`` is easy to miss)."""
    if rec.attributes:
        return []
    missing = [f"{i.what}: {i.why}" for i in rec.left_out if i.what.startswith("event ")]
    if not missing:
        return []
    return [
        f"use case '{rec.use_case}' found no matching data in {rec.database}: "
        + "; ".join(missing)
        + ". No real-time attribute was written; name other tables with --tables"
    ]


def _named_database(tables: Sequence[str] | None) -> str | None:
    """The database of the first ``db.table`` the user named, if any."""
    qualified = [t.rpartition(".")[0] for t in tables or () if "." in t]
    return qualified[0] if qualified else None


def pick_database(discovery: Discovery) -> str:
    """The database with the most event tables that carry an identity column."""
    score: dict[str, tuple[int, int]] = {}
    for event in discovery.stitchable:
        count, rows = score.get(event.table.database, (0, 0))
        score[event.table.database] = (count + 1, rows + (event.table.row_count or 0))
    if not score:
        raise UsageError(
            "no event tables found: no table name looks like page views, carts, orders, "
            "clicks or events, with an identity column (looked in "
            + (", ".join(discovery.catalog.databases) or "no database")
            + "); name the tables with --database DB --tables T,..."
        )
    return min(score, key=lambda db: (-score[db][0], -score[db][1], db))


def _chosen_tables(
    discovery: Discovery, database: str, names: Sequence[str] | None, use_case: str
) -> list[Table]:
    if names is not None:
        return [_tied(discovery, _resolve_table(discovery, database, name)) for name in names]
    if database not in discovery.catalog.databases:
        raise UsageError(
            f"database '{database}' was not read: "
            + did_you_mean(database, discovery.catalog.databases, "databases")
        )
    wanted = {EVENT_ROLES[r].table_kind for r in _event_roles(use_case)}
    chosen: list[Table] = []
    for kind in wanted:
        best = _best_of_kind(discovery.stitchable, database, kind)
        if best is not None:
            chosen.append(best)
    if not chosen:  # none of the kinds the use case reads: every event table, as key events
        chosen = [e.table for e in discovery.stitchable if e.table.database == database]
    return sorted(chosen, key=lambda t: t.name)


def _best_of_kind(events: list[EventTable], database: str, kind: str) -> Table | None:
    same = [e.table for e in events if e.table.database == database and e.kind.name == kind]
    return min(same, key=lambda t: (-(t.row_count or 0), t.name)) if same else None


def _resolve_table(discovery: Discovery, database: str, name: str) -> Table:
    db, _, table = name.rpartition(".")
    db = db or database
    for candidate in discovery.catalog.tables:
        if candidate.database == db and candidate.name == table:
            return candidate
    known = [t.name for t in discovery.catalog.tables if t.database == db]
    raise UsageError(f"table '{db}.{table}' not found: " + did_you_mean(table, known, "tables"))


def _tied(discovery: Discovery, table: Table) -> Table:
    """A named table that can be tied to a profile (it has a string identity column), or a
    usage error: its events could never reach a profile (discover lists such tables too)."""
    key = discovery.profile_key
    if any(c.kind == "string" and id_kind(c.name, key) for c in table.columns):
        return table
    tied = [e.table.name for e in discovery.stitchable if e.table.database == table.database]
    raise UsageError(
        f"table '{table.address}' has no identity column (cookie id, email, user id or the "
        "profile key, as a string): its rows cannot be tied to a profile; leave it out of "
        f"--tables (tables with one: {', '.join(tied) or 'none'})"
    )


def _event_roles(use_case: str) -> list[str]:
    roles: list[str] = []
    for part in USE_CASES[use_case]:
        roles += [r.event for r in RECIPES[part]] + list(EXTRA_EVENTS.get(part, ()))
    return list(dict.fromkeys(roles))


def _kind_of(table: Table) -> str | None:
    kind = event_kind(table.name)
    return kind.name if kind else None


def _plan_events(tables: list[Table], use_case: str, rec: Recommendation) -> dict[str, Table]:
    """Key events for the roles the use case reads, then one for each other chosen table."""
    by_role: dict[str, Table] = {}
    used: set[str] = set()
    for role_name in _event_roles(use_case):
        role = EVENT_ROLES[role_name]
        table = next((t for t in tables if _kind_of(t) == role.table_kind), None)
        if table is None:
            kind = next(k for k in EVENT_KINDS if k.name == role.table_kind)
            rec.left_out.append(
                LeftOut(
                    f"event {role_name}",
                    f"no {kind.description.lower()} table in {rec.database} "
                    f"(looked for names like {kind.examples})",
                )
            )
            continue
        field_name = _filter_field(table, role.column_role, rec.ext_lookup_key)
        if field_name is None:  # a product view without a product column
            looks = ROLES[role.column_role].looks_like if role.column_role else "an identity"
            rec.left_out.append(
                LeftOut(
                    f"event {role_name}",
                    f"no {role.column_role or 'identity'} column in {table.address} "
                    f"(looked for {looks})",
                )
            )
            continue
        by_role[role_name] = table
        used.add(table.address)
        rec.events.append(
            PlannedEvent(role_name, table, role.description, field_name, _event_why(role, table))
        )
    for table in tables:
        if table.address not in used:
            _add_other_event(table, rec)
    return by_role


def _fit_filters(rec: Recommendation) -> None:
    """All filters together may hold MAX_FILTER_CHARS characters (the API's limit): the
    filters of the events no recipe reads go first, then the others, last event first."""

    def total() -> int:
        return sum(
            filter_rule_length(filter_rule_from_sugar(e.filter_field, ".+"))
            for e in rec.events
            if e.filter_field
        )

    others = [e for e in rec.events if e.name not in EVENT_ROLES]
    read = [e for e in rec.events if e.name in EVENT_ROLES]
    for event in [*reversed(others), *reversed(read)]:
        if total() <= MAX_FILTER_CHARS:
            return
        if event.filter_field:
            event.filter_field = None
            event.why += "; no filter: all filters together may hold 1000 characters"


def _filter_field(table: Table, column_role: str | None, profile_key: str | None) -> str | None:
    if column_role is not None:
        column = find_column(table, column_role)
        return column.name if column else None
    ids = [c.name for c in table.columns if c.kind == "string" and id_kind(c.name, profile_key)]
    return ids[0] if ids else None


def _event_why(role: EventRole, table: Table) -> str:
    rows = f"{table.row_count:,} rows" if table.row_count is not None else "row count unknown"
    return f"{role.description.lower()} from {table.address} ({rows})"


def _add_other_event(table: Table, rec: Recommendation) -> None:
    kind = event_kind(table.name)
    base = kind.name if kind else "event"
    taken = {e.name for e in rec.events}
    name = base if base not in taken else _identifier(f"{base}_{table.name}")
    field_name = _filter_field(table, None, rec.ext_lookup_key)
    rec.events.append(
        PlannedEvent(
            name,
            table,
            kind.description if kind else f"Events of {table.name}",
            field_name,
            f"chosen table {table.address}; no recommended attribute of this use case reads it",
        )
    )


def _identifier(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return name if re.match(r"^[A-Za-z_]", name) else f"e_{name}"


def find_column(table: Table, role_name: str) -> Column | None:
    """The best column of ``table`` for a role (patterns in order of preference), or None."""
    role = ROLES[role_name]
    typed = [c for c in table.columns if c.kind == role.kind]
    for pattern in role.patterns:
        for column in typed:
            if re.search(pattern, column.name.lower()):
                return column
    return None


def _plan_attributes(
    events: dict[str, Table], use_case: str, keep: Sequence[str] | None, rec: Recommendation
) -> None:
    seen: set[str] = set()
    for part in USE_CASES[use_case]:
        for recipe in RECIPES[part]:
            if recipe.name in seen:
                continue
            seen.add(recipe.name)
            planned = _attribute(recipe, events)
            if isinstance(planned, LeftOut):
                rec.left_out.append(planned)
            elif keep is not None and recipe.name not in keep:
                rec.left_out.append(LeftOut(recipe.name, "not chosen"))
            else:
                rec.attributes.append(planned)


def _attribute(recipe: Recipe, events: dict[str, Table]) -> PlannedAttribute | LeftOut:
    table = events.get(recipe.event)
    label = f"{recipe.name} ({recipe.type})"
    if table is None:
        return LeftOut(label, f"needs the {recipe.event} event, which this data does not have")
    entry: dict[str, Any] = {"name": recipe.name, "type": recipe.type, "source_event": recipe.event}
    source = ""
    if recipe.role is not None:
        column = find_column(table, recipe.role)
        if column is None:
            looks = ROLES[recipe.role].looks_like
            return LeftOut(
                label, f"no {recipe.role} column in {table.address} (looked for {looks})"
            )
        entry["source_field"] = column.name
        source = f"; from {table.address}.{column.name} ({column.td_type})"
        if recipe.type == "single" and column.kind == "number":
            entry["data_type"] = "number"
    for key, value in (
        ("aggregation", recipe.aggregation),
        ("max_items", recipe.max_items),
        ("expiry_days", recipe.expiry_days),
        ("window_duration", recipe.window),
    ):
        if value is not None:
            entry[key] = value
    entry["description"] = recipe.why[0].upper() + recipe.why[1:].split(" (")[0]
    return PlannedAttribute(entry, recipe.why + source)


def _plan_batch(
    discovery: Discovery, use_case: str, keep: Sequence[str] | None, rec: Recommendation
) -> None:
    names = [a.name for a in discovery.batch_attributes]
    taken = {str(a.entry["name"]) for a in rec.attributes}
    seen: set[str] = set()  # "both" reads two recipe lists that share some attributes
    for part in USE_CASES[use_case]:
        for recipe in BATCH_RECIPES[part]:
            if recipe.name in seen:
                continue
            seen.add(recipe.name)
            match = recipe.name if recipe.name in names else _first_match(recipe.pattern, names)
            if match is None:
                rec.left_out.append(
                    LeftOut(
                        f"{recipe.name} (batch)",
                        "the parent segment has no attribute like it "
                        f"(looked for /{recipe.pattern}/)",
                    )
                )
            elif match in taken:
                continue
            elif keep is not None and match not in keep:
                rec.left_out.append(LeftOut(f"{match} (batch)", "not chosen"))
            else:
                taken.add(match)
                entry = {"name": match, "type": "imported_batch"}
                rec.batch.append(PlannedAttribute(entry, f"{recipe.why} (guide: {recipe.name})"))


def _first_match(pattern: str, names: Sequence[str]) -> str | None:
    return next((n for n in names if re.search(pattern, n.lower())), None)


def _plan_keys(
    tables: list[Table], choices: Choices, profile_key: str | None, rec: Recommendation
) -> None:
    plan = plan_stitching(tables, choices.keys, choices.primary_key, profile_key)
    rec.keys = plan.keys
    rec.skipped_keys = [LeftOut(name, why) for name, why in plan.skipped]
    rec.primary_key, rec.primary_why = plan.primary_key, plan.primary_why
