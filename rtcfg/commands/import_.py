"""``rtcfg import``: the live configuration of a parent segment, written as rt_config.yaml."""

from __future__ import annotations

from rtcfg.api.client import ApiClient
from rtcfg.api.live import read_audience, read_live_state
from rtcfg.checks.validate import validate_file
from rtcfg.commands.output import check_output_path, write_output
from rtcfg.commands.schema import write_schema_beside
from rtcfg.errors import Problem
from rtcfg.model.importer import ImportResult, check_writable, import_live

STDOUT = "-"


def check_import_target(output: str, force: bool) -> None:
    """Before any request: refuse to overwrite without ``force``, and a missing folder."""
    check_writable(output, force)
    if output != STDOUT:
        check_output_path(output)


async def import_segment(api: ApiClient, ps_id: str, output: str, force: bool) -> ImportResult:
    """Read the live configuration of ``ps_id`` and write it as rt_config.yaml to ``output``
    (``-`` for stdout: the text is returned and nothing is written)."""
    check_import_target(output, force)
    audience = await read_audience(api, ps_id)  # first: an unknown id is its own error
    live = await read_live_state(api, ps_id)
    result = import_live(live, audience.get("name"))
    if output != STDOUT:
        write_output(output, result.text)
        result.schema_written = write_schema_beside(output)
    return result


def imported_errors(path: str) -> list[Problem]:
    """The errors of the file import wrote (live names rtcfg refuses, say): plan and apply
    refuse the file until they are fixed."""
    _, _, problems = validate_file(path)
    return [p for p in problems if p.severity == "error"]
