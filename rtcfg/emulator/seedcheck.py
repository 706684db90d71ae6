"""Reading a ``--seed`` or ``--state`` file: size capped, JSON, and of the shape the store reads.

A file of any size, nesting or shape would otherwise hang the reader (``/dev/zero``), blow the
stack (``[[[[...]]]]``) or fail deep in the store with a bare Python message. Each problem is a
:class:`SeedError` naming the field, e.g. ``parentSegments[0].realtime.keyEvents: must be a
list, not a text``. Only what the store relies on is checked (containers, ids, names), so that
every seed and state file written so far keeps loading; other fields pass as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 16 * 1024 * 1024  # the bundled seed is ~10 KiB; a state of 50 full segments < 4
MAX_DEPTH = 32  # the deepest a seed goes is ~7 (a table's schema column)
_KINDS = {dict: "an object", list: "a list", str: "a text", bool: "true/false", type(None): "null"}


class SeedError(ValueError):
    """A seed or state file the emulator cannot start from (one line, naming the field)."""


def read_seed_file(path: Path) -> dict[str, Any]:
    """The checked JSON object of ``path``, read at most ``MAX_FILE_BYTES`` (+1) bytes of it."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SeedError(f"cannot read it: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SeedError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: not a seed or state")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SeedError("not UTF-8 text: a seed or state is a JSON file") from None
    except RecursionError:
        raise SeedError(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise SeedError(f"not JSON: {exc}") from None
    check_seed(data)
    return data  # type: ignore[no-any-return]  # check_seed proved it an object


def check_seed(data: Any) -> None:
    """Raise :class:`SeedError` for the first field of ``data`` the store could not read."""
    _check_depth(data)
    _need(data, dict, "the seed")
    _optional_int(data, "nextId", "nextId")
    for i, ps in enumerate(_list_of_objects(data, "parentSegments", "parentSegments")):
        _check_parent_segment(ps, f"parentSegments[{i}]")
    for i, db in enumerate(_list_of_objects(data, "databases", "databases")):
        where = f"databases[{i}]"
        _need(db.get("name"), str, f"{where}.name")
        for j, table in enumerate(_list_of_objects(db, "tables", f"{where}.tables")):
            _need(table.get("name"), str, f"{where}.tables[{j}].name")
            for k, column in enumerate(_need(table.get("schema", []), list, f"{where}.schema")):
                ok = isinstance(column, list) and len(column) == 2
                if not ok or not all(isinstance(part, str) for part in column):
                    raise SeedError(f"{where}.tables[{j}].schema[{k}]: must be [name, type]")


def _check_parent_segment(ps: dict[str, Any], where: str) -> None:
    _need_id(ps.get("id"), f"{where}.id")  # a number is read as its text (seed_format)
    if "name" in ps:
        _need(ps["name"], str, f"{where}.name")
    rt = ps.get("realtime")
    if rt is None:
        return
    where += ".realtime"
    _need(rt, dict, where)
    if "status" in rt:
        _need(rt["status"], str, f"{where}.status")
    for key in ("keyEvents", "attributes"):
        for i, item in enumerate(_list_of_objects(rt, key, f"{where}.{key}")):
            if item.get("id") is not None:  # a missing id is given one (seed_format)
                _need_id(item["id"], f"{where}.{key}[{i}].id")
    for key in ("keyColumns", "eventTables"):
        _need(rt.get(key, []), list, f"{where}.{key}")
    for i, batch in enumerate(_list_of_objects(rt, "batchAttributes", f"{where}.batchAttributes")):
        _need(batch.get("column"), str, f"{where}.batchAttributes[{i}].column")
    imported = _need(rt.get("importedIds", {}), dict, f"{where}.importedIds")
    for column, value in imported.items():
        _need_id(value, f"{where}.importedIds.{column}")


def _check_depth(data: Any) -> None:
    """Iteratively (a recursive walk would itself overflow on the input it rejects); the
    field named is where the nesting starts (its first four steps)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise SeedError(f"{where}…: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            steps = [
                (child, f"{where}.{key}" if where else str(key)) for key, child in value.items()
            ]
        elif isinstance(value, list):
            steps = [(child, f"{where}[{i}]") for i, child in enumerate(value)]
        else:
            continue
        stack.extend((child, depth + 1, path if depth < 4 else where) for child, path in steps)


def _need(value: Any, kind: type, where: str) -> Any:
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise SeedError(f"{where}: must be {_KINDS[kind]}, not {_kind_of(value)}")
    return value


def _list_of_objects(parent: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = _need(parent.get(key, []), list, where)
    for i, item in enumerate(items):
        _need(item, dict, f"{where}[{i}]")
    return items  # type: ignore[no-any-return]


def _need_id(value: Any, where: str) -> None:
    """An id the store counts from: an integer, or a text of decimal digits."""
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit())
    ):
        raise SeedError(f"{where}: must be an id (decimal digits), not {_kind_of(value)}")


def _optional_int(parent: dict[str, Any], key: str, where: str) -> None:
    if key in parent:
        _need_id(parent[key], where)


def _kind_of(value: Any) -> str:
    if value is None:
        return "missing or null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return _KINDS.get(type(value), type(value).__name__)
