"""Builders shared by the test modules (which never import one another).

* The bundled seed's parent segments, by id and by path, and the request bodies the emulator
  takes (key events, attributes of each type), built from its published shapes.
* Desired and live states: ``desired`` from YAML-shaped sections, and ``emulated_live``, the
  live state the emulator would hand back after creating a desired state (its own
  normalisation, server defaults, ids, reordered lists), read through ``build_live_state``, so
  "no changes" is proven against the server's shapes, not hand-made dicts.
* Plans: ``plan`` / ``step`` / ``outline`` over ``build_segment_plan``, and ``busy_plan``, a plan
  with every action in it.
* Guided setup: ``table`` and ``discovery`` build catalogs on plain data; ``PAGES``, ``CART``,
  ``ORDERS`` and ``STOCK`` are typical event tables of a shop.
"""

from __future__ import annotations

import copy
from typing import Any

from rtcfg.api.catalog import Catalog, Column, Table
from rtcfg.api.live import build_live_state
from rtcfg.config.models import Config
from rtcfg.emulator.attributes import check_attribute_create
from rtcfg.emulator.validation import check_key_event, check_setting
from rtcfg.engine.plan import Plan, SegmentPlan, Step, build_segment_plan
from rtcfg.model.state import State
from rtcfg.model.translate import desired_state
from rtcfg.setup.discover import Discovery, classify

# --- the bundled seed -------------------------------------------------------------------------

POPULATED_ID = "1069935"  # RT enabled and configured
EMPTY_ID = "1069944"  # RT enabled, nothing configured
RT_DISABLED_ID = "1053580"  # RT 2.0 not enabled
POP_PATH = f"/audiences/{POPULATED_ID}"
EMPTY_PATH = f"/audiences/{EMPTY_ID}"
RT_DISABLED_PATH = f"/audiences/{RT_DISABLED_ID}"
AUTH = {"Authorization": "TD1 1/test-key"}

# --- request bodies ----------------------------------------------------------------------------

EMPTY_RULE: dict[str, Any] = {"type": "And", "conditions": []}


def key_event(name: str, table: str = "pageviews", **extra: Any) -> dict[str, Any]:
    """A key event body on ``events_db.<table>`` with the empty filter rule."""
    return {
        "name": name,
        "databaseName": "events_db",
        "tableName": table,
        "filterRule": copy.deepcopy(EMPTY_RULE),
        **extra,
    }


def single_attr(identifier: str, ke: str = "810", **extra: Any) -> dict[str, Any]:
    """A single attribute body on key event ``ke`` (a pageviews column by default)."""
    return {
        "name": identifier.replace("_", " "),
        "identifier": identifier,
        "type": "single",
        "realtimeKeyEventId": ke,
        "valueColumn": "product_id",
        "dataType": "string",
        "duration": {"value": 1, "unit": "day"},
        **extra,
    }


def list_attr(identifier: str, ke: str = "810", **extra: Any) -> dict[str, Any]:
    """A list attribute body with one distinct_list aggregation."""
    return {
        "name": identifier,
        "identifier": identifier,
        "type": "list",
        "realtimeKeyEventId": ke,
        "idColumn": "product_id",
        "fields": ["product_id"],
        "duration": {"value": 30, "unit": "day"},
        "maxItems": 20,
        "actions": [],
        "aggregations": [
            {
                "name": "items",
                "identifier": "items",
                "column": "product_id",
                "aggregationType": "distinct_list",
            }
        ],
        **extra,
    }


def counter_attr(identifier: str, ke: str = "810", **extra: Any) -> dict[str, Any]:
    """A sliding counter attribute body counting 1 per event."""
    return {
        "name": identifier,
        "identifier": identifier,
        "type": "counter",
        "realtimeKeyEventId": ke,
        "counterType": "sliding",
        "increment": {"type": "const", "value": 1},
        "duration": {"value": 24, "unit": "hour"},
        "subDurations": [],
        **extra,
    }


# --- desired and live states -------------------------------------------------------------------

EVENTS = [
    {"name": "page_view", "database": "events_db", "table": "pageviews"},
    {"name": "purchase", "database": "events_db", "table": "orders"},
]
STITCHING = {
    "stitching_keys": [
        {"name": "td_client_id"},
        {"name": "email", "exclude_regex": "^test_"},
    ]
}
ATTRIBUTES = [
    {"name": "last_pv", "type": "single", "source_event": "page_view", "source_field": "p"},
    {"name": "seen", "type": "list", "source_event": "page_view", "source_field": "p"},
    {"name": "pv_24h", "type": "counter", "source_event": "page_view", "window_duration": "24h"},
    {"name": "tier", "type": "imported_batch"},
]


def desired(**sections: Any) -> State:
    """A desired state from YAML-shaped sections (defaults: the sample config above)."""
    data = {"events": EVENTS, "id_stitching": STITCHING, "attributes": ATTRIBUTES, **sections}
    return desired_state(Config.model_validate({"parent_segment_id": "1", **data}))


def emulated_live(state: State, first_id: int = 100) -> State:
    """The live state the emulator holds after creating ``state`` exactly."""
    ids = {name: str(first_id + i) for i, name in enumerate(state.key_events)}
    setting = check_setting(state.setting)
    for key in ("keyColumns", "eventTables", "batchAttributes"):
        setting[key].reverse()  # the server keeps no particular order
    setting |= {"id": "7", "status": "ok", "statusDetailed": None}
    key_events = [{"id": ids[n], **check_key_event(ke.body)} for n, ke in state.key_events.items()]
    attributes = []
    for i, attr in enumerate(state.attributes.values()):
        body = copy.deepcopy(attr.body)
        body["realtimeKeyEventId"] = ids[str(attr.key_event)]
        for action in body.get("actions", []):
            action["realtimeKeyEventId"] = ids[action["realtimeKeyEventId"]]
        stored = check_attribute_create(body)
        attributes.append({"id": str(first_id + 50 + i), **stored, "createdAt": "t"})
    return build_live_state(state.parent_segment_id, setting, key_events, attributes)


# --- plans -------------------------------------------------------------------------------------


def plan(want: State, have: State, **options: Any) -> SegmentPlan:
    """The segment plan from ``have`` to ``want`` (fixed file name and hash)."""
    return build_segment_plan(want, have, config_file="rt.yaml", config_sha256="c0", **options)


def step(segment: SegmentPlan, address: str, method: str | None = None) -> Step:
    """The one step of ``segment`` for ``address`` (and ``method``, when given)."""
    (found,) = [s for s in segment.steps if s.address == address and method in (None, s.method)]
    return found


def outline(segment: SegmentPlan) -> list[tuple[int, int, str, str, list[int]]]:
    """Each step as (id, stage, method, address, depends_on)."""
    return [(s.id, s.stage, s.method, s.address, s.depends_on) for s in segment.steps]


def clear_on(key_event: str) -> dict[str, Any]:
    """A list attribute action that clears the list on ``key_event``."""
    return {"action": "clear", "realtimeKeyEventId": key_event, "filterRule": EMPTY_RULE}


def busy_plan() -> Plan:
    """A plan with a create, updates, a replace and deletes, refs and a setting change."""
    before = desired()
    before.attributes["seen"].body["actions"] = [clear_on("purchase")]
    have = emulated_live(before)
    events = [EVENTS[0], {"name": "cart", "database": "events_db", "table": "orders"}]
    attrs = [{**ATTRIBUTES[0], "source_event": "cart"}, {**ATTRIBUTES[1], "max_items": 5}]
    return Plan([plan(desired(events=events, attributes=attrs), have)], "0.1.0")


# --- guided setup: catalogs and discoveries ----------------------------------------------------


def table(name: str, *columns: str, db: str = "shop", rows: int = 1000) -> Table:
    """``table("orders", "td_client_id", "total:double")``: columns are strings unless typed."""
    parsed = tuple(Column(*(c.split(":") if ":" in c else (c, "string"))) for c in columns)
    return Table(db, name, rows, 1_700_000_000, parsed)


def discovery(*tables: Table, attributes: tuple[str, ...] = (), key: str = "cust_key") -> Discovery:
    """What discovery finds in ``tables`` for a parent segment with these ``attributes``."""
    audience: dict[str, Any] = {
        "name": "Shop",
        "attributes": [{"name": a, "type": "string"} for a in attributes],
    }
    databases = tuple(dict.fromkeys(t.database for t in tables))
    return classify("42", audience, Catalog(databases, tables), profile_key=key)


PAGES = table("web_pageviews", "td_client_id", "member_id", "product_sku", "category_name")


CART = table("basket_adds", "td_client_id", "product_sku", "unit_price:double", "time:long")


ORDERS = table(
    "order_transactions", "td_client_id", "email_address", "product_sku", "order_amount:double"
)


STOCK = table("inventory_events", "product_sku", "stock_level:bigint")
