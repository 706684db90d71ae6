"""Cursor pagination across pages, page[size] limits, sorting, filters kept in nextPage."""

from __future__ import annotations

import httpx

from tests.builders import EMPTY_PATH, POP_PATH, key_event

from .helpers import error_of, setting_body

KE = f"{EMPTY_PATH}/realtime_key_events"


def _fill(client: httpx.Client, n: int) -> list[str]:
    body = setting_body(client, EMPTY_PATH)
    body["eventTables"] = [{"database": "events_db", "table": "pageviews"}]
    assert client.patch(f"{EMPTY_PATH}/realtime_setting", json=body).status_code == 200
    return [client.post(KE, json=key_event(f"ev_{i:02d}")).json()["id"] for i in range(n)]


def _walk(client: httpx.Client, first: str) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    pages: list[str] = []
    url: str | None = first
    while url:
        pages.append(url)
        body = client.get(url).json()
        ids += [x["id"] for x in body["data"]]
        url = body["pagination"]["nextPage"]
    return ids, pages


def test_pages_cover_everything_once(client: httpx.Client) -> None:
    created = _fill(client, 25)
    ids, pages = _walk(client, f"{KE}?page%5Bsize%5D=10")
    assert ids == created
    assert len(pages) == 3
    assert pages[1].startswith(f"{KE}?page%5Bafter%5D=")
    assert "page%5Bsize%5D=10" in pages[1]


def test_default_page_size_100(client: httpx.Client) -> None:
    _fill(client, 101)
    body = client.get(KE).json()
    assert len(body["data"]) == 100
    assert body["pagination"]["nextPage"] is not None
    assert client.get(KE, params={"page[size]": "1000"}).json()["pagination"]["nextPage"] is None


def test_page_size_limits(client: httpx.Client) -> None:
    for size in ("0", "1001", "abc", "-1", "1.5"):
        error_of(client.get(KE, params={"page[size]": size}), 400)
    error_of(client.get(KE, params={"page[after]": "!!garbage!!"}), 400)


def test_sorted_desc_and_by_name(client: httpx.Client) -> None:
    created = _fill(client, 5)
    ids, _ = _walk(client, f"{KE}?page%5Bsize%5D=2&sorted_by=id%3Adesc")
    assert ids == created[::-1]
    ids, _ = _walk(client, f"{KE}?page%5Bsize%5D=2&sorted_by=name%3Aasc")
    assert ids == created
    error_of(client.get(KE, params={"sorted_by": "created:asc"}), 400)


def test_next_page_keeps_filters(client: httpx.Client) -> None:
    url = f"{POP_PATH}/realtime_attributes?page%5Bsize%5D=1&types=counter"
    ids, pages = _walk(client, url)
    assert ids == ["2332", "2333", "2334"]
    assert all("types=counter" in p for p in pages)
