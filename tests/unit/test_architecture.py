"""Dependency rules of design.md, read from the source with ast.

Each third-party library lives in one module; print stays in cli and render; the emulator
imports nothing from the rest of rtcfg; diff and plan do no I/O.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent.parent / "rtcfg"
OWNERS = {
    "click": {
        "rtcfg.cli",
        "rtcfg.cli.options",
        "rtcfg.cli.core_commands",
        "rtcfg.cli.plan_commands",
        "rtcfg.cli.setup_commands",
    },
    "httpx": {"rtcfg.api.client"},
    "yaml": {"rtcfg.config.yamlio"},
    "tabulate": {"rtcfg.render"},
    "jinja2": {"rtcfg.render"},
    "questionary": {"rtcfg.setup.prompts"},
    "prompt_toolkit": {"rtcfg.setup.prompts"},
}
PRINTERS = {"rtcfg.cli", "rtcfg.render"}


def modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "emulator" not in p.parts]


def dotted(path: Path) -> str:
    """rtcfg/api/client.py → rtcfg.api.client; a package's __init__.py is the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_third_party_libraries_stay_in_their_module(path: Path) -> None:
    for name in imports_of(path):
        top = name.split(".")[0]
        if top in OWNERS:
            assert dotted(path) in OWNERS[top], f"{dotted(path)} imports {top}"


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_only_cli_and_render_print(path: Path) -> None:
    if dotted(path) in PRINTERS:
        return
    calls = [
        n
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
    ]
    assert not calls, f"{path.name} calls print()"


def test_the_emulator_imports_nothing_from_rtcfg() -> None:
    for path in (PACKAGE / "emulator").rglob("*.py"):
        offenders = {
            n
            for n in imports_of(path)
            if n == "rtcfg" or (n.startswith("rtcfg.") and not n.startswith("rtcfg.emulator"))
        }
        assert not offenders, f"{path.name} imports {offenders}"
