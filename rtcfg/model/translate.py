"""Config ⇄ API bodies: the ONLY place that knows the YAML ↔ API mapping.

Every row of the mapping table in spec/config-format.md is implemented here, and so are the
assumptions about the API that no public source settles (api/NOTES.md), each named below so it
can change in one place:

* the filter grammar of ``filter: {field, pattern}`` (a Column condition with a Regexp
  operator inside an And rule; an absent filter is the empty And, never null);
* ``exclude_regex`` becomes an allow-pattern ``validRegexp`` by negative look-ahead;
* every real-time attribute is sent with a ``filterRule`` (the empty And unless given), since
  the read schemas require it;
* the 1000-character filter limit counts the compact JSON of every non-empty filterRule (key
  events and attributes), the strictest reading of "the aggregate length of all the filters";
* ``sensitive`` is sent only when the file asks for a sensitive single attribute
  (``sensitivity: sensitive``): it is in no REST attribute schema (cdp-openapi.yml
  RealtimeSingleAttributes l.17061, RealtimeAttributesBase l.17260), only in the entities read
  view (l.16594), so a body without it is what the contract documents; list and counter
  attributes never carry it (their entities view has ``additionalProperties: false`` without
  it, l.16466, l.16352);
* a key event's ``description`` is sent although RealtimeKeyEventAttributes (l.15923) lacks
  it, as TD's own guide does; plan compares it only when the server returns it;
* ``imported_batch`` attributes become ``realtime_setting.batchAttributes``, never a POST.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from rtcfg.config.models import (
    Attribute,
    Config,
    Event,
    StitchingKey,
    parse_duration,
)
from rtcfg.model.state import AttributeState, Body, DesiredState, KeyEventState

EMPTY_FILTER_RULE: Body = {"type": "And", "conditions": []}
DEFAULT_SINGLE_DURATION = "1d"
DEFAULT_LIST_MAX_ITEMS = 100
DEFAULT_LIST_EXPIRY_DAYS = 60
DEFAULT_COUNTER_TYPE = "sliding"
LIST_AGGREGATION_NAME = "items"


# API field → the rt_config.yaml key that sets it, per kind of object, for plans and refusals
# ("source_field (valueColumn) cannot be patched"); fields named alike in both are left out.
_YAML_NAMES: dict[str, dict[str, str]] = {
    "setting": {
        "keyColumns": "stitching_keys",
        "eventTables": "events/event_tables",
        "batchAttributes": "imported_batch attributes",
        "extLookupKey": "ext_lookup_key",
    },
    "key_event": {"databaseName": "database", "tableName": "table", "filterRule": "filter"},
    "single": {
        "valueColumn": "source_field",
        "dataType": "data_type",
        "sensitive": "sensitivity",
        "filterRule": "filter_rule",
        "realtimeKeyEventId": "source_event",
    },
    "list": {
        "idColumn": "source_field",
        "maxItems": "max_items",
        "duration": "expiry_days",
        "filterRule": "filter_rule",
        "realtimeKeyEventId": "source_event",
    },
    "counter": {
        "counterType": "counter_type",
        "increment": "aggregation/source_field",
        "duration": "window_duration",
        "subDurations": "sub_durations",
        "filterRule": "filter_rule",
        "realtimeKeyEventId": "source_event",
    },
}


def yaml_label(kind: str | None, api_path: str) -> str:
    """``source_field (valueColumn)``: the YAML key a user wrote, and the API field path, for
    an object of ``kind`` (setting, key_event, single, list, counter)."""
    top = re.split(r"[.\[]", api_path, maxsplit=1)[0]
    name = _YAML_NAMES.get(kind or "", {}).get(top)
    return f"{name} ({api_path})" if name else api_path


def empty_filter_rule() -> Body:
    """A fresh empty And rule (a new object, so callers may mutate it)."""
    return {"type": "And", "conditions": []}


def filter_rule_from_sugar(field: str, pattern: str) -> Body:
    """``filter: {field, pattern}`` → the API filterRule (assumed grammar)."""
    operator = {"type": "Regexp", "not": False, "rightValue": pattern}
    return {
        "type": "And",
        "conditions": [{"type": "Column", "column": field, "operator": operator}],
    }


def valid_regexp_from_exclude(pattern: str) -> str:
    """``exclude_regex: P`` → ``validRegexp`` that accepts exactly the values P does not match."""
    return f"^(?!.*(?:{pattern})).*$"


def duration_body(value: str | int, *, bare_unit: str = "day") -> Body:
    """``"24h"`` → ``{"value": 24, "unit": "hour"}``."""
    amount, unit = parse_duration(value, bare_unit=bare_unit)
    return {"value": amount, "unit": unit}


def filter_rule_length(rule: Body | None) -> int:
    """Characters a filterRule counts toward the API's 1000-character limit (compact JSON of
    each rule with at least one condition; empty rules count 0 — the strictest reading)."""
    if not rule or not rule.get("conditions"):
        return 0
    return len(json.dumps(rule, separators=(",", ":"), ensure_ascii=False))


def filter_text_length(event: Event) -> int:
    """Characters an event's filter contributes to the API's 1000-character filter limit."""
    return filter_rule_length(key_event_body(event)["filterRule"])


def key_event_body(event: Event) -> Body:
    """The POST/PATCH body of a key event."""
    if event.filter:
        rule = filter_rule_from_sugar(event.filter.field, event.filter.pattern)
    else:
        rule = copy.deepcopy(event.filter_rule) if event.filter_rule else empty_filter_rule()
    body: Body = {
        "name": event.name,
        "databaseName": event.database,
        "tableName": event.table,
        "filterRule": rule,
    }
    if event.description is not None:
        body["description"] = event.description
    return body


def _common_attribute_body(attr: Attribute) -> Body:
    body: Body = {"name": attr.name, "identifier": attr.effective_identifier, "type": attr.kind}
    if attr.description is not None:
        body["description"] = attr.description
    if attr.kind == "single" and attr.sensitivity == "sensitive":
        body["sensitive"] = True  # the one undocumented field, only when asked (see above)
    body["filterRule"] = (
        copy.deepcopy(attr.filter_rule) if attr.filter_rule else (empty_filter_rule())
    )
    return body


def _backfill_body(attr: Attribute) -> Body:
    if attr.backfill is None:
        return {}
    backfill = {
        "attributeIdentifier": attr.backfill.attribute,
        "timestampIdentifier": attr.backfill.timestamp,
    }
    return {"backfill": backfill}


def _single_fields(attr: Attribute) -> Body:
    return {
        "valueColumn": attr.source_field,
        "dataType": attr.data_type or "string",
        "duration": duration_body(attr.duration or DEFAULT_SINGLE_DURATION),
        **_backfill_body(attr),
    }


def _list_aggregations(attr: Attribute) -> list[Body]:
    if attr.aggregations is not None:
        return [
            {
                "name": a.name,
                "identifier": a.identifier,
                "column": a.column,
                "aggregationType": a.aggregation,
            }
            for a in attr.aggregations
        ]
    return [
        {
            "name": LIST_AGGREGATION_NAME,
            "identifier": LIST_AGGREGATION_NAME,
            "column": attr.source_field,
            "aggregationType": attr.aggregation or "distinct_list",
        }
    ]


def _list_actions(attr: Attribute) -> list[Body]:
    # realtimeKeyEventId holds the key event's name inside a State (see rtcfg.model.state)
    return [
        {
            "action": a.action,
            "realtimeKeyEventId": a.source_event,
            "filterRule": copy.deepcopy(a.filter_rule) if a.filter_rule else empty_filter_rule(),
        }
        for a in attr.actions or []
    ]


def _list_fields(attr: Attribute) -> Body:
    column = attr.source_field
    expiry = attr.expiry_days if attr.expiry_days is not None else DEFAULT_LIST_EXPIRY_DAYS
    return {
        "fields": list(attr.fields) if attr.fields else [column],
        "idColumn": column,
        "aggregations": _list_aggregations(attr),
        "maxItems": attr.max_items if attr.max_items is not None else DEFAULT_LIST_MAX_ITEMS,
        "duration": duration_body(expiry),
        "actions": _list_actions(attr),
    }


def _counter_fields(attr: Attribute) -> Body:
    if (attr.aggregation or "count") == "sum":
        increment: Body = {"type": "field", "value": attr.source_field}
    else:
        increment = {"type": "const", "value": 1}
    body: Body = {
        "counterType": attr.counter_type or DEFAULT_COUNTER_TYPE,
        "increment": increment,
        "duration": duration_body(attr.window_duration or "1d"),
        **_backfill_body(attr),
    }
    if attr.sub_durations:
        body["subDurations"] = [
            {**duration_body(s.duration), "name": s.name, "identifier": s.identifier}
            for s in attr.sub_durations
        ]
    return body


def attribute_body(attr: Attribute) -> Body:
    """The POST body of a single, list or counter attribute, without ``realtimeKeyEventId``."""
    fields = {"single": _single_fields, "list": _list_fields, "counter": _counter_fields}
    return {**_common_attribute_body(attr), **fields[attr.kind](attr)}


def key_column_body(key: StitchingKey) -> Body:
    """A stitching key → one ``keyColumns[]`` entry."""
    if key.exclude_regex is not None:
        valid: str | None = valid_regexp_from_exclude(key.exclude_regex)
    else:
        valid = key.valid_regexp
    internal = key.internal if key.internal is not None else key.workflow_only
    return {
        "name": key.name,
        "validRegexp": valid,
        "invalidTexts": list(key.invalid_texts or []),
        "internal": bool(internal),
    }


def _event_tables(config: Config) -> list[Body]:
    seen: dict[tuple[str, str], None] = {}
    for event in config.events:
        seen.setdefault((event.database, event.table))
    for table in config.event_tables:
        seen.setdefault((table.database, table.table))
    return [{"database": db, "table": table} for db, table in seen]


def setting_body(config: Config) -> Body:
    """The complete ``realtime_setting`` PATCH body (all four writable keys)."""
    batch = [
        {"column": a.column or a.name, "name": a.name}
        for a in config.attributes
        if a.kind == "imported_batch"
    ]
    return {
        "keyColumns": [key_column_body(k) for k in config.id_stitching.stitching_keys],
        "eventTables": _event_tables(config),
        "batchAttributes": batch,
        "extLookupKey": config.id_stitching.ext_lookup_key,
    }


def desired_state(config: Config) -> DesiredState:
    """A validated Config → the DesiredState that plan diffs against live state."""
    key_events = {e.name: KeyEventState(e.name, key_event_body(e)) for e in config.events}
    attributes = {
        a.effective_identifier: AttributeState(
            a.effective_identifier, attribute_body(a), a.source_event
        )
        for a in config.attributes
        if a.kind != "imported_batch"
    }
    renames = {e.name: e.renamed_from for e in config.events if e.renamed_from}
    # the kinds rt_config.yaml has sections for; a kind registered before its section exists
    # is left alone (not planned as deleted)
    objects: dict[str, dict[str, Any]] = {"key_event": key_events, "attribute": attributes}
    return DesiredState(
        config.parent_segment_id,
        setting_body(config),
        objects,
        {"key_event": renames},
        managed=frozenset(objects),
    )
