"""Hygiene of every text of a config, part of parsing: it runs on the raw document before the
models or any check reads a value, and the parent segment id's form is part of the model
(``rtcfg.safe_text`` holds the character classes).

* A name, identifier, table, column, pattern or key with a control character, newline, ANSI
  escape, bidi override, zero-width character or NUL is refused at its line and column: the
  API would store it, and every plan, review comment and terminal would show it. A
  ``description`` may hold newlines and tabs (YAML block text), nothing else unsafe.
* A value that holds the API key (typed in, or brought in by ``${VAR}``) is refused: it would
  travel into plans, pull request comments and the API. The message never shows the value.
* A parent segment id is ASCII decimal digits only: YAML 1.1 reads ``01234567`` as octal,
  ``0x10`` as hex, ``1:30`` as sexagesimal and ``+1069935`` as 1069935 (``yamlio`` refuses
  those forms), and ``str.isdigit`` would let Arabic-Indic or full-width digits through into a
  URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import Problem
from rtcfg.safe_text import describe, first_unsafe, safe, secrets_in

# ASCII only ([0-9] of a str pattern is ASCII); 20 digits hold any 64-bit id
DECIMAL_ID = re.compile(r"[0-9]{1,20}")
# Free text: line breaks and tabs are allowed (YAML block text), nothing else unsafe.
_MULTILINE_KEYS = frozenset({"description"})
_LINE_BREAKS = "\n\r\t\x85\u2028\u2029"
# Values matched against event data, not names: any character may be meant (a regex for a
# tab, an invalid text "\u200b"); they are escaped wherever they are shown. All but NUL,
# which C strings, logs and databases on the way cut or refuse.
_VALUE_KEYS = frozenset(
    {"invalid_texts", "filter_rule", "pattern", "valid_regexp", "exclude_regex"}
)


def is_decimal_id(text: str) -> bool:
    """An id that can go into a URL as it is: 1 to 20 ASCII digits."""
    return DECIMAL_ID.fullmatch(text) is not None


def id_problem(value: object) -> str | None:
    """Why ``value`` is not a usable parent segment id, or None when it is one."""
    if isinstance(value, str) and is_decimal_id(value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return f"{_kind(value)} is not a parent segment id"
    return f"{_short(value)} is not a parent segment id (1 to 20 ASCII digits 0-9)"


def id_hint(value: object) -> str:
    """How to write ``value`` as an id: its own digits in quotes when it has one plain digit
    form (``1069935.0``, ``"+1069935"``), else a placeholder, never some other id that looks
    real (a user who copies it would configure a parent segment not theirs)."""
    candidate = None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        candidate = str(int(value))
    elif isinstance(value, str) and value.strip().startswith("+"):
        candidate = value.strip()[1:]
    if candidate is not None and is_decimal_id(candidate):
        return f'quote the id: parent_segment_id: "{candidate}"'
    return 'write the id (digits only) in quotes: parent_segment_id: "<digits>"'


def _kind(value: object) -> str:
    return {bool: "true/false", float: "a decimal number", dict: "a mapping", list: "a list"}.get(
        type(value), "this value"
    )


def _short(value: object) -> str:
    text = safe(repr(value))
    return text if len(text) <= 40 else text[:37] + "…"


def text_problems(doc: LoadedDocument, env: Mapping[str, str]) -> list[Problem]:
    """Every unsafe text and every value holding the API key, located."""
    return list(_walk(doc, doc.data, (), env))


def _walk(
    doc: LoadedDocument, node: Any, path: KeyPath, env: Mapping[str, str]
) -> Iterator[Problem]:
    if isinstance(node, dict):
        for key, value in node.items():
            child = (*path, key)
            if first_unsafe(str(key)) is not None:
                yield _unsafe(doc, child, str(key), "", key=True)
            yield from _walk(doc, value, child, env)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(doc, value, (*path, index), env)
    elif isinstance(node, str):
        allowed = _allowed(path)
        if allowed is not None and first_unsafe(node, allowed) is not None:
            yield _unsafe(doc, path, node, allowed)
        elif allowed is None and "\x00" in node:
            yield doc.problem(
                path,
                f"the value holds a NUL character at character {node.index(chr(0)) + 1}",
                "NUL cannot travel through many systems (C strings, logs, databases); remove "
                "it. Other characters may stay: they are shown escaped",
            )
        variable = secrets_in(node, env)
        if variable:
            yield doc.problem(
                path,
                f"this value holds the API key (the value of {variable})",
                "never put the key in a config: rtcfg reads it from the environment itself",
            )


def _allowed(path: KeyPath) -> str | None:
    """The unsafe characters a text at ``path`` may hold; None: any."""
    if any(p in _VALUE_KEYS for p in path if isinstance(p, str)):
        return None
    leaf = next((p for p in reversed(path) if isinstance(p, str)), "")
    return _LINE_BREAKS if leaf in _MULTILINE_KEYS else ""


def _unsafe(
    doc: LoadedDocument, path: KeyPath, text: str, allowed: str, *, key: bool = False
) -> Problem:
    index = first_unsafe(text, allowed)
    assert index is not None
    what = "key" if key else "value"
    name = str(path[-1]) if path and not key else "this"
    where = f"{name}: " if not key else ""
    return doc.problem(
        path,
        f"{where}the {what} holds {describe(text[index])} at character {index + 1}",
        "names, identifiers, tables and columns must be plain printable text (a "
        "description may hold line breaks and tabs); remove the character",
        key=key,
    )
