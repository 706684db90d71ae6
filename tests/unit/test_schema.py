"""The committed JSON Schema is current, examples point at it and satisfy it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rtcfg.commands.schema import config_json_schema
from rtcfg.config.yamlio import load_config_text

ROOT = Path(__file__).parent.parent.parent
SCHEMA_FILE = ROOT / "schemas" / "rt_config.schema.json"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def test_committed_schema_matches_the_models() -> None:
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == config_json_schema(), "run: rtcfg schema -o schemas/rt_config.schema.json"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_example_starts_with_the_schema_line(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/rt_config.schema.json"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_example_satisfies_the_schema(path: Path) -> None:
    data = load_config_text(path.read_text(), str(path)).data
    jsonschema.validate(data, config_json_schema())


def test_schema_rejects_an_unknown_key() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"parent_segment_id": "1", "evnts": []}, config_json_schema())
