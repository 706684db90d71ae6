"""plan and apply: parse the command line, call ``rtcfg.commands.plan`` / ``.apply`` (imported
when the command runs), print the plan and the outcome, ask for the confirmation."""

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
    target_options,
)
from rtcfg.errors import ExitCode, RefusedError, RtcfgError

if TYPE_CHECKING:
    from rtcfg.commands.apply import ApplyRun
    from rtcfg.engine.plan import Plan


@click.command(help=cli_help.PLAN_HELP, epilog=cli_help.PLAN)
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
    from rtcfg.commands.desired import load_desired
    from rtcfg.commands.output import check_output_path, write_output
    from rtcfg.commands.plan import plan_files
    from rtcfg.commands.session import run_once

    try:
        if out:
            check_output_path(out)
        desired = load_desired(files)
        connection = connect(ctx, **conn)
        result = run_once(connection, lambda api: plan_files(api, desired, targets, excludes))
    except RtcfgError as exc:  # a pull request comment must say why there is no plan
        if fmt != "text":
            render.echo(render.plan_failure(exc, fmt).rstrip("\n"))
        raise
    _print_plan(ctx, result, fmt)
    if out:
        write_output(out, render.plan_json_text(result))
        render.echo(f"Saved the plan to {out}; `rtcfg apply {out}` applies exactly it.", err=True)
    if detailed_exitcode and not all(s.empty for s in result.segments):
        ctx.exit(ExitCode.CHANGES)


def _print_plan(ctx: click.Context, result: Plan, fmt: str, *, err: bool = False) -> None:
    from rtcfg import render

    if fmt == "json":
        render.echo(render.plan_json_text(result).rstrip("\n"), err=err)
    elif fmt == "markdown":
        render.echo(render.plan_markdown(result).rstrip("\n"), err=err)
    else:
        color = render.use_color(sys.stderr if err else sys.stdout, ctx.obj.get("no_color"))
        render.echo(render.plan_text(result, color).rstrip("\n"), err=err)


@click.command(help=cli_help.APPLY_HELP, epilog=cli_help.APPLY)
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
    from rtcfg.commands.apply import ApplyRequest, apply_files

    connection = connect(ctx, **conn)
    request = ApplyRequest(files, allow_destroy, parallelism, targets, excludes)
    run = apply_files(connection, request, _ApplyOnTerminal(ctx, fmt, auto_approve))
    _show_outcome(ctx, fmt, run)
    if not run.ok:
        ctx.exit(ExitCode.ERROR)


class _ApplyOnTerminal:
    """What apply shows and asks on the command line (``rtcfg.commands.apply.ApplyView``)."""

    def __init__(self, ctx: click.Context, fmt: str, auto_approve: bool) -> None:
        self.ctx, self.fmt, self.auto_approve = ctx, fmt, auto_approve

    def show_plan(self, plan: Plan) -> None:
        _print_plan(self.ctx, plan, "text", err=self.fmt == "json")

    def confirm(self) -> None:
        _confirm(self.auto_approve)

    def step(self, line: str) -> None:
        """Apply's step lines on stderr; nothing with -q."""
        from rtcfg import render

        if not is_quiet(self.ctx):
            render.echo(line, err=True)

    def wants_summaries(self, applied: bool) -> bool:
        # with nothing to apply, text mode prints nothing more; json prints the document
        return self.fmt == "json" or (applied and not is_quiet(self.ctx))


def _show_outcome(ctx: click.Context, fmt: str, run: ApplyRun) -> None:
    """The apply result, then the summary of each segment (text), or all of it as JSON."""
    import json

    from rtcfg import render
    from rtcfg.commands.apply import apply_document

    if run.summary_error is not None:
        render.echo(f"Warning: no summary: {run.summary_error}", err=True)
    if fmt == "json":
        render.echo(json.dumps(apply_document(run), indent=2, ensure_ascii=False))
        return
    if run.outcome is None:
        return  # nothing to apply: the plan said so
    render.echo(render.apply_report(run.plan, run.outcome))
    if run.summaries:
        text = render.render_template("summary.txt.j2", summaries=run.summaries)
        render.echo(text.rstrip("\n"))


def _confirm(auto_approve: bool) -> None:
    """Ask on a terminal; with no terminal and no -y, refuse (exit 3) rather than guess."""
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


COMMANDS = (plan, apply)
