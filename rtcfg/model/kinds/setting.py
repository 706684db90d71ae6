"""The realtime_setting (cdp-openapi.yml l.5161): one per parent segment, written whole by
PATCH, then applied by TD in the background (``status`` goes ``updating`` → ``ok``).

It holds event tables, ID-stitching key columns, imported (batch) attributes and the lookup
key. Dropping a batch attribute deletes that imported attribute, so such an update is
destructive. The planning rules that are the setting's alone (keep event tables alive while
key events move, the cleanup PATCH) are in ``rtcfg.engine.setting_steps``.
"""

from __future__ import annotations

from rtcfg.model.kinds.base import Body, Kind

NAME = "setting"
KEYS = ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")


def _sorted(items: list[Body], key: str) -> list[Body]:
    return sorted(items, key=lambda item: str(item.get(key)))


def comparable(body: Body) -> Body:
    """The setting as diff compares it: unordered lists sorted by identity, defaults of each
    key column filled in, a batch attribute's null name read as its column."""
    keys = [
        {
            "name": k.get("name"),
            "validRegexp": k.get("validRegexp"),
            "invalidTexts": sorted(k.get("invalidTexts") or []),
            "internal": bool(k.get("internal")),
        }
        for k in body.get("keyColumns") or []
    ]
    tables = [
        {"database": t.get("database"), "table": t.get("table")}
        for t in body.get("eventTables") or []
    ]
    batch = [
        {"column": b.get("column"), "name": b.get("name") or b.get("column")}
        for b in body.get("batchAttributes") or []
    ]
    return {
        "keyColumns": _sorted(keys, "name"),
        "eventTables": sorted(tables, key=lambda t: (str(t["database"]), str(t["table"]))),
        "batchAttributes": _sorted(batch, "column"),
        "extLookupKey": body.get("extLookupKey"),
    }


def removed_batch_columns(before: Body | None, after: Body | None) -> list[str]:
    """Columns of imported (batch) attributes that a setting change removes."""
    kept = {b.get("column") for b in (after or {}).get("batchAttributes") or []}
    return sorted(
        str(b.get("column"))
        for b in (before or {}).get("batchAttributes") or []
        if b.get("column") not in kept
    )


def update_notes(before: Body | None, after: Body | None) -> list[str]:
    return [
        f"removes imported attribute {column}: its id is gone and what uses it breaks"
        for column in removed_batch_columns(before, after)
    ]


def whole(body: Body) -> Body:
    """The complete object a PATCH sends: every key, empty where the file sets none."""
    return {k: body.get(k, None if k == "extLookupKey" else []) for k in KEYS}


def table_of(key_event: Body) -> Body:
    """The event table a key event body reads, in the setting's shape."""
    return {"database": key_event.get("databaseName"), "table": key_event.get("tableName")}


KIND = Kind(
    name=NAME,
    label="setting",
    path="realtime_setting",
    order=0,
    comparable=comparable,
    singleton=True,
    patchable=frozenset(KEYS),
    keyed_lists={
        "keyColumns": lambda item: str(item.get("name")),
        "eventTables": lambda item: f"{item.get('database')}.{item.get('table')}",
        "batchAttributes": lambda item: str(item.get("column")),
    },
    update_notes=update_notes,
    after_write="poll_status",
    # the status enum (cdp-openapi.yml l.17050): inconsistent means what is deployed differs
    # from the configuration; sending the whole setting again is how it is redeployed
    resend_when=("inconsistent",),
)
