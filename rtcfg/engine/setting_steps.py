"""The setting's steps: one PATCH of the whole object after every early delete, and when the
objects still live while it runs need more than what stays in use afterwards, a second
(cleanup) PATCH once key events have moved.

Pure: no I/O. The API refuses to remove an event table a key event still reads, or a batch
attribute a backfill still uses, so the first PATCH keeps those; the cleanup PATCH drops the
rest after the key events that read them are moved or deleted.
"""

from __future__ import annotations

from rtcfg.engine.graph import ChangeGraph
from rtcfg.engine.stages import Draft, Key, late_delete, setting_cleanup, write_stage
from rtcfg.model.bodypath import json_copy
from rtcfg.model.kinds import SETTING, attribute, key_event
from rtcfg.model.kinds import setting as setting_kind
from rtcfg.model.kinds.setting import table_of, whole
from rtcfg.model.state import Body

_KEY_EVENT = key_event.KIND
_ATTRIBUTE = attribute.KIND


def setting_draft(graph: ChangeGraph, waits_on: set[Key]) -> Draft | None:
    """The setting PATCH, if the plan changes the setting: the complete desired object."""
    if SETTING not in graph.by_address:
        return None
    path = setting_kind.KIND.api_path(graph.desired.parent_segment_id)
    body = json_copy(whole(graph.desired.setting))
    return Draft(write_stage(setting_kind.KIND), "PATCH", path, body, SETTING, set(waits_on))


def cleanup(graph: ChangeGraph, setting: Draft | None, drafts: list[Draft]) -> list[Draft]:
    """Widen the setting PATCH to what live objects still use while it runs; when that is
    more than what stays in use after the plan, a second PATCH drops the rest once key events
    have moved (their writes and late deletes)."""
    if setting is None or setting.body is None:
        return []
    after = _with(setting.body, _tables_after(graph, drafts), _batch_in_use(graph, drafts))
    during = _with(after, _tables_during(graph, drafts), [])
    setting.body = during
    if during == after:
        return []
    moved = (write_stage(_KEY_EVENT), late_delete())
    needs = {d.key for d in drafts if d.stage in moved} | {setting.key}
    return [Draft(setting_cleanup(), "PATCH", setting.path, after, SETTING, needs)]


def _deleted(drafts: list[Draft], kind_name: str, *, early_only: bool = False) -> set[str]:
    return {
        d.address
        for d in drafts
        if d.method == "DELETE"
        and d.address.kind == kind_name
        and not (early_only and d.stage == late_delete())
    }


def _tables_during(graph: ChangeGraph, drafts: list[Draft]) -> list[Body]:
    """Event tables that live key events still read while the setting is PATCHed (those not
    deleted before it)."""
    gone = _deleted(drafts, _KEY_EVENT.name, early_only=True)
    return [
        table_of(k.body)
        for name, k in graph.live.key_events.items()
        if _KEY_EVENT.address(name) not in gone
    ]


def _tables_after(graph: ChangeGraph, drafts: list[Draft]) -> list[Body]:
    """Event tables that live key events read once this plan is done: the desired table of
    one it updates, the live table of one it leaves alone (e.g. --exclude)."""
    deleted = _deleted(drafts, _KEY_EVENT.name)
    moved = {live: new for new, live in graph.matches.get(_KEY_EVENT.name, {}).items()}
    tables = []
    for live_name, live_event in graph.live.key_events.items():
        if _KEY_EVENT.address(live_name) in deleted:
            continue
        body = live_event.body
        desired_name = moved.get(live_name)
        if desired_name is not None and graph.action(_KEY_EVENT.address(desired_name)):
            body = graph.desired.key_events[desired_name].body
        tables.append(table_of(body))
    return tables


def _batch_in_use(graph: ChangeGraph, drafts: list[Draft]) -> list[Body]:
    """Batch attributes that the backfill of an attribute this plan keeps still uses."""
    deleted = _deleted(drafts, _ATTRIBUTE.name)
    columns = {
        str((a.body.get("backfill") or {}).get("attributeIdentifier"))
        for i, a in graph.live.attributes.items()
        if a.body.get("backfill") and _ATTRIBUTE.address(i) not in deleted
    }
    live_batch = graph.live.setting.get("batchAttributes") or []
    return [b for b in live_batch if b.get("column") in columns]


def _with(setting: Body, tables: list[Body], batch: list[Body]) -> Body:
    """``setting`` plus the event tables and batch attributes it lacks (by identity)."""
    out: Body = json_copy(setting)
    for table in tables:
        if table not in out["eventTables"]:
            out["eventTables"].append(table)
    columns = {b.get("column") for b in out["batchAttributes"]}
    for item in batch:
        if item.get("column") not in columns:
            out["batchAttributes"].append(json_copy(item))
            columns.add(item.get("column"))
    return out
