"""Parse one rt_config.yaml into a ``Config``, collecting every problem of parsing; no check.

The passes, each located at the file's line and column: reading the bytes (``-`` is standard
input), UTF-8, YAML syntax (``rtcfg.config.yamlio``), ``${VAR}`` interpolation, the hygiene of
every text (``rtcfg.config.text``), then the pydantic models (``rtcfg.config.problems``).
Judging the Config (names unique, limits, regexes) is ``rtcfg.checks``, which calls this.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rtcfg.config.interpolate import interpolate
from rtcfg.config.models import Config
from rtcfg.config.problems import validate_model
from rtcfg.config.source import ConfigReadError, decode_config, read_config_bytes
from rtcfg.config.text import text_problems
from rtcfg.config.yamlio import LoadedDocument, YamlLoadError, load_config_text
from rtcfg.errors import Problem


@dataclass
class ParsedConfig:
    """What parsing one file gave.

    ``config`` is salvaged from the valid parts when the models found errors (None when
    nothing could be salvaged or the file did not read as YAML), so the checks can still run;
    ``text_problems`` come from the passes before the models (reading, YAML, ``${VAR}``, unsafe
    text), ``model_problems`` from the models."""

    file: str
    config: Config | None
    document: LoadedDocument | None
    text_problems: list[Problem] = field(default_factory=list)
    model_problems: list[Problem] = field(default_factory=list)


def parse_config(path: str | Path, env: Mapping[str, str] | None = None) -> ParsedConfig:
    """Read and parse one config file; ``env`` (default: the process environment) feeds
    ``${VAR}``. The document's ``sha256`` is that of the bytes read."""
    file = str(path)
    try:
        raw = read_config_bytes(path)
    except ConfigReadError as exc:
        return ParsedConfig(file, None, None, [Problem(file, 1, 1, str(exc))])
    text = decode_config(raw, file)
    if isinstance(text, Problem):
        return ParsedConfig(file, None, None, [text])
    try:
        doc = load_config_text(text, file)
    except YamlLoadError as exc:
        return ParsedConfig(file, None, None, [exc.problem])
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    environment = os.environ if env is None else env
    problems = interpolate(doc, environment)
    problems += text_problems(doc, environment)
    config, model_problems, _ = validate_model(doc)
    return ParsedConfig(file, config, doc, problems, model_problems)
