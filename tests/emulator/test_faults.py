"""Every fault kind, the lost response of a committed write, rate limit, seeds, concurrency."""

from __future__ import annotations

import socket
import threading
from typing import Any

import httpx
import pytest

from rtcfg.emulator import EmulatorThread
from tests.builders import AUTH, POP_PATH, key_event

KE = f"{POP_PATH}/realtime_key_events"


def _script(
    client: httpx.Client, fault: str, method: str = "POST", path: str = KE, **extra: Any
) -> None:
    cfg = {"script": [{"method": method, "path": path, "fault": fault, "times": 1}], **extra}
    assert client.post("/_emulator/faults", json=cfg).status_code == 200


def _names(client: httpx.Client) -> list[str]:
    return [k["name"] for k in client.get(KE).json()["data"]]


@pytest.mark.parametrize("code", ["500", "502", "503"])
def test_5xx_before_commit(client: httpx.Client, code: str) -> None:
    _script(client, code)
    r = client.post(KE, json=key_event("x"))
    assert r.status_code == int(code)
    assert r.json()["status"] == int(code)
    assert "x" not in _names(client)
    assert client.post(KE, json=key_event("x")).status_code == 200  # script consumed


def test_lost_response_commits_then_closes(client: httpx.Client) -> None:
    _script(client, "lost_response")
    with pytest.raises(httpx.TransportError):
        client.post(KE, json=key_event("dup_maker"))
    assert "dup_maker" in _names(client)
    log = client.get("/_emulator/requests").json()
    assert {"method": "POST", "path": KE, "status": 200, "fault": "lost_response"} in log


def test_drop_does_not_commit(client: httpx.Client) -> None:
    _script(client, "drop")
    with pytest.raises(httpx.TransportError):
        client.post(KE, json=key_event("dropped"))
    assert "dropped" not in _names(client)


def test_hang_before_and_after_commit(client: httpx.Client) -> None:
    _script(client, "hang_before_commit", hang_seconds=1.0)
    with pytest.raises(httpx.TimeoutException):
        client.post(KE, json=key_event("hb"), timeout=0.3)
    assert "hb" not in _names(client)
    _script(client, "hang_after_commit", hang_seconds=1.0)
    with pytest.raises(httpx.TimeoutException):
        client.post(KE, json=key_event("ha"), timeout=0.3)
    assert "ha" in _names(client)


@pytest.mark.parametrize("fault", ["reset", "truncated"])
def test_broken_bodies(client: httpx.Client, fault: str) -> None:
    _script(client, fault, method="GET")
    with pytest.raises(httpx.TransportError):
        client.get(KE)
    _script(client, fault)
    with pytest.raises(httpx.TransportError):
        client.post(KE, json=key_event("broken"))
    assert "broken" not in _names(client)


def test_non_json(client: httpx.Client) -> None:
    _script(client, "non_json")
    r = client.post(KE, json=key_event("html"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        r.json()
    assert "html" not in _names(client)


@pytest.mark.parametrize(
    ("mode", "check"), [("seconds", str.isdigit), ("http-date", lambda v: v.endswith("GMT"))]
)
def test_429_with_retry_after(client: httpx.Client, mode: str, check: Any) -> None:
    _script(client, "429", method="GET", retry_after=mode)
    r = client.get(KE)
    assert r.status_code == 429 and check(r.headers["retry-after"])


def test_rate_limit_token_bucket(client: httpx.Client) -> None:
    client.post("/_emulator/faults", json={"rate_limit": 2, "retry_after": "none"})
    codes = [client.get(KE).status_code for _ in range(6)]
    assert codes[:2] == [200, 200] and 429 in codes
    r = next(r for r in (client.get(KE) for _ in range(3)) if r.status_code == 429)
    assert "retry-after" not in r.headers
    client.post("/_emulator/faults", json={"rate_limit": 2, "retry_after": "seconds"})
    statuses = [client.get(KE) for _ in range(4)]
    assert any(r.status_code == 429 and r.headers["retry-after"] == "1" for r in statuses)


def test_emulator_paths_never_faulted(client: httpx.Client) -> None:
    client.post("/_emulator/faults", json={"rate": 1.0, "kinds": ["500"]})
    for _ in range(5):
        assert client.get("/_emulator/stats").status_code == 200
    assert client.get(KE).status_code == 500


def _fault_sequence(seed: int) -> list[str | None]:
    with (
        EmulatorThread(fault_rate=0.5, fault_seed=seed) as emu,
        httpx.Client(base_url=emu.url, headers=AUTH) as c,
    ):
        c.post("/_emulator/faults", json={"kinds": ["500", "503", "429"]})
        for _ in range(30):
            c.get(KE)
        return [e["fault"] for e in emu.requests()]


def test_seeded_random_faults_replay() -> None:
    first = _fault_sequence(7)
    assert first == _fault_sequence(7)
    assert first != _fault_sequence(8)
    assert {"500", "503", "429", None} == set(first)


def test_invalid_fault_config_400(client: httpx.Client) -> None:
    for cfg in ({"rate": 2}, {"kinds": ["boom"]}, {"nope": 1}, {"script": [{"fault": "x"}]}):
        assert client.post("/_emulator/faults", json=cfg).status_code == 400


def test_reset_clears_faults_and_log(client: httpx.Client) -> None:
    client.post("/_emulator/faults", json={"rate": 1.0, "kinds": ["500"]})
    client.post(KE, json=key_event("gone"))
    client.post("/_emulator/reset")
    assert client.get("/_emulator/requests").json() == []
    assert client.get(KE).status_code == 200
    assert client.get("/_emulator/faults").json()["rate"] == 0.0


def test_request_log_has_no_headers_or_query(client: httpx.Client) -> None:
    client.get(KE, params={"page[size]": "5"})
    assert client.get("/_emulator/requests").json() == [
        {"method": "GET", "path": KE, "status": 200, "fault": None}
    ]


def test_64_concurrent_requests_in_flight() -> None:
    with EmulatorThread(latency_ms=50) as emu:
        barrier = threading.Barrier(64)
        results: list[int] = []

        def worker() -> None:
            with httpx.Client(base_url=emu.url, headers=AUTH, timeout=30) as c:
                barrier.wait()
                results.append(c.get(f"{POP_PATH}/realtime_setting").status_code)

        threads = [threading.Thread(target=worker) for _ in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 64
        assert emu.stats()["max_in_flight"] >= 32


def test_stop_leaves_nothing_running() -> None:
    before = threading.active_count()
    emu = EmulatorThread().start()
    port = int(emu.url.rsplit(":", 1)[1])
    emu.stop()
    emu.stop()
    assert threading.active_count() == before
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
