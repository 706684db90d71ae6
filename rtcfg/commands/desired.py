"""The config files of a plan: loaded and translated before any request (plan, apply), or found
again, unchanged, for a saved plan (to check live state against them after apply)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rtcfg.checks.validate import load_config_and_digest
from rtcfg.config.source import STDIN, ConfigReadError, read_config_bytes
from rtcfg.engine.plan import Plan
from rtcfg.engine.planfile import looks_like_saved_plan
from rtcfg.errors import ConfigError, Problem, RtcfgError, UsageError
from rtcfg.model.state import DesiredState
from rtcfg.model.translate import desired_state


@dataclass
class Desired:
    """One config file, loaded and translated; plan and the check after apply both need it."""

    file: str
    sha256: str
    state: DesiredState


def load_desired(files: Sequence[str], env: Mapping[str, str] | None = None) -> list[Desired]:
    """Load and translate every file; any config error stops here, before a request is sent."""
    problems: list[Problem] = []
    loaded: list[Desired] = []
    for file in files:
        if looks_like_saved_plan(file):
            raise UsageError(
                f"{file} is a plan saved by `rtcfg plan -o`, not a configuration: "
                f"`rtcfg apply {file}` applies it; `rtcfg plan` takes rt_config.yaml files"
            )
        try:
            config, digest = load_config_and_digest(file, env)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        loaded.append(Desired(file, digest, desired_state(config)))
    if problems:
        raise ConfigError(problems)
    _refuse_two_files_for_one_segment(loaded)
    return loaded


def _refuse_two_files_for_one_segment(loaded: list[Desired]) -> None:
    seen: dict[str, str] = {}
    for item in loaded:
        ps_id = item.state.parent_segment_id
        if ps_id in seen:
            raise UsageError(
                f"{seen[ps_id]} and {item.file} both configure parent segment {ps_id}; "
                "keep one file per parent segment"
            )
        seen[ps_id] = item.file


def file_digest(file: str) -> str | None:
    """The sha256 of a config file a saved plan names, or None when there is none to read (a
    path from the plan file: only a regular file, read capped; never stdin, a device)."""
    if file == STDIN or not Path(file).is_file():
        return None
    try:
        return hashlib.sha256(read_config_bytes(file)).hexdigest()
    except ConfigReadError:
        return None


def desired_for_saved_plan(plan: Plan, env: Mapping[str, str] | None = None) -> list[Desired]:
    """The config files a saved plan was made from, when they are unchanged (to re-plan after
    apply); a changed or missing file means apply runs the plan without that check."""
    files = [s.config_file for s in plan.segments if file_digest(s.config_file) == s.config_sha256]
    if len(files) != len(plan.segments):
        return []
    try:
        desired = load_desired(files, env)
    except RtcfgError:  # e.g. a ${VAR} unset now: the plan does not need it
        return []
    same = [d.state.parent_segment_id for d in desired] == [
        s.parent_segment_id for s in plan.segments
    ]
    return desired if same else []
