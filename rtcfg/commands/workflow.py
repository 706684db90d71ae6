"""The commands as plain typed functions wiring the pipeline stages; cli only parses and prints.

Modules that pull in pydantic, httpx, jinja2 or tabulate are imported inside the functions that need
them, so ``rtcfg validate`` and ``rtcfg --version`` stay fast.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rtcfg.commands.safety import refuse_destructive as refuse_destructive  # re-exported
from rtcfg.commands.safety import refuse_if_stale as refuse_if_stale
from rtcfg.engine.planfile import MAX_PLAN_BYTES as MAX_PLAN_BYTES  # re-exported
from rtcfg.engine.planfile import looks_like_saved_plan as looks_like_saved_plan
from rtcfg.engine.planfile import read_saved_plan as read_saved_plan
from rtcfg.errors import Problem, RtcfgError

if TYPE_CHECKING:  # pydantic is imported only by commands that read a config (start-up time)
    from rtcfg.config.models import Config

T = TypeVar("T")


@dataclass
class ValidationResult:
    """The outcome of validating one file."""

    file: str
    config: Config | None
    problems: list[Problem]
    document: Any = None  # rtcfg.config.yamlio.LoadedDocument, for online problems' positions

    def failed(self, strict: bool) -> bool:
        """Errors fail; with ``strict``, warnings fail too."""
        return any(p.severity == "error" or strict for p in self.problems)


def validate_files(
    files: Sequence[str], env: Mapping[str, str] | None = None
) -> list[ValidationResult]:
    """Offline validation of each file; every problem of every file is collected."""
    from rtcfg.config.models import load_config

    results = []
    for file in files:
        config, document, problems = load_config(file, env)
        results.append(ValidationResult(file, config, problems, document))
    return results


async def validate_online(connection: Any, results: Sequence[ValidationResult]) -> None:
    """Add the online checks' problems to each result that loaded (offline errors first)."""
    from rtcfg.checks.online import online_problems

    async with _client(connection) as api:
        for result in results:
            if result.config is not None and result.document is not None:
                result.problems.extend(await online_problems(api, result.config, result.document))


def check_output_path(path: str) -> None:
    """Fail before any request when an output file cannot be written (its folder is missing)."""
    from rtcfg.errors import UsageError

    folder = Path(path).parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist")


def write_output(path: str, text: str) -> None:
    """Write a result file; a failure is a message, not a traceback."""
    from rtcfg.errors import UsageError
    from rtcfg.safe_text import escape_output, redact

    try:  # what goes into a file passes the same filter as what is printed
        Path(path).write_text(escape_output(redact(text)), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of rt_config.yaml (``rtcfg.commands.schema``)."""
    from rtcfg.commands.schema import config_json_schema as build

    return build()


def write_schema(output: str | None) -> str:
    """The schema as text; written to ``output`` when given."""
    from rtcfg.commands.schema import schema_text

    text = schema_text()
    if output:
        write_output(output, text)
    return text


def _client(connection: Any, deadline: float | None = 600.0) -> Any:
    from rtcfg.api.client import ApiClient

    return ApiClient(connection, deadline=deadline)


# What code that reads an answer raises when the answer is not of the shape the API
# documents (a list where an object belongs, a number for a name): a wrong endpoint, a proxy,
# a broken server. Bytes from a server are hostile: a message, never a traceback.
_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError)


async def guard_answers(work: Awaitable[T]) -> T:
    """``await work``; an answer of an unexpected shape becomes a TransportError."""
    from rtcfg.errors import TransportError
    from rtcfg.safe_text import safe

    try:
        return await work
    except _SHAPE_ERRORS as exc:
        raise TransportError(
            "an answer of the API has a shape rtcfg does not understand "
            f"({type(exc).__name__}: {safe(str(exc))[:200]}): is --endpoint right? "
            "(-v lists the requests)"
        ) from None


class ApiSession:
    """One event loop and one API client for all the API work of a command, so that apply
    reuses the connections its plan opened, and the check after it those of the writes (over
    https every new connection costs a TLS handshake). Between two ``run`` calls the loop is
    idle: a confirmation prompt in between works as usual, and Ctrl-C inside a call cancels
    it cleanly (``asyncio.Runner``). Each call has its own deadline. Python 3.10 has no
    ``asyncio.Runner``; there each call runs on its own loop with its own client."""

    def __init__(self, connection: Any) -> None:
        import asyncio

        self.connection = connection
        runner = getattr(asyncio, "Runner", None)
        self._runner = runner() if runner is not None else None
        self._api: Any = None

    def run(self, work: Callable[[Any], Awaitable[T]], deadline: float | None = 600.0) -> T:
        """``await work(api)`` and return its result; requests give up after ``deadline``."""
        if self._runner is None:
            import asyncio

            return asyncio.run(self._with_own_client(work, deadline))
        if self._api is None:
            from rtcfg.api.client import quiet_cancelled_reads

            quiet_cancelled_reads(self._runner.get_loop())
            self._api = _client(self.connection, deadline)  # set first: close() closes it
            self._runner.run(self._api.__aenter__())
        self._api.set_deadline(deadline)
        result: T = self._runner.run(guard_answers(work(self._api)))
        return result

    async def _with_own_client(
        self, work: Callable[[Any], Awaitable[T]], deadline: float | None
    ) -> T:
        import asyncio

        from rtcfg.api.client import quiet_cancelled_reads

        quiet_cancelled_reads(asyncio.get_running_loop())
        async with _client(self.connection, deadline) as api:
            return await guard_answers(work(api))

    def close(self) -> None:
        """Close the client's connections and the loop (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            if self._api is not None:
                runner.run(self._api.aclose())
        finally:
            runner.close()

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# How many realtime_setting reads ``rtcfg segments`` keeps in flight at once: enough that a few
# hundred parent segments take a handful of round trips, few enough not to be rate limited.
SEGMENT_READS_IN_FLIGHT = 16


async def list_segments(connection: Any, pattern: str | None) -> list[dict[str, Any]]:
    """Parent segments (id, name, RT enabled, setting status) whose name or id matches
    ``pattern`` (a glob). The Audience has no RT flag (cdp-openapi.yml l.7608), so each
    matching segment's realtime_setting is read, concurrently and at most
    SEGMENT_READS_IN_FLIGHT at a time: a setting answer means RT 2.0 is enabled."""
    import asyncio
    import fnmatch

    async with _client(connection) as api:
        audiences = await api.get("/audiences")
        rows = [{"id": str(a.get("id")), "name": a.get("name")} for a in audiences]
        if pattern:
            glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
            rows = [
                r
                for r in rows
                if fnmatch.fnmatch(str(r["name"]).lower(), glob.lower())
                or fnmatch.fnmatch(r["id"], glob)
            ]
        slots = asyncio.Semaphore(SEGMENT_READS_IN_FLIGHT)
        await asyncio.gather(*(_add_rt_status(api, row, slots) for row in rows))
    return sorted(rows, key=lambda r: (str(r["name"]).lower(), r["id"]))


async def _add_rt_status(api: Any, row: dict[str, Any], slots: Any) -> None:
    from rtcfg.api.live import read_rt_setting

    async with slots:
        setting = await read_rt_setting(api, row["id"])
    row["rt_enabled"] = setting is not None
    row["rt_status"] = None if setting is None else setting.get("status")


def _status_message(status: Any, detailed: Any, ps_id: str) -> str | None:
    """What a person should know about the setting's status, or None when all is well."""
    from rtcfg.api.live import SETTING_NOT_CONFIGURED, inconsistent_message

    if status in SETTING_NOT_CONFIGURED:
        return (
            f"RT 2.0 is enabled, not configured yet (status {status}): write rt_config.yaml "
            f"(or `rtcfg import {ps_id} -o rt_config.yaml`), then `rtcfg plan` and `rtcfg apply`"
        )
    if status == "inconsistent":
        return inconsistent_message(detailed)
    return None


DISABLED_REPORT = {
    "config_exists": False,
    "status": "disabled",
    "message": "RT 2.0 is not enabled; ask your CSM to enable it "
    "(--csm-request FILE writes the request)",
}


async def segment_status(connection: Any, ps_id: str) -> dict[str, Any]:
    """RT enabled? config exists? the setting's status and the counts of what is configured.
    The parent segment and its RT configuration are read at the same time (one round trip);
    RT 2.0 counts as enabled when the realtime_setting answers (the Audience has no flag)."""
    import asyncio

    from rtcfg.api.live import RtNotEnabledError, read_audience, read_live_state, summarize

    async with _client(connection) as api:
        audience, live = await asyncio.gather(
            read_audience(api, ps_id), read_live_state(api, ps_id), return_exceptions=True
        )
    if isinstance(audience, BaseException):
        raise audience
    report: dict[str, Any] = {
        "parent_segment_id": ps_id,
        "parent_segment_name": audience.get("name"),
        "rt_enabled": not isinstance(live, RtNotEnabledError),
    }
    if isinstance(live, RtNotEnabledError):
        return {**report, **DISABLED_REPORT}
    if isinstance(live, BaseException):
        raise live
    counts = summarize(live)
    exists = bool(counts["event_tables"] or counts["key_events"] or counts["stitching_keys"])
    status = live.setting_meta.get("status")
    detailed = live.setting_meta.get("statusDetailed")
    message = _status_message(status, detailed, ps_id)
    return {
        **report,
        "config_exists": exists,
        "status": status,
        "status_detailed": detailed,
        **({"message": message} if message else {}),
        **counts,
    }


async def import_segment(connection: Any, ps_id: str, output: str, force: bool) -> Any:
    """Read the live configuration of ``ps_id`` and write it as rt_config.yaml to ``output``
    (``-`` for stdout: the text is returned and nothing is written)."""
    from rtcfg.api.live import read_audience, read_live_state
    from rtcfg.model.importer import check_writable, import_live

    check_writable(output, force)
    if output != "-":
        check_output_path(output)
    async with _client(connection) as api:
        audience = await read_audience(api, ps_id)  # first: an unknown id is its own error
        live = await read_live_state(api, ps_id)
    result = import_live(live, audience.get("name"))
    if output != "-":
        write_output(output, result.text)
        from rtcfg.commands.schema import write_schema_beside

        result.schema_written = write_schema_beside(output)
    return result


# --- plan and apply ---------------------------------------------------------------------------


@dataclass
class Desired:
    """One config file, loaded and translated; plan and the check after apply both need it."""

    file: str
    sha256: str
    state: Any  # rtcfg.model.state.State


def load_desired(files: Sequence[str], env: Mapping[str, str] | None = None) -> list[Desired]:
    """Load and translate every file; any config error stops here, before a request is sent."""
    from rtcfg.config.models import load_config_and_digest
    from rtcfg.errors import ConfigError, UsageError
    from rtcfg.model.translate import desired_state

    problems: list[Problem] = []
    loaded: list[Desired] = []
    for file in files:
        if looks_like_saved_plan(file):
            raise UsageError(
                f"{file} is a plan saved by `rtcfg plan -o`, not a configuration: "
                f"`rtcfg apply {file}` applies it; `rtcfg plan` takes rt_config.yaml files"
            )
        try:
            config, digest = load_config_and_digest(file, env)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        loaded.append(Desired(file, digest, desired_state(config)))
    if problems:
        raise ConfigError(problems)
    _one_file_per_segment(loaded, UsageError)
    return loaded


def _one_file_per_segment(loaded: list[Desired], error: type[Exception]) -> None:
    seen: dict[str, str] = {}
    for item in loaded:
        ps_id = item.state.parent_segment_id
        if ps_id in seen:
            raise error(
                f"{seen[ps_id]} and {item.file} both configure parent segment {ps_id}; "
                "keep one file per parent segment"
            )
        seen[ps_id] = item.file


async def plan_files(
    api: Any,
    desired: Sequence[Desired],
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
) -> Any:
    """Read each parent segment's live state (GETs only, concurrently) and plan the changes."""
    import asyncio

    from rtcfg import __version__
    from rtcfg.api.live import read_live_state
    from rtcfg.engine.plan import Plan, build_segment_plan

    reads = (read_live_state(api, d.state.parent_segment_id) for d in desired)
    lives = await asyncio.gather(*reads)
    segments = [
        build_segment_plan(
            d.state,
            live,
            config_file=d.file,
            config_sha256=d.sha256,
            targets=targets,
            excludes=excludes,
        )
        for d, live in zip(desired, lives, strict=True)
    ]
    await asyncio.gather(
        *(_add_references(api, s, live) for s, live in zip(segments, lives, strict=True))
    )
    return Plan(segments, __version__)


async def _add_references(api: Any, segment: Any, live: Any) -> None:
    """Name what each replace/delete breaks; read only when the plan has one."""
    from rtcfg.api.references import find_references

    addresses = [c.address for c in segment.destructive]
    if not addresses:
        return
    found = await find_references(api, live, addresses)
    segment.breaks = found.breaks
    segment.references_unchecked = found.unchecked


def is_saved_plan(files: Sequence[str]) -> bool:
    """``rtcfg apply PLAN``: one argument whose content is a saved plan."""
    return len(files) == 1 and looks_like_saved_plan(files[0])


@dataclass
class ApplyOutcome:
    """Step results per segment, and what is still different after apply."""

    results: list[Any]  # rtcfg.engine.apply.ApplyResult, one per segment
    remaining: list[str]
    unverified: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.remaining or self.unverified) and not any(r.failed for r in self.results)


async def apply_planned(
    api: Any,
    plan: Any,
    desired: Sequence[Desired] | None,
    options: Any,
    progress: Any,
) -> ApplyOutcome:
    """Run each segment's steps, then re-read live state and diff it with the config: what
    this plan meant to change and is still different failed (objects it left out, by
    --target / --exclude, are not its business, nor are refusals about them). ``api`` has no
    deadline: each request has its retries, and the wait for the setting its own limit."""
    from rtcfg.engine.apply import apply_plan

    results = [await apply_plan(api, s, options, progress) for s in plan.segments if s.steps]
    intended = {(s.parent_segment_id, c.address) for s in plan.segments for c in s.changes}
    remaining: list[str] = []
    unverified = None
    if not desired:  # never skipped silently: no config to compare with is "not verified"
        files = ", ".join(s.config_file for s in plan.segments)
        unverified = (
            f"the config file(s) the plan was made from ({files}) are gone, changed or no "
            "longer load, so live state was not compared with them"
        )
    else:
        try:
            remaining = await still_different(api, desired, intended)
        except RtcfgError as exc:  # the writes are made: report them, and say what is unknown
            unverified = f"re-reading live state failed: {exc}"
    return ApplyOutcome(results, remaining, unverified)


async def still_different(
    api: Any, desired: Sequence[Desired], intended: set[tuple[str, str]]
) -> list[str]:
    """Re-read live state and diff it with the config, keeping only the plan's own addresses
    (``intended``: parent segment, address). That is the plan's selection as it was made: a
    saved plan records no patterns, only the changes they chose, and a pattern re-matched now
    could pick objects the plan never touched. Only the diff, never the plan's refusals: a
    refusal (``ext_lookup_key cannot be unset``) of an object the plan left out is not the
    apply's failure, and one inside it shows as that address still being different."""
    import asyncio

    from rtcfg.api.live import read_live_state
    from rtcfg.engine.diff import diff_states

    lives = await asyncio.gather(
        *(read_live_state(api, d.state.parent_segment_id) for d in desired)
    )
    return [
        change.address
        for d, live in zip(desired, lives, strict=True)
        for change in diff_states(d.state, live)
        if (d.state.parent_segment_id, change.address) in intended
    ]


def desired_for_saved_plan(plan: Any, env: Mapping[str, str] | None = None) -> list[Desired]:
    """The config files a saved plan was made from, when they are unchanged (to re-plan after
    apply); a changed or missing file means apply runs the plan without that check."""
    import hashlib

    from rtcfg.config.source import ConfigReadError, read_config_bytes
    from rtcfg.errors import ConfigError

    def unchanged(file: str, digest: str) -> bool:
        # a path from the plan file: only a regular file, read capped (never stdin, a device)
        if file == "-" or not Path(file).is_file():
            return False
        try:
            return hashlib.sha256(read_config_bytes(file)).hexdigest() == digest
        except ConfigReadError:
            return False

    files = [s.config_file for s in plan.segments if unchanged(s.config_file, s.config_sha256)]
    if len(files) != len(plan.segments):
        return []
    try:
        desired = load_desired(files, env)
    except (ConfigError, RtcfgError):  # e.g. a ${VAR} unset now: the plan does not need it
        return []
    same = [d.state.parent_segment_id for d in desired] == [
        s.parent_segment_id for s in plan.segments
    ]
    return desired if same else []
