"""The commands as plain typed functions wiring the pipeline stages; cli only parses and prints.

Modules that pull in httpx, deepdiff or jinja2 are imported inside the functions that need
them, so ``rtcfg validate`` and ``rtcfg --version`` stay fast.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtcfg.config import Config, load_config
from rtcfg.errors import Problem


@dataclass
class ValidationResult:
    """The outcome of validating one file."""

    file: str
    config: Config | None
    problems: list[Problem]

    def failed(self, strict: bool) -> bool:
        """Errors fail; with ``strict``, warnings fail too."""
        return any(p.severity == "error" or strict for p in self.problems)


def validate_files(
    files: Sequence[str], env: Mapping[str, str] | None = None
) -> list[ValidationResult]:
    """Offline validation of each file; every problem of every file is collected."""
    results = []
    for file in files:
        config, _, problems = load_config(file, env)
        results.append(ValidationResult(file, config, problems))
    return results


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of rt_config.yaml, generated from the pydantic models."""
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(Config.model_json_schema())
    schema["title"] = "rtcfg rt_config.yaml"
    return schema


def write_schema(output: str | None) -> str:
    """The schema as text; written to ``output`` when given."""
    text = json.dumps(config_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    return text
