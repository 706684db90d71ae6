"""The shape of a raw ``filter_rule``, checked through the whole tree, each problem at its own
line and column.

The OpenAPI gives RT filters only a placeholder (cdp-openapi.yml l.15937: ``filterRule: {type:
object, properties: {todo}}``), so the grammar is the CDP rule grammar the OpenAPI does spell
out, in the form rtcfg's own translate emits (``filter: {field, pattern}`` → a Column condition
with a Regexp operator) and TD's guide uses (the empty And):

* a rule or nested group: ``{type: And|Or, conditions: [condition, ...]}`` (AndCondition
  l.8203, OrCondition l.8217); the top rule may also hold ``expr`` (CompositeCondition l.8231);
* a condition: a nested group, or ``{type: Column, column, operator[, arrayMatching]}``
  (columnFilter l.18678; ``arrayMatching`` is required there but neither translate nor the
  journey example sends it, so it is optional here). Value and Reference conditions (l.8278,
  l.8262) compare profile values and segments, not event columns: refused;
* an operator: the ``type`` enum of valueOperator (l.17836 to l.18429), each with the keys its
  alternatives list (required: those every alternative of that type requires).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import Problem
from rtcfg.safe_text import safe

GROUP_TYPES = ("And", "Or")
CONDITION_KEYS = ("type", "column", "operator", "arrayMatching")
MAX_DEPTH = 20  # nested groups; far more than any filter within the 1000-character limit
_SINGLE = (("not", "rightValue"), ("not", "rightValue"))
_MANY = (("not", "rightValues"), ("not", "rightValues"))
# operator type → (allowed keys besides type, required keys besides type), from l.17836-18429
OPERATORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    **dict.fromkeys(("Equal", "Greater", "GreaterEqual", "Less", "LessEqual"), _SINGLE),
    **dict.fromkeys(("IsNull", "Regexp"), _SINGLE),
    "Between": (("not", "minValue", "maxValue", "rightValue"), ("not", "minValue", "maxValue")),
    **dict.fromkeys(("In", "Contain", "StartWith", "EndWith"), _MANY),
    "TimeRange": (("not", "from", "duration", "reverse"), ("not", "from")),
    "TimeToday": ((), ()),
    **dict.fromkeys(("TimeThis", "TimeNext"), (("from",), ("from",))),
    **dict.fromkeys(("TimeWithinPast", "TimeWithinNext"), (("unit", "value"), ("unit", "value"))),
    "TimeInBetweenNext": (("not", "from", "to"), ("not", "from", "to")),
}
EXAMPLE = '{type: Column, column: td_url, operator: {type: Regexp, not: false, rightValue: "^/"}}'


def condition_problems(
    doc: LoadedDocument, conditions: list[Any], path: KeyPath, depth: int = 0
) -> Iterator[Problem]:
    """Every problem of ``conditions`` (the list at ``path``) and of what they hold."""
    for j, condition in enumerate(conditions):
        where = (*path, j)
        if not isinstance(condition, dict):
            yield doc.problem(
                where, "each filter_rule condition must be an object", f"e.g. {EXAMPLE}"
            )
        elif condition.get("type") in GROUP_TYPES:
            yield from _group_problems(doc, condition, where, depth + 1)
        elif condition.get("type") == "Column":
            yield from _column_problems(doc, condition, where)
        elif "type" not in condition:
            yield doc.problem(where, "filter_rule condition has no type", _TYPE_HINT)
        else:
            yield doc.problem(
                (*where, "type"),
                f"unknown filter_rule condition type {_show(condition['type'])}",
                _choices(condition["type"], ("Column", *GROUP_TYPES), "a condition type"),
            )


_TYPE_HINT = "a condition is type: Column (with column and operator) or a nested And/Or group"


def _group_problems(
    doc: LoadedDocument, group: dict[str, Any], path: KeyPath, depth: int
) -> Iterator[Problem]:
    if depth > MAX_DEPTH:
        yield doc.problem(path, f"filter_rule nests deeper than {MAX_DEPTH} groups", None)
        return
    yield from unknown_key_problems(doc, group, path, ("type", "conditions"), "a nested group")
    conditions = group.get("conditions")
    if not isinstance(conditions, list):
        yield doc.problem(
            path if "conditions" not in group else (*path, "conditions"),
            f"a nested {group['type']} group needs a conditions list",
            "write conditions: [...] (an empty list matches every row)",
        )
        return
    yield from condition_problems(doc, conditions, (*path, "conditions"), depth)


def _column_problems(doc: LoadedDocument, cond: dict[str, Any], path: KeyPath) -> Iterator[Problem]:
    yield from unknown_key_problems(doc, cond, path, CONDITION_KEYS, "a Column condition")
    column = cond.get("column")
    if not isinstance(column, str) or not column.strip():
        where = (*path, "column") if "column" in cond else path
        yield doc.problem(where, "a Column condition needs a column name", f"e.g. {EXAMPLE}")
    operator = cond.get("operator")
    if operator is None:
        yield doc.problem(path, "a Column condition needs an operator", f"e.g. {EXAMPLE}")
    elif not isinstance(operator, dict):
        yield doc.problem((*path, "operator"), "operator must be a mapping", f"e.g. {EXAMPLE}")
    else:
        yield from _operator_problems(doc, operator, (*path, "operator"))


def _operator_problems(doc: LoadedDocument, op: dict[str, Any], path: KeyPath) -> Iterator[Problem]:
    kind = op.get("type")
    if not isinstance(kind, str) or kind not in OPERATORS:
        where = (*path, "type") if "type" in op else path
        message = "operator has no type" if "type" not in op else "unknown operator type"
        if "type" in op:
            message += f" {_show(kind)}"
        yield doc.problem(where, message, _choices(kind, tuple(OPERATORS), "an operator type"))
        return
    allowed, required = OPERATORS[kind]
    yield from unknown_key_problems(doc, op, path, ("type", *allowed), f"a {kind} operator")
    missing = [key for key in required if key not in op]
    if missing:
        yield doc.problem(
            path,
            f"the {kind} operator needs {', '.join(missing)}",
            "not: false keeps the rows that match; true keeps the others",
        )
    if "not" in op and not isinstance(op["not"], bool):
        yield doc.problem((*path, "not"), "operator not must be true or false", None)
    if "rightValues" in op and not isinstance(op["rightValues"], list):
        yield doc.problem((*path, "rightValues"), "rightValues must be a list", None)


def unknown_key_problems(
    doc: LoadedDocument, node: dict[str, Any], path: KeyPath, allowed: tuple[str, ...], what: str
) -> Iterator[Problem]:
    for key in node:
        if key not in allowed:
            yield doc.problem(
                (*path, key),
                f"{what} has an unknown key {_show(key)}",
                f"{what} holds {', '.join(allowed)}",
                key=True,
            )


def _choices(value: object, choices: tuple[str, ...], what: str) -> str:
    close = difflib.get_close_matches(str(value), choices, n=1) if isinstance(value, str) else []
    listed = f"{what} is one of {', '.join(choices)}"
    return f"did you mean {close[0]}? {listed}" if close else listed


def _show(value: object) -> str:
    text = safe(repr(value))
    return text if len(text) <= 40 else text[:37] + "…"
