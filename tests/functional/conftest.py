"""Every request body rtcfg sends in these tests must hold to TD's published request schemas.

An autouse fixture records, for the length of each test, the bodies that reach the emulator
from rtcfg's client (its User-Agent) and fails the test if one does not pass
``tests/contract/body_check.py``. The emulator is in this process (a thread or the in-process
transport), so wrapping its entry point sees every request. Tests of the HTTP client itself,
which send made-up bodies on purpose, are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from rtcfg.emulator.app import Emulator
from rtcfg.emulator.http import Request
from tests.contract.body_check import body_problems, operation

NOT_CHECKED = ("test_client", "test_client_faults")


@pytest.fixture(autouse=True)
def bodies_hold_to_the_contract(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[str, str, Any]]]:
    """The (method, path, body) of every write rtcfg sent; checked after the test."""
    sent: list[tuple[str, str, Any]] = []
    if request.module.__name__.rsplit(".", 1)[-1] in NOT_CHECKED:
        yield sent
        return
    original = Emulator.api

    def recording(self: Emulator, req: Request) -> tuple[int, Any]:
        if req.headers.get("user-agent", "").startswith("rtcfg/") and req.body:
            try:
                sent.append((req.method, req.path, json.loads(req.body)))
            except ValueError:
                sent.append((req.method, req.path, req.body))
        return original(self, req)

    monkeypatch.setattr(Emulator, "api", recording)
    yield sent
    problems = [
        f"{method} {path}: {problem}"
        for method, path, body in sent
        if (name := operation(method, path)) is not None
        for problem in body_problems(name, body)
    ]
    assert not problems, "bodies outside the OpenAPI request schemas:\n" + "\n".join(problems)
