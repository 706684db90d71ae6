"""validate, schema, segments, status and import: parse the command line, call the command
(``rtcfg.commands``, imported when the command runs, so ``rtcfg --help`` stays fast), print."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

import rtcfg.cli.texts as cli_help
from rtcfg.cli.options import (
    common_options,
    connect,
    connection_options,
    is_quiet,
    ps_id_argument,
)
from rtcfg.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from rtcfg.api.connection import Connection


@click.command(help=cli_help.VALIDATE_HELP, epilog=cli_help.VALIDATE)
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json (a list of problems) for tools.",
)
@click.option(
    "--online",
    is_flag=True,
    help="Also check tables, columns, keys and imported attributes against the API (GETs).",
)
@connection_options
@click.pass_context
def validate(
    ctx: click.Context, /, files: tuple[str, ...], strict: bool, fmt: str, online: bool, **conn: Any
) -> None:
    """Check rt_config.yaml files and report every problem."""
    from rtcfg import render
    from rtcfg.commands.validate import validate_files

    results = validate_files(files)
    if online and not any(r.failed(strict=False) for r in results):
        from rtcfg.commands.session import run_once
        from rtcfg.commands.validate_online import validate_online

        run_once(connect(ctx, **conn), lambda api: validate_online(api, results))
    if fmt == "json":
        render.echo(render.problems_json([p for r in results for p in r.problems]))
    else:
        color = render.use_color(sys.stdout, ctx.obj.get("no_color"))
        for result in results:
            render.echo(
                render.problems_text(result.file, result.problems, color=color, strict=strict)
            )
    if any(r.failed(strict) for r in results):
        ctx.exit(ExitCode.ERROR)


@click.command(help=cli_help.SCHEMA_HELP, epilog=cli_help.SCHEMA)
@common_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write the schema to FILE instead of printing it.",
)
def schema(output: str | None) -> None:
    """Print the JSON Schema of rt_config.yaml."""
    from rtcfg import render
    from rtcfg.commands.schema import write_schema

    text = write_schema(output)
    if not output:
        render.echo(text.rstrip("\n"))


@click.command(help=cli_help.SEGMENTS_HELP, epilog=cli_help.SEGMENTS)
@common_options
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@connection_options
@click.pass_context
def segments(ctx: click.Context, /, pattern: str | None, as_json: bool, **conn: Any) -> None:
    """List parent segments: id, name, RT 2.0 enabled."""
    import json

    from rtcfg import render
    from rtcfg.commands.segments import list_segments
    from rtcfg.commands.session import run_once

    found = run_once(connect(ctx, **conn), lambda api: list_segments(api, pattern))
    rows = [row.as_json() for row in found]
    render.echo(json.dumps(rows, indent=2) if as_json else render.segments_table(rows))


@click.command(help=cli_help.STATUS_HELP, epilog=cli_help.STATUS)
@common_options
@click.argument("ps_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--csm-request",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="When RT 2.0 is disabled, write the enablement request for your CSM to FILE.",
)
@click.option(
    "--use-case",
    metavar="TEXT",
    help="The real-time use case to describe in the enablement request.",
)
@connection_options
@click.pass_context
def status(
    ctx: click.Context,
    /,
    ps_id: str,
    as_json: bool,
    csm_request: str | None,
    use_case: str | None,
    **conn: Any,
) -> None:
    """Show a parent segment's RT 2.0 status and counts."""
    import json
    from dataclasses import replace

    from rtcfg import render
    from rtcfg.commands.output import write_output
    from rtcfg.commands.session import run_once
    from rtcfg.commands.status import segment_status

    ps_id = ps_id_argument(ps_id)
    if use_case and not csm_request:
        raise UsageError("--use-case goes into the enablement request: add --csm-request FILE")
    connection = connect(ctx, **conn)
    report = run_once(connection, lambda api: segment_status(api, ps_id))
    writes_request = bool(csm_request) and not report.rt_enabled
    if writes_request:  # the hint "--csm-request FILE writes the request" is being followed
        report = replace(report, message=str(report.message).split(" (--csm-request")[0])
    render.echo(json.dumps(report.as_json(), indent=2) if as_json else render.status_text(report))
    if csm_request and writes_request:
        where = _environment(connection)
        text = render.csm_request(report.as_json(), _site_in_use(connection), use_case, where)
        write_output(csm_request, text)
        render.echo(f"Wrote the RT 2.0 enablement request to {csm_request}", err=True)
    elif csm_request:
        render.echo("RT 2.0 is already enabled: no request written", err=True)


def _environment(connection: Connection) -> str:
    """What the CDP API in use is, for the CSM: TD's production API, the local emulator (a
    loopback address), or another endpoint (named)."""
    from urllib.parse import urlsplit

    from rtcfg.api.connection import is_loopback

    if is_loopback(connection.cdp_base):
        return f"local emulator ({connection.cdp_base}), not a TD environment"
    host = urlsplit(connection.cdp_base).hostname or ""
    if host.endswith((".treasuredata.com", ".treasuredata.co.jp")):
        return "production"
    return f"custom endpoint {connection.cdp_base}"


def _site_in_use(connection: Connection) -> str:
    """The site and the CDP API actually used, for the CSM (an --endpoint overrides the site)."""
    return f"{connection.site} (CDP API {connection.cdp_base})"


@click.command("import", help=cli_help.IMPORT_HELP, epilog=cli_help.IMPORT)
@common_options
@click.argument("ps_id")
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write to FILE (default rt_config_<PS_ID>.yaml; - prints it).",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@connection_options
@click.pass_context
def import_(
    ctx: click.Context, /, ps_id: str, output: str | None, force: bool, **conn: Any
) -> None:
    """Write the live configuration of a parent segment as YAML."""
    from rtcfg import render
    from rtcfg.commands.import_ import import_segment
    from rtcfg.commands.session import run_once
    from rtcfg.model.importer import default_output
    from rtcfg.safe_text import safe

    ps_id = ps_id_argument(ps_id)
    target = output or default_output(ps_id)
    result = run_once(connect(ctx, **conn), lambda api: import_segment(api, ps_id, target, force))
    for identifier, reason in result.skipped.items():
        render.echo(f"Warning: {safe(f'attribute.{identifier}')} not imported: {reason}", err=True)
    if target == "-":
        render.echo(result.text.rstrip("\n"))
        return
    loads_cleanly = _warn_unless_valid(target)
    if not is_quiet(ctx):
        doc = result.document
        promise = f" `rtcfg plan {target}` shows no changes."
        render.echo(
            f"Wrote {target}: {len(doc.get('events', []))} events, "
            f"{len(doc.get('attributes', []))} attributes."
            + ("" if result.skipped or not loads_cleanly else promise),
            err=True,
        )
        if result.schema_written:
            render.echo(
                f"Wrote {result.schema_written}, the schema its first line names.", err=True
            )


def _warn_unless_valid(target: str, shown: int = 3) -> bool:
    """Whether the file import wrote loads cleanly; if not, a warning naming what to fix (live
    names rtcfg refuses, say), since plan and apply will refuse the file until it is fixed."""
    from rtcfg import render
    from rtcfg.commands.import_ import imported_errors

    errors = imported_errors(target)
    if not errors:
        return True
    render.echo(
        f"Warning: {target} does not validate ({len(errors)} error(s)): live state holds what "
        "rtcfg refuses in a config; fix these (rename them live, or edit the file) before "
        f"`rtcfg plan {target}`:",
        err=True,
    )
    for problem in errors[:shown]:
        render.echo("  " + problem.format().replace("\n", "\n  "), err=True)
    if len(errors) > shown:
        render.echo(f"  and {len(errors) - shown} more (`rtcfg validate {target}`)", err=True)
    return False


COMMANDS = (validate, schema, segments, status, import_)
