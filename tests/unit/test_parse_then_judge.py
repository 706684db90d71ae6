"""Parsing never calls the checks, and the checks sit above the mapping they measure with:
``rtcfg.config`` imports nothing of rtcfg but itself, errors and safe_text (function-local
imports count), and no module under ``rtcfg.model``, ``rtcfg.api`` or ``rtcfg.config`` imports
``rtcfg.checks``. Read with ast."""

from __future__ import annotations

import ast
from pathlib import Path

import rtcfg

PACKAGE = Path(rtcfg.__file__).parent
CONFIG_MAY_USE = ("rtcfg.config", "rtcfg.errors", "rtcfg.safe_text")


def rtcfg_imports(path: Path) -> set[str]:
    """Every rtcfg module ``path`` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n for n in names if n == "rtcfg" or n.startswith("rtcfg.")}


def modules_under(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


def test_config_imports_only_itself_errors_and_safe_text() -> None:
    found = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in modules_under("config")
        for name in rtcfg_imports(path)
        if not name.startswith(CONFIG_MAY_USE)
    }
    assert found == set()


def test_nothing_below_the_checks_imports_them() -> None:
    found = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for package in ("config", "model", "api")
        for path in modules_under(package)
        for name in rtcfg_imports(path)
        if name.startswith("rtcfg.checks")
    }
    assert found == set()


def test_the_reader_sees_a_function_local_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from rtcfg.checks.validate import validate_file\n")
    assert rtcfg_imports(module) == {"rtcfg.checks.validate"}
