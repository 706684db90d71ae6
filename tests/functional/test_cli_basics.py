"""The command line as a user meets it: --version, validate, schema, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from rtcfg import __version__
from rtcfg.cli import cli

ROOT = Path(__file__).parent.parent.parent
HEAVY = ("httpx", "jinja2", "tabulate")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtcfg", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_version_prints_the_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_version_and_validate_do_not_import_heavy_libraries() -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['rtcfg'] + sys.argv[1:]\n"
        "try:\n    runpy.run_module('rtcfg', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    for args in (["--version"], ["validate", "examples/large.yaml"]):
        out = subprocess.run(
            [sys.executable, "-c", probe, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        ).stdout
        assert "LOADED []" in out, (args, out)


def test_validate_ok_exits_0_and_says_valid() -> None:
    result = CliRunner().invoke(cli, ["validate", "examples/product_recommendations.yaml"])
    assert result.exit_code == 0 and "valid" in result.output


def test_validate_many_files_reports_each() -> None:
    files = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    result = CliRunner().invoke(cli, ["validate", *files])
    assert result.exit_code == 0
    assert all(f"{f}: valid" in result.output for f in files)


def test_validate_json_lists_problems_as_objects(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('parent_segment_id: "1"\nevents:\n  - {name: a, database: d}\n')
    result = CliRunner().invoke(cli, ["validate", "--format", "json", str(bad)])
    problems = json.loads(result.output)
    assert result.exit_code == 1
    assert problems[0]["line"] == 3 and "table" in problems[0]["message"]


def test_missing_file_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert "cannot read file" in result.stdout and "Traceback" not in result.stderr


def test_schema_goes_to_stdout_or_a_file(tmp_path: Path) -> None:
    assert json.loads(CliRunner().invoke(cli, ["schema"]).output)["title"]
    target = tmp_path / "s.json"
    assert CliRunner().invoke(cli, ["schema", "-o", str(target)]).exit_code == 0
    assert json.loads(target.read_text())["type"] == "object"


def test_large_example_is_what_the_generator_writes() -> None:
    check = subprocess.run(
        [sys.executable, "bench/make_large_example.py", "--check"], cwd=ROOT, check=False
    )
    assert check.returncode == 0, "run: python bench/make_large_example.py"


def test_the_emulator_runs_with_the_default_garbage_collector() -> None:
    # main() tunes the collector for short commands; a server that runs for hours must not keep it
    import gc

    from rtcfg import cli as cli_module

    before = gc.get_threshold()
    try:
        gc.set_threshold(100_000, 50, 100)
        CliRunner().invoke(cli_module.cli, ["emulator", "--help"])
        assert gc.get_threshold() == cli_module._GC_DEFAULTS
    finally:
        gc.set_threshold(*before)
