"""Does apply get faster, or at least not slower, as ``--parallelism`` grows past 32?

One emulator subprocess (``--latency-ms 50 --update-seconds 2``), reset before every run, and
``rtcfg -v apply examples/large.yaml -y --parallelism P`` for P in 32, 48 and 64, the three
interleaved, medians of ``--runs`` runs each. Printed as ratios measured in this one run:

* p48 / p32 and p64 / p32 (goal for p64: <= 1.1);
* p64 / its lower bound (goal: <= 1.2). The bound of one ``rtcfg apply`` command is
  start-up + status wait + (levels + 2) x rtt + writes / P x rtt: what apply does before its
  first request, as ``rtcfg validate`` does it too (imports, config load, offline checks), the
  setting's ``updating`` time as the guide's way sees it (PATCH
  answered -> first ``ok``), one round trip per level of the plan's ``depends_on`` DAG plus the
  two reads every apply makes (live state before planning, the re-read after the writes), and
  the writes spread over P connections. The bound with the CLI's start-up alone (``rtcfg
  --version``) and the bound without start-up and the two reads (``bench_apply.py``'s (b))
  are printed too.

Then the cause, in the same run: 216 GETs P at a time through one httpx.AsyncClient with a
pool of 64 connections (how ApiClient was built before) and through ApiClient (one
connection per request slot, ``rtcfg/api/slots.py``), as wall time against the floor
(requests / P x rtt) and the client's CPU per request relative to P = 32.

Run: ``.venv/bin/python bench/bench_parallelism.py [--runs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from _apply import (
    CONFIG,
    LATENCY_MS,
    POSTS,
    UPDATE_SECONDS,
    client_alone,
    depth,
    phases_of,
    plan_steps,
    sequential_apply,
    timed_runs,
)
from _emulator import count_requests
from _harness import (
    compile_rtcfg,
    emulator,
    environment,
    environment_line,
    median,
    median_seconds,
    row,
    rtcfg,
    run,
)

PARALLELISMS = (32, 48, 64)
RTT = LATENCY_MS / 1000
GETS = 216  # as many as the plan's POSTs


def main() -> int:
    compile_rtcfg()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per parallelism (median)")
    runs = parser.parse_args().runs
    options = ["--latency-ms", str(LATENCY_MS), "--update-seconds", str(UPDATE_SECONDS)]
    with emulator(*options) as emu:
        env = environment(emu.url)
        cli = median_seconds(rtcfg("--version"), runs, env)
        startup = median_seconds(rtcfg("validate", CONFIG), runs, env)
        emu.reset()
        steps = plan_steps(env)
        emu.reset()
        wait = sequential_apply(emu.url, steps).wait
        walls: dict[int, list[float]] = {p: [] for p in PARALLELISMS}
        post_phase: dict[int, list[float]] = {p: [] for p in PARALLELISMS}
        summary: dict[int, str] = {}
        for _ in range(runs):  # interleaved: a drift of the machine touches every column
            for p in PARALLELISMS:
                argv = rtcfg("-v", "apply", CONFIG, "-y", "--parallelism", str(p))
                (result,) = timed_runs(emu, argv, env, 1)
                walls[p].append(result.seconds)
                post_phase[p].append(phases_of(result)[POSTS])
                summary[p] = count_requests(result.log)
        converged = run(rtcfg("plan", CONFIG, "--detailed-exitcode"), env).returncode
        alone = {
            (p, shared): asyncio.run(client_alone(emu.url, p, GETS, shared_pool=shared))
            for p in PARALLELISMS
            for shared in (True, False)
        }

    levels, writes = depth(steps), len(steps)
    print(
        f"{CONFIG}: {writes} writes, DAG {levels} levels deep; emulator --latency-ms "
        f"{LATENCY_MS} --update-seconds {UPDATE_SECONDS:g}; median of {runs} runs"
    )
    print(environment_line())
    wall = {p: median(walls[p]) for p in PARALLELISMS}

    def bound(p: int, start: float = startup) -> float:
        return start + wait + (levels + 2) * RTT + writes / p * RTT

    def bare_bound(p: int) -> float:
        return wait + levels * RTT + writes / p * RTT

    print("\nlower bound = start-up + wait + (levels + 2) x rtt + writes / P x rtt")
    print("  (start-up: rtcfg validate, what apply does before its first request)")
    for p in PARALLELISMS:
        formula = (
            f"{startup:.3f} + {wait:.3f} + {levels + 2} x {RTT:g} + {writes}/{p} x {RTT:g}"
            f" = {bound(p):.3f} s"
        )
        row(f"P = {p}", f"{wall[p] / bound(p):.2f}", f"measured / bound; bound {formula}")
    print("\napply at P against P = 32 (medians; one row per P)")
    for p in PARALLELISMS:
        posts = median(post_phase[p]) / median(post_phase[32])
        row(f"p{p} / p32", f"{wall[p] / wall[32]:.2f}", f"POST phase {posts:.2f}; {summary[p]}")
    print("\nthe ratios of the issue")
    row("p48 / p32", f"{wall[48] / wall[32]:.2f}")
    row("p64 / p32   goal <= 1.1", f"{wall[64] / wall[32]:.2f}")
    row("p64 / lower bound   goal <= 1.2", f"{wall[64] / bound(64):.2f}")
    row("p64 / the bound with rtcfg --version as start-up", f"{wall[64] / bound(64, cli):.2f}")
    row("p64 / (wait + levels x rtt + writes/64 x rtt)", f"{wall[64] / bare_bound(64):.2f}")
    row("then `rtcfg plan --detailed-exitcode`", f"exit {converged}", "(0 = converged)")

    print(f"\nthe cause: {GETS} GETs P at a time, warm connections")
    base = {shared: alone[(32, shared)][1] for shared in (True, False)}
    for shared, label in ((True, "one httpx pool of 64"), (False, "ApiClient, slot each")):
        for p in PARALLELISMS:
            seconds, cpu = alone[(p, shared)]
            row(
                f"{label}, P = {p}",
                f"{seconds / (GETS / p * RTT):.2f}",
                f"wall / floor; client CPU per request {cpu / base[shared]:.2f}x that at P = 32",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
