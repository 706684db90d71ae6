"""The command line: click parsing, output, and the mapping of errors to exit codes.

Options are defined once (``rtcfg.cli.options``); each command module (``core_commands``,
``plan_commands``, ``setup_commands``) parses its arguments and calls one function of
``rtcfg.commands``, imported when the command runs so that ``rtcfg --help`` stays fast.
Expected failures (``RtcfgError``) become a one-line message and an exit code here, never a
traceback. The words of the help (summaries, epilogs, Ctrl-C messages) are in
``rtcfg.cli.texts``.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from rtcfg import __version__
from rtcfg.cli import core_commands, plan_commands, setup_commands
from rtcfg.cli import texts as cli_help
from rtcfg.cli.options import common_options
from rtcfg.errors import ConfigError, ExitCode, RtcfgError

_GC_DEFAULTS = gc.get_threshold()  # main() tunes the collector for short commands


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


for _command in (*core_commands.COMMANDS, *plan_commands.COMMANDS, *setup_commands.COMMANDS):
    cli.add_command(_command)


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
