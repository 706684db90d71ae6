"""Dependency rules of ARCHITECTURE.md, read from the source with ast.

Imports point one way, down the layers of the pipeline, and never form a cycle (imports
inside functions and under ``TYPE_CHECKING`` count: they hide a cycle, they do not remove
it); diff and plan do no I/O; each third-party library lives in one module; print stays in
cli and render; the emulator imports nothing from the rest of rtcfg.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent.parent / "rtcfg"
# Lowest first: a module may import its own layer and the layers before it, never later ones.
LAYERS = (
    ("foundation", ("rtcfg", "rtcfg.errors", "rtcfg.safe_text")),
    ("config", ("rtcfg.config",)),
    ("model", ("rtcfg.model",)),
    ("api", ("rtcfg.api",)),
    ("checks", ("rtcfg.checks",)),
    ("engine", ("rtcfg.engine",)),
    ("setup", ("rtcfg.setup",)),
    ("render", ("rtcfg.render",)),
    ("commands", ("rtcfg.commands",)),
    ("cli", ("rtcfg.cli", "rtcfg.__main__")),
)
EMULATOR = "rtcfg.emulator"  # beside the pipeline: only cli starts it
# Each library's owner: a module, or a package ("rtcfg.cli.*": every module of the cli).
OWNERS = {
    "click": {"rtcfg.cli", "rtcfg.cli.*"},
    "httpx": {"rtcfg.api.client"},
    "yaml": {"rtcfg.config.yamlio"},
    "pydantic": {"rtcfg.config.models", "rtcfg.config.problems"},  # the models, their errors
    "tabulate": {"rtcfg.render.tables"},
    "jinja2": {"rtcfg.render.templates"},
    "questionary": {"rtcfg.setup.prompts"},
    "prompt_toolkit": {"rtcfg.setup.prompts"},
}
PRINTERS = ("rtcfg.cli", "rtcfg.render")
# Modules of the engine that do I/O: apply runs the steps, planfile reads and writes saved
# plans; the rest (diff, graph, select, steps, plan…) are pure.
ENGINE_IO = {"rtcfg.engine.apply", "rtcfg.engine.planfile"}
IO_MODULES = {"asyncio", "httpx", "socket", "subprocess", "os", "io", "pathlib", "shutil"}
IO_CALLS = {"open", "print", "input"}


def dotted(path: Path) -> str:
    """rtcfg/api/client.py → rtcfg.api.client; a package's __init__.py is the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def all_modules() -> dict[str, Path]:
    return {dotted(p): p for p in PACKAGE.rglob("*.py")}


def modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "emulator" not in p.parts]


_SOURCES: dict[Path, str] = {}  # sources given by a test instead of the file


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(_SOURCES.get(path) or path.read_text())


def _imports_in(source: str, path: Path) -> set[str]:
    """imports_of a source that is not on disk, read as if it were ``path``."""
    _SOURCES[path] = source
    try:
        return imports_of(path)
    finally:
        del _SOURCES[path]


DYNAMIC_IMPORTS = {"import_module", "__import__"}  # importlib.import_module, __import__


def imports_of(path: Path) -> set[str]:
    """Every module name imported anywhere in the file (functions and TYPE_CHECKING too, and
    ``importlib.import_module`` / ``__import__`` of a constant). ``from package import module``
    imports that module; the package itself only when a name that is not a submodule is taken
    from it (a submodule's parent package is loaded before it in any case)."""
    names: set[str] = set()
    module = dotted(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            target = ".".join(x for x in (base, node.module or "") if x)
            submodules = {f"{target}.{a.name}" for a in node.names} & set(all_modules())
            names |= submodules
            if len(submodules) < len(node.names):
                names.add(target)
        elif isinstance(node, ast.Call) and _dynamic_import(node) is not None:
            names.add(str(_dynamic_import(node)))
    return names


def _dynamic_import(call: ast.Call) -> str | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    first = call.args[0] if call.args else None
    if name in DYNAMIC_IMPORTS and isinstance(first, ast.Constant):
        return str(first.value)
    return None


def internal_imports(path: Path) -> set[str]:
    known = all_modules()
    return {n for n in imports_of(path) if n in known and n != dotted(path)}


def layer_of(module: str) -> int:
    found = [
        i
        for i, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix != "rtcfg" and module.startswith(prefix + "."))
    ]
    return max(found, default=-1)


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_every_module_has_a_layer(path: Path) -> None:
    assert layer_of(dotted(path)) >= 0, f"{dotted(path)} belongs to no layer of LAYERS"


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_imports_never_go_up_a_layer(path: Path) -> None:
    module, own = dotted(path), layer_of(dotted(path))
    for name in sorted(internal_imports(path)):
        if name.startswith(EMULATOR + ".") or name == EMULATOR:
            assert LAYERS[own][0] == "cli", f"{module} imports the emulator ({name})"
            continue
        theirs = layer_of(name)
        assert theirs <= own, (
            f"{module} ({LAYERS[own][0]}) imports {name} ({LAYERS[theirs][0]}), a later layer"
        )


def strongly_connected(edges: dict[str, set[str]]) -> Iterator[list[str]]:
    """Tarjan's components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                yield from visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(edges):
        if node not in index:
            yield from visit(node)


def test_no_import_cycles_even_through_function_local_imports() -> None:
    edges = {m: internal_imports(p) for m, p in all_modules().items()}
    assert list(strongly_connected(edges)) == []


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_the_package_is_never_imported_whole(path: Path) -> None:
    """``import rtcfg`` then ``rtcfg.engine…`` would reach any layer unseen by these tests."""
    bare = [
        n
        for n in ast.walk(tree(path))
        if isinstance(n, ast.Import) and any(a.name == "rtcfg" for a in n.names)
    ]
    assert not bare, f"{dotted(path)} imports rtcfg whole; import the module it needs"


def test_imports_are_read_in_every_form() -> None:
    source = (
        "import importlib\n"
        "from . import plan\n"
        "def later():\n"
        "    importlib.import_module('rtcfg.render')\n"
        "    __import__('rtcfg.cli')\n"
    )
    fake = PACKAGE / "engine" / "probe.py"
    tree.cache_clear()
    try:
        found = _imports_in(source, fake)
    finally:
        tree.cache_clear()
    assert {"rtcfg.engine.plan", "rtcfg.render", "rtcfg.cli"} <= found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert list(strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == [
        ["a", "b", "c"]
    ]


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if dotted(p).startswith("rtcfg.engine.") and dotted(p) not in ENGINE_IO],
    ids=dotted,
)
def test_diff_and_plan_do_no_io(path: Path) -> None:
    imported = {n.split(".")[0] for n in imports_of(path)} | imports_of(path)
    assert not imported & IO_MODULES, f"{dotted(path)} imports {imported & IO_MODULES}"
    assert not any(n.startswith("rtcfg.api") for n in imports_of(path)), dotted(path)
    calls = {
        n.func.id
        for n in ast.walk(tree(path))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert not calls & IO_CALLS, f"{dotted(path)} calls {calls & IO_CALLS}"


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_third_party_libraries_stay_in_their_module(path: Path) -> None:
    for name in imports_of(path):
        top = name.split(".")[0]
        if top in OWNERS:
            module = dotted(path)
            owned = module in OWNERS[top] or f"{module.rpartition('.')[0]}.*" in OWNERS[top]
            assert owned, f"{module} imports {top}"


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_only_cli_and_render_print(path: Path) -> None:
    if dotted(path).startswith(PRINTERS):
        return
    calls = [
        n
        for n in ast.walk(tree(path))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
    ]
    assert not calls, f"{dotted(path)} calls print()"


def test_the_emulator_imports_nothing_from_rtcfg() -> None:
    for path in (PACKAGE / "emulator").rglob("*.py"):
        offenders = {
            n
            for n in imports_of(path)
            if n == "rtcfg" or (n.startswith("rtcfg.") and not n.startswith("rtcfg.emulator"))
        }
        assert not offenders, f"{path.name} imports {offenders}"
