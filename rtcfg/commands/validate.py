"""``rtcfg validate``: every problem of every file, offline (the online checks are
``rtcfg.commands.validate_online``, which needs the API client)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rtcfg.checks.validate import validate_file
from rtcfg.config.models import Config
from rtcfg.config.yamlio import LoadedDocument
from rtcfg.errors import Problem


@dataclass
class ValidationResult:
    """The outcome of validating one file."""

    file: str
    config: Config | None
    problems: list[Problem]
    document: LoadedDocument | None = None  # for the online problems' positions

    def failed(self, strict: bool) -> bool:
        """Errors fail; with ``strict``, warnings fail too."""
        return any(p.severity == "error" or strict for p in self.problems)


def validate_files(
    files: Sequence[str], env: Mapping[str, str] | None = None
) -> list[ValidationResult]:
    """Offline validation of each file; every problem of every file is collected."""
    results = []
    for file in files:
        config, document, problems = validate_file(file, env)
        results.append(ValidationResult(file, config, problems, document))
    return results
