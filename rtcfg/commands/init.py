"""``rtcfg init``: a first rt_config.yaml from discovery (``rtcfg.commands.discover``) and the
guide's recommendations for the use case, with a comment on each choice. The questions asked
on a terminal are the cli's; their answers come in as ``Choices``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rtcfg.api.catalog import Progress
from rtcfg.api.client import ApiClient
from rtcfg.commands.discover import discover_segment, refuse_if_configured
from rtcfg.commands.import_ import check_import_target
from rtcfg.commands.output import write_output
from rtcfg.commands.schema import write_schema_beside
from rtcfg.model.importer import default_output
from rtcfg.setup.discover import Discovery
from rtcfg.setup.init_config import command_line, render_config
from rtcfg.setup.init_names import usable
from rtcfg.setup.recommend import recommend
from rtcfg.setup.recommendation import Choices, Recommendation


def init_target(ps_id: str, output: str | None, force: bool) -> str:
    """The file init writes (``-``: stdout), checked before any request."""
    target = output or default_output(ps_id)
    check_import_target(target, force)
    return target


@dataclass
class InitInputs:
    """What init builds on: the usable part of discovery, the names left out because rtcfg
    refuses their characters, and the notices of discovery."""

    discovery: Discovery
    refused: list[str]
    notices: list[str]


async def init_inputs(
    api: ApiClient, ps_id: str, databases: Sequence[str], progress: Progress | None
) -> InitInputs:
    """Discover the parent segment's data; refuse one that is configured already (or has RT
    2.0 off): init writes only a first configuration."""
    found = await discover_segment(api, ps_id, databases, progress)
    refuse_if_configured(found)
    discovery, refused = usable(found.discovery)
    return InitInputs(discovery, refused, found.notices)


def init_config(
    discovery: Discovery, refused: list[str], ps_id: str, use_case: str, choices: Choices
) -> tuple[Recommendation, str]:
    """The recommendation for ``choices`` and the file's text, whose header says how to make
    it again (the answers included)."""
    rec = recommend(discovery, use_case, choices)
    made_by = Choices(database=rec.database, tables=choices.tables)
    return rec, render_config(rec, command_line(ps_id, use_case, made_by), refused)


def write_init(target: str, text: str) -> str | None:
    """Write the file and the schema beside it (its first line points there, as import's
    does); returns the schema's path when one was written."""
    write_output(target, text)
    return write_schema_beside(target)
