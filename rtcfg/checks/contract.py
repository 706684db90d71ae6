"""Offline checks of what TD's API or its documented limits would refuse, found by trying the
README's own snippets: each a Problem at its line and column, before anything is sent.

* TD's real-time limits (docs.treasure.ai, "Real-Time 2.0 system performance limitations"):
  up to 600 combined RT configuration objects (single, list, counter and lookup catalog
  attributes, ID stitching keys, internally created attributes; imported attributes
  excluded) is an error at the object that crosses it; more than 200 attributes per profile
  is a warning at the 201st. rtcfg cannot see the attributes TD creates internally, nor
  journeys, so it counts what the file declares: the limit may be reached sooner.
* ``exclude_regex`` becomes a negative look-ahead ``validRegexp``; the server's regex flavour
  is not published (cdp-openapi.yml RealtimeKeyColumn l.16897 says only "string") and RE2-like
  engines have no look-ahead: a warning that points to ``invalid_texts`` / ``valid_regexp``.
* ``backfill.attribute`` must be an ``imported_batch`` attribute of the same file (the API
  takes ``backfill.attributeIdentifier`` from the setting's batchAttributes, l.16634).
* names made only of whitespace (the API answers CANNOT_BE_BLANK);
* a raw ``filter_rule`` with keys other than ``type``, ``conditions`` (and ``expr`` of the CDP
  rule grammar), and through its whole tree every condition, nested group and operator against
  the grammar of :mod:`rtcfg.checks.rules` (unknown keys and types, missing parts).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rtcfg.checks.rules import condition_problems, unknown_key_problems
from rtcfg.config.models import Config
from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import Problem
from rtcfg.model.to_yaml import regex_compiles

MAX_RT_OBJECTS = 600
MAX_PROFILE_ATTRIBUTES = 200
COUNTED_KINDS = ("single", "list", "counter")
RULE_KEYS = ("type", "conditions", "expr")
BACKFILL_KINDS = ("single", "counter")
NAME_KEYS = frozenset(
    {"name", "identifier", "database", "table", "column", "field", "source_field"}
    | {"source_event", "attribute", "timestamp", "primary_key", "ext_lookup_key", "renamed_from"}
)


def check_contract(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    """Every check of this module."""
    yield from _limit_problems(config, doc)
    yield from _exclude_regex_warnings(config, doc)
    yield from _backfill_problems(config, doc)
    yield from _blank_name_problems(doc, doc.data, ())
    yield from _raw_rule_problems(doc, doc.data, ())


def _by_line(doc: LoadedDocument, paths: Sequence[KeyPath]) -> list[KeyPath]:
    return sorted(paths, key=doc.mark_of)


def _limit_problems(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    attributes = [("attributes", i) for i in range(len(config.attributes))]
    counted = [
        p for p, a in zip(attributes, config.attributes, strict=True) if a.kind in COUNTED_KINDS
    ]
    keys = [
        ("id_stitching", "stitching_keys", i)
        for i in range(len(config.id_stitching.stitching_keys))
    ]
    objects = _by_line(doc, [*counted, *keys])
    if len(objects) > MAX_RT_OBJECTS:
        yield doc.problem(
            objects[MAX_RT_OBJECTS],
            f"{len(objects)} real-time configuration objects (single, list and counter "
            f"attributes and stitching keys); TD allows at most {MAX_RT_OBJECTS} combined",
            f"this is object {MAX_RT_OBJECTS + 1}; imported_batch attributes do not count. "
            "Drop or merge attributes, or split the use cases over parent segments",
        )
    if len(attributes) > MAX_PROFILE_ATTRIBUTES:
        yield doc.problem(
            _by_line(doc, attributes)[MAX_PROFILE_ATTRIBUTES],
            f"{len(attributes)} attributes; TD supports at most {MAX_PROFILE_ATTRIBUTES} "
            "attributes per profile (each at most 500 bytes)",
            f"this is attribute {MAX_PROFILE_ATTRIBUTES + 1}; personalization answers grow "
            "with every attribute: keep the ones a use case reads",
            severity="warning",
        )


def _exclude_regex_warnings(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    for i, key in enumerate(config.id_stitching.stitching_keys):
        if key.exclude_regex is None or not regex_compiles(key.exclude_regex):
            continue  # an invalid pattern is its own error
        yield doc.problem(
            ("id_stitching", "stitching_keys", i, "exclude_regex"),
            "exclude_regex is sent as a validRegexp with a negative look-ahead "
            f"(^(?!.*(?:{key.exclude_regex})).*$); TD does not publish its regex flavour, and "
            "RE2-like engines have no look-ahead",
            "to leave out literal values write invalid_texts: [...]; or write the pattern "
            "valid IDs match as valid_regexp",
            severity="warning",
        )


def _backfill_problems(config: Config, doc: LoadedDocument) -> Iterator[Problem]:
    imported = [a.column or a.name for a in config.attributes if a.kind == "imported_batch"]
    for i, attr in enumerate(config.attributes):
        if attr.backfill is None or attr.backfill.attribute in imported:
            continue
        if attr.kind not in BACKFILL_KINDS:
            continue  # a backfill on a list is its own error
        listed = ", ".join(imported) if imported else "none"
        yield doc.problem(
            ("attributes", i, "backfill", "attribute"),
            f"backfill.attribute '{attr.backfill.attribute}' is not an imported_batch "
            "attribute of this file",
            f"add it as type: imported_batch (its column), or name one of those: {listed}",
        )


def _blank_name_problems(doc: LoadedDocument, node: Any, path: KeyPath) -> Iterator[Problem]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "filter_rule":
                continue  # raw API JSON: its own check
            where = (*path, key)
            if key in NAME_KEYS and isinstance(value, str) and value and not value.strip():
                yield doc.problem(where, f"{key} is blank (only whitespace)", f"write a {key}")
            else:
                yield from _blank_name_problems(doc, value, where)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _blank_name_problems(doc, item, (*path, i))


def _raw_rule_problems(doc: LoadedDocument, node: Any, path: KeyPath) -> Iterator[Problem]:
    """Every ``filter_rule`` in the file (events, attributes, list actions)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _raw_rule_problems(doc, item, (*path, i))
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "filter_rule" and isinstance(value, dict):
            yield from _rule_problems(doc, value, (*path, key))
        else:
            yield from _raw_rule_problems(doc, value, (*path, key))


def _rule_problems(doc: LoadedDocument, rule: dict[str, Any], path: KeyPath) -> Iterator[Problem]:
    conditions = rule.get("conditions")
    if rule.get("type") not in ("And", "Or") or not isinstance(conditions, list):
        return  # not a rule at all: checks.py says so
    yield from unknown_key_problems(doc, rule, path, RULE_KEYS, "filter_rule")
    yield from condition_problems(doc, conditions, (*path, "conditions"))
