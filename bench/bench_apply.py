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
httpx.AsyncClient alone (216 GETs at each parallelism: wall time and CPU per request).

Nothing is asserted: ratios are printed. The whole run takes about 2.5 minutes at --runs 3.

Run: ``.venv/bin/python bench/bench_apply.py [--runs N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _bytecode import compile_rtcfg
from _emulator import ROOT, Emulator, count_requests

LATENCY_MS = 50
UPDATE_SECONDS = 2.0  # the default of `python -m rtcfg.emulator`
RATE_LIMIT = 20
PS_ID = "1069944"  # RT enabled, empty
POPULATED = "1069935"  # RT enabled, with a configuration
CONFIG = "examples/large.yaml"
PARALLELISMS = (8, 16, 32)
HEADERS = {"Authorization": "TD1 bench"}
# rtcfg -v logs one line per attempt: "POST /audiences/1/realtime_attributes 200 0.061s"
HTTP_LOG = re.compile(r"^(GET|POST|PATCH|DELETE) (\S+) (\S+) (\d+\.\d+)s$")
RETRY_LOG = re.compile(r"^(GET|POST|PATCH|DELETE) \S+ retry in ")
THROTTLED = re.compile(r"\b429\b|too.many.requests|rate.limit", re.IGNORECASE)
POSTS = "key event + attribute POSTs"
POSTS_FLOOR = "  POSTs if only latency / rate counted"
REF_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def rtcfg(*args: str) -> list[str]:
    return [sys.executable, "-m", "rtcfg", *args]


def environment(url: str, ps_id: str = PS_ID) -> dict[str, str]:
    env = {**os.environ, "RTCFG_ENDPOINT": url, "TDX_API_KEY": "bench", "RTCFG_PS_ID": ps_id}
    env["NO_COLOR"] = "1"
    for name in ("TDX_PROFILE", "RTCFG_TD_ENDPOINT", "RTCFG_SITE", "TDX_SITE"):
        env.pop(name, None)
    return env


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- (a) the manual guide, one call at a time ---------------------------------------------------


def fill_refs(step: dict[str, Any], ids: dict[str, str]) -> Any:
    """The step's body with each ref (``realtimeKeyEventId``, ``actions[0].x``) set to an id."""
    body = json.loads(json.dumps(step["body"]))
    for path, address in step["refs"].items():
        parts: list[Any] = [
            m.group(1) if m.group(1) is not None else int(m.group(2))
            for m in REF_PART.finditer(path)
        ]
        node = body
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = ids[address]
    return body


@dataclass
class Manual:
    """One run of the guide's way: wall time, status wait and polls, each POST's time."""

    seconds: float
    wait: float
    polls: int
    posts: list[float]


def sequential_apply(url: str, steps: list[dict[str, Any]]) -> Manual:
    """Every step in plan order, one call at a time; after the PATCH, poll until ``ok``."""
    ids: dict[str, str] = {}
    wait, polls, posts = 0.0, 0, []
    with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as http:
        start = time.perf_counter()
        for step in steps:
            sent = time.perf_counter()
            response = http.request(step["method"], step["path"], json=fill_refs(step, ids))
            response.raise_for_status()
            if step["path"].endswith("/realtime_setting"):
                patched = time.perf_counter()
                while True:
                    polls += 1
                    setting = http.get(step["path"]).raise_for_status().json()
                    if setting["status"] == "ok":
                        break
                    if setting["status"] in ("inconsistent", "not_initialized"):
                        raise SystemExit(f"the setting is {setting['status']}")
                wait = time.perf_counter() - patched
            elif step["method"] == "POST":
                posts.append(time.perf_counter() - sent)
                created = response.json()
                created = created["data"] if isinstance(created.get("data"), dict) else created
                ids[step["address"]] = str(created["id"])
        return Manual(time.perf_counter() - start, wait, polls, posts)


def depth(steps: list[dict[str, Any]]) -> int:
    """Levels of the ``depends_on`` DAG: the round trips no parallelism can overlap."""
    level: dict[int, int] = {}
    for step in steps:  # a plan lists every step after the steps it depends on
        level[step["id"]] = 1 + max((level[d] for d in step["depends_on"]), default=0)
    return max(level.values(), default=0)


async def httpx_alone(url: str, parallelism: int, requests: int) -> tuple[float, float]:
    """(wall, CPU seconds of this process) of ``requests`` GETs, ``parallelism`` at a time,
    through an httpx.AsyncClient with rtcfg's pool (64 connections), connections warm."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits) as http:
        gate = asyncio.Semaphore(parallelism)

        async def get() -> None:
            async with gate:
                (await http.get(f"/audiences/{PS_ID}/realtime_setting")).raise_for_status()

        await asyncio.gather(*(get() for _ in range(parallelism)))
        cpu, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(get() for _ in range(requests)))
        return time.perf_counter() - start, time.process_time() - cpu


# --- (c) rtcfg as a subprocess -------------------------------------------------------------------


@dataclass
class Run:
    """One subprocess run: wall time, exit code, output, stderr lines with their arrival time."""

    seconds: float
    returncode: int
    stdout: str
    lines: list[tuple[float, str]] = field(default_factory=list)
    cpu: float = 0.0  # user + system seconds of the command
    log: list[dict[str, Any]] = field(default_factory=list)
    server_cpu: float = 0.0  # the emulator's CPU seconds during the run

    def phases(self) -> dict[str, float]:
        """Start-up and config load | reads, PATCH | status wait | writes | re-plan and exit."""
        requests = [(t, m) for t, line in self.lines if (m := HTTP_LOG.match(line))]
        first = self.startup_to_first_request()
        patched = next(t for t, m in requests if m.group(1) == "PATCH")
        ready = next(t for t, line in self.lines if "Updating setting" in line and "] " in line)
        posts = [(t, m) for t, m in requests if m.group(1) == "POST" and m.group(3) == "200"]
        written = posts[-1][0]
        return {
            "start-up + config load (to first request)": first,
            "plan reads, GET + PATCH setting": patched - first,
            "status wait (PATCH answered -> ok seen)": ready - patched,
            POSTS: written - ready,
            "  one POST as rtcfg -v timed it (median)": median([float(m[4]) for _, m in posts]),
            "re-read + re-plan, report, exit": self.seconds - written,
        }

    def startup_to_first_request(self) -> float:
        """When the first request was sent: its -v line's arrival minus the time it took."""
        requests = [(t, m) for t, line in self.lines if (m := HTTP_LOG.match(line))]
        return min(t - float(m.group(4)) for t, m in requests)

    def surfaced(self) -> list[str]:
        """Lines of output, other than -v's request log, that mention a 429 or a rate limit."""
        text = [*self.stdout.splitlines(), *(line for _, line in self.lines)]
        quiet = [line for line in text if not HTTP_LOG.match(line) and not RETRY_LOG.match(line)]
        return [line for line in quiet if THROTTLED.search(line)]


def run(argv: list[str], env: dict[str, str]) -> Run:
    """Run a command, time-stamping each stderr line as it arrives."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout = proc.stdout
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stdout.read()))
    reader.start()
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stderr]
    returncode = proc.wait()
    reader.join()
    wall = time.perf_counter() - start
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
    return Run(wall, returncode, "".join(out), lines, cpu)


def timed_runs(emu: Emulator, argv: list[str], env: dict[str, str], runs: int) -> list[Run]:
    """``runs`` runs, each on a freshly reset emulator, with the requests it logged."""
    results = []
    for _ in range(runs):
        emu.reset()
        server_cpu = emu.cpu_seconds()
        result = run(argv, env)
        result.server_cpu = emu.cpu_seconds() - server_cpu
        result.log = emu.requests()
        if result.returncode != 0:
            tail = (result.stdout + "\n".join(line for _, line in result.lines))[-2000:]
            print(f"warning: {' '.join(argv[2:])} exited {result.returncode}:\n{tail}")
        results.append(result)
    return results


def median_phases(results: list[Run]) -> dict[str, float]:
    phases = [{**r.phases(), "rtcfg's CPU (user + sys)": r.cpu} for r in results]
    for phase, result in zip(phases, results, strict=True):
        phase["the emulator's CPU meanwhile"] = result.server_cpu
    return {name: median([p[name] for p in phases]) for name in phases[0]}


def median_command(emu: Emulator, argv: list[str], env: dict[str, str], runs: int) -> Run:
    """The run of median wall time among ``runs`` runs after a warm-up (no reset), with the
    requests it logged."""
    run(argv, env)
    results = []
    for _ in range(runs):
        before = len(emu.requests())
        result = run(argv, env)
        result.log = emu.requests()[before:]
        results.append(result)
    results.sort(key=lambda r: r.seconds)
    return results[len(results) // 2]


# --- the report ----------------------------------------------------------------------------------


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<50} {value:>9}  {note}".rstrip())


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
    alone: dict[int, tuple[float, float]]  # parallelism -> httpx_alone's (wall, CPU)


def measure(runs: int) -> Results:
    options = ["--latency-ms", str(LATENCY_MS), "--update-seconds", str(UPDATE_SECONDS)]
    check = rtcfg("plan", CONFIG, "--detailed-exitcode")
    applies: dict[str, list[Run]] = {}
    converged: dict[str, int] = {}
    with Emulator(options) as emu, tempfile.TemporaryDirectory() as tmp:
        env = environment(emu.url)
        startup = median_command(emu, rtcfg("--version"), env, runs).seconds
        validate = median_command(emu, rtcfg("validate", CONFIG), env, runs).seconds

        emu.reset()
        plan_file = str(Path(tmp) / "plan.json")
        argv = rtcfg("plan", CONFIG, "-o", plan_file)
        subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
        steps = json.loads(Path(plan_file).read_text())["segments"][0]["steps"]

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
        alone = {p: asyncio.run(httpx_alone(emu.url, p, posts)) for p in PARALLELISMS}

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
        f"{UPDATE_SECONDS:g}; median of {r.runs} runs (python {sys.version.split()[0]})"
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
    row("429s surfaced in rtcfg's output (lines)", str(sum(len(x.surfaced()) for x in limited)))
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
            f"httpx.AsyncClient alone: {posts} GETs, {p} at a time",
            seconds(wall),
            f"floor {floor:.3f} s; client CPU {ms(cpu / posts)} per request",
        )

    print(f"\nrtcfg plan {CONFIG} (ratio to start-up + 3 x rtt = {r.startup + 3 * rtt:.3f} s)")
    for label, result in r.plans.items():
        summary = result.stdout.strip().splitlines()[-1]
        row(label, seconds(result.seconds), f"requests: {count_requests(result.log)}; {summary}")
        row("  / (start-up + 3 x rtt)   goal <= 1", f"{result.seconds / (r.startup + 3 * rtt):.2f}")
        row("  / (validate + 3 x rtt)", f"{result.seconds / (r.validate + 3 * rtt):.2f}")
        own = result.startup_to_first_request()
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
