"""Command line of the emulator: ``python -m rtcfg.emulator`` serves until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any

from .app import Emulator
from .behaviours import list_lines
from .faults import KINDS, MAX_MS, MAX_RATE_LIMIT, MIN_RATE
from .http import Auth
from .server import Server

# The help reads like the rest of rtcfg's (click's layout: "Usage:", "Options:", then the
# environment, exit codes and examples); the emulator imports nothing from rtcfg, so the
# epilog is written here.
_DESCRIPTION = """\
  Serve a local emulator of TD's CDP API (RT 2.0 configuration) and TD API v3.

  It listens on 127.0.0.1 and starts with the parent segments of the bundled seed, so that
  rtcfg can be tried, and every test run, without TD credentials. Where TD's behaviour is not
  published it takes the strictest plausible choice. Ctrl-C or SIGTERM stops it."""
_EPILOG = """\
  Environment:
    (none)  the emulator reads no variables; any TD1 key is accepted unless --api-key

  Exit codes:
    0  stopped by Ctrl-C or SIGTERM
    1  cannot listen (e.g. the port is taken)
    2  bad options, seed or state file

  Examples:
    rtcfg emulator --port 8765
    RTCFG_ENDPOINT=http://127.0.0.1:8765 TDX_API_KEY=1/demo rtcfg plan rt_config.yaml
    rtcfg emulator --port 0 --latency-ms 50 --fault-rate 0.1 --fault-seed 7"""


MAX_UPDATE_SECONDS = 3600.0  # a PATCH "updating" for longer would only stall a client


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


def build_parser(prog: str = "python -m rtcfg.emulator") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
        usage="%(prog)s [OPTIONS]",
        add_help=False,
    )
    p._optionals.title = "Options"
    p.add_argument("-h", "--help", action="help", help="Show this message and exit.")
    p.add_argument(
        "--host",
        metavar="ADDR",
        default="127.0.0.1",
        help="Address to listen on (default: loopback).",
    )
    p.add_argument(
        "--port", metavar="N", type=int, default=8765, help="Port; 0 = any free port (8765)."
    )
    p.add_argument("--state", metavar="FILE", help="Load state from FILE; save it after writes.")
    p.add_argument("--seed", metavar="FILE", help="Start data (JSON; default: the bundled seed).")
    p.add_argument(
        "--latency-ms", metavar="MS", type=float, default=0.0, help="Latency added per request."
    )
    p.add_argument(
        "--jitter-ms", metavar="MS", type=float, default=0.0, help="+/- jitter on the latency."
    )
    p.add_argument(
        "--fault-rate",
        metavar="P",
        type=float,
        default=0.0,
        help="Fraction of requests faulted (0-1).",
    )
    p.add_argument(
        "--fault-kinds",
        default="500,502,503,drop,lost_response",
        metavar="K,...",
        help=f"Faults to draw from: {', '.join(KINDS)}.",
    )
    p.add_argument(
        "--rate-limit", metavar="R", type=float, default=0.0, help="Requests/s; 0 = unlimited."
    )
    p.add_argument(
        "--fault-seed", metavar="N", type=int, default=None, help="Seed of the fault RNG."
    )
    p.add_argument(
        "--api-key", metavar="KEY", default=None, help="Accept only this TD1 key (and the next)."
    )
    p.add_argument(
        "--read-only-key", metavar="KEY", default=None, help="A key that gets 403 on writes."
    )
    p.add_argument(
        "--update-seconds",
        metavar="S",
        type=float,
        default=2.0,
        help="Time spent 'updating' after a PATCH.",
    )
    p.add_argument(
        "--behaviour",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Play one reading the API contract leaves open (repeatable; see --list-behaviours).",
    )
    p.add_argument(
        "--list-behaviours", action="store_true", help="Print every behaviour and its values."
    )
    return p


async def _serve(server: Server) -> None:
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"rtcfg emulator listening on {server.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


# Every numeric option: (name, lowest, highest). Out of range, NaN or infinite is refused at
# start-up, one way for all (the limits of latency and rate limit are those of faults.py).
_NUMBER_RANGES = (
    ("latency_ms", 0.0, MAX_MS),
    ("jitter_ms", 0.0, MAX_MS),
    ("fault_rate", 0.0, 1.0),
    ("rate_limit", 0.0, MAX_RATE_LIMIT),  # 0 = unlimited; else at least MIN_RATE
    ("update_seconds", 0.0, MAX_UPDATE_SECONDS),
)


def _number_problem(args: argparse.Namespace) -> str | None:
    for name, low, high in _NUMBER_RANGES:
        value = getattr(args, name)
        option = "--" + name.replace("_", "-")
        if not math.isfinite(value) or not low <= value <= high:
            return f"{option} {value:g}: must be a number from {low:g} to {high:g}"
    if 0 < args.rate_limit < MIN_RATE:
        return f"--rate-limit {args.rate_limit:g}: 0 (unlimited) or at least {MIN_RATE:g}/s"
    return None


def _startup_problem(args: argparse.Namespace) -> str | None:
    """What makes the options unusable, found before serving (one line, no traceback):
    a number out of range, NaN or infinite, a port outside 0..65535, a --state that is a
    folder, in a missing or read-only folder."""
    if not 0 <= args.port <= 65535:
        return f"--port {args.port}: a port is a number from 0 to 65535 (0: any free port)"
    number = _number_problem(args)
    if number is not None:
        return number
    if args.state:
        state = Path(args.state)
        folder = state.parent
        if state.is_dir():
            return f"--state {args.state}: is a folder; give a file name"
        if not folder.is_dir():
            return f"--state {args.state}: the folder {folder} does not exist"
        if not os.access(folder, os.W_OK) or (state.exists() and not os.access(state, os.W_OK)):
            return f"--state {args.state}: not writable (the emulator saves it after each write)"
    return None


def _exposure_warning(host: str, api_key: str | None) -> str | None:
    """Said when --host is not a loopback address: other machines can reach the emulator
    (and, without --api-key, use it with any key). A name other than localhost is not
    resolved: it is taken as reachable, as it may well be."""
    if host == "localhost" or _is_loopback(host):
        return None
    reach = f"--host {host} is reachable from other machines"
    if api_key is None:
        return f"{reach}, and it accepts any TD1 key (give --api-key to accept only one)"
    return f"{reach} (it accepts only the --api-key)"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None, prog: str = "python -m rtcfg.emulator") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.list_behaviours:
        print("\n".join(list_lines()))
        return 0
    problem = _startup_problem(args)
    if problem is not None:
        print(f"rtcfg emulator: {problem}", file=sys.stderr)
        return 2
    faults: dict[str, Any] = {
        "latency_ms": args.latency_ms,
        "jitter_ms": args.jitter_ms,
        "rate": args.fault_rate,
        "kinds": [k for k in args.fault_kinds.split(",") if k],
        "seed": args.fault_seed,
    }
    if args.rate_limit:
        faults["rate_limit"] = args.rate_limit
    try:
        emulator = Emulator(
            args.seed,
            update_seconds=args.update_seconds,
            auth=Auth(args.api_key, args.read_only_key),
            faults=faults,
            state_file=args.state,
            behaviours=args.behaviour,
        )
    except Exception as exc:  # bad seed/state/fault options: one line, no traceback
        source = f"--state {args.state}" if args.state and Path(args.state).exists() else ""
        source = source or (f"--seed {args.seed}" if args.seed else "")
        text = " ".join(str(getattr(exc, "message", exc)).split())[:300]
        print(f"rtcfg emulator: {source + ': ' if source else ''}{text}", file=sys.stderr)
        return 2
    warning = _exposure_warning(args.host, args.api_key)
    if warning is not None:
        print(f"rtcfg emulator: warning: {warning}", file=sys.stderr, flush=True)
    try:
        asyncio.run(_serve(Server(emulator, args.host, args.port)))
    except KeyboardInterrupt:
        pass
    except (OSError, OverflowError) as exc:  # port in use, address not available
        print(f"rtcfg emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
