"""rtcfg.commands.apply without the cli: the view is shown the plan before it is asked, a
declined confirmation sends no write, and an accepted one runs the steps, reports them line by
line, verifies and reads the summary. Against the emulator over a real socket."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rtcfg.api.connection import Connection
from rtcfg.commands.apply import ApplyRequest, apply_files
from rtcfg.emulator import EmulatorThread
from rtcfg.engine.plan import Plan
from rtcfg.errors import RefusedError

KEY = "1/apply-command-SECRET"
EXAMPLE = Path(__file__).parents[2] / "examples" / "product_recommendations.yaml"
WRITES = ("POST", "PATCH", "DELETE")


class RecordingView:
    """An ApplyView that remembers what it was shown and answers as told."""

    def __init__(self, approve: bool) -> None:
        self.approve = approve
        self.events: list[str] = []
        self.steps: list[str] = []

    def show_plan(self, plan: Plan) -> None:
        self.events.append(f"plan of {len(plan.segments)} segment(s)")

    def confirm(self) -> None:
        self.events.append("asked")
        if not self.approve:
            raise RefusedError("Apply cancelled.")

    def step(self, line: str) -> None:
        self.steps.append(line)

    def wants_summaries(self, applied: bool) -> bool:
        return applied


@pytest.fixture(autouse=True)
def _default_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RTCFG_PS_ID", raising=False)  # the example's ${RTCFG_PS_ID:-1069944}


def config(tmp_path: Path) -> str:
    target = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    return str(target)


def test_a_declined_apply_sends_no_write(tmp_path: Path) -> None:
    view = RecordingView(approve=False)
    with EmulatorThread(update_seconds=0.05) as emu:
        connection = Connection(emu.url, emu.url, KEY, "us01")
        with pytest.raises(RefusedError, match="cancelled"):
            apply_files(connection, ApplyRequest([config(tmp_path)]), view)
        writes = [r for r in emu.requests() if r["method"] in WRITES]
    assert view.events == ["plan of 1 segment(s)", "asked"]
    assert writes == [] and view.steps == []


def test_an_accepted_apply_runs_verifies_and_reads_the_summary(tmp_path: Path) -> None:
    view = RecordingView(approve=True)
    with EmulatorThread(update_seconds=0.05) as emu:
        connection = Connection(emu.url, emu.url, KEY, "us01")
        run = apply_files(connection, ApplyRequest([config(tmp_path)]), view)
    assert run.ok and run.outcome is not None and run.outcome.remaining == []
    assert view.events == ["plan of 1 segment(s)", "asked"]
    assert view.steps and all(line.strip() for line in view.steps)
    assert [s.ps_id for s in run.summaries] == ["1069944"] and run.summary_error is None
