"""Command line of the emulator: ``python -m rtcfg.emulator`` serves until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from .app import Emulator
from .faults import KINDS
from .routes import Auth
from .server import Server


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m rtcfg.emulator",
        description="Local emulator of the TD CDP RT 2.0 configuration API and TD API v3.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    p.add_argument("--port", type=int, default=8765, help="port (0 = any free port)")
    p.add_argument("--state", metavar="FILE", help="load state from FILE, save after writes")
    p.add_argument("--seed", metavar="FILE", help="seed JSON (default: bundled seed)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="latency added per request")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="+/- jitter on the latency")
    p.add_argument("--fault-rate", type=float, default=0.0, help="fraction of faulted requests")
    p.add_argument(
        "--fault-kinds",
        default="500,502,503,drop,lost_response",
        help=f"comma list among {','.join(KINDS)}",
    )
    p.add_argument("--rate-limit", type=float, default=0.0, help="requests/s (0 = unlimited)")
    p.add_argument("--fault-seed", type=int, default=None, help="seed of the fault RNG")
    p.add_argument("--api-key", default=None, help="only this TD1 key (and --read-only-key)")
    p.add_argument("--read-only-key", default=None, help="a key that gets 403 on writes")
    p.add_argument("--update-seconds", type=float, default=2.0, help="time spent 'updating'")
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


def _startup_problem(args: argparse.Namespace) -> str | None:
    """What makes the options unusable, found before serving (one line, no traceback):
    a port outside 0..65535, a --state that is a folder, in a missing or read-only folder."""
    if not 0 <= args.port <= 65535:
        return f"--port {args.port}: a port is a number from 0 to 65535 (0: any free port)"
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
        )
    except Exception as exc:  # bad seed/state/fault options: one line, no traceback
        source = f"--state {args.state}" if args.state and Path(args.state).exists() else ""
        source = source or (f"--seed {args.seed}" if args.seed else "")
        text = " ".join(str(getattr(exc, "message", exc)).split())[:300]
        print(f"rtcfg emulator: {source + ': ' if source else ''}{text}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(Server(emulator, args.host, args.port)))
    except KeyboardInterrupt:
        pass
    except (OSError, OverflowError) as exc:  # port in use, address not available
        print(f"rtcfg emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
