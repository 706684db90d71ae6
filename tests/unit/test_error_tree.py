"""One exception tree: every RtcfgError subclass is defined in rtcfg/errors.py (read with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import rtcfg
from rtcfg import errors

PACKAGE = Path(rtcfg.__file__).parent


def _tree_names() -> set[str]:
    """RtcfgError and every class errors.py derives from it, however deep."""
    return {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.RtcfgError)
    }


def _base_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.add(base.id)
        elif isinstance(base, ast.Attribute):
            names.add(base.attr)
    return names


def _classes_outside_errors() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "errors.py" or "emulator" in path.relative_to(PACKAGE).parts:
            continue  # the emulator imports nothing from rtcfg: its errors are its own
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            (str(path.relative_to(PACKAGE)), n)
            for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef)
        ]
    return found


def test_every_rtcfg_error_is_defined_in_errors_py() -> None:
    tree = _tree_names()
    strays = [
        f"{where}: {node.name}({', '.join(sorted(_base_names(node)))})"
        for where, node in _classes_outside_errors()
        if _base_names(node) & tree
    ]
    assert strays == [], "define these in rtcfg/errors.py: " + "; ".join(strays)


def test_the_tree_in_the_docstring_names_every_error() -> None:
    doc = errors.__doc__ or ""
    missing = sorted(name for name in _tree_names() if name not in doc)
    assert missing == []


def test_the_check_finds_a_subclass_defined_elsewhere() -> None:
    source = "from rtcfg.errors import StepFailed\nclass Stray(StepFailed):\n    pass\n"
    node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef))
    assert _base_names(node) & _tree_names() == {"StepFailed"}
