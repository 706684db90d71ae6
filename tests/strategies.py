"""Hypothesis strategies: random RT 2.0 configurations that the emulator accepts, as API writes.

A :class:`LiveConfig` is what a user could have built by hand in TD's console or through the
API: a complete ``realtime_setting`` PATCH body, key event POST bodies, and attribute POST
bodies whose key event references are held by *name* (ids exist only once the key events are
made). :func:`write_live_config` sends it to a parent segment; :func:`comparable_config` and
:func:`comparable_state` reduce a LiveConfig and an ``rtcfg.model.state.State`` to the same plain,
order-free form, so a test can say "live equals what was written" or "the imported file
means what is live" with one ``==``.

The space covered is everything the emulator accepts (its strict choices S3-S16) that
rt_config.yaml can also express, over the tables and parent segment attributes of the seed
(``rtcfg/emulator/seed.json``): event tables from every seed database, stitching keys with every
``validRegexp`` form, batch attributes with and without display names, key events with empty,
sugar-shaped and raw filters, and single / list / counter attributes with every field varied
(server defaults sometimes left out of the body, sometimes sent explicitly). Filters stay
within the 1000-character budget counted as the emulator counts it (S11).

Free text (filter values, invalid texts) is any Unicode but surrogates; names and descriptions
hold no control or format character (descriptions may hold line breaks). Text includes
``$`` (which rt_config.yaml reads as ``${VAR}`` / ``$$`` interpolation, so import must
escape it) and line breaks of every kind.
"""

from __future__ import annotations

import asyncio
import functools
import json
import operator
import re
import string
import time
from collections.abc import Container
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

from hypothesis import strategies as st

from rtcfg.api.client import ApiClient
from rtcfg.emulator.validation import MAX_FILTER_CHARS, rule_chars
from rtcfg.emulator.views import column_type
from rtcfg.model.kinds.attribute import comparable as comparable_attribute
from rtcfg.model.kinds.key_event import comparable as comparable_key_event
from rtcfg.model.kinds.setting import comparable as comparable_setting
from rtcfg.model.state import Body, State

# --- the seed's world -------------------------------------------------------------------------

SEED: dict[str, Any] = json.loads(
    resources.files("rtcfg.emulator").joinpath("seed.json").read_text(encoding="utf-8")
)
EMPTY_SEGMENT = "1069944"
Table = tuple[str, str]
# (database, table) → {column: "string" | "number" | ...} as the CDP API types them
TABLES: dict[Table, dict[str, str]] = {
    (db["name"], tbl["name"]): {name: column_type(td_type) for name, td_type in tbl["schema"]}
    for db in SEED["databases"]
    for tbl in db.get("tables", [])
}
_SEGMENT = next(ps for ps in SEED["parentSegments"] if ps["id"] == EMPTY_SEGMENT)
PROFILE_KEY: str = _SEGMENT["profileKey"]
SEGMENT_ATTRIBUTES: list[str] = [a["name"] for a in _SEGMENT["attributes"]]

EMPTY_RULE: Body = {"type": "And", "conditions": []}
UNITS = ("minute", "hour", "day")
UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
AGGREGATION_TYPES = ("distinct_list", "first", "last", "sum", "min", "max")


def string_columns(table: Table) -> list[str]:
    return [c for c, t in TABLES[table].items() if t == "string"]


def number_columns(table: Table) -> list[str]:
    return [c for c, t in TABLES[table].items() if t == "number"]


# --- the configuration ------------------------------------------------------------------------


@dataclass
class AttributeSpec:
    """One attribute to POST: its body without any ``realtimeKeyEventId``, the name of the key
    event it reads, and for a list the key event name of each ``actions[i]``, in order."""

    body: Body
    key_event: str
    action_events: list[str] = field(default_factory=list)

    def request_body(self, ids: dict[str, str]) -> Body:
        """The POST body, key event names resolved into ``ids``."""
        body = json.loads(json.dumps(self.body))
        body["realtimeKeyEventId"] = ids[self.key_event]
        for action, event in zip(body.get("actions", []), self.action_events, strict=True):
            action["realtimeKeyEventId"] = ids[event]
        return dict(body)

    def state_body(self) -> Body:
        """The body as an ``rtcfg.model.state`` body holds it: list actions name their key event
        (keys in the order the API gives them, which ``comparable_attribute`` sorts by)."""
        body = json.loads(json.dumps(self.body))
        if "actions" in body:
            body["actions"] = [
                {"action": a["action"], "realtimeKeyEventId": event, "filterRule": a["filterRule"]}
                for a, event in zip(body["actions"], self.action_events, strict=True)
            ]
        return dict(body)


@dataclass
class LiveConfig:
    """An RT configuration as API writes: PATCH ``setting``, POST ``key_events`` in order, then
    POST ``attributes`` (whose key event references are names)."""

    setting: Body
    key_events: list[Body] = field(default_factory=list)
    attributes: list[AttributeSpec] = field(default_factory=list)

    def filter_chars(self) -> int:
        """The filter budget used, counted as the emulator counts it (S11)."""
        total = sum(rule_chars(k["filterRule"]) for k in self.key_events)
        for attr in self.attributes:
            total += rule_chars(attr.body.get("filterRule"))
            total += sum(rule_chars(a["filterRule"]) for a in attr.body.get("actions", []))
        return total


async def wait_until_ok(api: ApiClient, ps_id: str, timeout: float = 10.0) -> None:
    """Poll the setting until its status is ``ok`` (the emulator is ``updating`` for a while
    after a PATCH, S5)."""
    give_up = time.monotonic() + timeout
    while True:
        setting = await api.get(f"/audiences/{ps_id}/realtime_setting")
        if setting.get("status") == "ok":
            return
        if time.monotonic() > give_up:
            raise TimeoutError(f"realtime_setting of {ps_id} still {setting.get('status')!r}")
        await asyncio.sleep(0.01)


async def write_live_config(api: ApiClient, ps_id: str, cfg: LiveConfig) -> dict[str, str]:
    """PATCH the setting (and wait for ``ok``), POST the key events, then the attributes with
    their key event ids resolved. Returns key event name → id."""
    base = f"/audiences/{ps_id}"
    await api.patch(f"{base}/realtime_setting", cfg.setting)
    await wait_until_ok(api, ps_id)
    ids: dict[str, str] = {}
    for body in cfg.key_events:
        created = await api.post(f"{base}/realtime_key_events", body)
        ids[body["name"]] = str(created["id"])
    for attr in cfg.attributes:
        await api.post(f"{base}/realtime_attributes", attr.request_body(ids))
    return ids


# --- comparison ---------------------------------------------------------------------------------


def comparable_state(state: State) -> dict[str, Any]:
    """A State as plain data, compared through ``rtcfg.model.state.comparable_*``: the setting, each
    key event by name, each attribute by identifier with the name of the key event it reads
    (list actions hold key event names already)."""
    return {
        "setting": comparable_setting(state.setting),
        "key_events": {n: comparable_key_event(k.body) for n, k in state.key_events.items()},
        "attributes": {
            i: {"key_event": a.key_event, "body": comparable_attribute(a.body)}
            for i, a in state.attributes.items()
        },
    }


def comparable_config(cfg: LiveConfig) -> dict[str, Any]:
    """What :func:`comparable_state` gives for the live state once ``cfg`` is written to an
    empty parent segment."""
    return {
        "setting": comparable_setting(cfg.setting),
        "key_events": {k["name"]: comparable_key_event(k) for k in cfg.key_events},
        "attributes": {
            a.body["identifier"]: {
                "key_event": a.key_event,
                "body": comparable_attribute(_with_server_defaults(a.state_body())),
            }
            for a in cfg.attributes
        },
    }


def _with_server_defaults(body: Body) -> Body:
    """Defaults the emulator fills in on POST that ``comparable_attribute`` does not fold away."""
    if body["type"] == "list":
        return {"aggregations": [], "actions": [], **body}
    return body


# --- text ---------------------------------------------------------------------------------------

# Any character but surrogates (JSON cannot carry them) and NUL (a config refuses it even in
# free values: rtcfg.checks.text), with the ones YAML and ${VAR} interpolation treat
# specially drawn more often.
TEXT_ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_characters="\x00"),  # no surrogates
    st.sampled_from("${}\n\r\t\x85\u2028\u2029 #:'\"|>-"),
)
texts = st.text(TEXT_ALPHABET, max_size=24)
# Names and descriptions hold no control or format character (a config refuses them:
# rtcfg.checks.text); a description may hold line breaks and tabs.
UNSAFE_CATEGORIES: Final = ("Cc", "Cf", "Zl", "Zp", "Cs")
NAME_ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_categories=UNSAFE_CATEGORIES),
    st.sampled_from("${} #:'\"|>-"),
)
name_texts = st.text(NAME_ALPHABET, max_size=24)
description_texts = st.text(
    st.one_of(NAME_ALPHABET, st.sampled_from("\n\r\t\x85\u2028\u2029")), max_size=24
)
non_blank = name_texts.filter(lambda s: bool(s.strip()))
identifiers = st.builds(
    operator.add,
    st.sampled_from(string.ascii_letters + "_"),
    st.text(string.ascii_letters + string.digits + "_", max_size=15),
)
# Plain names, names that read like the seed's ("Page views 24h"), and any text at all
words = st.text(string.ascii_letters + string.digits + " _-", min_size=1, max_size=20).filter(
    lambda s: bool(s.strip())
)
names = st.one_of(identifiers, words, non_blank)


def unique(value: str, *taken: Container[str]) -> str:
    """``value``, or ``value_2``, ``value_3``, … the first that none of ``taken`` holds (a
    suffix keeps an identifier an identifier, and costs Hypothesis no rejected draws)."""
    candidate, n = value, 1
    while any(candidate in t for t in taken):
        n += 1
        candidate = f"{value}_{n}"
    return candidate


def _optional_text(draw: st.DrawFn, body: Body, key: str) -> None:
    """Leave ``key`` out, send it as null, or send text (possibly blank)."""
    choice = draw(st.sampled_from(["absent", "null", "text"]))
    if choice == "null":
        body[key] = None
    elif choice == "text":
        body[key] = draw(description_texts if key == "description" else texts)


# --- regular expressions ------------------------------------------------------------------------

# Patterns users write, and a few that are hard to tell apart from the exclusion shape.
SAMPLE_PATTERNS = (
    "^test_.*",
    "^/product/",
    "^/product/.*",
    r"\.com$",
    r"^[^@\s]+@[^@\s]+$",
    "^[0-9]+$",
    ".+",
    "a|b",
    "(?i)^null$",
    "^(?!.*(?:x)).+$",
    "x)).*$",
    "(a)(b)",
    r"\)",
    "",
)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


# validRegexp must compile (the emulator checks it, S14); filter conditions may hold any text,
# even a broken regex (import then writes the raw filter_rule instead of the sugar).
patterns = st.one_of(st.sampled_from(SAMPLE_PATTERNS), texts).filter(_compiles)
non_blank_patterns = patterns.filter(lambda p: bool(p.strip()))
sugar_patterns = st.one_of(st.sampled_from(SAMPLE_PATTERNS), texts).filter(bool)


def exclude_shape(pattern: str) -> str:
    """The ``validRegexp`` that ``exclude_regex: pattern`` stands for (spec/config-format.md)."""
    return f"^(?!.*(?:{pattern})).*$"


@st.composite
def valid_regexps(draw: st.DrawFn) -> str | None:
    kind = draw(st.sampled_from(["none", "exclude", "raw"]))
    if kind == "none":
        return None
    value = exclude_shape(draw(patterns)) if kind == "exclude" else draw(non_blank_patterns)
    return value if _compiles(value) else None


# --- filters ------------------------------------------------------------------------------------


def _column_condition(column: str, operator: str, value: Any, negated: bool = False) -> Body:
    # set operators take rightValues, the others rightValue (cdp-openapi.yml l.18266, l.18037)
    key = "rightValues" if operator == "In" else "rightValue"
    return {
        "type": "Column",
        "column": column,
        "operator": {"type": operator, "not": negated, key: value},
    }


def sugar_rule(column: str, pattern: str) -> Body:
    """The filterRule that ``filter: {field, pattern}`` stands for."""
    return {"type": "And", "conditions": [_column_condition(column, "Regexp", pattern)]}


numbers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@functools.cache
def conditions(table: Table) -> st.SearchStrategy[Body]:
    """One condition on a column of ``table`` (cached: building strategies costs time)."""
    return _conditions(table)


@st.composite
def _conditions(draw: st.DrawFn, table: Table) -> Body:
    kind = draw(st.sampled_from(["regexp", "equal", "greater", "in"]))
    numeric = number_columns(table)
    if kind == "greater" and numeric:
        op = draw(st.sampled_from(["Greater", "GreaterEqual", "Less", "LessEqual"]))
        return _column_condition(draw(st.sampled_from(numeric)), op, draw(numbers))
    column = draw(st.sampled_from(string_columns(table)))
    negated = draw(st.booleans())
    if kind == "regexp":
        return _column_condition(column, "Regexp", draw(patterns), negated)
    if kind == "in":
        values = draw(st.lists(texts, max_size=3))
        return _column_condition(column, "In", values, negated)
    return _column_condition(column, "Equal", draw(texts), negated)


@functools.cache
def filter_rules(table: Table) -> st.SearchStrategy[Body]:
    """An empty rule, the sugar shape, or a raw rule (And / Or, zero to three conditions) on
    the columns of ``table``."""
    return _filter_rules(table)


@st.composite
def _filter_rules(draw: st.DrawFn, table: Table) -> Body:
    kind = draw(st.sampled_from(["empty", "sugar", "raw"]))
    if kind == "empty":
        return dict(EMPTY_RULE, conditions=[])
    if kind == "sugar":
        column = draw(st.sampled_from(string_columns(table)))
        return sugar_rule(column, draw(sugar_patterns))
    rule: Body = {
        "type": draw(st.sampled_from(["And", "Or"])),
        "conditions": draw(st.lists(conditions(table), max_size=3)),
    }
    return rule


class _Budget:
    """The filter characters left (S11): a rule that does not fit becomes the empty And."""

    def __init__(self) -> None:
        self.left = MAX_FILTER_CHARS

    def take(self, rule: Body) -> Body:
        cost = rule_chars(rule)
        if cost > self.left:
            return dict(EMPTY_RULE, conditions=[])
        self.left -= cost
        return rule


# --- the setting --------------------------------------------------------------------------------


@st.composite
def key_columns(draw: st.DrawFn, tables: list[Table]) -> list[Body]:
    candidates = sorted({c for t in tables for c in string_columns(t)})
    if not candidates:
        return []
    chosen = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=5))
    result = []
    for name in chosen:
        column: Body = {"name": name}
        regexp = draw(valid_regexps())
        if regexp is not None or draw(st.booleans()):
            column["validRegexp"] = regexp
        if draw(st.booleans()):
            column["invalidTexts"] = draw(st.lists(texts, max_size=3))
        if draw(st.booleans()):
            column["internal"] = draw(st.booleans())
        result.append(column)
    return result


@st.composite
def batch_attributes(draw: st.DrawFn, used_names: set[str]) -> list[Body]:
    """Parent segment attributes imported into RT, each under its column or a display name;
    the name each one shows (display name, else column) joins ``used_names``.

    Imported attributes share the name space of real-time attributes (S7). Display names are
    also kept apart from each other and from the columns imported: rt_config.yaml names an
    imported_batch attribute by its display name, or by its column when it has none, and
    needs those names unique, while the emulator checks only the columns for uniqueness.
    """
    columns = draw(st.lists(st.sampled_from(SEGMENT_ATTRIBUTES), unique=True, max_size=4))
    reserved = set(columns)
    result = []
    for column in columns:
        if draw(st.booleans()):
            result.append({"column": column, "name": None})
            used_names.add(column)
        else:
            name = unique(draw(names), used_names, reserved)
            used_names.add(name)
            result.append({"column": column, "name": name})
    return result


# --- key events ---------------------------------------------------------------------------------


@st.composite
def key_event_body(draw: st.DrawFn, name: str, table: Table, budget: _Budget) -> Body:
    body: Body = {
        "name": name,
        "databaseName": table[0],
        "tableName": table[1],
        "filterRule": budget.take(draw(filter_rules(table))),
    }
    _optional_text(draw, body, "description")
    return body


# --- attributes ---------------------------------------------------------------------------------


@functools.cache
def durations(max_minutes: int | None = None) -> st.SearchStrategy[Body]:
    """``{value, unit}`` in minutes, hours or days, at most ``max_minutes`` long."""
    return _durations(max_minutes)


@st.composite
def _durations(draw: st.DrawFn, max_minutes: int | None) -> Body:
    units = [u for u in UNITS if max_minutes is None or UNIT_MINUTES[u] <= max_minutes]
    unit = draw(st.sampled_from(units))
    ceiling = 1000 if max_minutes is None else min(1000, max_minutes // UNIT_MINUTES[unit])
    return {"value": draw(st.integers(1, ceiling)), "unit": unit}


def _minutes(duration: Body) -> int:
    return int(duration["value"]) * UNIT_MINUTES[str(duration["unit"])]


@dataclass
class _Context:
    """What attributes may refer to, and the name spaces they must stay unique in."""

    tables: dict[str, Table]  # key event name → its table
    batch_columns: list[str]
    names: set[str]
    identifiers: set[str]
    budget: _Budget


def _identity(draw: st.DrawFn, ctx: _Context) -> Body:
    """name and identifier, unique; often the same identifier-shaped string (as the YAML writes
    an attribute without ``identifier:``), sometimes a display name and a separate one."""
    if draw(st.booleans()):
        name = unique(draw(identifiers), ctx.names, ctx.identifiers)
        identifier = name
    else:
        name = unique(draw(names), ctx.names)
        identifier = unique(draw(identifiers), ctx.identifiers)
    ctx.names.add(name)
    ctx.identifiers.add(identifier)
    return {"name": name, "identifier": identifier}


def _filter_rule(draw: st.DrawFn, ctx: _Context, table: Table, body: Body) -> None:
    """Leave filterRule out (the emulator fills in the empty And), or send one."""
    if draw(st.booleans()):
        body["filterRule"] = ctx.budget.take(draw(filter_rules(table)))


def _backfill(draw: st.DrawFn, ctx: _Context, body: Body) -> None:
    choice = draw(st.sampled_from(["absent", "null", "set"]))
    if choice == "null":
        body["backfill"] = None
    elif choice == "set" and ctx.batch_columns:
        body["backfill"] = {
            "attributeIdentifier": draw(st.sampled_from(ctx.batch_columns)),
            "timestampIdentifier": draw(st.one_of(st.just("time"), identifiers, non_blank)),
        }


def _single(draw: st.DrawFn, ctx: _Context, table: Table, body: Body) -> None:
    column = draw(st.sampled_from(sorted(TABLES[table])))
    body["valueColumn"] = column
    body["dataType"] = "number" if TABLES[table][column] == "number" else "string"
    if draw(st.booleans()):  # left out, the API's default (1 day) applies
        body["duration"] = draw(durations())
    if draw(st.booleans()):
        body["sensitive"] = draw(st.booleans())
    _backfill(draw, ctx, body)


def _list(draw: st.DrawFn, ctx: _Context, table: Table, body: Body) -> list[str]:
    columns = sorted(TABLES[table])
    id_column = draw(st.sampled_from(columns))
    body["idColumn"] = id_column
    if draw(st.booleans()):
        body["fields"] = [id_column]
    else:
        body["fields"] = draw(
            st.lists(st.sampled_from(columns), min_size=1, max_size=4, unique=True)
        )
    if draw(st.booleans()):
        body["aggregations"] = [
            {
                "name": "items",
                "identifier": "items",
                "column": id_column,
                "aggregationType": draw(st.sampled_from(AGGREGATION_TYPES)),
            }
        ]
    else:
        aggregation_ids = draw(st.lists(identifiers, max_size=3, unique=True))
        body["aggregations"] = [
            {
                "name": draw(names),
                "identifier": identifier,
                "column": draw(st.sampled_from(columns)),
                "aggregationType": draw(st.sampled_from(AGGREGATION_TYPES)),
            }
            for identifier in aggregation_ids
        ]
    body["maxItems"] = draw(st.integers(1, 100))
    body["duration"] = draw(durations(max_minutes=60 * 1440))
    events = sorted(ctx.tables)
    action_events = draw(st.lists(st.sampled_from(events), max_size=2))
    actions = []
    for event in action_events:
        rule = ctx.budget.take(draw(filter_rules(ctx.tables[event])))
        actions.append(
            {"action": draw(st.sampled_from(["clear", "delete_item"])), "filterRule": rule}
        )
    if draw(st.booleans()) or actions:
        body["actions"] = actions
    return action_events


def _counter(draw: st.DrawFn, ctx: _Context, table: Table, body: Body) -> None:
    numeric = number_columns(table)
    if draw(st.booleans()) and numeric:
        body["increment"] = {"type": "field", "value": draw(st.sampled_from(numeric))}
    else:
        body["increment"] = {"type": "const", "value": 1}
    if draw(st.booleans()):
        body["counterType"] = draw(st.sampled_from(["sliding", "total"]))
    duration = draw(durations())
    body["duration"] = duration
    sub_ids = draw(st.lists(identifiers, max_size=3, unique=True))
    subs = [
        {
            **draw(durations(max_minutes=_minutes(duration))),
            "name": draw(non_blank),
            "identifier": i,
        }
        for i in sub_ids
    ]
    if draw(st.booleans()) or subs:
        body["subDurations"] = subs
    _backfill(draw, ctx, body)


@st.composite
def attribute_spec(draw: st.DrawFn, ctx: _Context) -> AttributeSpec:
    kind = draw(st.sampled_from(["single", "list", "counter"]))
    event = draw(st.sampled_from(sorted(ctx.tables)))
    table = ctx.tables[event]
    body: Body = {**_identity(draw, ctx), "type": kind}
    _optional_text(draw, body, "description")
    _filter_rule(draw, ctx, table, body)
    action_events: list[str] = []
    if kind == "single":
        _single(draw, ctx, table, body)
    elif kind == "list":
        action_events = _list(draw, ctx, table, body)
    else:
        _counter(draw, ctx, table, body)
    return AttributeSpec(body, event, action_events)


# --- the whole configuration --------------------------------------------------------------------


# True nine times in ten (st.integers leans hard towards its minimum; sampled_from does not;
# it shrinks towards True).
_mostly = st.sampled_from([True] * 9 + [False])


@st.composite
def live_configs(
    draw: st.DrawFn, *, max_key_events: int = 4, max_attributes: int = 6
) -> LiveConfig:
    """A random RT configuration the emulator accepts on an empty parent segment.

    Mostly with event tables, key events and attributes (an empty table list, or no key
    events, now and then), so that most examples exercise attributes.
    """
    tables: list[Table] = []
    if draw(_mostly):
        tables = draw(
            st.lists(st.sampled_from(sorted(TABLES)), min_size=1, max_size=4, unique=True)
        )
    used_names: set[str] = set()
    setting: Body = {
        "keyColumns": draw(key_columns(tables)),
        "eventTables": [{"database": d, "table": t} for d, t in tables],
        "batchAttributes": draw(batch_attributes(used_names)),
        "extLookupKey": draw(st.sampled_from([None, PROFILE_KEY])),
    }
    budget = _Budget()
    event_tables: dict[str, Table] = {}
    key_events = []
    if draw(_mostly) and tables:
        for _ in range(draw(st.sampled_from(range(1, max_key_events + 1)))):
            name = unique(draw(names), event_tables)
            table = draw(st.sampled_from(tables))
            event_tables[name] = table
            key_events.append(draw(key_event_body(name, table, budget)))
    ctx = _Context(
        tables=event_tables,
        batch_columns=setting_columns(setting),
        names=used_names,
        identifiers=set(setting_columns(setting)),
        budget=budget,
    )
    attributes = []
    if draw(_mostly) and event_tables:
        for _ in range(draw(st.sampled_from(range(1, max_attributes + 1)))):
            attributes.append(draw(attribute_spec(ctx)))
    return LiveConfig(setting, key_events, attributes)


def setting_columns(setting: Body) -> list[str]:
    """The identifiers imported attributes take: their columns (S7)."""
    return [b["column"] for b in setting["batchAttributes"]]
