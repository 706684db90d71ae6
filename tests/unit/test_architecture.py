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
    "click": {"cli"},
    "httpx": {"client"},
    "yaml": {"yamlio"},
    "tabulate": {"render"},
    "jinja2": {"render"},
    "questionary": {"prompts"},
    "prompt_toolkit": {"prompts"},
}
PRINTERS = {"cli", "render"}


def modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "emulator" not in p.parts]


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.stem)
def test_third_party_libraries_stay_in_their_module(path: Path) -> None:
    for name in imports_of(path):
        top = name.split(".")[0]
        if top in OWNERS:
            assert path.stem in OWNERS[top], f"{path.name} imports {top}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.stem)
def test_only_cli_and_render_print(path: Path) -> None:
    if path.stem in PRINTERS:
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
