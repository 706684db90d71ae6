"""The CI kit: the composite action and the example workflows are valid (check-jsonschema's
vendored GitHub and GitLab schemas) and safe (zizmor, offline), and the action's script does
what the workflows rely on, run here against the emulator with a runner's environment files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from rtcfg.emulator import EmulatorThread
from rtcfg.render import PLAN_MARKER
from tests.functional.emulator_support import reset

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "ci" / "github").glob("*.yml"))
GITLAB = ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / name), *map(str, args)], capture_output=True, text=True, check=False
    )


def test_the_workflows_match_githubs_schema() -> None:
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(WORKFLOWS) == 3


def test_the_action_matches_githubs_schema() -> None:
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_gitlab_pipeline_matches_gitlabs_schema() -> None:
    result = tool("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", GITLAB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_in_the_action_and_the_workflows() -> None:
    result = tool("zizmor", "--offline", "--no-progress", ACTION, *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_or_unsafe_workflow_would_fail(tmp_path: Path) -> None:
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text(
        "on: pull_request_target\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    assert tool("zizmor", "--offline", "--no-progress", unsafe).returncode != 0
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  plan:\n    steps:\n      - uses: 3\n")
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", broken)
    assert result.returncode != 0


def _steps(path: Path) -> Iterator[dict[str, object]]:
    document = yaml.safe_load(path.read_text())
    for job in (document.get("jobs") or {}).values():
        yield from job.get("steps", [])
    yield from (document.get("runs") or {}).get("steps", [])


def test_every_action_is_pinned_by_commit_with_its_version_beside_it() -> None:
    for path in [ACTION, *WORKFLOWS]:
        for line in path.read_text().splitlines():
            if line.strip().startswith(("- uses:", "uses:")):
                ref = line.split("uses:", 1)[1].split("#")[0].strip()
                assert PINNED.match(ref), f"{path.name}: {line.strip()}"
                assert re.search(r"# v\d", line), f"{path.name}: say which version: {line}"


def test_the_workflows_use_only_the_actions_inputs_and_find_the_plan_by_its_marker() -> None:
    inputs = set(yaml.safe_load(ACTION.read_text())["inputs"])
    commands = set()
    for path in WORKFLOWS:
        for step in _steps(path):
            if str(step.get("uses", "")).startswith("rtcfg/rtcfg@"):
                given = dict(step.get("with") or {})  # type: ignore[call-overload]
                assert set(given) <= inputs, path.name
                commands.add(given["command"])
                if given["command"] != "validate":
                    assert "TDX_API_KEY" in dict(step.get("env") or {})  # type: ignore[call-overload]
    assert commands == {"validate", "plan", "apply", "drift"}
    plan = (ROOT / "examples" / "ci" / "github" / "rtcfg-plan.yml").read_text()
    assert f'body-includes: "{PLAN_MARKER}"' in plan


# --- the action's script, with a runner's environment files -----------------------------------


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.05) as thread:
        yield thread


@pytest.fixture()
def emu(shared_emulator: EmulatorThread) -> EmulatorThread:
    reset(shared_emulator)  # each test starts from the seed
    return shared_emulator


def run_action(
    emu: EmulatorThread, tmp_path: Path, command: str, config: str, ps_id: str = "1069935"
) -> dict[str, str]:
    runner_temp = tmp_path / "runner"
    (runner_temp / "rtcfg-venv").mkdir(parents=True, exist_ok=True)
    venv_bin = runner_temp / "rtcfg-venv" / "bin"
    if not venv_bin.exists():
        venv_bin.symlink_to(BIN)
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env = {
        **os.environ,
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RTCFG_COMMAND": command,
        "RTCFG_CONFIG": config,
        "RTCFG_ENDPOINT": emu.url,
        "TDX_API_KEY": "1/action-SECRET",
        "RTCFG_PS_ID": ps_id,
    }
    result = subprocess.run(
        ["bash", str(ROOT / "action" / "run.sh")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    shown = summary.read_text() if summary.exists() else ""
    assert "action-SECRET" not in result.stdout + result.stderr + shown
    pairs = [line.split("=", 1) for line in outputs.read_text().splitlines()]
    outputs.unlink()
    return {"status": str(result.returncode), "stdout": result.stdout, **dict(pairs)}


def test_plan_writes_the_comment_and_never_fails_the_step(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    out = run_action(emu, tmp_path, "plan", "examples/event_*.yaml")
    assert (out["status"], out["exitcode"]) == ("0", "2")
    assert out["summary"].startswith("Plan: ")
    assert Path(out["plan-file"]).read_text().splitlines()[0] == PLAN_MARKER


def test_a_failing_plan_still_writes_the_comment(emu: EmulatorThread, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('parent_segment_id: "1069935"\nevents: [{name: x}]\n')
    out = run_action(emu, tmp_path, "plan", str(bad))
    assert (out["status"], out["exitcode"]) == ("0", "1")
    comment = Path(out["plan-file"]).read_text()
    assert comment.startswith(PLAN_MARKER) and f"{bad}:2:10: error" in comment
    assert out["summary"].startswith("Plan failed")


def test_drift_fails_the_step_and_names_what_drifted(emu: EmulatorThread, tmp_path: Path) -> None:
    out = run_action(emu, tmp_path, "drift", "examples/event_triggers.yaml")
    assert (out["status"], out["exitcode"]) == ("2", "2")
    error = next(line for line in out["stdout"].splitlines() if line.startswith("::error"))
    assert "create 1069935/key_event.form_submit" in error


def test_the_readme_shows_the_workflow_and_the_pipeline_as_they_ship() -> None:
    readme = (ROOT / "README.md").read_text()
    plan = (ROOT / "examples" / "ci" / "github" / "rtcfg-plan.yml").read_text()
    assert f"```yaml\n{plan}```" in readme
    gitlab = GITLAB.read_text()
    snippet = readme.split("### GitLab CI", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    for job in snippet.strip().split("\n\n"):
        assert job in gitlab, job
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert f"- id: {hooks[0]['id']}" in readme.split("### pre-commit", 1)[1]


def test_the_workflows_say_how_long_a_job_may_take() -> None:
    result = tool(
        "check-jsonschema",
        "--builtin-schema",
        "custom.github-workflows-require-timeout",
        *WORKFLOWS,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_and_apply_run_through_the_action(emu: EmulatorThread, tmp_path: Path) -> None:
    good = run_action(emu, tmp_path, "validate", "examples/*.yaml")
    assert (good["status"], good["exitcode"], good["summary"]) == (
        "0",
        "0",
        "examples/product_recommendations.yaml: valid",
    )
    applied = run_action(emu, tmp_path, "apply", "examples/event_triggers.yaml", "1069944")
    assert (applied["status"], applied["exitcode"]) == ("0", "0"), applied["stdout"]
    assert applied["summary"].startswith("Apply complete!")
    again = run_action(emu, tmp_path, "drift", "examples/event_triggers.yaml", "1069944")
    assert (again["status"], again["exitcode"]) == ("0", "0")


def test_a_drifted_live_name_cannot_start_a_workflow_command(tmp_path: Path) -> None:
    from tests.functional.hostile_support import EMPTY_CONFIG, hostile_seed

    seed = hostile_seed()  # a live key event named "pv…\rPlan: …\n…", and 100%-like text
    populated = next(p for p in seed["parentSegments"] if p["id"] == "1069935")
    populated["realtime"]["keyEvents"][1]["name"] = "x\n::warning::forged %0A"
    config = tmp_path / "empty.yaml"
    config.write_text(EMPTY_CONFIG)
    with EmulatorThread(seed, update_seconds=0.0) as hostile:
        out = run_action(hostile, tmp_path, "drift", str(config))
    assert (out["status"], out["exitcode"]) == ("2", "2")
    commands = [line for line in out["stdout"].splitlines() if line.startswith("::")]
    assert len(commands) == 1 and commands[0].startswith("::error title=rtcfg drift::")
    assert "delete 1069935/key_event.x%0A::warning::forged %250A" in commands[0]
    assert "%0DPlan: 0 to create" in commands[0] and "\r" not in commands[0]


def test_an_unknown_command_is_escaped_in_its_error(emu: EmulatorThread, tmp_path: Path) -> None:
    out = run_action(emu, tmp_path, "bogus\n::warning::x", "examples/event_triggers.yaml")
    commands = [line for line in out["stdout"].splitlines() if line.startswith("::")]
    assert commands == [
        "::error title=rtcfg::unknown command 'bogus%0A::warning::x' "
        "(validate, plan, drift or apply)"
    ]
