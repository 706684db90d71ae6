"""The command line: click parsing, output, and the mapping of errors to exit codes.

Options are defined once; every command calls one workflow function. Expected failures
(``RtcfgError``) become a one-line message and an exit code here, never a traceback. The
words of the help (summaries, epilogs, Ctrl-C messages) are in ``rtcfg.cli.texts``.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import click

from rtcfg import __version__
from rtcfg.cli import texts as cli_help
from rtcfg.errors import ConfigError, ExitCode, RtcfgError, UsageError

_GC_DEFAULTS = gc.get_threshold()  # main() tunes the collector for short commands

F = TypeVar("F", bound=Callable[..., Any])


def _decorated(command: F, options: Sequence[Callable[[Any], Any]]) -> F:
    """Apply click option decorators in the order they are listed."""
    decorated: Any = command
    for option in reversed(options):
        decorated = option(decorated)
    return cast(F, decorated)


def _flag(name: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def remember(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        # one dict for the group and its command, made by whichever parses first
        flags = ctx.ensure_object(dict)
        flags[name] = bool(value) or flags.get(name, False)

    return remember


def common_options(command: F) -> F:
    """-v, -q and --no-color, defined once: the group takes them before the command name and
    every command after it (``rtcfg plan --no-color``, as Terraform users type them)."""
    options = [
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_flag("verbose"),
            help="Log each HTTP request: method, path, status, time (never headers).",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_flag("quiet"),
            help="Print only results and errors.",
        ),
        click.option(
            "--no-color",
            is_flag=True,
            expose_value=False,
            callback=_flag("no_color"),
            help="No colour (also when NO_COLOR is set).",
        ),
    ]
    return _decorated(command, options)


def connection_options(command: F) -> F:
    """--site, --endpoint, --td-endpoint and --profile: defined once, for every API command."""
    options = [
        click.option(
            "--site",
            metavar="SITE",
            help="TD site: us01 (default), jp01 (= ap01), eu01, ap02, ap03. [env: RTCFG_SITE]",
        ),
        click.option(
            "--endpoint",
            metavar="URL",
            help="CDP API base URL, e.g. the emulator's. [env: RTCFG_ENDPOINT]",
        ),
        click.option(
            "--td-endpoint", metavar="URL", help="TD API base URL. [env: RTCFG_TD_ENDPOINT]"
        ),
        click.option(
            "--profile",
            metavar="NAME",
            help="Read the key from TDX_API_KEY_<NAME>. [env: TDX_PROFILE]",
        ),
    ]
    return _decorated(command, options)


def _connect(
    ctx: click.Context,
    site: str | None,
    endpoint: str | None,
    td_endpoint: str | None,
    profile: str | None,
) -> Any:
    """Resolve the connection, print its notices (never the key), set up -v logging."""
    import os

    from rtcfg.api.connection import resolve_connection
    from rtcfg.render import echo
    from rtcfg.safe_text import register_secret

    connection = resolve_connection(site, endpoint, td_endpoint, profile, os.environ)
    register_secret(connection.api_key)
    for notice in connection.notices:
        echo(f"Warning: {notice}", err=True)
    if ctx.obj.get("verbose"):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_SafeFormatter("%(message)s"))
        http_log = logging.getLogger("rtcfg.http")
        http_log.addHandler(handler)
        http_log.setLevel(logging.INFO)
    return connection


class _SafeFormatter(logging.Formatter):
    """Log lines pass the same filter as output: the key redacted, unsafe text escaped."""

    def format(self, record: logging.LogRecord) -> str:
        from rtcfg.render import printable

        return printable(super().format(record), getattr(sys.stderr, "encoding", None))


def _ps_id(value: str) -> str:
    """A PS_ID argument: ASCII decimal digits, checked before any request is sent."""
    from rtcfg.checks.text import id_problem

    problem = id_problem(value)
    if problem is not None:
        raise UsageError(f"PS_ID: {problem}")
    return value.strip()


def _run(coroutine: Any) -> Any:
    import asyncio

    from rtcfg.api.client import quiet_cancelled_reads
    from rtcfg.commands.workflow import guard_answers

    async def guarded() -> Any:
        quiet_cancelled_reads(asyncio.get_running_loop())
        return await guard_answers(coroutine)

    return asyncio.run(guarded())


class _Commands(click.Group):
    """The command group; the one place where expected errors become messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        import os

        from rtcfg.safe_text import register_secrets_from_env

        register_secrets_from_env(os.environ)  # redacted from every output, whatever the command
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # each command says what an interruption left behind
            message = cli_help.INTERRUPTED.get(ctx.invoked_subcommand or "")
            click.echo(message or cli_help.INTERRUPTED_DEFAULT, err=True)
            ctx.exit(ExitCode.ERROR)
        except ConfigError as exc:
            _report([problem.format() for problem in exc.problems])
            ctx.exit(exc.exit_code)
        except RtcfgError as exc:
            _report([f"Error: {exc}"])
            ctx.exit(exc.exit_code)


def _report(lines: list[str]) -> None:
    """Print an error; when even standard error cannot be written, the exit code says it."""
    import contextlib

    from rtcfg.errors import OutputError
    from rtcfg.render import echo

    with contextlib.suppress(OutputError, BrokenPipeError):
        for line in lines:
            echo(line, err=True)


_HELP_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(
    cls=_Commands, context_settings=_HELP_SETTINGS, help=cli_help.GROUP_HELP, epilog=cli_help.GROUP
)
@click.version_option(__version__, "--version", prog_name="rtcfg")
@common_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Treasure Data RT 2.0 configuration as code: validate, plan, apply, import."""
    ctx.ensure_object(dict)


@cli.command(help=cli_help.VALIDATE_HELP, epilog=cli_help.VALIDATE)
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
    from rtcfg.commands import workflow

    results = workflow.validate_files(files)
    if online and not any(r.failed(strict=False) for r in results):
        _run(workflow.validate_online(_connect(ctx, **conn), results))
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


@cli.command(help=cli_help.SCHEMA_HELP, epilog=cli_help.SCHEMA)
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
    from rtcfg.commands import workflow

    text = workflow.write_schema(output)
    if not output:
        render.echo(text.rstrip("\n"))


@cli.command(help=cli_help.SEGMENTS_HELP, epilog=cli_help.SEGMENTS)
@common_options
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@connection_options
@click.pass_context
def segments(ctx: click.Context, /, pattern: str | None, as_json: bool, **conn: Any) -> None:
    """List parent segments: id, name, RT 2.0 enabled."""
    import json

    from rtcfg import render
    from rtcfg.commands import workflow

    rows = _run(workflow.list_segments(_connect(ctx, **conn), pattern))
    render.echo(json.dumps(rows, indent=2) if as_json else render.segments_table(rows))


@cli.command(help=cli_help.STATUS_HELP, epilog=cli_help.STATUS)
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

    from rtcfg import render
    from rtcfg.commands import workflow

    ps_id = _ps_id(ps_id)
    if use_case and not csm_request:
        raise UsageError("--use-case goes into the enablement request: add --csm-request FILE")
    connection = _connect(ctx, **conn)
    report = _run(workflow.segment_status(connection, ps_id))
    writes_request = bool(csm_request) and not report["rt_enabled"]
    if writes_request:  # the hint "--csm-request FILE writes the request" is being followed
        report["message"] = str(report["message"]).split(" (--csm-request")[0]
    render.echo(json.dumps(report, indent=2) if as_json else render.status_text(report))
    if csm_request and writes_request:
        where = _environment(connection)
        text = render.csm_request(report, _site_in_use(connection), use_case, where)
        workflow.write_output(csm_request, text)
        render.echo(f"Wrote the RT 2.0 enablement request to {csm_request}", err=True)
    elif csm_request:
        render.echo("RT 2.0 is already enabled: no request written", err=True)


def _environment(connection: Any) -> str:
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


def _site_in_use(connection: Any) -> str:
    """The site and the CDP API actually used, for the CSM (an --endpoint overrides the site)."""
    return f"{connection.site} (CDP API {connection.cdp_base})"


def target_options(command: F) -> F:
    """--target and --exclude: address globs, defined once for plan and apply."""
    options = [
        click.option(
            "--target",
            "targets",
            multiple=True,
            metavar="ADDR",
            help="Plan only ADDR (a glob; repeatable); what it needs comes along.",
        ),
        click.option(
            "--exclude",
            "excludes",
            multiple=True,
            metavar="ADDR",
            help="Leave ADDR out (a glob; repeatable), and what needs it.",
        ),
    ]
    return _decorated(command, options)


@cli.command(help=cli_help.PLAN_HELP, epilog=cli_help.PLAN)
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    metavar="PLAN",
    help="Save the plan to PLAN (JSON, no key inside) for `rtcfg apply PLAN`.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for people, markdown for a pull request comment, json for tools.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none."
)
@target_options
@connection_options
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    files: tuple[str, ...],
    out: str | None,
    fmt: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    **conn: Any,
) -> None:
    """Show what apply would change, Terraform style."""
    from rtcfg import render
    from rtcfg.commands import workflow

    try:
        if out:
            workflow.check_output_path(out)
        desired = workflow.load_desired(files)
        with workflow.ApiSession(_connect(ctx, **conn)) as session:
            result = session.run(lambda api: workflow.plan_files(api, desired, targets, excludes))
    except RtcfgError as exc:  # a pull request comment must say why there is no plan
        if fmt != "text":
            render.echo(render.plan_failure(exc, fmt).rstrip("\n"))
        raise
    _print_plan(ctx, result, fmt)
    if out:
        workflow.write_output(out, render.plan_json_text(result))
        render.echo(f"Saved the plan to {out}; `rtcfg apply {out}` applies exactly it.", err=True)
    if detailed_exitcode and not all(s.empty for s in result.segments):
        ctx.exit(ExitCode.CHANGES)


def _print_plan(ctx: click.Context, result: Any, fmt: str, *, err: bool = False) -> None:
    from rtcfg import render

    if fmt == "json":
        render.echo(render.plan_json_text(result).rstrip("\n"), err=err)
    elif fmt == "markdown":
        render.echo(render.plan_markdown(result).rstrip("\n"), err=err)
    else:
        color = render.use_color(sys.stderr if err else sys.stdout, ctx.obj.get("no_color"))
        render.echo(render.plan_text(result, color).rstrip("\n"), err=err)


@cli.command(help=cli_help.APPLY_HELP, epilog=cli_help.APPLY)
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-y", "--yes", "--auto-approve", "auto_approve", is_flag=True, help="Apply without asking."
)
@click.option(
    "--allow-destroy", is_flag=True, help="Allow replace and delete (refused otherwise, exit 3)."
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="How many independent steps run at once.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the result and each segment's summary as fields (the plan text goes to stderr).",
)
@target_options
@connection_options
@click.pass_context
def apply(
    ctx: click.Context,
    /,
    files: tuple[str, ...],
    auto_approve: bool,
    allow_destroy: bool,
    parallelism: int,
    fmt: str,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    **conn: Any,
) -> None:
    """Make live state match the files, or apply a saved plan; then show the summary."""
    from rtcfg.commands import workflow
    from rtcfg.engine.apply import ApplyOptions

    connection = _connect(ctx, **conn)
    if workflow.is_saved_plan(files) and (targets or excludes):
        raise UsageError("a saved plan is applied as it is: --target/--exclude go to `rtcfg plan`")
    saved = workflow.read_saved_plan(files[0]) if workflow.is_saved_plan(files) else None
    desired = workflow.desired_for_saved_plan(saved) if saved else workflow.load_desired(files)
    # one loop and one client from the plan's reads to the check after the writes
    with workflow.ApiSession(connection) as session:
        live_settings = None
        if saved is not None:
            result = saved
            live_settings = session.run(lambda api: workflow.refuse_if_stale(api, saved))
        else:
            result = session.run(lambda api: workflow.plan_files(api, desired, targets, excludes))
        _print_plan(ctx, result, "text", err=fmt == "json")
        if all(s.empty and not s.steps for s in result.segments):
            if fmt == "json":
                _show_outcome(ctx, fmt, session, result, desired, None)
            return
        workflow.refuse_destructive(result, allow_destroy, live_settings)
        _confirm(auto_approve)
        options, progress = ApplyOptions(parallelism=parallelism), _step_progress(ctx)
        # no deadline for the writes: each request has its retries, the setting wait its limit
        outcome = session.run(
            lambda api: workflow.apply_planned(api, result, desired, options, progress),
            deadline=None,
        )
        _show_outcome(ctx, fmt, session, result, desired, outcome)
    if not outcome.ok:
        ctx.exit(ExitCode.ERROR)


def _step_progress(ctx: click.Context) -> Callable[[str], None]:
    """Apply's step lines on stderr; nothing with -q."""
    from rtcfg import render

    if ctx.obj.get("quiet"):
        return lambda _: None
    return lambda line: render.echo(line, err=True)


def _show_outcome(
    ctx: click.Context, fmt: str, session: Any, plan: Any, desired: Any, outcome: Any
) -> None:
    """The apply result, then the summary of each segment (text), or all of it as JSON."""
    import json

    from rtcfg import render
    from rtcfg.setup import guided

    ok = outcome is None or outcome.ok
    summaries: list[Any] = []
    if ok and (fmt == "json" or not ctx.obj.get("quiet")):
        try:
            targets = guided.summary_targets(plan, desired)
            summaries = session.run(
                lambda api: guided.summaries(api, targets, session.connection.site)
            )
        except RtcfgError as exc:  # the apply is done and checked: only the summary is missing
            render.echo(f"Warning: no summary: {exc}", err=True)
    if fmt == "json":
        document = guided.apply_document(plan, outcome, summaries)
        render.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    render.echo(render.apply_report(plan, outcome))
    if summaries:
        text = render.render_template("summary.txt.j2", summaries=summaries)
        render.echo(text.rstrip("\n"))


def _confirm(auto_approve: bool) -> None:
    """Ask on a terminal; with no terminal and no -y, refuse (exit 3) rather than guess."""
    from rtcfg.errors import RefusedError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise RefusedError("no terminal to confirm on: pass -y/--yes to apply")
    try:
        answer = click.prompt(
            "Do you want to perform these actions? Only 'yes' will be accepted", default=""
        )
    except click.exceptions.Abort:  # Ctrl-C or end of input at the question: declined
        raise RefusedError("Apply cancelled.") from None
    if answer.strip() != "yes":
        raise RefusedError("Apply cancelled.")


@cli.command("import", help=cli_help.IMPORT_HELP, epilog=cli_help.IMPORT)
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
    from rtcfg.commands import workflow
    from rtcfg.model.importer import default_output
    from rtcfg.safe_text import safe

    ps_id = _ps_id(ps_id)
    target = output or default_output(ps_id)
    result = _run(workflow.import_segment(_connect(ctx, **conn), ps_id, target, force))
    for identifier, reason in result.skipped.items():
        render.echo(f"Warning: {safe(f'attribute.{identifier}')} not imported: {reason}", err=True)
    if target == "-":
        render.echo(result.text.rstrip("\n"))
        return
    loads_cleanly = _warn_unless_valid(target)
    if not ctx.obj.get("quiet"):
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
    from rtcfg.config.models import load_config

    _, _, problems = load_config(target)
    errors = [p for p in problems if p.severity == "error"]
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


# --- guided setup: discover, init, report -------------------------------------------------------


def _progress(ctx: click.Context) -> Callable[[int, int, int], None] | None:
    """A progress line on stderr while table lists are read (one line at the end off a tty)."""
    if ctx.obj.get("quiet"):
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


@cli.command(help=cli_help.DISCOVER_HELP, epilog=cli_help.DISCOVER)
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
    from rtcfg.commands import workflow
    from rtcfg.setup import guided
    from rtcfg.setup.discover import discovery_json

    ps_id = _ps_id(ps_id)
    with workflow.ApiSession(_connect(ctx, **conn)) as session:
        found = session.run(
            lambda api: guided.discover_segment(api, ps_id, databases, _progress(ctx))
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


@cli.command(help=cli_help.INIT_HELP, epilog=cli_help.INIT)
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
    from rtcfg.commands import workflow
    from rtcfg.model.importer import check_writable, default_output
    from rtcfg.setup import guided
    from rtcfg.setup.init_names import usable
    from rtcfg.setup.recommend import Choices

    ps_id = _ps_id(ps_id)
    target = output or default_output(ps_id)
    check_writable(target, force)
    if target != "-":
        workflow.check_output_path(target)
    only = (database,) if database else ()
    with workflow.ApiSession(_connect(ctx, **conn)) as session:
        found = session.run(lambda api: guided.discover_segment(api, ps_id, only, _progress(ctx)))
    guided.refuse_if_configured(found)
    for notice in found.notices:
        render.echo(f"Warning: {notice}", err=True)
    discovery, refused = usable(found.discovery)
    for name in refused:
        render.echo(f"Warning: {name} left out: rtcfg refuses its characters", err=True)
    flags = Choices(database=database, tables=_split(tables))
    rec, text = _recommendation(discovery, refused, ps_id, use_case, flags, yes)
    for warning in rec.warnings:
        render.echo(f"Warning: {warning}", err=True)
    if target == "-":
        render.echo(text.rstrip("\n"))
        return
    workflow.write_output(target, text)
    from rtcfg.commands.schema import write_schema_beside

    schema = write_schema_beside(target)  # the file's first line points there, as import's does
    if not ctx.obj.get("quiet"):
        render.echo(_written(target, rec), err=True)
        if schema:
            render.echo(f"Wrote {schema}, the schema its first line names.", err=True)


def _recommendation(
    discovery: Any, refused: list[str], ps_id: str, use_case: str, flags: Any, yes: bool
) -> tuple[Any, str]:
    """The recommendation (after the questions, unless -y) and the file's text."""
    from rtcfg.setup.init_config import command_line, render_config
    from rtcfg.setup.recommend import Choices, recommend

    choices = flags if yes else _ask(discovery, use_case, flags)
    rec = recommend(discovery, use_case, choices)
    made_by = Choices(database=rec.database, tables=choices.tables)  # answers included
    return rec, render_config(rec, command_line(ps_id, use_case, made_by), refused)


def _written(target: str, rec: Any) -> str:
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


def _ask(discovery: Any, use_case: str, flags: Any) -> Any:
    from rtcfg.setup import prompts
    from rtcfg.setup.init_config import ask_choices

    if not prompts.is_interactive():
        return flags
    return ask_choices(discovery, use_case, flags, prompts.TerminalAsker())


@cli.command(help=cli_help.REPORT_HELP, epilog=cli_help.REPORT)
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
    from rtcfg.commands import workflow
    from rtcfg.setup import guided
    from rtcfg.setup.report import mermaid

    target = _report_target(target)
    if output != "-":
        workflow.check_output_path(output)
    connection = _connect(ctx, **conn)
    with workflow.ApiSession(connection) as session:
        summary = session.run(lambda api: guided.report_target(api, target, connection.site))
    name = output if output != "-" else "RT_CONFIG_SUMMARY.md"
    graph = render.Trusted(mermaid(summary))  # its labels are escaped
    text = render.render_template("report.md.j2", s=summary, graph=graph, output=name)
    if output == "-":
        render.echo(text.rstrip("\n"))
        return
    workflow.write_output(output, text)
    if not ctx.obj.get("quiet"):
        render.echo(f"Wrote {output}. View in TD Console: {summary.console_url}", err=True)


def _report_target(target: str) -> str:
    """A config file as it is; anything else must be a PS_ID (checked as status checks it)."""
    from pathlib import Path

    if Path(target).is_file() or target.endswith((".yaml", ".yml")) or "/" in target:
        return target
    return _ps_id(target)


@cli.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    }
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Serve a local emulator of TD's API on 127.0.0.1."""
    import gc

    from rtcfg.emulator.cli import main as emulator_main

    gc.set_threshold(*_GC_DEFAULTS)  # a server runs for hours: the short-command tuning is wrong

    sys.exit(emulator_main(list(args), prog="rtcfg emulator"))


def main() -> None:
    """Console entry point: run the CLI, turning expected errors into exit codes.

    A command is a short-lived process that allocates a lot while importing pydantic and
    httpx and while diffing, and frees little. With the default thresholds the cyclic garbage
    collector walks those long-lived objects again and again (about 50 ms of a ``plan``), and
    at exit it walks them all once more (0.1-0.25 s after an ``apply``). So collections run
    less often, and everything is frozen (left to reference counting) before the interpreter
    shuts down. The library's own callers keep Python's defaults, and so does the emulator.
    """
    gc.set_threshold(100_000, 50, 100)
    try:
        _run_cli()
    except BrokenPipeError:  # `rtcfg plan | head`: the reader is gone, nothing more to say
        _drop_stdout()
        sys.exit(ExitCode.ERROR)
    finally:
        gc.freeze()


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises nothing more."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _run_cli() -> None:
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:  # Ctrl-C outside a command: an error, not a refusal (3)
        click.echo(cli_help.INTERRUPTED_DEFAULT, err=True)
        sys.exit(ExitCode.ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    try:
        sys.stdout.flush()  # a full disk or a closed pipe is found here, not at exit
    except BrokenPipeError:
        raise
    except (OSError, ValueError, AttributeError):
        sys.exit(ExitCode.ERROR)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)
