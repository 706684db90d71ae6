"""Guided setup end to end, shared by its test modules: the CLI runner, the seed with other
names (tests/fixtures/guided/seed.json) and the init → validate → apply → plan → report loop."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread
from tests.functional.emulator_support import reset

KEY = "1/guided-SECRET"
OWN_SEED = Path(__file__).parent.parent / "fixtures" / "guided" / "seed.json"
CONSOLE = "https://console-next.us01.treasuredata.com/app/dw/parentSegments/"


def rtcfg(emu: EmulatorThread, *args: str) -> tuple[int, str, str]:
    """``rtcfg ARGS`` in-process against ``emu``: (exit code, stdout, stderr)."""
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "TD_API_KEY": "", "TDX_PROFILE": ""}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert KEY not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def loop(emu: EmulatorThread, tmp_path: Path, ps_id: str, *init_args: str) -> str:
    """init -y → validate --online → apply -y → plan → report; returns the config text."""
    reset(emu)
    config, summary = tmp_path / "rt_config.yaml", tmp_path / "RT_CONFIG_SUMMARY.md"
    code, _, err = rtcfg(emu, "init", ps_id, *init_args, "-y", "-o", str(config))
    assert code == 0, err
    code, out, _ = rtcfg(emu, "validate", "--online", "--strict", str(config))
    assert code == 0 and "valid" in out, out
    code, out, err = rtcfg(emu, "apply", "-y", str(config))
    assert code == 0 and "Apply complete!" in out, out + err
    assert CONSOLE + ps_id + "/realtime" in out  # the summary after apply
    code, out, _ = rtcfg(emu, "plan", str(config))
    assert code == 0 and out.rstrip().endswith("No changes."), out
    code, _, err = rtcfg(emu, "report", str(config), "-o", str(summary))
    report = summary.read_text()
    assert code == 0 and CONSOLE + ps_id + "/realtime" in report
    assert "```mermaid" in report and "matches live state" in report
    return config.read_text()
