"""The rtcfg-validate hook of .pre-commit-hooks.yaml, run by the real pre-commit in a new git
repository that uses this checkout as its hook repository.

pre-commit builds a virtualenv for a hook repository once per (repository, rev). So that this
costs its ~10 s once and not on every run, the checkout's hook files are committed to a fixed
place (.venv/rtcfg-hook-repo, ignored by git) with fixed author and dates: the same code gives
the same commit, and pre-commit's cache (.venv/pre-commit-home) is reused until rtcfg changes.
Only this one test uses them (one test, so parallel workers never share the directory).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
HOOK_REPO = ROOT / ".venv" / "rtcfg-hook-repo"
PRE_COMMIT_HOME = ROOT / ".venv" / "pre-commit-home"
# README.md is written short (pyproject names it; its words do not change the hook)
HOOK_FILES = ("pyproject.toml", "LICENSE", ".pre-commit-hooks.yaml", "rtcfg")
FIXED = {
    "GIT_AUTHOR_NAME": "rtcfg tests",
    "GIT_AUTHOR_EMAIL": "tests@rtcfg.invalid",
    "GIT_COMMITTER_NAME": "rtcfg tests",
    "GIT_COMMITTER_EMAIL": "tests@rtcfg.invalid",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
}
GOOD = 'parent_segment_id: "1069944"\n'
BAD = 'parent_segment_id: "1069944"\nevents:\n  - name: page_view\n    table: pageviews\n'
WARNS = (
    'parent_segment_id: "1069944"\nevents:\n'
    "  - {name: page_view, database: events_db, table: pageviews}\n"
)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **FIXED}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def hook_repository() -> str:
    """This checkout's hook files as a commit at HOOK_REPO; returns its sha."""
    if not (HOOK_REPO / ".git").is_dir():
        HOOK_REPO.mkdir(parents=True, exist_ok=True)
        git(HOOK_REPO, "init", "-q")
    for name in HOOK_FILES:
        target = HOOK_REPO / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (HOOK_REPO / "README.md").write_text("# rtcfg (hook repository under test)\n")
    git(HOOK_REPO, "add", "-A")
    if git(HOOK_REPO, "status", "--porcelain"):
        git(HOOK_REPO, "commit", "-q", "-m", "rtcfg hooks under test")
        shutil.rmtree(PRE_COMMIT_HOME, ignore_errors=True)  # keep one hook env, not one a change
    return git(HOOK_REPO, "rev-parse", "HEAD")


def pre_commit(repo: Path, config: str, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(PRE_COMMIT_HOME), "NO_COLOR": "1"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "run", "-c", config, "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_the_hook_passes_good_configs_and_fails_bad_ones_at_file_line_col(tmp_path: Path) -> None:
    rev = hook_repository()
    git(tmp_path, "init", "-q")
    for name, args in (("plain.yaml", ""), ("strict.yaml", "\n        args: [--strict]")):
        (tmp_path / name).write_text(
            f"repos:\n  - repo: {HOOK_REPO}\n    rev: {rev}\n    hooks:\n"
            f"      - id: rtcfg-validate{args}\n"
        )
    for folder, text in (("good", GOOD), ("bad", BAD), ("warns", WARNS)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "rt_config.yaml").write_text(text)
    (tmp_path / "notes.yaml").write_text("not: [a config\n")  # not a config name: not checked

    good = pre_commit(tmp_path, "plain.yaml", "good/rt_config.yaml", "notes.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "rtcfg validate" in good.stdout and "Passed" in good.stdout

    bad = pre_commit(tmp_path, "plain.yaml", "good/rt_config.yaml", "bad/rt_config.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad/rt_config.yaml:3:5: error: missing required key 'database'" in bad.stdout

    assert pre_commit(tmp_path, "plain.yaml", "warns/rt_config.yaml").returncode == 0
    strict = pre_commit(tmp_path, "strict.yaml", "warns/rt_config.yaml")
    assert strict.returncode == 1, strict.stdout
    assert "warns/rt_config.yaml: 1 warning(s) treated as errors (--strict)" in strict.stdout
