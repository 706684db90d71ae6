"""The command line: click parsing, output, and the mapping of errors to exit codes.

Options are defined once; every command calls one workflow function. Expected failures
(``RtcfgError``) become a one-line message and an exit code here, never a traceback.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import click

from rtcfg import __version__
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
            help="Log each HTTP request (never headers).",
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
        click.option("--site", help="us01 (default), jp01/ap01, eu01, ap02, ap03 [RTCFG_SITE]"),
        click.option("--endpoint", help="CDP API base URL, e.g. the emulator [RTCFG_ENDPOINT]"),
        click.option("--td-endpoint", help="TD API base URL [RTCFG_TD_ENDPOINT]"),
        click.option("--profile", help="read the key from TDX_API_KEY_<PROFILE> [TDX_PROFILE]"),
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

    from rtcfg.connection import resolve_connection
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
    from rtcfg.text_checks import id_problem

    problem = id_problem(value)
    if problem is not None:
        raise UsageError(f"PS_ID: {problem}")
    return value.strip()


def _run(coroutine: Any) -> Any:
    import asyncio

    from rtcfg.client import quiet_cancelled_reads
    from rtcfg.workflow import guard_answers

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


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="rtcfg")
@common_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Treasure Data RT 2.0 configuration as code: validate, plan, apply, import."""
    ctx.ensure_object(dict)


@cli.command()
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--online", is_flag=True, help="Also check against the API (tables, columns, …).")
@connection_options
@click.pass_context
def validate(
    ctx: click.Context, /, files: tuple[str, ...], strict: bool, fmt: str, online: bool, **conn: Any
) -> None:
    """Check rt_config.yaml files; every problem, with file:line:column. Offline unless
    --online (GETs only)."""
    from rtcfg import render, workflow

    results = workflow.validate_files(files)
    if online and not any(r.failed(strict=False) for r in results):
        _run(workflow.validate_online(_connect(ctx, **conn), results))
    if fmt == "json":
        render.echo(render.problems_json([p for r in results for p in r.problems]))
    else:
        color = render.use_color(sys.stdout, ctx.obj.get("no_color"))
        for result in results:
            render.echo(render.problems_text(result.file, result.problems, color=color))
    if any(r.failed(strict) for r in results):
        ctx.exit(ExitCode.ERROR)


@cli.command()
@common_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of rt_config.yaml."""
    from rtcfg import render, workflow

    text = workflow.write_schema(output)
    if not output:
        render.echo(text.rstrip("\n"))


@cli.command()
@common_options
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@connection_options
@click.pass_context
def segments(ctx: click.Context, /, pattern: str | None, as_json: bool, **conn: Any) -> None:
    """List parent segments (id, name, RT 2.0 enabled); PATTERN filters by name or id."""
    import json

    from rtcfg import render, workflow

    rows = _run(workflow.list_segments(_connect(ctx, **conn), pattern))
    render.echo(json.dumps(rows, indent=2) if as_json else render.segments_table(rows))


@cli.command()
@common_options
@click.argument("ps_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--csm-request",
    type=click.Path(dir_okay=False),
    help="When RT 2.0 is disabled, write the enablement request to this file.",
)
@connection_options
@click.pass_context
def status(
    ctx: click.Context, /, ps_id: str, as_json: bool, csm_request: str | None, **conn: Any
) -> None:
    """RT 2.0 enabled? config exists? setting status and counts of one parent segment."""
    import json

    from rtcfg import render, workflow

    ps_id = _ps_id(ps_id)
    connection = _connect(ctx, **conn)
    report = _run(workflow.segment_status(connection, ps_id))
    render.echo(json.dumps(report, indent=2) if as_json else render.status_text(report))
    if csm_request and not report["rt_enabled"]:
        workflow.write_output(csm_request, render.csm_request(report, connection.site))
        render.echo(f"Wrote the RT 2.0 enablement request to {csm_request}", err=True)
    elif csm_request:
        render.echo("RT 2.0 is already enabled: no request written", err=True)


def target_options(command: F) -> F:
    """--target and --exclude: address globs, defined once for plan and apply."""
    options = [
        click.option(
            "--target",
            "targets",
            multiple=True,
            metavar="ADDR",
            help="Only these addresses (globs; what they depend on comes along).",
        ),
        click.option(
            "--exclude",
            "excludes",
            multiple=True,
            metavar="ADDR",
            help="Leave these addresses out (globs; what depends on them is left out too).",
        ),
    ]
    return _decorated(command, options)


@cli.command()
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), help="Save the plan (JSON).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
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
    """Show what apply would change (reads live state; sends GETs only)."""

    from rtcfg import render, workflow

    if out:
        workflow.check_output_path(out)
    desired = workflow.load_desired(files)
    with workflow.ApiSession(_connect(ctx, **conn)) as session:
        result = session.run(lambda api: workflow.plan_files(api, desired, targets, excludes))
    _print_plan(ctx, result, fmt)
    if out:
        workflow.write_output(out, render.plan_json_text(result))
        render.echo(f"Saved the plan to {out}; `rtcfg apply {out}` applies exactly it.", err=True)
    if detailed_exitcode and not all(s.empty for s in result.segments):
        ctx.exit(ExitCode.CHANGES)


def _print_plan(ctx: click.Context, result: Any, fmt: str) -> None:
    from rtcfg import render

    if fmt == "json":
        render.echo(render.plan_json_text(result).rstrip("\n"))
    elif fmt == "markdown":
        render.echo(render.plan_markdown(result).rstrip("\n"))
    else:
        color = render.use_color(sys.stdout, ctx.obj.get("no_color"))
        render.echo(render.plan_text(result, color).rstrip("\n"))


@cli.command()
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-y", "--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--allow-destroy", is_flag=True, help="Allow replace and delete.")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Steps of one stage run at once.",
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
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    **conn: Any,
) -> None:
    """Apply rt_config.yaml files, or exactly a plan saved by `rtcfg plan -o`."""
    from rtcfg import render, workflow
    from rtcfg.apply import ApplyOptions

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
        _print_plan(ctx, result, "text")
        if all(s.empty and not s.steps for s in result.segments):
            return
        workflow.refuse_destructive(result, allow_destroy, live_settings)
        _confirm(auto_approve)
        progress = (
            (lambda _: None) if ctx.obj.get("quiet") else (lambda line: render.echo(line, err=True))
        )
        options = ApplyOptions(parallelism=parallelism)
        # no deadline for the writes: each request has its retries, the setting wait its limit
        outcome = session.run(
            lambda api: workflow.apply_planned(api, result, desired, options, progress),
            deadline=None,
        )
    render.echo(render.apply_report(result, outcome))
    if not outcome.ok:
        ctx.exit(ExitCode.ERROR)


def _confirm(auto_approve: bool) -> None:
    """Ask on a terminal; with no terminal and no -y, refuse (exit 3) rather than guess."""
    from rtcfg.errors import RefusedError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise RefusedError("no terminal to confirm on: pass -y/--auto-approve to apply")
    try:
        answer = click.prompt(
            "Do you want to perform these actions? Only 'yes' will be accepted", default=""
        )
    except click.exceptions.Abort:  # Ctrl-C or end of input at the question: declined
        raise RefusedError("Apply cancelled.") from None
    if answer.strip() != "yes":
        raise RefusedError("Apply cancelled.")


@cli.command("import")
@common_options
@click.argument("ps_id")
@click.option("-o", "--output", help="File to write (default rt_config_<PS_ID>.yaml; - = stdout).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@connection_options
@click.pass_context
def import_(
    ctx: click.Context, /, ps_id: str, output: str | None, force: bool, **conn: Any
) -> None:
    """Write the live RT 2.0 configuration of a parent segment as rt_config.yaml."""
    from rtcfg import render, workflow
    from rtcfg.importer import default_output
    from rtcfg.safe_text import safe

    ps_id = _ps_id(ps_id)
    target = output or default_output(ps_id)
    result = _run(workflow.import_segment(_connect(ctx, **conn), ps_id, target, force))
    for identifier, reason in result.skipped.items():
        render.echo(f"Warning: {safe(f'attribute.{identifier}')} not imported: {reason}", err=True)
    if target == "-":
        render.echo(result.text.rstrip("\n"))
    elif not ctx.obj.get("quiet"):
        doc = result.document
        render.echo(
            f"Wrote {target}: {len(doc.get('events', []))} events, "
            f"{len(doc.get('attributes', []))} attributes."
            + ("" if result.skipped else f" `rtcfg plan {target}` shows no changes."),
            err=True,
        )


@cli.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    }
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> None:
    """Run the local API emulator (see `rtcfg emulator --help`)."""
    import gc

    from rtcfg.emulator import main as emulator_main

    gc.set_threshold(*_GC_DEFAULTS)  # a server runs for hours: the short-command tuning is wrong

    sys.exit(emulator_main(list(args)))


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
    except click.exceptions.Abort:  # Ctrl-C: an error, not a refusal (exit 3 means refused)
        click.echo("Interrupted. Run the command again; apply finishes what is left.", err=True)
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
