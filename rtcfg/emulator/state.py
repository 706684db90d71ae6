"""The emulator's data model and rules. Pure: no I/O, time comes from an injected clock."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from .attributes import check_attribute_create, check_attribute_patch
from .behaviours import parse_behaviours
from .catalog import Catalog
from .errors import ApiError, conflict, invalid, not_found
from .seed_format import highest_id, normalise_seed, rt_enabled
from .setting_refs import check_setting_refs
from .setting_status import SettingStatus
from .validation import (
    MAX_FILTER_CHARS,
    SETTING_KEYS,
    Json,
    check_key_event,
    check_setting,
    rule_chars,
)
from .views import (
    audience_view,
    entity_list,
    imported_view,
    now_iso,
    setting_status,
    with_notation,
)


class Store:
    """All parent segments, their RT configuration and the TD databases, plus the rules."""

    def __init__(
        self,
        seed: Json,
        update_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        behaviours: dict[str, str] | None = None,
    ) -> None:
        self._seed = copy.deepcopy(seed)
        self.behaviours = parse_behaviours(behaviours)
        self.status = SettingStatus(update_seconds, clock)
        self.data: Json = {}
        self.catalog = Catalog(self.data)
        self.load(seed)

    # --- lifecycle ------------------------------------------------------------------------------

    def load(self, data: Json) -> None:
        """Take a seed or saved state; missing parts get the defaults of :mod:`.seed_format`."""
        self.data = copy.deepcopy(data)
        self.catalog = Catalog(self.data)
        self.status.reset()
        self.data["nextId"] = max(int(self.data.get("nextId") or 0), highest_id(self.data) + 1)
        normalise_seed(self.data, self._new_id)
        for ps in self.data["parentSegments"]:
            rt = ps.get("realtime")
            if rt is not None:
                if rt["status"] == "updating":
                    rt["status"] = "ok"
                self._sync_imported(rt)

    def reset(self) -> None:
        self.load(self._seed)

    def dump(self) -> Json:
        return copy.deepcopy(self.data)

    def _new_id(self) -> str:
        value = int(self.data["nextId"])
        self.data["nextId"] = value + 1
        return str(value)

    # --- lookups --------------------------------------------------------------------------------

    def parent_segment(self, ps_id: str) -> Json:
        for ps in self.data["parentSegments"]:
            if ps["id"] == ps_id:
                return dict(ps)
        raise not_found(f"Parent segment {ps_id} not found")

    def _rt(self, ps_id: str) -> Json:
        ps = self.parent_segment(ps_id)
        if not rt_enabled(ps):
            message = f"RT 2.0 is not enabled for parent segment {ps_id}"
            if self.behaviours["rt_disabled"] == "403":
                raise ApiError(403, "forbidden", message)
            raise not_found(message)
        rt: Json = ps["realtime"]
        self.status.refresh(ps_id, rt)
        return rt

    # --- parent segments ------------------------------------------------------------------------

    def audiences(self) -> list[Json]:
        return [self.audience(ps["id"]) for ps in self.data["parentSegments"]]

    def audience(self, ps_id: str) -> Json:
        legacy = self.behaviours["audience_fields"] == "legacy"
        return audience_view(self.parent_segment(ps_id), legacy=legacy)

    def entities(self, ps_id: str, kind: str) -> list[Json]:
        """The seeded personalizations or journeys of a parent segment (JSON:API resources);
        the ``entities`` behaviour plays the feature being off (403 or 404)."""
        return entity_list(self.parent_segment(ps_id), kind, self.behaviours["entities"])

    # --- realtime_setting -----------------------------------------------------------------------

    def get_setting(self, ps_id: str, *, polled: bool = True) -> Json:
        """The setting as answered; ``polled``: a client's GET (a held status counts it)."""
        rt = self._rt(ps_id)
        if polled:
            self.status.polled(ps_id, rt)
        status, detailed = setting_status(rt, self.behaviours)
        return {
            "id": rt["id"],
            "keyColumns": copy.deepcopy(rt["keyColumns"]),
            "eventTables": copy.deepcopy(rt["eventTables"]),
            "batchAttributes": copy.deepcopy(rt["batchAttributes"]),
            "extLookupKey": rt["extLookupKey"],
            "status": status,
            "statusDetailed": detailed,
        }

    def patch_setting(self, ps_id: str, body: Any) -> Json:
        theirs = self.status.concurrent_patch(ps_id)
        if theirs is not None:  # another writer's PATCH lands first (POST /_emulator/setting)
            self.patch_setting(ps_id, theirs)
        rt = self._rt(ps_id)
        ps = self.parent_segment(ps_id)
        if rt["status"] == "updating" and self.behaviours["patch_while_updating"] == "refuse":
            raise conflict(f"realtime setting of parent segment {ps_id} is updating; retry later")
        if isinstance(body, dict) and self.behaviours["partial_setting_patch"] == "keep":
            body = {**{k: copy.deepcopy(rt[k]) for k in SETTING_KEYS}, **body}
        new = check_setting(body)
        check_setting_refs(self.catalog, ps, rt, new)
        rt.update(new)
        self._sync_imported(rt)
        self.status.patched(ps_id, rt)
        return self.get_setting(ps_id, polled=False)

    def _sync_imported(self, rt: Json) -> None:
        ids: dict[str, str] = rt.setdefault("importedIds", {})
        columns = [b["column"] for b in rt.get("batchAttributes", [])]
        for col in list(ids):
            if col not in columns:
                del ids[col]
        for col in columns:
            if col not in ids:
                ids[col] = self._new_id()

    def control_setting(self, cfg: Json) -> Json:
        """``POST /_emulator/setting`` (see :mod:`.setting_status`); ``cfg`` already checked."""
        ps_id = cfg["parent_segment"]
        if "concurrent_patch" in cfg:
            check_setting(cfg["concurrent_patch"])  # its shape now; its references when sent
        return self.status.control(ps_id, self._rt(ps_id), cfg)

    # --- key events -----------------------------------------------------------------------------

    def key_events(self, ps_id: str) -> list[Json]:
        return copy.deepcopy(self._rt(ps_id)["keyEvents"])

    def _key_event(self, rt: Json, ps_id: str, ke_id: str) -> Json:
        for ke in rt["keyEvents"]:
            if ke["id"] == ke_id:
                return dict(ke)
        raise not_found(f"Realtime key event {ke_id} not found in parent segment {ps_id}")

    def get_key_event(self, ps_id: str, ke_id: str) -> Json:
        return copy.deepcopy(self._key_event(self._rt(ps_id), ps_id, ke_id))

    def create_key_event(self, ps_id: str, body: Any) -> Json:
        rt = self._rt(ps_id)
        ke = self._stored_key_event(body)
        self._check_key_event(rt, ke, None)
        ke = {"id": self._new_id(), **ke}
        rt["keyEvents"].append(ke)
        return copy.deepcopy(ke)

    def update_key_event(self, ps_id: str, ke_id: str, body: Any) -> Json:
        rt = self._rt(ps_id)
        self._key_event(rt, ps_id, ke_id)
        ke = {"id": ke_id, **self._stored_key_event(body)}
        self._check_key_event(rt, ke, ke_id)
        rt["keyEvents"] = [ke if k["id"] == ke_id else k for k in rt["keyEvents"]]
        return copy.deepcopy(ke)

    def _stored_key_event(self, body: Any) -> Json:
        ke = check_key_event(body)
        if self.behaviours["key_event_description"] == "dropped":
            del ke["description"]  # the server keeps only what RealtimeKeyEventAttributes has
        return ke

    def delete_key_event(self, ps_id: str, ke_id: str) -> Json:
        rt = self._rt(ps_id)
        ke = self._key_event(rt, ps_id, ke_id)
        for attr in rt["attributes"]:
            refs = {attr.get("realtimeKeyEventId")}
            refs |= {a["realtimeKeyEventId"] for a in attr.get("actions", [])}
            if ke_id in refs:
                raise conflict(
                    f"key event {ke_id} is used by attribute '{attr['identifier']}' "
                    f"(id {attr['id']})"
                )
        rt["keyEvents"] = [k for k in rt["keyEvents"] if k["id"] != ke_id]
        return copy.deepcopy(ke)

    def _check_key_event(self, rt: Json, ke: Json, own_id: str | None) -> None:
        if {"database": ke["databaseName"], "table": ke["tableName"]} not in rt["eventTables"]:
            raise invalid(
                f"{ke['databaseName']}.{ke['tableName']} is not an event table of the realtime "
                "setting"
            )
        for other in rt["keyEvents"]:
            if other["id"] != own_id and other["name"] == ke["name"]:
                raise invalid(
                    f"key event name '{ke['name']}' has already been taken",
                    "VIOLATES_UNIQUENESS_CONSTRAINT",
                )
        events = [k for k in rt["keyEvents"] if k["id"] != own_id] + [ke]
        self._check_filter_total(events, rt["attributes"])

    def _check_filter_total(self, events: list[Json], attributes: list[Json]) -> None:
        total = sum(rule_chars(k["filterRule"]) for k in events)
        for attr in attributes:
            total += rule_chars(attr.get("filterRule"))
            total += sum(rule_chars(a["filterRule"]) for a in attr.get("actions", []))
        if total > MAX_FILTER_CHARS:
            raise invalid(
                f"the filters of this parent segment total {total} characters (max "
                f"{MAX_FILTER_CHARS})",
                "IS_TOO_LONG",
            )

    def key_event_columns(self, ps_id: str, ke_id: str) -> list[Json]:
        ke = self._key_event(self._rt(ps_id), ps_id, ke_id)
        return self.catalog.columns(ke["databaseName"], ke["tableName"])

    def event_table_columns(self, ps_id: str, database: str, table: str) -> list[Json]:
        rt = self._rt(ps_id)
        if {"database": database, "table": table} not in rt["eventTables"]:
            raise not_found(f"{database}.{table} is not an event table of parent segment {ps_id}")
        return self.catalog.columns(database, table)

    # --- attributes -----------------------------------------------------------------------------

    def _imported(self, ps_id: str, rt: Json) -> list[Json]:
        return imported_view(self.parent_segment(ps_id), rt)

    def attributes(self, ps_id: str) -> list[Json]:
        rt = self._rt(ps_id)
        own = [self._attribute_view(a) for a in rt["attributes"]]
        return own + self._imported(ps_id, rt)

    def _attribute_view(self, attr: Json) -> Json:
        """An attribute as answered: nested read-only ``notation`` when that behaviour is on."""
        view: Json = copy.deepcopy(attr)
        return with_notation(view) if self.behaviours["nested_notation"] == "present" else view

    def _attribute(self, ps_id: str, attr_id: str) -> Json:
        rt = self._rt(ps_id)
        for attr in rt["attributes"]:
            if attr["id"] == attr_id:
                return copy.deepcopy(attr)
        for attr in self._imported(ps_id, rt):
            if attr["id"] == attr_id:
                return attr
        raise not_found(f"Realtime attribute {attr_id} not found in parent segment {ps_id}")

    def get_attribute(self, ps_id: str, attr_id: str) -> Json:
        attr = self._attribute(ps_id, attr_id)
        return attr if attr["type"] == "imported" else self._attribute_view(attr)

    def create_attribute(self, ps_id: str, body: Any) -> Json:
        rt = self._rt(ps_id)
        refuse_sensitive = self.behaviours["sensitive_field"] == "refuse"
        if refuse_sensitive and isinstance(body, dict) and "sensitive" in body:
            raise invalid("body: unknown field 'sensitive'")
        attr = check_attribute_create(body)
        self._check_attribute(ps_id, rt, attr, None)
        stamp = now_iso()
        attr = {"id": self._new_id(), **attr, "createdAt": stamp, "updatedAt": stamp}
        rt["attributes"].append(attr)
        return self._attribute_view(attr)

    def update_attribute(self, ps_id: str, attr_id: str, body: Any) -> Json:
        rt = self._rt(ps_id)
        current = self._attribute(ps_id, attr_id)
        changes = check_attribute_patch(body, current)
        new = {**current, **changes, "updatedAt": now_iso()}
        self._check_attribute(ps_id, rt, new, attr_id)
        rt["attributes"] = [new if a["id"] == attr_id else a for a in rt["attributes"]]
        return self._attribute_view(new)

    def delete_attribute(self, ps_id: str, attr_id: str) -> Json:
        rt = self._rt(ps_id)
        attr = self._attribute(ps_id, attr_id)
        if attr["type"] == "imported":
            raise invalid(
                "imported attributes are removed through realtime_setting.batchAttributes",
                "IS_IMMUTABLE",
            )
        rt["attributes"] = [a for a in rt["attributes"] if a["id"] != attr_id]
        return {}

    def _check_attribute(self, ps_id: str, rt: Json, attr: Json, own_id: str | None) -> None:
        # read in place (no copy): this runs on every write and a segment holds hundreds
        everyone = [*self._rt(ps_id)["attributes"], *self._imported(ps_id, rt)]
        others = [a for a in everyone if a["id"] != own_id]
        for key in ("name", "identifier"):
            if any(o[key] == attr[key] for o in others):
                raise invalid(
                    f"attribute {key} '{attr[key]}' has already been taken",
                    "VIOLATES_UNIQUENESS_CONSTRAINT",
                )
        ke = self._ke_ref(rt, attr["realtimeKeyEventId"], "realtimeKeyEventId")
        for i, act in enumerate(attr.get("actions", [])):
            self._ke_ref(rt, act["realtimeKeyEventId"], f"actions[{i}].realtimeKeyEventId")
        cols = {
            c["dataColumn"]: c["dataType"]
            for c in self.catalog.columns(ke["databaseName"], ke["tableName"])
        }
        used = [attr.get("valueColumn"), attr.get("idColumn"), *attr.get("fields", [])]
        used += [a["column"] for a in attr.get("aggregations", [])]
        inc = attr.get("increment") or {}
        if inc.get("type") == "field":
            used.append(inc["value"])
            if cols.get(inc["value"]) != "number":
                raise invalid(f"increment field '{inc['value']}' must be a number column")
        for col in used:
            if col is not None and col not in cols:
                raise invalid(f"column '{col}' not found in {ke['databaseName']}.{ke['tableName']}")
        if attr["type"] == "single":
            want = "number" if cols[attr["valueColumn"]] == "number" else "string"
            if attr["dataType"] != want:
                raise invalid(f"dataType must be '{want}' for column '{attr['valueColumn']}'")
        backfill = attr.get("backfill")
        if backfill and backfill["attributeIdentifier"] not in {
            b["column"] for b in rt["batchAttributes"]
        }:
            raise invalid(
                f"backfill.attributeIdentifier '{backfill['attributeIdentifier']}' is not an "
                "imported attribute"
            )
        attrs = [a for a in rt["attributes"] if a["id"] != own_id] + [attr]
        self._check_filter_total(rt["keyEvents"], attrs)

    def _ke_ref(self, rt: Json, ke_id: str, where: str) -> Json:
        for ke in rt["keyEvents"]:
            if ke["id"] == ke_id:
                return dict(ke)
        raise invalid(f"{where}: key event {ke_id} not found")
