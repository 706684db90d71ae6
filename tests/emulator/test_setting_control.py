"""``POST /_emulator/setting``: the setting stays updating, goes inconsistent, or meets a
concurrent writer, as the real service may make it, so clients' recovery can be tested."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from rtcfg.emulator import Emulator
from rtcfg.emulator.http import Request
from tests.builders import AUTH, POP_PATH, POPULATED_ID

SETTING = f"{POP_PATH}/realtime_setting"
SETTING_KEYS = ("keyColumns", "eventTables", "batchAttributes", "extLookupKey")


def control(client: httpx.Client, **cfg: Any) -> httpx.Response:
    return client.post("/_emulator/setting", json=cfg)


def setting_body(client: httpx.Client, path: str = SETTING) -> dict[str, Any]:
    live = client.get(path).json()
    return {k: live[k] for k in SETTING_KEYS}


def statuses(client: httpx.Client, count: int) -> list[str]:
    return [client.get(SETTING).json()["status"] for _ in range(count)]


def test_updating_for_n_polls_then_ok(client: httpx.Client) -> None:
    control(client, parent_segment=POPULATED_ID, status="updating", polls=2).raise_for_status()
    assert statuses(client, 4) == ["updating", "updating", "ok", "ok"]


def test_updating_without_polls_stays_and_refuses_a_patch(client: httpx.Client) -> None:
    body = setting_body(client)
    control(client, parent_segment=POPULATED_ID, status="updating").raise_for_status()
    assert set(statuses(client, 5)) == {"updating"}
    assert client.patch(SETTING, json=body).status_code == 409
    client.post("/_emulator/reset")
    assert statuses(client, 1) == ["ok"]


def test_inconsistent_after_the_next_patch_until_the_one_after(client: httpx.Client) -> None:
    detail = {"message": "table events_db.pageviews lost column td_url"}
    cfg = {"status": "inconsistent", "status_detailed": detail, "when": "next_patch"}
    answer = control(client, parent_segment=POPULATED_ID, **cfg).json()
    assert answer["after_next_patch"]["status"] == "inconsistent" and answer["held"] is None
    assert statuses(client, 1) == ["ok"]
    body = setting_body(client)
    assert client.patch(SETTING, json=body).json()["status"] == "inconsistent"
    live = client.get(SETTING).json()
    assert (live["status"], live["statusDetailed"]) == ("inconsistent", detail)
    client.patch(SETTING, json=body).raise_for_status()
    assert client.get(SETTING).json()["statusDetailed"] is None


@pytest.mark.parametrize(
    "cfg",
    [
        {},
        {"parent_segment": POPULATED_ID},
        {"parent_segment": 1069935, "status": "updating"},
        {"parent_segment": POPULATED_ID, "status": "ok"},
        {"parent_segment": POPULATED_ID, "status": "updating", "polls": -1},
        {"parent_segment": POPULATED_ID, "status": "updating", "polls": True},
        {"parent_segment": POPULATED_ID, "status": "updating", "when": "later"},
        {"parent_segment": POPULATED_ID, "concurrent_patch": []},
        {"parent_segment": POPULATED_ID, "concurrent_patch": {"keyColumns": []}},
        {"parent_segment": POPULATED_ID, "status": "updating", "nope": 1},
        {"parent_segment": "999", "status": "updating"},
    ],
)
def test_a_bad_control_is_refused_and_changes_nothing(
    client: httpx.Client, cfg: dict[str, Any]
) -> None:
    assert control(client, **cfg).status_code in (400, 404)
    assert statuses(client, 1) == ["ok"]


class InProcess:
    """An emulator called directly, its clock stepped by the test."""

    def __init__(self) -> None:
        self.now = 100.0
        self.emulator = Emulator(update_seconds=30.0, clock=lambda: self.now)

    def call(self, method: str, body: Any = None, path: str = SETTING) -> tuple[int, Any]:
        headers = {k.lower(): v for k, v in AUTH.items()} | {"content-type": "application/json"}
        data = b"" if body is None else json.dumps(body).encode()
        return self.emulator.api(Request(method, path, "", headers, data))

    def setting(self) -> dict[str, Any]:
        status, live = self.call("GET")
        assert status == 200, live
        return dict(live)


def test_updating_ends_when_the_injected_clock_says_so() -> None:
    emu = InProcess()
    body = {k: emu.setting()[k] for k in SETTING_KEYS}
    assert emu.call("PATCH", body)[1]["status"] == "updating"
    emu.now += 29.9
    assert emu.setting()["status"] == "updating"
    emu.now += 0.1
    assert emu.setting()["status"] == "ok"


def test_a_concurrent_patch_lands_first_and_the_client_gets_409() -> None:
    emu = InProcess()
    ours = {k: emu.setting()[k] for k in SETTING_KEYS}
    theirs = {**ours, "batchAttributes": [*ours["batchAttributes"], {"column": "city"}]}
    cfg = {"parent_segment": POPULATED_ID, "concurrent_patch": theirs}
    assert emu.emulator.store.control_setting(cfg)["concurrent_patch"] == theirs
    status, answer = emu.call("PATCH", ours)
    assert (status, answer["code"]) == (409, "conflict")
    live = emu.setting()
    assert live["status"] == "updating" and live["batchAttributes"][-1]["column"] == "city"
    emu.now += 30
    assert emu.call("PATCH", ours)[0] == 200  # once: the next PATCH meets no other writer
