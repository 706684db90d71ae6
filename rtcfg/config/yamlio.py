"""YAML in and out: the only module that uses pyyaml.

Loading keeps the line and column of every key and value (so every later check can point at
the exact spot in the user's file), rejects duplicate keys, caps alias expansion (a "billion
laughs" document is refused instead of eating the machine), and requires a mapping at the top.
Dumping is stable: keys in the order given, block style, no aliases, unicode kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from rtcfg.errors import Problem, Severity
from rtcfg.safe_text import first_unsafe, is_unsafe

KeyPath = tuple[str | int, ...]
Mark = tuple[int, int]

# A config has hundreds of nodes; a hundred thousand means an alias bomb, not a config.
MAX_NODES = 100_000
MAX_MERGE_DEPTH = 50  # merges of merges: a config needs two or three
MAX_DEPTH = 200  # nested mappings and lists: a config needs six
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# The only plain numbers read as numbers: YAML 1.1 (pyyaml) also reads 012 as octal 10, 0x10
# as 16, 0b11 as 3, 1_000 as 1000 and 1:30 as 90 (sexagesimal), none of which a person means.
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
MAX_NUMBER_DIGITS = 30  # a longer number is no count, size or id of a config
_MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml's parser is ~10x faster and gives the same nodes and marks; fall back when absent.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LoadedDocument:
    """A parsed YAML document with the 1-based (line, column) of every value and key."""

    file: str
    data: dict[str, Any]
    value_marks: dict[KeyPath, Mark] = field(default_factory=dict)
    key_marks: dict[KeyPath, Mark] = field(default_factory=dict)
    # names of events and stitching keys dropped while salvaging a file with model errors:
    # references to them are not reported again as dangling
    dropped_names: set[str] = field(default_factory=set)
    sha256: str = ""  # of the bytes the document was read from (set by config.load_config)

    def mark_of(self, path: KeyPath, *, key: bool = False) -> Mark:
        """The mark of ``path``, or of its nearest ancestor that has one."""
        marks = self.key_marks if key else self.value_marks
        for cut in range(len(path), -1, -1):
            found = marks.get(path[:cut]) or self.value_marks.get(path[:cut])
            if found:
                return found
        return (1, 1)

    def problem(
        self,
        path: KeyPath,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
        severity: Severity = "error",
    ) -> Problem:
        """A Problem located at ``path`` in this document."""
        line, col = self.mark_of(path, key=key)
        return Problem(self.file, line, col, message, hint, severity)


class YamlLoadError(Exception):
    """The text is not a usable YAML config document; carries the located problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.format())


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node tree into plain Python values, recording marks on the way."""

    def __init__(self, loader: Any, file: str) -> None:
        self.loader = loader
        self.file = file
        self.nodes_seen = 0
        self.open_nodes: set[int] = set()  # collections being built: an alias back is a cycle
        self.value_marks: dict[KeyPath, Mark] = {}
        self.key_marks: dict[KeyPath, Mark] = {}

    def fail(self, node: yaml.Node, message: str, hint: str | None = None) -> YamlLoadError:
        line, col = _mark(node)
        return YamlLoadError(Problem(self.file, line, col, message, hint))

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.nodes_seen += 1
        if self.nodes_seen > MAX_NODES:
            raise self.fail(
                node,
                f"document expands to more than {MAX_NODES} nodes (alias expansion bomb?)",
                "write the values out instead of nesting anchors and aliases",
            )
        self.value_marks.setdefault(path, _mark(node))
        if len(path) > MAX_DEPTH:
            raise self.fail(node, f"the document nests more than {MAX_DEPTH} levels deep")
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self.scalar(node)
        if id(node) in self.open_nodes:
            raise self.fail(
                node,
                "an alias refers to the mapping or list that contains it",
                "a value cannot contain itself; write the items out",
            )
        self.open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._build_mapping(node, path)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self.open_nodes.discard(id(node))

    def scalar(self, node: yaml.Node) -> Any:
        """A scalar's value; a number YAML 1.1 would read in a way nobody means, or a value
        its constructor cannot make (``2001-13-45``, 5,000 digits), is a located error."""
        text = str(node.value)
        if isinstance(node, yaml.ScalarNode) and not node.style:  # plain (libyaml: "")
            sexagesimal = node.tag == _FLOAT_TAG and (":" in text or "_" in text)
            if sexagesimal or (node.tag == _INT_TAG and not _PLAIN_INT.fullmatch(text)):
                raise self.fail(
                    node,
                    f"'{text}' is a number in YAML 1.1 notation (octal, hex, binary, "
                    "sexagesimal or with _), which reads as another value than it shows",
                    f'quote it ("{text}") if it is an id or text, or write it in plain decimal',
                )
            if node.tag in (_INT_TAG, _FLOAT_TAG) and text.startswith("+"):
                # YAML drops the sign: an id written +1069935 would go out as 1069935
                raise self.fail(
                    node,
                    f"'{text}' is a number with a + sign, which YAML reads as {text[1:]}",
                    f'write it without the + ({text[1:]}), or quote it ("{text}") if it is text',
                )
            if node.tag in (_INT_TAG, _FLOAT_TAG) and len(text) > MAX_NUMBER_DIGITS:
                raise self.fail(
                    node,
                    f"a number of {len(text)} characters",
                    "quote it if it is text; no count, size or id of a config is that long",
                )
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, TypeError) as exc:
            raise self.fail(
                node,
                f"'{text[:40]}' cannot be read as {_tag_name(node.tag)}: {exc}",
                "quote the value if it is text",
            ) from None

    def _merged_pairs(
        self, node: yaml.MappingNode, chain: tuple[int, ...] = ()
    ) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        """Pairs of a mapping with YAML merge keys (``<<: *base``) expanded, own keys last.
        A merge that reaches back to a mapping of its own chain, or a chain deeper than
        MAX_MERGE_DEPTH, is an error at the merge (not a RecursionError)."""
        chain = (*chain, id(node))
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                continue
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise self.fail(source, "a merge key (<<) must refer to a mapping")
                if id(source) in chain:
                    raise self.fail(
                        key_node,
                        "a merge key (<<) merges a mapping into itself",
                        "a mapping cannot merge itself; merge another anchor",
                    )
                if len(chain) > MAX_MERGE_DEPTH:
                    raise self.fail(
                        key_node,
                        f"merge keys (<<) are chained more than {MAX_MERGE_DEPTH} deep",
                        "merge fewer levels of anchors, or write the values out",
                    )
                yield from self._merged_pairs(source, chain)
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                yield key_node, value_node

    def _build_mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        own_keys: set[str] = set()
        for key_node, value_node in self._merged_pairs(node):
            key = self.scalar(key_node)
            if not isinstance(key, str):
                key = str(key)
            is_own = any(k is key_node for k, _ in node.value)
            if is_own and key in own_keys:
                raise self.fail(
                    key_node,
                    f"duplicate key '{key}'",
                    "each key may appear once in a mapping; remove or rename one of them",
                )
            if is_own:
                own_keys.add(key)
            child: KeyPath = (*path, key)
            self.key_marks[child] = _mark(key_node)
            self.value_marks.pop(child, None)
            result[key] = self.build(value_node, child)
        return result


def _tag_name(tag: str) -> str:
    return {"tag:yaml.org,2002:timestamp": "a date", _INT_TAG: "a number"}.get(tag, "a value")


def position_to_mark(text: str | bytes, position: int) -> Mark:
    """A character (or byte) offset → 1-based (line, column)."""
    newline = "\n" if isinstance(text, str) else b"\n"
    before = text[:position]
    return before.count(newline) + 1, position - (before.rfind(newline) + 1) + 1  # type: ignore[arg-type]


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or str(exc)
    hint = None
    if exc.context_mark and "end of stream" in message:
        # an unclosed quote or bracket: where it opened helps more than the end of the file
        mark = exc.context_mark
        hint = "this was opened here and never closed"
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = text.splitlines()
    offending = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in offending[: max(col, len(offending) - len(offending.lstrip()))]:
        message = "a tab character is used for indentation"
        hint = "YAML indents with spaces only; replace the tab with spaces"
    elif exc.context:
        message = f"{message} ({exc.context})"
    return Problem(file, line, col, f"invalid YAML: {message}", hint)


def load_config_text(text: str, file: str) -> LoadedDocument:
    """Parse one YAML config document; raise YamlLoadError with a located problem if unusable."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlLoadError(
                Problem(file, 1, 1, "the file is empty", 'start with: parent_segment_id: "123"')
            )
        if not isinstance(node, yaml.MappingNode):
            line, col = _mark(node)
            raise YamlLoadError(
                Problem(
                    file,
                    line,
                    col,
                    "the document must be a mapping of keys to values",
                    'start with: parent_segment_id: "123"',
                )
            )
        builder = _Builder(loader, file)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        raise YamlLoadError(_syntax_problem(exc, text, file)) from exc
    except RecursionError:  # the pure-Python parser, without libyaml's depth limit
        raise YamlLoadError(
            Problem(file, 1, 1, "the document nests too deeply", "flatten the nesting")
        ) from None
    except yaml.reader.ReaderError as exc:
        line, col = position_to_mark(text, exc.position)
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise YamlLoadError(
            Problem(
                file,
                line,
                col,
                f"character {char!r} is not allowed in YAML",
                "remove the control character",
            )
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlLoadError(Problem(file, 1, 1, f"invalid YAML: {exc}")) from exc
    finally:
        loader.dispose()
    return LoadedDocument(file, data, builder.value_marks, builder.key_marks)


class _StableDumper(yaml.SafeDumper):
    """Block style, no anchors/aliases, and lists indented under their key."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# Line breaks other than \n: PyYAML writes them raw inside quotes and reads them back as a
# break, changing the value, so strings holding one are written double-quoted with escapes.
_OTHER_BREAKS = frozenset("\r\x85\u2028\u2029")


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    quoted = _OTHER_BREAKS & set(value) or first_unsafe(value, "\n") is not None
    style = '"' if quoted else ("|" if "\n" in value else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _yaml_escaped(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _escape_unsafe(text: str) -> str:
    """pyyaml writes format characters (bidi overrides, zero-width ones) raw even inside
    double quotes; a string holding one is always double-quoted (``_str_representer``), so
    each is written as the escape YAML reads back as the same character."""
    if first_unsafe(text, "\n") is None:
        return text
    return "".join(_yaml_escaped(c) if c != "\n" and is_unsafe(c) else c for c in text)


_StableDumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    """Serialize plain data as stable, human-friendly YAML (key order kept)."""
    return _escape_unsafe(
        yaml.dump(
            data,
            Dumper=_StableDumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=100,
        )
    )
