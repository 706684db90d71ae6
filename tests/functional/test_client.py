"""rtcfg.api.client: connection resolution, auth, pagination, unwrapping, DELETE, -v logging.

Everything that sends a request speaks HTTP to the emulator over a real socket.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from rtcfg.api.client import ApiClient
from rtcfg.api.connection import Connection, resolve_connection
from rtcfg.emulator import EmulatorThread
from rtcfg.emulator.app import load_seed
from rtcfg.errors import ApiError, CredentialsError, NotFoundError, UsageError

from .emulator_support import (
    KEY,
    POPULATED,
    attempts,
    call,
    key_event_body,
    reset,
    single_attribute_body,
)

US = ("https://api-cdp.treasuredata.com", "https://api.treasuredata.com")
JP = ("https://api-cdp.treasuredata.co.jp", "https://api.treasuredata.co.jp")
EU = ("https://api-cdp.eu01.treasuredata.com", "https://api.eu01.treasuredata.com")
AP2 = ("https://api-cdp.ap02.treasuredata.com", "https://api.ap02.treasuredata.com")
AP3 = ("https://api-cdp.ap03.treasuredata.com", "https://api.ap03.treasuredata.com")
LOCAL = "http://127.0.0.1:8765"
BASE_ENV = {"TDX_API_KEY": "1/k"}


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(api_key=KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "emu" in request.fixturenames:
        reset(request.getfixturevalue("emu"))


# --- connection resolution (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "env", "site", "bases"),
    [
        ({}, {}, "us01", US),
        ({"site": "jp01"}, {}, "jp01", JP),
        ({"site": "AP01"}, {}, "jp01", JP),
        ({"site": "eu01"}, {}, "eu01", EU),
        ({"site": "ap02"}, {}, "ap02", AP2),
        ({"site": "ap03"}, {}, "ap03", AP3),
        ({}, {"TDX_SITE": "eu01"}, "eu01", EU),
        ({}, {"RTCFG_SITE": "ap02", "TDX_SITE": "eu01"}, "ap02", AP2),
        ({"site": "jp01"}, {"RTCFG_SITE": "ap02"}, "jp01", JP),
        ({"endpoint": LOCAL}, {}, "us01", (LOCAL, LOCAL)),
        ({"endpoint": LOCAL + "/"}, {}, "us01", (LOCAL, LOCAL)),
        ({}, {"RTCFG_ENDPOINT": "http://localhost:9"}, "us01", ("http://localhost:9",) * 2),
        ({"endpoint": "https://proxy.example"}, {}, "us01", ("https://proxy.example", US[1])),
        (
            {"endpoint": "https://proxy.example", "td_endpoint": "https://td.example"},
            {},
            "us01",
            ("https://proxy.example", "https://td.example"),
        ),
        (
            {"site": "eu01"},
            {"RTCFG_TD_ENDPOINT": "https://td.example"},
            "eu01",
            (EU[0], "https://td.example"),
        ),
        (
            {"endpoint": LOCAL, "td_endpoint": "http://[::1]:1"},
            {},
            "us01",
            (LOCAL, "http://[::1]:1"),
        ),
    ],
)
def test_site_and_endpoints_resolve(
    options: dict[str, str], env: dict[str, str], site: str, bases: tuple[str, str]
) -> None:
    args: dict[str, Any] = {"site": None, "endpoint": None, "td_endpoint": None, "profile": None}
    conn = resolve_connection(**{**args, **options}, env={**BASE_ENV, **env})
    assert (conn.site, conn.cdp_base, conn.td_base) == (site, *bases)


@pytest.mark.parametrize(
    ("profile", "env", "key", "source", "notice"),
    [
        (None, {"TDX_API_KEY": "1/a"}, "1/a", "TDX_API_KEY", None),
        (
            "prod-eu.2",
            {"TDX_API_KEY_PROD_EU_2": "1/p", "TDX_API_KEY": "1/a"},
            "1/p",
            "TDX_API_KEY_PROD_EU_2",
            None,
        ),
        (None, {"TDX_PROFILE": "dev", "TDX_API_KEY_DEV": "1/d"}, "1/d", "TDX_API_KEY_DEV", None),
        ("dev", {"TDX_API_KEY": "1/a"}, "1/a", "TDX_API_KEY", "TDX_API_KEY_DEV"),
        (None, {"TDX_API_KEY": "", "TD_API_KEY": "1/old"}, "1/old", "TD_API_KEY", "deprecated"),
        (None, {"TDX_API_KEY": " 1/a \n"}, "1/a", "TDX_API_KEY", None),
    ],
)
def test_api_key_resolves_from_profile_then_default_then_legacy_variable(
    profile: str | None, env: dict[str, str], key: str, source: str, notice: str | None
) -> None:
    conn = resolve_connection(None, None, None, profile, env)
    assert (conn.api_key, conn.key_source) == (key, source)
    if notice is None:
        assert conn.notices == ()
    else:
        assert len(conn.notices) == 1 and notice in conn.notices[0]


def test_missing_key_names_every_variable_looked_at() -> None:
    with pytest.raises(CredentialsError) as err:
        resolve_connection(None, None, None, "ci", {"TDX_API_KEY": "  "})
    assert all(n in str(err.value) for n in ("TDX_API_KEY_CI", "TDX_API_KEY", "TD_API_KEY"))


def test_key_with_inner_whitespace_is_refused_without_echoing_it() -> None:
    with pytest.raises(CredentialsError) as err:
        resolve_connection(None, None, None, None, {"TDX_API_KEY": "1/abc def"})
    assert "abc" not in str(err.value) and "TDX_API_KEY" in str(err.value)


def test_unknown_site_is_a_usage_error_listing_the_sites() -> None:
    with pytest.raises(UsageError) as err:
        resolve_connection("us02", None, None, None, BASE_ENV)
    assert all(s in str(err.value) for s in ("us01", "jp01", "ap01", "eu01", "ap02", "ap03"))


@pytest.mark.parametrize("endpoint", ["ftp://host", "api-cdp.treasuredata.com", "https://h/?q=1"])
def test_malformed_endpoint_is_a_usage_error(endpoint: str) -> None:
    with pytest.raises(UsageError):
        resolve_connection(None, endpoint, None, None, BASE_ENV)


@pytest.mark.parametrize(
    ("endpoint", "td_endpoint"),
    [
        ("http://api-cdp.example.com", None),
        (LOCAL, "http://td.example.com"),
        ("http://10.0.0.1", None),
    ],
)
def test_key_is_not_sent_over_plain_http_to_other_hosts(
    endpoint: str, td_endpoint: str | None
) -> None:
    with pytest.raises(CredentialsError, match="plain http"):
        resolve_connection(None, endpoint, td_endpoint, None, BASE_ENV)
    with pytest.raises(CredentialsError):
        ApiClient(Connection(endpoint, td_endpoint or endpoint, "1/k"))


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:1", "http://127.9.8.7", "http://localhost:8", "http://[::1]:8"]
)
def test_plain_http_to_loopback_is_allowed(endpoint: str) -> None:
    assert resolve_connection(None, endpoint, None, None, BASE_ENV).cdp_base == endpoint


def test_repr_of_connection_hides_the_key() -> None:
    conn = resolve_connection(None, None, None, None, {"TDX_API_KEY": "1/SECRET-KEY-abc123"})
    assert "SECRET" not in repr(conn) and "SECRET" not in str(conn)
    assert "SECRET" not in repr(ApiClient(conn))


# --- against the emulator -----------------------------------------------------------------------


def test_right_key_is_sent_as_td1_authorization(emu: EmulatorThread) -> None:
    setting = call(emu.url, lambda api: api.get(f"/audiences/{POPULATED}/realtime_setting"))
    assert setting["id"] == "291" and setting["status"] == "ok"


def test_wrong_key_is_a_clear_401_naming_the_variable_not_the_key(emu: EmulatorThread) -> None:
    with pytest.raises(ApiError) as err:
        call(emu.url, lambda api: api.get("/audiences"), key="1/wrong-key")
    text = str(err.value)
    assert err.value.status == 401 and "invalid API key" in text and "TEST_KEY" in text
    assert "wrong-key" not in text and "GET /audiences" in text
    assert attempts(emu, "GET", "/audiences") == 1  # a 4xx is never retried


def test_td_api_paths_go_to_the_td_base(emu: EmulatorThread) -> None:
    body = call(emu.url, lambda api: api.get("/v3/database/list", td=True))
    assert {d["name"] for d in body["databases"]} >= {"events_db", "master_db"}


def test_get_of_a_list_returns_it_as_is(emu: EmulatorThread) -> None:
    body = call(emu.url, lambda api: api.get(f"/audiences/{POPULATED}/realtime_key_events"))
    assert set(body) == {"data", "pagination"} and len(body["data"]) == 4


def test_list_all_follows_next_page_until_null(emu: EmulatorThread) -> None:
    path = f"/audiences/{POPULATED}/realtime_attributes"
    items = call(emu.url, lambda api: api.list_all(path, {"types": "single,counter"}), page_size=2)
    assert [a["identifier"] for a in items] == [
        "last_product_viewed",
        "page_views_24h",
        "cart_quantity_7d",
        "purchases_total",
    ]
    assert attempts(emu, "GET", path, 2) == 2


def test_list_all_collects_hundreds_of_objects_across_pages() -> None:
    seed = copy.deepcopy(load_seed(None))
    ps = next(p for p in seed["parentSegments"] if p["id"] == POPULATED)
    for n in range(260):
        ke = {"id": str(5000 + n), "description": None, **key_event_body(f"bulk_{n:03}")}
        ps["realtime"]["keyEvents"].append(ke)
    path = f"/audiences/{POPULATED}/realtime_key_events"
    with EmulatorThread(seed) as server:
        items = call(server.url, lambda api: api.list_all(path), page_size=100)
        assert attempts(server, "GET", path, 3) == 3  # 100 + 100 + 64
        everything = call(server.url, lambda api: api.list_all(path))
        assert attempts(server, "GET", path, 4) == 4  # the default page size takes them at once
    ids = [i["id"] for i in items]
    assert len(ids) == 264 == len(set(ids)) and everything == items


def test_more_requests_than_connections_wait_for_a_free_one_and_all_succeed(
    emu: EmulatorThread,
) -> None:
    # each request in flight holds a connection of its own; the rest queue for one
    path = f"/audiences/{POPULATED}/realtime_key_events/810"

    async def many(api: ApiClient) -> list[Any]:
        return await asyncio.gather(*(api.get(path) for _ in range(40)))

    answers = call(emu.url, many, max_connections=4)
    assert [a["id"] for a in answers] == ["810"] * 40
    assert attempts(emu, "GET", path, 40) == 40


def test_post_attribute_is_unwrapped_and_post_key_event_taken_as_is(emu: EmulatorThread) -> None:
    async def create(api: ApiClient) -> tuple[Any, Any]:
        ke = await api.post(
            f"/audiences/{POPULATED}/realtime_key_events", key_event_body("clicks_x")
        )
        body = single_attribute_body("last_url", ke["id"])
        return ke, await api.post(f"/audiences/{POPULATED}/realtime_attributes", body)

    ke, attr = call(emu.url, create)
    assert ke["name"] == "clicks_x" and ke["id"].isdigit()
    assert attr["identifier"] == "last_url" and attr["realtimeKeyEventId"] == ke["id"]


def test_delete_of_a_missing_object_is_done(emu: EmulatorThread) -> None:
    path = f"/audiences/{POPULATED}/realtime_key_events/999999"
    assert call(emu.url, lambda api: api.delete(path)) is None
    assert attempts(emu, "DELETE", path) == 1


def test_delete_returns_the_answer_and_get_afterwards_is_not_found(emu: EmulatorThread) -> None:
    path = f"/audiences/{POPULATED}/realtime_attributes/2330"
    assert call(emu.url, lambda api: api.delete(path)) == {}
    with pytest.raises(NotFoundError, match="HTTP 404"):
        call(emu.url, lambda api: api.get(path))


def test_validation_error_carries_code_and_validation_code(emu: EmulatorThread) -> None:
    path = f"/audiences/{POPULATED}/realtime_key_events"
    with pytest.raises(ApiError) as err:
        call(emu.url, lambda api: api.post(path, key_event_body("page_view")))
    info = err.value.info
    assert (info.status, info.code, info.method, info.path) == (
        400,
        "validation_error",
        "POST",
        path,
    )
    assert info.details == {"validationCode": "VIOLATES_UNIQUENESS_CONSTRAINT"}


def test_verbose_log_has_one_line_per_attempt_and_never_the_key(
    emu: EmulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rtcfg.http")
    path = f"/audiences/{POPULATED}/realtime_setting"
    emu.set_faults(script=[{"method": "GET", "path": path, "fault": "503", "times": 1}])
    call(emu.url, lambda api: api.get(path))
    lines = [r.getMessage() for r in caplog.records if r.name == "rtcfg.http"]
    assert re.fullmatch(rf"GET {path} 503 \d+\.\d{{3}}s", lines[0])
    assert re.fullmatch(rf"GET {path} retry in \d+\.\d\ds \(HTTP 503\), attempt 2", lines[1])
    assert re.fullmatch(rf"GET {path} 200 \d+\.\d{{3}}s", lines[2])
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "rtcfg.http")
    assert KEY not in caplog.text and KEY not in json.dumps(lines)


def test_query_strings_stay_out_of_log_lines(
    emu: EmulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rtcfg.http")
    path = f"/audiences/{POPULATED}/realtime_key_events"
    call(emu.url, lambda api: api.list_all(path, {"name_include": "view"}), page_size=1)
    lines = [r.getMessage() for r in caplog.records if r.name == "rtcfg.http"]
    assert len(lines) == 2 and all("?" not in line and "page" not in line for line in lines)
