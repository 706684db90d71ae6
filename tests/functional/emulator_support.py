"""Helpers for the functional tests, which speak HTTP to the emulator (no mocks):

* over a real socket: a client per call (``call``), the request log (``attempts``), reset;
* the CLI in-process against an emulator thread (``rtcfg``, ``writes``, ``example``, and
  ``control`` for its ``/_emulator`` endpoints);
* plan and apply in this process through the httpx transport into the emulator (``Segment``).

Request bodies and the seed's parent segments are in tests/builders.py."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from click.testing import CliRunner

from rtcfg.api.client import ApiClient, Clock, RetryPolicy
from rtcfg.api.connection import Connection
from rtcfg.api.live import read_live_state
from rtcfg.checks.validate import load_config_or_raise
from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread
from rtcfg.emulator.app import Emulator
from rtcfg.engine.apply import ApplyOptions, ApplyResult, apply_plan
from rtcfg.engine.plan import SegmentPlan, build_segment_plan
from rtcfg.model.translate import desired_state
from tests.builders import EMPTY_ID, POPULATED_ID, key_event, single_attr
from tests.emulator_transport import EmulatorTransport

T = TypeVar("T")

POPULATED = POPULATED_ID  # the seed's configured parent segment
KEY = "1/test-key"
# Tiny waits so that retries cost milliseconds; Retry-After is capped to match.
FAST = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.01, max_retry_after=0.05)


def connection(url: str, key: str = KEY) -> Connection:
    return Connection(cdp_base=url, td_base=url, api_key=key, site="us01", key_source="TEST_KEY")


def call(
    url: str,
    action: Callable[[ApiClient], Awaitable[T]],
    *,
    key: str = KEY,
    **options: Any,
) -> T:
    """Run ``action(api)`` with a fresh client (FAST retries unless ``retry=`` is given)."""
    options.setdefault("retry", FAST)

    async def main() -> T:
        async with ApiClient(connection(url, key), **options) as api:
            return await action(api)

    return asyncio.run(main())


def reset(emu: EmulatorThread) -> None:
    """Seed state, no faults, empty request log (``POST /_emulator/reset`` on its own loop)."""
    with urllib.request.urlopen(urllib.request.Request(emu.url + "/_emulator/reset", b"{}")):
        pass


def attempts(emu: EmulatorThread, method: str, path: str, expected: int = 1) -> int:
    """How many requests the emulator logged for ``method path`` (query not included).

    A request whose answer was lost may be retried after the test's call returns: wait (up
    to 2 s) for ``expected`` entries, then a little longer so that an unexpected extra one
    would be counted too.
    """

    def count() -> int:
        return sum(1 for r in emu.requests() if r["method"] == method and r["path"] == path)

    give_up = time.monotonic() + 2.0
    while count() < expected and time.monotonic() < give_up:
        time.sleep(0.005)
    time.sleep(0.02)
    return count()


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def key_event_body(name: str, table: str = "pageviews") -> dict[str, Any]:
    """A key event body (``tests.builders.key_event``)."""
    return key_event(name, table)


def single_attribute_body(identifier: str, key_event_id: str = "810") -> dict[str, Any]:
    """A single attribute on the url column (``tests.builders.single_attr``)."""
    return single_attr(identifier, key_event_id, valueColumn="td_url")


# --- the CLI against the emulator --------------------------------------------------------------

CLI_KEY = "1/plan-apply-SECRET"
EXAMPLES = Path(__file__).parents[2] / "examples"
WRITES = ("POST", "PATCH", "DELETE")


def rtcfg(emu: EmulatorThread, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """``rtcfg ARGS`` in-process against ``emu`` (segment 1069944 by default): (exit, out, err).
    Fails the test if the key or a traceback shows in the output."""
    env = {
        "RTCFG_ENDPOINT": emu.url,
        "TDX_API_KEY": CLI_KEY,
        "TD_API_KEY": "",
        "TDX_PROFILE": "",
        "RTCFG_PS_ID": EMPTY_ID,
    }
    result = CliRunner().invoke(cli, list(args), env=env, input=stdin)
    output = result.stdout + result.stderr
    assert CLI_KEY not in output and "Traceback" not in output, output
    return result.exit_code, result.stdout, result.stderr


def writes(emu: EmulatorThread) -> list[str]:
    """``METHOD path`` of every write in the request log."""
    return [f"{r['method']} {r['path']}" for r in emu.requests() if r["method"] in WRITES]


def example(tmp_path: Path, name: str) -> str:
    """A copy of ``examples/<name>`` in ``tmp_path`` (its path as text)."""
    target = tmp_path / name
    shutil.copy(EXAMPLES / name, target)
    return str(target)


def control(emu: EmulatorThread, endpoint: str, **cfg: Any) -> Any:
    """``POST /_emulator/<endpoint>`` with ``cfg``; its JSON answer (fails on an error)."""
    data = json.dumps(cfg).encode()
    request = urllib.request.Request(f"{emu.url}/_emulator/{endpoint}", data)
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


# --- plan and apply in this process (the httpx transport into the emulator) --------------------


PS = EMPTY_ID  # RT enabled, nothing configured; its batch columns include city, email


OPTIONS = ApplyOptions(first_poll=0.0, max_poll=0.0, status_timeout=5.0)


HEAD = f"""parent_segment_id: "{PS}"
events:
  - {{name: pv, database: events_db, table: pageviews}}
id_stitching:
  stitching_keys: [{{name: td_client_id}}]
attributes:
"""


class InProcess:
    """One emulator in this process, and rtcfg's pipeline against it through the real client
    (over the in-process transport): what the property and behaviour tests drive."""

    def __init__(self, emulator: Emulator, retry: RetryPolicy = FAST, ps_id: str = PS) -> None:
        self.emulator = emulator
        self.transport = EmulatorTransport(emulator)
        self.retry = retry
        self.ps_id = ps_id

    def run(self, action: Callable[[ApiClient], Awaitable[T]]) -> T:
        async def main() -> T:
            async with ApiClient(
                connection("http://127.0.0.1:9"), retry=self.retry, transport=self.transport
            ) as api:
                return await action(api)

        return asyncio.run(main())

    def plan_file(self, file: Path, config_file: str | None = None) -> SegmentPlan:
        """The plan of config ``file`` against the emulator's live state of its segment."""
        desired = desired_state(load_config_or_raise(file, {}))
        shown = config_file or str(file)

        async def make(api: ApiClient) -> SegmentPlan:
            live = await read_live_state(api, self.ps_id)
            return build_segment_plan(desired, live, config_file=shown, config_sha256="-")

        return self.run(make)

    def apply_plan(self, plan: SegmentPlan, options: ApplyOptions = OPTIONS) -> ApplyResult:
        return self.run(lambda api: apply_plan(api, plan, options))


class Segment(InProcess):
    """Segment PS with ``HEAD`` and the attributes a test gives, planned and applied."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(Emulator(update_seconds=0.0))
        self.file = tmp_path / "rt_config.yaml"

    def plan(self, attributes: str) -> SegmentPlan:
        self.file.write_text(HEAD + attributes, encoding="utf-8")
        return self.plan_file(self.file, "rt.yaml")

    def apply(self, attributes: str) -> list[str]:
        """The errors of the failed steps (none: it worked)."""
        return [str(r.error) for r in self.apply_plan(self.plan(attributes)).failed]


class RecordedWaits:
    """A clock for the client that records each wait and moves its time on by it at once:
    retries cost no real time, and the test reads the waits instead of the -v log."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + sum(self.waits)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, sleep=self.sleep)
