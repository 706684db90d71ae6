"""Applying examples/large.yaml, shared by bench_apply.py and bench_parallelism.py.

The guide's way (one call at a time, the status polled back to back: it measures the status
wait), the levels of the plan's DAG, ``rtcfg -v apply`` runs on a freshly reset emulator, and
their split into phases from the arrival times of the -v lines (see ``bench_apply.py``).
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _harness import ROOT, Emulator, Run, median, rtcfg, run

from rtcfg.api.client import ApiClient
from rtcfg.api.connection import Connection
from rtcfg.engine.apply import set_path

LATENCY_MS = 50
UPDATE_SECONDS = 2.0  # the default of `python -m rtcfg.emulator`
PS_ID = "1069944"  # RT enabled, empty
CONFIG = "examples/large.yaml"
HEADERS = {"Authorization": "TD1 bench"}
# rtcfg -v logs one line per attempt: "POST /audiences/1/realtime_attributes 200 0.061s"
HTTP_LOG = re.compile(r"^(GET|POST|PATCH|DELETE) (\S+) (\S+) (\d+\.\d+)s$")
RETRY_LOG = re.compile(r"^(GET|POST|PATCH|DELETE) \S+ retry in ")
THROTTLED = re.compile(r"\b429\b|too.many.requests|rate.limit", re.IGNORECASE)
# the words of the progress line apply prints when the setting is ready (cli's _step_progress)
SETTING_READY = ("Updating setting", "] ")
POSTS = "key event + attribute POSTs"


# --- (a) the manual guide, one call at a time ---------------------------------------------------


def fill_refs(step: dict[str, Any], ids: dict[str, str]) -> Any:
    """The step's body with each ref (``realtimeKeyEventId``, ``actions[0].x``) set to an id,
    the way apply fills it."""
    body = copy.deepcopy(step["body"])
    for path, address in step["refs"].items():
        set_path(body, path, ids[address])
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


# --- (c) rtcfg as a subprocess -------------------------------------------------------------------


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
    phases = [{**phases_of(r), "rtcfg's CPU (user + sys)": r.cpu} for r in results]
    for phase, result in zip(phases, results, strict=True):
        phase["the emulator's CPU meanwhile"] = result.server_cpu
    return {name: median([p[name] for p in phases]) for name in phases[0]}


def phases_of(result: Run) -> dict[str, float]:
    """Start-up and config load | reads, PATCH | status wait | writes | re-plan and exit, from
    the arrival times of ``rtcfg -v apply``'s stderr lines."""
    requests = [(t, m) for t, line in result.lines if (m := HTTP_LOG.match(line))]
    first = startup_to_first_request(result)
    patched = _first(t for t, m in requests if m.group(1) == "PATCH")
    ready = _first(t for t, line in result.lines if all(w in line for w in SETTING_READY))
    posts = [(t, m) for t, m in requests if m.group(1) == "POST" and m.group(3) == "200"]
    if patched is None or ready is None or not posts:
        raise SystemExit(
            "cannot split apply into phases: its -v output has no "
            + ("PATCH line" if patched is None else "POST line" if not posts else "line with ")
            + ("" if patched is None or not posts else " and ".join(map(repr, SETTING_READY)))
            + " (did rtcfg's request log or progress wording change? see SETTING_READY and "
            "HTTP_LOG in bench/_apply.py)"
        )
    written = posts[-1][0]
    return {
        "start-up + config load (to first request)": first,
        "plan reads, GET + PATCH setting": patched - first,
        "status wait (PATCH answered -> ok seen)": ready - patched,
        POSTS: written - ready,
        "  one POST as rtcfg -v timed it (median)": median([float(m[4]) for _, m in posts]),
        "re-read + re-plan, report, exit": result.seconds - written,
    }


def _first(values: Iterator[float]) -> float | None:
    return next(values, None)


def startup_to_first_request(result: Run) -> float:
    """When the first request was sent: its -v line's arrival minus the time it took."""
    requests = [(t, m) for t, line in result.lines if (m := HTTP_LOG.match(line))]
    if not requests:
        raise SystemExit(
            "no request lines in rtcfg -v's output (did their format change? see HTTP_LOG in "
            "bench/_apply.py)"
        )
    return min(t - float(m.group(4)) for t, m in requests)


def surfaced(result: Run) -> list[str]:
    """Lines of output, other than -v's request log, that mention a 429 or a rate limit."""
    text = [*result.stdout.splitlines(), *(line for _, line in result.lines)]
    quiet = [line for line in text if not HTTP_LOG.match(line) and not RETRY_LOG.match(line)]
    return [line for line in quiet if THROTTLED.search(line)]


def plan_steps(env: dict[str, str]) -> list[dict[str, Any]]:
    """The steps of ``rtcfg plan CONFIG -o``: what the guide's way and the bounds count."""
    with tempfile.TemporaryDirectory() as tmp:
        plan_file = str(Path(tmp) / "plan.json")
        argv = rtcfg("plan", CONFIG, "-o", plan_file)
        subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
        steps: list[dict[str, Any]] = json.loads(Path(plan_file).read_text())["segments"][0][
            "steps"
        ]
    return steps


async def client_alone(
    url: str, parallelism: int, requests: int, *, shared_pool: bool = False
) -> tuple[float, float]:
    """(wall, CPU seconds of this process) of ``requests`` GETs, ``parallelism`` at a time,
    connections warm: through rtcfg's ApiClient (a connection per request slot), or with
    ``shared_pool`` through one httpx.AsyncClient whose pool holds 64 connections (how the
    client was built before: httpcore's pool then costs CPU in proportion to its size)."""
    if shared_pool:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits) as http:

            async def shared() -> None:
                (await http.get(f"/audiences/{PS_ID}/realtime_setting")).raise_for_status()

            return await _gated(shared, parallelism, requests)
    connection = Connection(cdp_base=url, td_base=url, api_key="1/bench")
    async with ApiClient(connection) as api:

        async def slot() -> None:
            await api.get(f"/audiences/{PS_ID}/realtime_setting")

        return await _gated(slot, parallelism, requests)


async def _gated(
    get: Callable[[], Awaitable[None]], parallelism: int, requests: int
) -> tuple[float, float]:
    gate = asyncio.Semaphore(parallelism)

    async def one() -> None:
        async with gate:
            await get()

    await asyncio.gather(*(one() for _ in range(parallelism)))  # connections opened
    cpu, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    return time.perf_counter() - start, time.process_time() - cpu
