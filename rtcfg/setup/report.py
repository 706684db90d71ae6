"""What the success summary after apply (the guide's 7.5) and ``rtcfg report`` (8.3) show, built
from live state (the truth) and, when given, the config file (the primary key, which the API
does not keep, the use case ``rtcfg init`` wrote in the header, and whether the file still
matches live state).

Pure: :func:`segment_summary` takes what was read; :mod:`rtcfg.render` turns it into text,
JSON or Markdown (with a Mermaid graph of event tables → key events → attributes).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from rtcfg.model.state import Body, LiveState
from rtcfg.model.to_yaml import (
    Unrepresentable,
    attribute_entry,
    duration_text,
    event_entry,
    stitching_key_entry,
)
from rtcfg.safe_text import safe
from rtcfg.setup.console import console_url

ATTRIBUTE_TYPES = ("single", "list", "counter")
# Next steps by use case (8.2): triggers → journeys, personalization → personalization services.
NEXT_STEPS = {
    "triggers": "RT triggers: build journeys that start on these key events and activate "
    "the profiles they reach (real-time journeys in the console)",
    "personalization": "RT personalization: create a personalization service that returns "
    "these attributes to your site or app on each request",
}
USE_CASE_STEPS: dict[str | None, tuple[str, ...]] = {
    "recommendations": ("personalization",),
    "cart": ("triggers", "personalization"),
    "triggers": ("triggers",),
    "both": ("triggers", "personalization"),  # the guide's order: triggers first
    None: ("triggers", "personalization"),
}


@dataclass
class EventView:
    name: str
    table: str  # db.table
    filter: str | None  # "td_path matches ^/product/", the raw rule, or None: every row
    description: str | None = None


@dataclass
class AttributeView:
    name: str
    identifier: str
    type: str
    event: str | None
    column: str | None
    detail: str  # window, items, aggregation


@dataclass
class KeyView:
    name: str
    rule: str  # "", "excludes ^test_", "valid ^[0-9]+$", "invalid: '', null"


@dataclass
class SegmentSummary:
    """One parent segment's configuration, for a person."""

    ps_id: str
    ps_name: str | None
    status: str | None
    console_url: str
    events: list[EventView] = field(default_factory=list)
    extra_tables: list[str] = field(default_factory=list)
    attributes: list[AttributeView] = field(default_factory=list)
    batch: list[str] = field(default_factory=list)
    keys: list[KeyView] = field(default_factory=list)
    primary_key: str | None = None
    ext_lookup_key: str | None = None
    use_case: str | None = None
    next_steps: list[str] = field(default_factory=list)
    config_file: str | None = None
    pending_changes: int | None = None  # changes `rtcfg plan FILE` would make; None: no file
    generated_at: str = ""

    def by_type(self, kind: str) -> list[AttributeView]:
        return [a for a in self.attributes if a.type == kind]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "event_tables": len({e.table for e in self.events} | set(self.extra_tables)),
            "key_events": len(self.events),
            "attributes": len(self.attributes),
            **{kind: len(self.by_type(kind)) for kind in ATTRIBUTE_TYPES},
            "batch_attributes": len(self.batch),
            "stitching_keys": len(self.keys),
        }

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = self.counts
        return data


@dataclass(frozen=True)
class FromFile:
    """What the config file adds to live state."""

    path: str
    primary_key: str | None
    use_case: str | None
    pending_changes: int


def segment_summary(
    live: LiveState,
    audience: Body,
    site: str,
    from_file: FromFile | None = None,
    now: datetime | None = None,
) -> SegmentSummary:
    """The summary of ``live`` (the parent segment ``audience``) on ``site``."""
    setting = live.setting
    use_case = from_file.use_case if from_file else None
    summary = SegmentSummary(
        ps_id=live.parent_segment_id,
        ps_name=audience.get("name") if isinstance(audience.get("name"), str) else None,
        status=live.setting_meta.get("status"),
        console_url=console_url(site, live.parent_segment_id),
        events=[_event_view(k.body) for k in sorted(live.key_events.values(), key=_by_name)],
        attributes=[_attribute_view(a.body, a.key_event) for a in live.attributes.values()],
        batch=[str(b.get("name") or b.get("column")) for b in setting.get("batchAttributes") or []],
        keys=[_key_view(k) for k in setting.get("keyColumns") or []],
        ext_lookup_key=setting.get("extLookupKey"),
        use_case=use_case,
        next_steps=[NEXT_STEPS[s] for s in USE_CASE_STEPS.get(use_case, USE_CASE_STEPS[None])],
        generated_at=(now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
    )
    summary.attributes.sort(key=lambda a: (ATTRIBUTE_TYPES.index(a.type), a.identifier))
    used = {e.table for e in summary.events}
    summary.extra_tables = [
        f"{t['database']}.{t['table']}"
        for t in setting.get("eventTables") or []
        if f"{t['database']}.{t['table']}" not in used
    ]
    if from_file:
        summary.primary_key = from_file.primary_key
        summary.config_file = from_file.path
        summary.pending_changes = from_file.pending_changes
    return summary


def _by_name(item: Any) -> str:
    return str(item.name)


def _event_view(body: Body) -> EventView:
    entry = event_entry(body)
    table = f"{body.get('databaseName')}.{body.get('tableName')}"
    text: str | None = None  # every row
    if "filter" in entry:
        text = f"{entry['filter']['field']} matches {entry['filter']['pattern']}"
    elif "filter_rule" in entry:
        text = json.dumps(entry["filter_rule"], separators=(",", ":"), ensure_ascii=False)
    return EventView(str(body.get("name")), table, text, body.get("description"))


def _attribute_view(body: Body, key_event: str | None) -> AttributeView:
    kind = str(body.get("type"))
    try:
        entry = attribute_entry(body, key_event)
    except Unrepresentable:
        entry = {}
    column = entry.get("source_field")
    return AttributeView(
        name=str(body.get("name")),
        identifier=str(body.get("identifier")),
        type=kind,
        event=key_event,
        column=column if isinstance(column, str) else None,
        detail=_settings(kind, body, entry),
    )


def _settings(kind: str, body: Body, entry: Body) -> str:
    duration = body.get("duration")
    window = duration_text(duration) if isinstance(duration, dict) else None
    if kind == "single":
        return f"{body.get('dataType') or 'string'}, kept {window or '1d'}"
    if kind == "list":
        aggregation = entry.get("aggregation", "distinct_list")
        return f"{aggregation}, up to {body.get('maxItems')} items, {window or '60d'}"
    increment = body.get("increment") or {}
    counted = f"sum of {increment.get('value')}" if increment.get("type") == "field" else "count"
    return f"{counted} over {window}, {body.get('counterType') or 'sliding'}"


def _key_view(body: Body) -> KeyView:
    entry = stitching_key_entry(body)
    rules = []
    if entry.get("exclude_regex"):
        rules.append(f"excludes {entry['exclude_regex']}")
    if entry.get("valid_regexp"):
        rules.append(f"valid {entry['valid_regexp']}")
    if entry.get("invalid_texts"):
        rules.append("invalid: " + ", ".join(repr(t) for t in entry["invalid_texts"]))
    if entry.get("workflow_only") or entry.get("internal"):
        rules.append("workflow only")
    return KeyView(str(entry["name"]), "; ".join(rules))


def mermaid(summary: SegmentSummary) -> str:
    """A Mermaid graph (GitHub renders it): event tables → key events → attributes, and the
    parent segment → its imported batch attributes."""
    lines = ["graph LR"]
    tables = list(dict.fromkeys([e.table for e in summary.events] + summary.extra_tables))
    table_ids = {t: f"t{i}" for i, t in enumerate(tables)}
    event_ids = {e.name: f"e{i}" for i, e in enumerate(summary.events)}
    lines += [f'  {table_ids[t]}[("{_label(t)}")]' for t in tables]
    for event in summary.events:
        lines.append(
            f'  {table_ids[event.table]} --> {event_ids[event.name]}(["{_label(event.name)}"])'
        )
    for i, attr in enumerate(summary.attributes):
        label = f"{_label(attr.identifier)}<br/>{_label(attr.type)}"
        source = event_ids.get(attr.event or "")
        node = f'a{i}["{label}"]'
        lines.append(f"  {source} --> {node}" if source else f"  {node}")
    if summary.batch:
        lines.append('  ps[("parent segment")]')
        lines += [
            f'  ps --> b{i}["{_label(name)}<br/>batch"]' for i, name in enumerate(summary.batch)
        ]
    return "\n".join(lines)


# Characters of Mermaid's flowchart syntax, written as its entity codes ("#" too, so that no
# name spells an entity); ">" covers "-->", the backtick a closing ``` of the fence.
_MERMAID_ENTITIES = {
    **{c: f"#{ord(c)};" for c in "#[](){}|`;"},
    **{"&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;"},
}


def _label(text: str) -> str:
    """Text inside a quoted Mermaid label: escaped (no line, no control character), and every
    character of the label syntax (quotes, brackets, arrows, backticks) as an entity code."""
    return "".join(_MERMAID_ENTITIES.get(c, c) for c in safe(text))
