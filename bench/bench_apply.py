"""Applying examples/large.yaml (20 key events, 196 attributes, the setting) to an empty segment.

One emulator subprocess, ``python -m rtcfg.emulator --port 0 --latency-ms 50 --update-seconds
2`` (2 s is the emulator CLI's default: after a PATCH the setting is ``updating`` that long),
reset (``POST /_emulator/reset``) before every measured run; medians of ``--runs`` runs of:

(a) the seed's manual guide, one HTTP call at a time (httpx.Client, keep-alive): PATCH the
    setting, poll its status back to back until ``ok``, then POST each key event, then each
    attribute, with the bodies of ``rtcfg plan -o`` and ``realtimeKeyEventId`` filled from the
    ids the key event POSTs returned. It measures the status wait: from the PATCH's response
    to the first GET that answers ``ok``.
(b) the lower bound: that wait + one round trip per level of the plan's ``depends_on`` DAG +
    (writes / parallelism) round trips; printed as a formula with its numbers. (b') adds the
    two reads that apply must make (spec/cli.md): live state before planning, and the re-read
    of step 5 after the writes.
(c) ``rtcfg -v apply examples/large.yaml -y`` as a subprocess, start-up included, at
    ``--parallelism`` 8 (the default; 16 and 32 once each, for the trend). ``-v`` only adds one
    log line per request; the arrival times of the lines on stderr split each run into phases
    (start-up and config load, reads and PATCH, status wait, POSTs, re-plan and exit), printed
    with the CPU time of rtcfg and of the emulator during the run.

After each, ``rtcfg plan --detailed-exitcode`` must exit 0 (converged). ``rtcfg -v plan`` is
timed against the segment just applied (no changes) and against the populated segment 1069935,
as ratios to start-up + 3 round trips, with three meanings of start-up: ``rtcfg --version``
(imports of the CLI only), ``rtcfg validate`` (imports and config load) and the plan's own time
before its first request (its -v line's arrival minus the request's duration): what the plan
does after that (reads, diff, output, exit) should take no more than 3 round trips.

Then the same apply against a second emulator started with ``--rate-limit 20``: a token bucket
of 20 tokens/s, burst 20, taken by every API request (GETs too; ``/_emulator`` calls are
free; a 429 takes no token) and answered ``429`` with ``Retry-After: max(1, ceil(wait))``
seconds. rtcfg must absorb the 429s (exit 0, none in its output); its wall time is compared
with writes / 20 per second.

To explain the gaps it also measures the emulator's own time (the guide's way at
``--latency-ms 0``: each attribute POST costs the emulator more as the segment fills) and
rtcfg's ApiClient alone (216 GETs at each parallelism: wall time and CPU per request).

Nothing is asserted: ratios are printed. The whole run takes about 2.5 minutes at --runs 3.

Run: ``.venv/bin/python bench/bench_apply.py [--runs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from typing import Any

from _apply import (
    CONFIG,
    LATENCY_MS,
    POSTS,
    PS_ID,
    RETRY_LOG,
    UPDATE_SECONDS,
    Manual,
    client_alone,
    depth,
    median_phases,
    plan_steps,
    sequential_apply,
    startup_to_first_request,
    surfaced,
    timed_runs,
)
from _emulator import count_requests
from _harness import (
    Emulator,
    Run,
    compile_rtcfg,
    environment,
    environment_line,
    median,
    median_command,
    row,
    rtcfg,
    run,
)

RATE_LIMIT = 20
POPULATED = "1069935"  # RT enabled, with a configuration
PARALLELISMS = (8, 16, 32)
POSTS_FLOOR = "  POSTs if only latency / rate counted"


# --- the report ----------------------------------------------------------------------------------


def seconds(value: float) -> str:
    return f"{value:.3f} s"


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


@dataclass
class Results:
    """Every figure of one bench run."""

    runs: int
    startup: float
    validate: float
    writes: int
    levels: int
    key_events: int
    manual: list[Manual]
    manual_log: list[dict[str, Any]]
    manual_rc: int
    server: list[Manual]  # the guide's way at --latency-ms 0: the emulator's own time
    applies: dict[str, list[Run]]  # "--parallelism 8", ..., "--rate-limit 20"
    converged_rc: dict[str, int]
    plans: dict[str, Run]
    alone: dict[int, tuple[float, float]]  # parallelism -> client_alone's (wall, CPU)


def measure(runs: int) -> Results:
    options = ["--latency-ms", str(LATENCY_MS), "--update-seconds", str(UPDATE_SECONDS)]
    check = rtcfg("plan", CONFIG, "--detailed-exitcode")
    applies: dict[str, list[Run]] = {}
    converged: dict[str, int] = {}
    with Emulator(options) as emu:
        env = environment(emu.url)
        startup = median_command(emu, rtcfg("--version"), env, runs).seconds
        validate = median_command(emu, rtcfg("validate", CONFIG), env, runs).seconds

        emu.reset()
        steps = plan_steps(env)

        manual = []
        for _ in range(runs):
            emu.reset()
            manual.append(sequential_apply(emu.url, steps))
        manual_log = emu.requests()
        manual_rc = run(check, env).returncode

        for p in PARALLELISMS:  # 16 and 32 once each: they only show the trend
            argv = rtcfg("-v", "apply", CONFIG, "-y", "--parallelism", str(p))
            applies[f"--parallelism {p}"] = timed_runs(emu, argv, env, runs if p == 8 else 1)
            converged[f"--parallelism {p}"] = run(check, env).returncode
        plans = {
            f"{PS_ID} just applied": median_command(emu, rtcfg("-v", "plan", CONFIG), env, runs),
            f"{POPULATED} (populated)": median_command(
                emu, rtcfg("-v", "plan", CONFIG), environment(emu.url, POPULATED), runs
            ),
        }
        posts = sum(1 for s in steps if s["method"] == "POST")
        alone = {p: asyncio.run(client_alone(emu.url, p, posts)) for p in PARALLELISMS}

    with Emulator(["--latency-ms", "0", "--update-seconds", "0"]) as emu:
        server = []
        for _ in range(runs):
            emu.reset()
            server.append(sequential_apply(emu.url, steps))

    with Emulator([*options, "--rate-limit", str(RATE_LIMIT)]) as emu:
        env = environment(emu.url)
        limited = f"--rate-limit {RATE_LIMIT}"
        applies[limited] = timed_runs(emu, rtcfg("-v", "apply", CONFIG, "-y"), env, runs)
        converged[limited] = run(check, env).returncode

    return Results(
        runs, startup, validate, len(steps), depth(steps),
        sum(1 for s in steps if s["path"].endswith("/realtime_key_events")),
        manual, manual_log, manual_rc,
        server, applies, converged, plans, alone,
    )  # fmt: skip


def report(r: Results) -> None:
    rtt = LATENCY_MS / 1000
    manual = median([m.seconds for m in r.manual])
    wait = median([m.wait for m in r.manual])

    def bound(parallelism: int, reads: int = 0) -> float:
        return wait + (r.levels + reads) * rtt + r.writes / parallelism * rtt

    print(
        f"{CONFIG} onto empty parent segment {PS_ID}: {r.writes} writes, depends_on DAG "
        f"{r.levels} levels deep. Emulator --latency-ms {LATENCY_MS} --update-seconds "
        f"{UPDATE_SECONDS:g}; median of {r.runs} runs\n{environment_line()}"
    )
    row("rtcfg --version (start-up)", seconds(r.startup))
    row(f"rtcfg validate {CONFIG} (+ config load)", seconds(r.validate))

    print("\n(a) the seed's guide: one call at a time, status polled back to back")
    row("wall time", seconds(manual), f"requests: {count_requests(r.manual_log)}")
    row("status wait: PATCH answered -> first ok", seconds(wait))
    row("then `rtcfg plan --detailed-exitcode`", f"exit {r.manual_rc}", "(0 = converged)")

    print("\n(b) lower bound = wait + levels x rtt + writes / parallelism x rtt")
    for p in PARALLELISMS:
        formula = f"{wait:.3f} + {r.levels} x {rtt} + {r.writes}/{p} x {rtt} = {bound(p):.3f} s"
        row(f"parallelism {p}", seconds(bound(p)), formula)
    print(
        "(b') the same with the two reads every apply makes (spec/cli.md): live state before "
        "the plan,\n     and stage 5's re-read after the writes: levels + 2 round trips"
    )
    for p in PARALLELISMS:
        row(f"parallelism {p}", seconds(bound(p, 2)), f"(b) + 2 x {rtt}")

    print("\n(c) rtcfg -v apply examples/large.yaml -y (start-up, plan, apply, re-plan)")
    print(f"    --parallelism 16 and 32: one run each, the rest medians of {r.runs}")
    for p in PARALLELISMS:
        results = r.applies[f"--parallelism {p}"]
        wall = median([x.seconds for x in results])
        codes = sorted({x.returncode for x in results})
        row(f"--parallelism {p}", seconds(wall), f"exit {codes}; {count_requests(results[-1].log)}")
        row("  (c) / (b)   goal <= 1.3", f"{wall / bound(p):.2f}")
        row("  (c) / (b')", f"{wall / bound(p, 2):.2f}")
        row("  (c) / ((b) + start-up)", f"{wall / (bound(p) + r.startup):.2f}")
        row("  speed-up (a) / (c)", f"{manual / wall:.2f}x")
        rc = r.converged_rc[f"--parallelism {p}"]
        row("  then `rtcfg plan --detailed-exitcode`", f"exit {rc}", "(0 = converged)")

    print(
        f"\nrtcfg -v apply -y against --rate-limit {RATE_LIMIT} (token bucket, burst {RATE_LIMIT})"
    )
    limited = r.applies[f"--rate-limit {RATE_LIMIT}"]
    wall = median([x.seconds for x in limited])
    floor = r.writes / RATE_LIMIT
    throttled = [sum(1 for e in x.log if e["status"] == 429) for x in limited]
    retried = [sum(1 for _, ln in x.lines if RETRY_LOG.match(ln) and "429" in ln) for x in limited]
    answered = median([float(len(x.log) - t) for x, t in zip(limited, throttled, strict=True)])
    codes = sorted({x.returncode for x in limited})
    row("wall time", seconds(wall), f"exit {codes}; {count_requests(limited[-1].log)}")
    row(f"  / (writes / {RATE_LIMIT} per s = {floor:.2f} s)   goal <= 1.3", f"{wall / floor:.2f}")
    row(f"  / (answered requests / {RATE_LIMIT} per s)", f"{wall * RATE_LIMIT / answered:.2f}")
    row("429s answered by the emulator, per run", str(throttled))
    row("429s retried by rtcfg (its -v 'retry in' lines)", str(retried))
    row("429s surfaced in rtcfg's output (lines)", str(sum(len(surfaced(x)) for x in limited)))
    complete = sum(1 for x in limited if "Apply complete!" in x.stdout)
    row("runs that printed 'Apply complete!'", f"{complete}/{len(limited)}")
    rc = r.converged_rc[f"--rate-limit {RATE_LIMIT}"]
    row("then `rtcfg plan --detailed-exitcode`", f"exit {rc}", "(0 = converged)")

    print("\nwhere apply's time goes (medians; from the arrival of its -v lines on stderr)")
    columns = {name: median_phases(results) for name, results in r.applies.items()}
    floors = [(r.writes - 1) / p * rtt + rtt for p in PARALLELISMS]
    floors.append(max(0.0, r.writes - 1 - RATE_LIMIT) / RATE_LIMIT)
    for values, floor in zip(columns.values(), floors, strict=True):
        values[POSTS_FLOOR] = floor
    names = list(columns)
    order = [phase for phase in columns[names[0]] if phase != POSTS_FLOOR]
    order.insert(order.index(POSTS) + 1, POSTS_FLOOR)  # under the POSTs it bounds
    print(f"  {'':<44}" + "".join(f"{n.removeprefix('--'):>16}" for n in names))
    for phase in order:
        print(f"  {phase:<44}" + "".join(f"{columns[n][phase]:>14.3f} s" for n in names))
    server_posts = median([sum(m.posts) for m in r.server])
    events = r.key_events
    first = median([median(m.posts[events : events + 20]) for m in r.server])
    last = median([median(m.posts[-20:]) for m in r.server])
    row("the emulator's own time: the POSTs one at a time", seconds(server_posts), "latency 0")
    row("  per attribute POST: first 20 / last 20", f"{ms(first)} / {ms(last)}")
    row("status wait seen by the guide (back-to-back GETs)", seconds(wait))
    posts = r.writes - 1
    for p, (wall, cpu) in r.alone.items():
        floor = posts / p * rtt
        row(
            f"rtcfg's ApiClient alone: {posts} GETs, {p} at a time",
            seconds(wall),
            f"floor {floor:.3f} s; client CPU {ms(cpu / posts)} per request",
        )

    print(f"\nrtcfg plan {CONFIG} (ratio to start-up + 3 x rtt = {r.startup + 3 * rtt:.3f} s)")
    for label, result in r.plans.items():
        summary = result.stdout.strip().splitlines()[-1]
        row(label, seconds(result.seconds), f"requests: {count_requests(result.log)}; {summary}")
        row("  / (start-up + 3 x rtt)   goal <= 1", f"{result.seconds / (r.startup + 3 * rtt):.2f}")
        row("  / (validate + 3 x rtt)", f"{result.seconds / (r.validate + 3 * rtt):.2f}")
        own = startup_to_first_request(result)
        row("  its own start-up: to its first request", seconds(own))
        row("  / (its own start-up + 3 x rtt)", f"{result.seconds / (own + 3 * rtt):.2f}")


def main() -> int:
    compile_rtcfg()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    report(measure(parser.parse_args().runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
