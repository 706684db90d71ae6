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


def _client(connection: Any) -> Any:
    from rtcfg.client import ApiClient

    return ApiClient(connection)


async def list_segments(connection: Any, pattern: str | None) -> list[dict[str, Any]]:
    """Parent segments (id, name, RT enabled) whose name or id matches ``pattern`` (a glob)."""
    import fnmatch

    from rtcfg.live import RT_ENABLED_FIELD

    async with _client(connection) as api:
        audiences = await api.get("/audiences")
    rows = [
        {
            "id": str(a.get("id")),
            "name": a.get("name"),
            "rt_enabled": bool(a.get(RT_ENABLED_FIELD, False)),
        }
        for a in audiences
    ]
    if pattern:
        glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
        rows = [
            r
            for r in rows
            if fnmatch.fnmatch(str(r["name"]).lower(), glob.lower())
            or fnmatch.fnmatch(r["id"], glob)
        ]
    return sorted(rows, key=lambda r: (str(r["name"]).lower(), r["id"]))


async def segment_status(connection: Any, ps_id: str) -> dict[str, Any]:
    """RT enabled? config exists? the setting's status and the counts of what is configured."""
    from rtcfg.live import RT_ENABLED_FIELD, read_audience, read_live_state, summarize

    async with _client(connection) as api:
        audience = await read_audience(api, ps_id)
        report: dict[str, Any] = {
            "parent_segment_id": ps_id,
            "parent_segment_name": audience.get("name"),
            "rt_enabled": bool(audience.get(RT_ENABLED_FIELD, False)),
        }
        if not report["rt_enabled"]:
            return {
                **report,
                "config_exists": False,
                "status": "disabled",
                "message": "RT 2.0 is not enabled; ask your CSM to enable it "
                "(--csm-request FILE writes the request)",
            }
        live = await read_live_state(api, ps_id)
    counts = summarize(live)
    exists = bool(counts["event_tables"] or counts["key_events"] or counts["stitching_keys"])
    return {
        **report,
        "config_exists": exists,
        "status": live.setting_meta.get("status"),
        "status_detailed": live.setting_meta.get("statusDetailed"),
        **counts,
    }


async def import_segment(connection: Any, ps_id: str, output: str, force: bool) -> Any:
    """Read the live configuration of ``ps_id`` and write it as rt_config.yaml to ``output``
    (``-`` for stdout: the text is returned and nothing is written)."""
    from rtcfg.importer import check_writable, import_live
    from rtcfg.live import read_audience, read_live_state

    check_writable(output, force)
    async with _client(connection) as api:
        audience = await read_audience(api, ps_id)
        live = await read_live_state(api, ps_id)
    result = import_live(live, audience.get("name"))
    if output != "-":
        Path(output).write_text(result.text, encoding="utf-8")
    return result
