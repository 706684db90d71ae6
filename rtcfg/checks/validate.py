"""Validate a config file: parse it (``rtcfg.config.load``), then judge it with every check.

The checks run in a fixed order and their problems come back in file order, merged with the
models' problems; a value whose ``${VAR}`` is unset or whose text is unsafe is reported once,
for that. ``validate_file`` is what ``rtcfg validate`` shows; plan and apply take a file only
when it has no error (:func:`load_config_and_digest`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from rtcfg.checks.attributes import check_attributes
from rtcfg.checks.contract import check_contract
from rtcfg.checks.limits import check_filter_length
from rtcfg.checks.offline import (
    check_event_tables,
    check_events,
    check_stitching,
    check_uniqueness,
)
from rtcfg.config.load import parse_config
from rtcfg.config.models import Config
from rtcfg.config.yamlio import LoadedDocument
from rtcfg.errors import ConfigError, Problem

Check = Callable[[Config, LoadedDocument], Iterable[Problem]]

# The order of the checks is the order of their problems at one line and column.
CHECKS: tuple[Check, ...] = (
    check_uniqueness,
    check_events,
    check_filter_length,
    check_event_tables,
    check_attributes,
    check_stitching,
    check_contract,
)


def check_config(config: Config, doc: LoadedDocument) -> list[Problem]:
    """Run every check; problems come back in file order."""
    problems = [p for check in CHECKS for p in check(config, doc)]
    return sorted(problems, key=lambda p: (p.line, p.col))


def validate_file(
    path: str | Path, env: Mapping[str, str] | None = None
) -> tuple[Config | None, LoadedDocument | None, list[Problem]]:
    """Parse and check one config file (``-``: standard input); returns the Config (None on
    errors), the document (its ``sha256`` is that of the bytes read) and all problems."""
    parsed = parse_config(path, env)
    judged = list(parsed.model_problems)
    if parsed.config is not None and parsed.document is not None:
        judged += check_config(parsed.config, parsed.document)
    # a value with an unset ${VAR} or an unsafe text is reported once, for that
    unset_at = {(p.line, p.col) for p in parsed.text_problems}
    problems = parsed.text_problems + sorted(
        (p for p in judged if (p.line, p.col) not in unset_at),
        key=lambda p: (p.line, p.col),
    )
    has_errors = any(p.severity == "error" for p in problems)
    return (None if has_errors else parsed.config), parsed.document, problems


def load_config_or_raise(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Load a config for plan/apply: any error (warnings are fine) raises ConfigError."""
    return load_config_and_digest(path, env)[0]


def load_config_and_digest(
    path: str | Path, env: Mapping[str, str] | None = None
) -> tuple[Config, str]:
    """The Config and the sha256 of the bytes it was read from (read once: ``-`` works)."""
    config, doc, problems = validate_file(path, env)
    if config is None or doc is None:
        raise ConfigError([p for p in problems if p.severity == "error"])
    return config, doc.sha256
