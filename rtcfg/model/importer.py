"""LiveState → rt_config.yaml (``rtcfg import``).

The mapping itself lives in ``rtcfg.model.translate``; this module orders the document and writes
it.
Order is stable so that importing the same live state twice gives the same bytes: events and
real-time attributes by name / identifier, then imported batch attributes in setting order,
stitching keys in setting order (their order is what the user set).

A live attribute the YAML cannot express is left out of the file and named in the result, never
silently dropped: ``rtcfg plan`` on that file would propose deleting it, which is destructive
and therefore refused without ``--allow-destroy``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtcfg.config.yamlio import dump_yaml
from rtcfg.errors import UsageError
from rtcfg.model.state import Body, LiveState
from rtcfg.model.to_yaml import (
    Unrepresentable,
    attribute_entry,
    batch_attribute_entry,
    event_entry,
    stitching_key_entry,
)

_INTERPOLATED_DOLLAR = re.compile(r"\$(?=[${])")
SCHEMA_LINE = "# yaml-language-server: $schema=rt_config.schema.json"


@dataclass
class ImportResult:
    """The document written, and the live attributes it could not express (identifier → why)."""

    document: dict[str, Any]
    text: str
    skipped: dict[str, str] = field(default_factory=dict)
    schema_written: str | None = None  # the schema file written beside it, if one was


def config_document(
    live: LiveState, segment_name: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The rt_config.yaml mapping of ``live``, and the attributes left out with the reason."""
    events = [event_entry(k.body) for k in sorted(live.key_events.values(), key=lambda k: k.name)]
    attributes, skipped = _attribute_entries(live)
    attributes += [batch_attribute_entry(b) for b in live.setting.get("batchAttributes") or []]
    document: dict[str, Any] = {"parent_segment_id": live.parent_segment_id}
    if segment_name:
        document["parent_segment_name"] = segment_name
    _put(document, "events", events)
    _put(document, "event_tables", _tables_without_events(live))
    _put(document, "attributes", attributes)
    _put(document, "id_stitching", _id_stitching(live.setting))
    return document, skipped


def _put(document: dict[str, Any], key: str, value: Any) -> None:
    if value:
        document[key] = value


def _attribute_entries(live: LiveState) -> tuple[list[Body], dict[str, str]]:
    entries, skipped = [], {}
    for identifier in sorted(live.attributes):
        attribute = live.attributes[identifier]
        # live marks a key event id that matches no key event as "#<id>"
        event = attribute.key_event if attribute.key_event in live.key_events else None
        try:
            entries.append(attribute_entry(attribute.body, event))
        except Unrepresentable as exc:
            skipped[identifier] = str(exc)
    return entries, skipped


def _tables_without_events(live: LiveState) -> list[Body]:
    used = {(k.body.get("databaseName"), k.body.get("tableName")) for k in live.key_events.values()}
    return [
        {"database": t["database"], "table": t["table"]}
        for t in live.setting.get("eventTables") or []
        if (t.get("database"), t.get("table")) not in used
    ]


def _id_stitching(setting: Body) -> Body:
    stitching: Body = {}
    _put(
        stitching,
        "stitching_keys",
        [stitching_key_entry(k) for k in setting.get("keyColumns") or []],
    )
    _put(stitching, "ext_lookup_key", setting.get("extLookupKey"))
    return stitching


def escape_dollars(value: Any) -> Any:
    """Escape, in every string, each ``$`` that loading would read as part of ``${VAR}`` or
    ``$$`` (those followed by ``$`` or ``{``), so the value means itself; a regex's final ``$``
    stays as it is."""
    if isinstance(value, str):
        return _INTERPOLATED_DOLLAR.sub("$$", value)
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value


def render_document(document: dict[str, Any], skipped: dict[str, str]) -> str:
    """The file's text: the schema line, a header, the YAML, and a note on what was left out."""
    ps_id = document["parent_segment_id"]
    promise = (
        "`rtcfg plan` on this file shows no changes."
        if not skipped
        else "`rtcfg plan` on this file would delete what is listed below."
    )
    header = [SCHEMA_LINE, f"# Imported by `rtcfg import {ps_id}`; {promise}"]
    for identifier, reason in skipped.items():
        header.append(f"# Not imported (rt_config.yaml cannot express it): {identifier}: {reason}")
    return "\n".join(header) + "\n" + dump_yaml(escape_dollars(document))


def import_live(live: LiveState, segment_name: str | None) -> ImportResult:
    """LiveState → the rt_config.yaml text ``rtcfg import`` writes."""
    document, skipped = config_document(live, segment_name)
    return ImportResult(document, render_document(document, skipped), skipped)


def default_output(ps_id: str) -> str:
    """``rt_config_<PS_ID>.yaml``, the file import writes when no ``-o`` is given."""
    return f"rt_config_{ps_id}.yaml"


def check_writable(path: str, force: bool) -> None:
    """Import never overwrites a file unless ``--force`` says so (checked before any request)."""
    if path != "-" and Path(path).exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it, or -o another file")
