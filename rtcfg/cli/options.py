"""Options defined once (common, connection, target), and what every API command does first:
resolve the connection and check a PS_ID argument."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from rtcfg.errors import UsageError

if TYPE_CHECKING:  # imported when a command runs (start-up time of `rtcfg --help`)
    from rtcfg.api.connection import Connection

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


def connect(
    ctx: click.Context,
    site: str | None,
    endpoint: str | None,
    td_endpoint: str | None,
    profile: str | None,
) -> Connection:
    """Resolve the connection, print its notices (never the key), set up -v logging."""
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


def ps_id_argument(value: str) -> str:
    """A PS_ID argument: ASCII decimal digits, checked before any request is sent."""
    from rtcfg.config.text import id_problem

    problem = id_problem(value)
    if problem is not None:
        raise UsageError(f"PS_ID: {problem}")
    return value.strip()


def is_quiet(ctx: click.Context) -> bool:
    """-q was given (before or after the command name)."""
    return bool(ctx.obj.get("quiet"))
