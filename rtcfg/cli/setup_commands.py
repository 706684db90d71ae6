"""Guided setup: discover, init and report. Parse the command line, call the command
(``rtcfg.commands.discover`` / ``.init`` / ``.report``, imported when it runs), ask init's
questions on a terminal, print."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
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
from rtcfg.errors import UsageError

if TYPE_CHECKING:
    from rtcfg.setup.discover import Discovery
    from rtcfg.setup.recommendation import Choices, Recommendation


def _progress(ctx: click.Context) -> Callable[[int, int, int], None] | None:
    """A progress line on stderr while table lists are read (one line at the end off a tty)."""
    if is_quiet(ctx):
        return None
    tty = sys.stderr.isatty()

    def show(done: int, total: int, tables: int) -> None:
        databases = f"{total} database{'' if total == 1 else 's'}"
        if tty and done < total:
            click.echo(f"\rReading: {tables} tables in {done}/{databases}", err=True, nl=False)
        elif done == total:
            line = f"Read {tables} table{'' if tables == 1 else 's'} in {databases}."
            click.echo("\r" + line.ljust(60) if tty else line, err=True)  # over the last

    return show


@click.command(help=cli_help.DISCOVER_HELP, epilog=cli_help.DISCOVER)
@common_options
@click.argument("ps_id")
@click.option(
    "--database",
    "databases",
    multiple=True,
    metavar="DB",
    help="Read only this database (repeatable). Default: every database except parent "
    "segment outputs (cdp_audience_*).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@connection_options
@click.pass_context
def discover(
    ctx: click.Context, /, ps_id: str, databases: tuple[str, ...], as_json: bool, **conn: Any
) -> None:
    """Find what RT 2.0 can use: event tables (rows, last update, columns), ID-stitching
    candidates with the tables they appear in, and the parent segment's batch attributes.
    Sends GETs only; one table list per database, read concurrently."""
    import json

    from rtcfg import render
    from rtcfg.commands.discover import discover_segment
    from rtcfg.commands.session import run_once
    from rtcfg.setup.discover import discovery_json

    ps_id = ps_id_argument(ps_id)
    progress = _progress(ctx)
    found = run_once(
        connect(ctx, **conn), lambda api: discover_segment(api, ps_id, databases, progress)
    )
    for notice in found.notices:
        render.echo(f"Warning: {notice}", err=True)
    if as_json:
        data = {**discovery_json(found.discovery), "rt_configured": found.configured is not None}
        render.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    configured = (
        f"exists (`rtcfg import {ps_id}` writes it to a file)"
        if found.configured is not None
        else f"none yet (`rtcfg init {ps_id}` writes a first one)"
    )
    text = render.render_template("discover.txt.j2", d=found.discovery, configured=configured)
    render.echo(text.rstrip("\n"))


@click.command(help=cli_help.INIT_HELP, epilog=cli_help.INIT)
@common_options
@click.argument("ps_id")
@click.option(
    "--use-case",
    required=True,
    type=click.Choice(["recommendations", "cart", "triggers", "both"]),
    help="What RT 2.0 is for: product recommendations, cart abandonment, event triggers, or "
    "both triggers and personalization.",
)
@click.option("--database", metavar="DB", help="The database of the event tables.")
@click.option("--tables", metavar="T,...", help="Event tables to use (table or db.table).")
@click.option("-o", "--output", help="File to write (default rt_config_<PS_ID>.yaml; - = stdout).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("-y", "--yes", is_flag=True, help="Ask nothing: take the recommendations.")
@connection_options
@click.pass_context
def init(
    ctx: click.Context,
    /,
    ps_id: str,
    use_case: str,
    database: str | None,
    tables: str | None,
    output: str | None,
    force: bool,
    yes: bool,
    **conn: Any,
) -> None:
    """Write a first rt_config.yaml from discovery and the guide's recommendations for the
    use case, using only tables and columns that exist, with a comment on each choice. On a
    terminal it asks which tables, stitching keys, primary key and attributes to use; with
    -y, or without a terminal, it takes the recommendations and the flags."""
    from rtcfg import render
    from rtcfg.commands.init import init_config, init_inputs, init_target, write_init
    from rtcfg.commands.session import run_once
    from rtcfg.setup.recommendation import Choices

    ps_id = ps_id_argument(ps_id)
    target = init_target(ps_id, output, force)
    only, progress = ((database,) if database else ()), _progress(ctx)
    found = run_once(connect(ctx, **conn), lambda api: init_inputs(api, ps_id, only, progress))
    for notice in found.notices:
        render.echo(f"Warning: {notice}", err=True)
    for name in found.refused:
        render.echo(f"Warning: {name} left out: rtcfg refuses its characters", err=True)
    flags = Choices(database=database, tables=_split(tables))
    choices = flags if yes else _ask(found.discovery, use_case, flags)
    rec, text = init_config(found.discovery, found.refused, ps_id, use_case, choices)
    for warning in rec.warnings:
        render.echo(f"Warning: {warning}", err=True)
    if target == "-":
        render.echo(text.rstrip("\n"))
        return
    schema = write_init(target, text)
    if not is_quiet(ctx):
        render.echo(_written(target, rec), err=True)
        if schema:
            render.echo(f"Wrote {schema}, the schema its first line names.", err=True)


def _written(target: str, rec: Recommendation) -> str:
    def count(items: Sequence[Any], noun: str) -> str:
        return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"

    left = f"; {len(rec.left_out)} recommendation(s) left out, see the comments"
    return (
        f"Wrote {target}: {count(rec.events, 'event')}, {len(rec.attributes)} real-time "
        f"and {len(rec.batch)} batch attributes, {count(rec.keys, 'stitching key')}"
        f"{left if rec.left_out else ''}.\n"
        f"Next: rtcfg validate --online {target} && rtcfg plan {target}"
    )


def _split(tables: str | None) -> tuple[str, ...] | None:
    if tables is None:
        return None
    names = tuple(t.strip() for t in tables.split(",") if t.strip())
    if not names:
        raise UsageError("--tables needs at least one table name")
    return names


def _ask(discovery: Discovery, use_case: str, flags: Choices) -> Choices:
    from rtcfg.setup import prompts
    from rtcfg.setup.init_config import ask_choices

    if not prompts.is_interactive():
        return flags
    return ask_choices(discovery, use_case, flags, prompts.TerminalAsker())


@click.command(help=cli_help.REPORT_HELP, epilog=cli_help.REPORT)
@common_options
@click.argument("target", metavar="FILE|PS_ID")
@click.option(
    "-o",
    "--output",
    default="RT_CONFIG_SUMMARY.md",
    show_default=True,
    help="Markdown file to write (replaced if it exists); - prints it.",
)
@connection_options
@click.pass_context
def report(ctx: click.Context, /, target: str, output: str, **conn: Any) -> None:
    """Write the RT 2.0 configuration summary (the guide's 8.3) from live state: event tables
    and filters, attributes by type, batch attributes, ID stitching, the console URL, next
    steps, and a Mermaid graph of event tables → key events → attributes. Given a config file,
    it adds the primary key and the use case and says whether the file matches live state."""
    from rtcfg import render
    from rtcfg.commands.output import check_output_path, write_output
    from rtcfg.commands.report import report_target
    from rtcfg.commands.session import run_once
    from rtcfg.setup.report import mermaid

    target = _report_target(target)
    if output != "-":
        check_output_path(output)
    connection = connect(ctx, **conn)
    summary = run_once(connection, lambda api: report_target(api, target, connection.site))
    name = output if output != "-" else "RT_CONFIG_SUMMARY.md"
    graph = render.Trusted(mermaid(summary))  # its labels are escaped
    text = render.render_template("report.md.j2", s=summary, graph=graph, output=name)
    if output == "-":
        render.echo(text.rstrip("\n"))
        return
    write_output(output, text)
    if not is_quiet(ctx):
        render.echo(f"Wrote {output}. View in TD Console: {summary.console_url}", err=True)


def _report_target(target: str) -> str:
    """A config file as it is; anything else must be a PS_ID (checked as status checks it)."""
    from pathlib import Path

    if Path(target).is_file() or target.endswith((".yaml", ".yml")) or "/" in target:
        return target
    return ps_id_argument(target)


COMMANDS = (discover, init, report)
