"""Does a request body rtcfg sends hold to TD's published request schema of its operation?

Two checks per body, against the vendored ``openapi_subset.json`` (see README.md):

1. it validates (JSON Schema draft 7) against the operation's request schema;
2. it carries no property the schema does not document, at any depth, with the exceptions
   below. (Most REST schemas do not say ``additionalProperties: false``, so check 1 alone
   would let an invented field through.)

Exceptions, each a reading rtcfg makes on purpose (line numbers: cdp-openapi.yml):

* ``filterRule`` / ``keyEventFilters`` contents: the OAS grammar is a placeholder
  (``properties: {todo}``, l.15923, l.17341);
* a key event's ``description``: not in RealtimeKeyEventAttributes (l.15923), sent by TD's own
  guide (api/NOTES.md §1.4); plan compares it only when the server returns it;
* ``subDurations[].name`` / ``.identifier`` in an attribute PATCH: the PATCH body lists
  subDurations as bare durations (l.5357) while the create schema names them (l.16674); without
  them a PATCH would drop the sub-counters' identifiers, which personalizations reference;
* ``sensitive`` on a single attribute create, sent only when the file asks for a sensitive
  attribute (translate.py says why); a file without it sends none (tested on its own).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema

SUBSET = json.loads(Path(__file__).with_name("openapi_subset.json").read_text())
REQUESTS: dict[str, Any] = SUBSET["requests"]
_PS = r"/audiences/[0-9]+"
OPERATIONS = (
    ("PATCH", re.compile(_PS + r"/realtime_setting"), "setting_patch"),
    ("POST", re.compile(_PS + r"/realtime_key_events"), "key_event_create"),
    ("PATCH", re.compile(_PS + r"/realtime_key_events/[0-9]+"), "key_event_patch"),
    ("POST", re.compile(_PS + r"/realtime_attributes"), "attribute_create"),
    ("PATCH", re.compile(_PS + r"/realtime_attributes/[0-9]+"), "attribute_patch"),
)
OPAQUE = ("filterRule", "keyEventFilters")
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "key_event_create": ("description",),
    "key_event_patch": ("description",),
    "attribute_patch": ("subDurations[].name", "subDurations[].identifier"),
    "attribute_create": ("sensitive",),
}


def operation(method: str, path: str) -> str | None:
    """The request schema's name for ``method path``, or None (a body-less or other call)."""
    for op_method, pattern, name in OPERATIONS:
        if method == op_method and pattern.fullmatch(path):
            return name
    return None


def body_problems(name: str, body: Any) -> list[str]:
    """What is wrong with ``body`` as the request of operation ``name`` (empty: nothing)."""
    return list(_problems(name, json.dumps(body, sort_keys=True)))


@functools.lru_cache(maxsize=4096)
def _problems(name: str, text: str) -> tuple[str, ...]:
    body = json.loads(text)
    schema = REQUESTS[name]
    found = [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in _validator(name, _kind(schema, body)).iter_errors(body)
    ]
    allowed = EXCEPTIONS.get(name, ())
    found += [f"{p}: not documented" for p in _undocumented(schema, body, "") if p not in allowed]
    return tuple(found)


def _kind(schema: dict[str, Any], body: Any) -> str | None:
    """The discriminator of a oneOf body (an attribute's ``type``), to validate against its
    own branch: clearer messages than "not valid under any of the given schemas"."""
    return body.get("type") if "oneOf" in schema and isinstance(body, dict) else None


@functools.cache
def _validator(name: str, kind: str | None) -> jsonschema.Draft7Validator:
    schema = REQUESTS[name]
    return jsonschema.Draft7Validator(_branch(schema, {"type": kind}) if kind else schema)


def _branch(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """The branch of a oneOf/anyOf that ``value`` belongs to (by ``type`` enum, else valid)."""
    options = schema.get("oneOf") or schema.get("anyOf")
    if not options:
        return schema
    kind = value.get("type") if isinstance(value, dict) else None
    for option in options:
        enum = option.get("properties", {}).get("type", {}).get("enum", [])
        if kind in enum:
            return dict(option)
    for option in options:
        if jsonschema.Draft7Validator(option).is_valid(value):  # rare: no type to go by
            return dict(option)
    return dict(options[0])


def undocumented(schema: dict[str, Any], value: Any) -> list[str]:
    """Paths in ``value`` (``a.b[].c``) of properties that ``schema`` does not document."""
    return _undocumented(schema, value, "")


def _undocumented(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    schema = _branch(schema, value)
    out: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        properties = schema["properties"]
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in properties:
                out.append(where)
            elif key not in OPAQUE:
                out += _undocumented(properties[key], item, where)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            out += _undocumented(schema["items"], item, f"{path}[]")
    return sorted(set(out))
