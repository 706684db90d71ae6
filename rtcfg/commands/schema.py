"""The JSON Schema of rt_config.yaml: the pydantic models' schema plus the per-type rules of
``rtcfg.checks.attributes``, built from the same tables, so that editors flag what ``rtcfg
validate`` refuses for its shape (a key a type does not take, a missing required key, an
unknown aggregation, a duration that is not one, max_items out of range).

What the schema cannot see stays with validate only: references between entries (a
``source_event`` that names no event, duplicates), regular expressions that do not compile,
identifier syntax, limits over the whole file and ``${VAR}`` values, which the schema takes
as any text since they are only known once interpolated. ``write_schema_beside`` puts the
schema where an imported file's ``$schema`` line looks for it. tests/unit/test_schema_agrees.py
holds every example and fixture to both: validate accepts ⇒ the schema accepts, and the
structural failures are refused by both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rtcfg.checks.attributes import (
    COUNTER_AGGREGATIONS,
    LIST_AGGREGATIONS,
    MAX_LIST_ITEMS,
    SINGLE_AGGREGATIONS,
    TYPE_SPECIFIC,
)
from rtcfg.commands.output import write_output
from rtcfg.config.models import IDENTIFIER_RE, Config

TITLE = "rtcfg rt_config.yaml"  # tells rtcfg's own schema file from someone else's
SCHEMA_FILE = "rt_config.schema.json"  # the name the first line of an imported file gives
_TYPES = ("single", "list", "counter", "imported_batch")
_REQUIRED = {
    "single": ["source_event", "source_field"],
    "list": ["source_event", "source_field"],
    "counter": ["source_event", "window_duration"],
    "imported_batch": [],
}
_AGGREGATIONS: dict[str, tuple[str, ...]] = {
    "single": tuple(sorted(SINGLE_AGGREGATIONS)),
    "list": LIST_AGGREGATIONS,
    "counter": COUNTER_AGGREGATIONS,
}
# parse_duration: a whole number ≥ 1 and a unit; "${VAR}" is only known after interpolation
_DURATION_TEXT = r"^(\s*0*[1-9]\d*\s*(m|min|minutes?|h|hours?|d|days?)\s*|.*\$\{.*)$"
_DURATION = {
    "anyOf": [{"type": "string", "pattern": _DURATION_TEXT}, {"type": "integer", "minimum": 1}]
}
_DURATION_KEYS = ("duration", "expiry_days", "window_duration")
_IDENTIFIER = {"type": "string", "pattern": f"({IDENTIFIER_RE.pattern})|\\$\\{{"}
# keys that say one thing in two ways (checks._one_of): at most one of each pair, per model
_ONE_OF = {
    "Event": [("filter", "filter_rule")],
    "StitchingKey": [("exclude_regex", "valid_regexp"), ("internal", "workflow_only")],
    "Attribute": [("aggregation", "aggregations")],
}
_PARENT_SEGMENT_ID = r"^(\s*\d+\s*|.*\$\{.*)$"


def _type_rule(kind: str) -> dict[str, Any]:
    names = ["imported_batch", "imported"] if kind == "imported_batch" else [kind]
    not_taken = sorted(key for key, types in TYPE_SPECIFIC.items() if kind not in types)
    then: dict[str, Any] = {
        "required": _REQUIRED[kind],
        "not": {"anyOf": [{"required": [key]} for key in not_taken]},
    }
    if kind in _AGGREGATIONS:
        then["properties"] = {
            "aggregation": {"enum": list(_AGGREGATIONS[kind])},
            "identifier": {"anyOf": [_IDENTIFIER, {"type": "null"}]},
        }
    else:
        not_taken.append("aggregation")
        then["not"] = {"anyOf": [{"required": [key]} for key in not_taken]}
    return {"if": {"properties": {"type": {"enum": names}}, "required": ["type"]}, "then": then}


def with_attribute_rules(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (pydantic's) with the per-type rules added to the Attribute definition."""
    attribute = schema["$defs"]["Attribute"]
    attribute["allOf"] = [_type_rule(kind) for kind in _TYPES]
    properties = attribute["properties"]
    for key in _DURATION_KEYS:
        properties[key] = {**_DURATION, "description": _description(properties[key])}
    properties["max_items"]["anyOf"] = [
        {"type": "integer", "minimum": 1, "maximum": MAX_LIST_ITEMS},
        {"type": "null"},
    ]
    aggregation = schema["$defs"]["ListAggregation"]["properties"]["aggregation"]
    aggregation["enum"] = list(LIST_AGGREGATIONS)
    schema["$defs"]["ListAggregation"]["properties"]["identifier"] = _IDENTIFIER
    sub_duration = schema["$defs"]["SubDuration"]["properties"]
    sub_duration["duration"] = {**_DURATION, "description": _description(sub_duration["duration"])}
    sub_duration["identifier"] = _IDENTIFIER
    for model, pairs in _ONE_OF.items():
        schema["$defs"][model]["allOf"] = [
            *schema["$defs"][model].get("allOf", []),
            *(_at_most_one(first, second) for first, second in pairs),
        ]
    schema["properties"]["parent_segment_id"]["anyOf"][0]["pattern"] = _PARENT_SEGMENT_ID
    return schema


def _at_most_one(first: str, second: str) -> dict[str, Any]:
    given = {"not": {"type": "null"}}
    return {"not": {"properties": {first: given, second: given}, "required": [first, second]}}


def _description(prop: dict[str, Any]) -> str:
    return str(prop.get("description", "30m, 24h, 7d (or a number of days)"))


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of rt_config.yaml, generated from the pydantic models and the per-type
    rules of the checks."""
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(Config.model_json_schema())
    schema["title"] = TITLE
    return with_attribute_rules(schema)


def schema_text() -> str:
    """The schema as the committed file and ``rtcfg schema`` print it."""
    return json.dumps(config_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(output: str | None) -> str:
    """``rtcfg schema``: the schema as text; written to ``output`` when given."""
    text = schema_text()
    if output:
        write_output(output, text)
    return text


def write_schema_beside(config_file: str) -> str | None:
    """Write the JSON Schema next to ``config_file``, where its ``$schema`` line points, so
    that editors find it in the user's own repository (no URL to go stale or offline). A
    schema file of someone else's is left alone; rtcfg's own is brought up to date. Returns
    the path written, or None."""
    target = Path(config_file).parent / SCHEMA_FILE
    text = schema_text()
    if target.exists():
        try:
            current = target.read_text(encoding="utf-8")
            ours = json.loads(current).get("title") == TITLE
        except (OSError, ValueError, AttributeError):
            return None
        if current == text or not ours:
            return None
    write_output(str(target), text)
    return str(target)
