"""The emulator application: store + faults + auth + request log + ``/_emulator`` control API."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .behaviours import parse_behaviours
from .errors import ApiError, bad_request
from .faults import Faults
from .http import WRITE_METHODS, Auth, Request
from .jsonbody import parse_json
from .router import handle
from .seedcheck import check_seed, read_seed_file
from .setting_status import check_control
from .state import Store

SeedArg = dict[str, Any] | str | Path | None
PACKAGE_SEED = Path(__file__).with_name("seed.json")
MAX_LOG = 50_000  # request log entries kept (GET /_emulator/requests)


def load_seed(seed: SeedArg) -> dict[str, Any]:
    """A seed given as a dict, a path, or None (the bundled ``seed.json``)."""
    if isinstance(seed, dict):
        check_seed(seed)
        return seed
    if seed is None:
        return json.loads(PACKAGE_SEED.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    return read_seed_file(Path(seed))  # capped, checked: SeedError names the field


def internal_error(req: Request, exc: Exception) -> dict[str, Any]:
    """The OAS ServerError body of an emulator failure, naming the request and the exception."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    return {
        "status": 500,
        "error": "Internal Server Error",
        "details": f"the emulator failed while answering {req.method} {req.path}: {detail}",
    }


def save_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` atomically (temp file in the same directory, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Emulator:
    """Everything but the sockets. Methods are called from the event-loop thread, except
    ``faults.configure``, ``requests`` and ``stats`` which are thread-safe."""

    def __init__(
        self,
        seed: SeedArg = None,
        *,
        update_seconds: float = 2.0,
        auth: Auth | None = None,
        faults: dict[str, Any] | None = None,
        state_file: str | Path | None = None,
        behaviours: dict[str, str] | list[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # clock: what the setting's "updating" time is measured with (a test can step it)
        self.store = Store(
            load_seed(seed),
            update_seconds=update_seconds,
            clock=clock,
            behaviours=parse_behaviours(behaviours),
        )
        self.auth = auth or Auth()
        self._fault_cfg = dict(faults or {})
        self.faults = Faults(**self._fault_cfg)
        self.state_file = Path(state_file) if state_file else None
        if self.state_file is not None and self.state_file.exists():
            self.store.load(load_seed(self.state_file))
        self._lock = threading.Lock()
        # bounded: an emulator left running for days keeps the latest MAX_LOG entries
        self._log: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)
        self.in_flight = 0
        self.max_in_flight = 0
        self.count = 0

    # --- bookkeeping ----------------------------------------------------------------------------

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.count += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def record(self, method: str, path: str, status: int | None, fault: str | None) -> None:
        with self._lock:
            self._log.append({"method": method, "path": path, "status": status, "fault": fault})

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._log]

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "requests": self.count,
            }

    def reset(self) -> None:
        self.store.reset()
        self.faults.configure(replace=True, **self._fault_cfg)
        with self._lock:
            self._log.clear()
            self.max_in_flight = self.in_flight
            self.count = 0
        self.save()

    def save(self) -> None:
        if self.state_file is not None:
            save_atomic(self.state_file, self.store.dump())

    @property
    def hang_seconds(self) -> float:
        """How long a ``hang_*`` fault waits before closing the connection."""
        return self.faults.hang_seconds

    # --- requests -------------------------------------------------------------------------------

    def api(self, req: Request) -> tuple[int, Any]:
        """Answer an API request and persist the state after a successful write."""
        try:
            status, body = handle(self.store, req, self.auth)
        except Exception as exc:  # an answer, never a dropped connection
            # every bad request is refused by a rule as a 4xx; anything else is the emulator's
            # fault (a rule missing, a seed it cannot serve), so it is a 500 saying so
            status, body = 500, internal_error(req, exc)
        if status < 300 and req.method in WRITE_METHODS:
            self.save()
        return status, body

    def control(self, req: Request) -> tuple[int, Any]:
        """The ``/_emulator/*`` endpoints (no auth, never faulted, not logged)."""
        route = (req.method, req.path)
        try:
            if route == ("GET", "/_emulator/requests"):
                return 200, self.requests()
            if route == ("GET", "/_emulator/stats"):
                return 200, self.stats()
            if route == ("POST", "/_emulator/reset"):
                self.reset()
                return 200, {}
            if route == ("GET", "/_emulator/behaviours"):
                return 200, dict(self.store.behaviours)
            if route == ("GET", "/_emulator/faults"):
                return 200, self.faults.snapshot()
            if route == ("POST", "/_emulator/setting"):
                cfg = check_control(parse_json(req.body or b"{}", "setting: the body"))
                return 200, self.store.control_setting(cfg)
            if route == ("POST", "/_emulator/faults"):
                cfg = parse_json(req.body or b"{}", "faults: the body")
                if not isinstance(cfg, dict):
                    raise bad_request("faults: body must be an object")
                return 200, self.faults.configure(**cfg)
            return 404, {"code": "not_found", "message": f"no route for {req.path}"}
        except ApiError as err:
            return err.status, err.body()
