"""No test module imports another test module: what tests share lives in tests/builders.py,
a conftest.py or a ``*_support`` / ``helpers`` module, so running, moving or deleting one test
file never changes another (imports inside functions count)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parents[1]


def _module_of(path: Path, tests: Path = TESTS) -> str:
    return ".".join(path.relative_to(tests.parent).with_suffix("").parts)


def _imported(path: Path, tests: Path = TESTS) -> set[str]:
    """Every module ``path`` imports, relative imports resolved."""
    package = _module_of(path, tests).rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}  # from pkg import test_x
    return found


def _is_test_module(name: str) -> bool:
    return name.split(".")[0] == "tests" and name.rsplit(".", 1)[-1].startswith("test_")


def test_no_test_module_imports_another() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in sorted(_imported(path))
        if _is_test_module(name) and name != _module_of(path)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_check_sees_each_way_of_importing(tmp_path: Path) -> None:
    """Absolute, relative, ``from package import test_x`` and function-local imports."""
    tests = tmp_path / "tests"
    (tests / "unit").mkdir(parents=True)
    source = (
        "from tests.unit.test_a import x\n"
        "from .test_b import y\n"
        "from ..unit import test_c\n"
        "def f():\n    import tests.unit.test_d\n"
    )
    (tests / "unit" / "test_e.py").write_text(source)
    imported = _imported(tests / "unit" / "test_e.py", tests)
    names = {n for n in imported if _is_test_module(n)}
    assert names == {
        "tests.unit.test_a",
        "tests.unit.test_b",
        "tests.unit.test_c",
        "tests.unit.test_d",
    }
