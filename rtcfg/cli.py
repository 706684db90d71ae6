"""The command line: click parsing, output, and the mapping of errors to exit codes.

Options are defined once; every command calls one workflow function. Expected failures
(``RtcfgError``) become a one-line message and an exit code here, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from rtcfg import __version__
from rtcfg.errors import ConfigError, ExitCode, RtcfgError

F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="rtcfg")
@click.option("-v", "--verbose", is_flag=True, help="Log each HTTP request (never headers).")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool, no_color: bool) -> None:
    """Treasure Data RT 2.0 configuration as code: validate, plan, apply, import."""
    ctx.obj = {"verbose": verbose, "quiet": quiet, "no_color": no_color}


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check rt_config.yaml files offline; every problem, with file:line:column."""
    from rtcfg import render, workflow

    results = workflow.validate_files(files)
    if fmt == "json":
        render.echo(render.problems_json([p for r in results for p in r.problems]))
    else:
        color = render.use_color(sys.stdout, ctx.obj["no_color"])
        for result in results:
            render.echo(render.problems_text(result.file, result.problems, color=color))
    if any(r.failed(strict) for r in results):
        ctx.exit(ExitCode.ERROR)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of rt_config.yaml."""
    from rtcfg import render, workflow

    text = workflow.write_schema(output)
    if not output:
        render.echo(text.rstrip("\n"))


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
    from rtcfg.emulator import main as emulator_main

    sys.exit(emulator_main(list(args)))


def main() -> None:
    """Console entry point: run the CLI, turning expected errors into exit codes."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(ExitCode.REFUSED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        from rtcfg import render

        for problem in exc.problems:
            render.echo(problem.format(), err=True)
        sys.exit(exc.exit_code)
    except RtcfgError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)
