"""Convergence: apply random configurations, drift live state by hand, import, apply again.

After every apply: planning again gives no change, applying an empty plan sends no write, no
two live objects share a name or identifier, and every attribute reads a key event that
exists. With the emulator's faults on (5xx, 429, dropped connections, lost responses of
committed writes), an apply never makes a duplicate and one more apply converges.

The HTTP goes through an httpx transport into the emulator application in this process (the
real request path of the client and the emulator, without a socket), so hundreds of apply
cycles fit in the default suite. ``RTCFG_DEEP=1`` runs many more.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from rtcfg.api.client import ApiClient, RetryPolicy
from rtcfg.api.live import read_live_state
from rtcfg.config.yamlio import dump_yaml
from rtcfg.emulator.app import Emulator
from rtcfg.engine.apply import ApplyOptions
from rtcfg.engine.plan import SegmentPlan
from rtcfg.errors import PlanError
from rtcfg.model.importer import config_document, escape_dollars, import_live
from rtcfg.model.state import AttributeState, KeyEventState, State
from tests.functional.emulator_support import InProcess
from tests.strategies import EMPTY_SEGMENT, PROFILE_KEY, LiveConfig, live_configs

DEEP = os.environ.get("RTCFG_DEEP") == "1"
PS = EMPTY_SEGMENT
BASE = f"/audiences/{PS}"
WRITES = ("POST", "PATCH", "DELETE")
FAULT_KINDS = ["500", "502", "503", "429", "drop", "reset", "lost_response", "non_json"]
# Twelve tries: at a 20% fault rate six in a row fail about once in 16,000 requests, which a
# few hundred examples reach; the test is about what apply does with faults, not about a
# request that exhausts its retries (that is tests/functional/test_client_faults.py).
RETRY = RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01, max_retry_after=0.05)
FILTER_LIMIT_REFUSAL = "part-way through apply its filters could total"
OPTIONS = ApplyOptions(parallelism=8, first_poll=0.0, max_poll=0.0, status_timeout=5.0)


def config_text(cfg: LiveConfig) -> str:
    """The rt_config.yaml a user would write for ``cfg`` (through import's own mapping)."""
    state = State(PS, setting=cfg.setting)
    for body in cfg.key_events:
        state.key_events[body["name"]] = KeyEventState(body["name"], body)
    for spec in cfg.attributes:
        identifier = spec.body["identifier"]
        state.attributes[identifier] = AttributeState(identifier, spec.state_body(), spec.key_event)
    document, skipped = config_document(state, None)
    assert not skipped, skipped
    return dump_yaml(escape_dollars(document))  # "${" in a name is text, as import writes it


class Convergence(RuleBasedStateMachine):
    """One parent segment, changed by random configs, by hand, and by import."""

    def __init__(self) -> None:
        super().__init__()
        self.pipeline = InProcess(Emulator(update_seconds=0.0), RETRY, PS)
        self.emulator = self.pipeline.emulator
        self.workdir = Path(tempfile.mkdtemp(prefix="rtcfg-convergence-"))
        self.config_file: Path | None = None
        self.faults_on = False
        self.lookup_key_set = False

    def teardown(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- the pipeline, in process ---

    def run(self, action: Any) -> Any:
        return self.pipeline.run(action)

    def plan(self, file: Path) -> SegmentPlan:
        return self.pipeline.plan_file(file)

    def apply(self, file: Path) -> bool:
        return not self.pipeline.apply_plan(self.plan(file), OPTIONS).failed

    def writes(self) -> int:
        return sum(1 for r in self.emulator.requests() if r["method"] in WRITES)

    def write_config(self, text: str) -> Path:
        self.config_file = self.workdir / "rt_config.yaml"
        self.config_file.write_text(text, encoding="utf-8")
        return self.config_file

    def converge(self, file: Path, may_refuse: bool = False) -> bool:
        """Apply; under faults one more apply (faults off) must finish; then check it all.
        With ``may_refuse``, a plan refused because the filter limit would be crossed part-way
        through apply (nothing is sent) is an answer too: False."""
        try:
            ok = self.apply(file)
        except PlanError as error:
            if not may_refuse or FILTER_LIMIT_REFUSAL not in str(error):
                raise
            event("plan refused: the filter limit would be crossed part-way through apply")
            return False
        faulted = sum(1 for r in self.emulator.requests() if r["fault"])
        event(f"faults injected: {'yes' if faulted else 'no'}; first apply ok: {ok}")
        if self.faults_on:
            self.emulator.faults.configure(rate=0.0)
            self.check_no_duplicates()
            ok = ok or self.apply(file)
        assert ok, "apply failed without faults"
        plan = self.plan(file)
        assert plan.empty, [c.address for c in plan.changes]
        before = self.writes()
        assert self.apply(file)
        assert self.writes() == before, "an empty plan sent a write"
        return True

    # --- rules ---

    @initialize(faults=st.booleans())
    def choose_faults(self, faults: bool) -> None:
        self.faults_on = faults

    @rule(cfg=live_configs())
    def apply_a_random_config(self, cfg: LiveConfig) -> None:
        if self.lookup_key_set:  # once set it can never be unset (plan refuses that)
            cfg.setting["extLookupKey"] = PROFILE_KEY
        if self.faults_on:
            self.emulator.faults.configure(rate=0.2, kinds=FAULT_KINDS)
        before = self.config_file.read_text(encoding="utf-8") if self.config_file else None
        if self.converge(self.write_config(config_text(cfg)), may_refuse=True):
            self.lookup_key_set = cfg.setting["extLookupKey"] is not None
        elif before is None:
            self.config_file = None  # nothing applied yet
        else:
            self.write_config(before)  # refused before any write: live is as before

    @precondition(lambda self: self.config_file is not None)
    @rule(data=st.data())
    def drift_by_hand_then_apply(self, data: st.DataObject) -> None:
        live = self.run(lambda api: read_live_state(api, PS))
        choices = [("attribute", i) for i in live.attributes] + [
            ("key_event", n) for n in live.key_events
        ]
        if not choices:
            return
        kind, name = data.draw(st.sampled_from(sorted(choices)))
        self.run(lambda api: self.drift(api, live, kind, name, data))
        assert self.config_file is not None
        self.converge(self.config_file)

    async def drift(
        self, api: ApiClient, live: State, kind: str, name: str, data: st.DataObject
    ) -> None:
        if kind == "attribute":
            attr = live.attributes[name]
            if data.draw(st.booleans(), label="delete"):
                await api.delete(f"{BASE}/realtime_attributes/{attr.id}")
            else:
                await api.patch(
                    f"{BASE}/realtime_attributes/{attr.id}", {"description": "edited by hand"}
                )
        else:
            event = live.key_events[name]
            await api.patch(
                f"{BASE}/realtime_key_events/{event.id}",
                {**event.body, "description": "edited by hand"},
            )

    @precondition(lambda self: self.config_file is not None)
    @rule()
    def import_then_plan_shows_no_change(self) -> None:
        async def read(api: ApiClient) -> Any:
            return await read_live_state(api, PS)

        result = import_live(self.run(read), None)
        file = self.write_config(result.text)
        assert self.plan(file).empty

    # --- invariants ---

    @invariant()
    def check_no_duplicates(self) -> None:
        async def read(api: ApiClient) -> tuple[list[Any], list[Any]]:
            key_events = await api.list_all(f"{BASE}/realtime_key_events")
            attributes = await api.list_all(f"{BASE}/realtime_attributes")
            return key_events, attributes

        faults = self.emulator.faults.snapshot()
        self.emulator.faults.configure(rate=0.0)
        key_events, attributes = self.run(read)
        self.emulator.faults.configure(rate=faults["rate"])
        names = Counter(k["name"] for k in key_events)
        assert all(c == 1 for c in names.values()), names
        for key in ("name", "identifier"):
            counts = Counter(a[key] for a in attributes)
            assert all(c == 1 for c in counts.values()), counts
        ids = {str(k["id"]) for k in key_events}
        for attribute in attributes:
            if attribute.get("type") != "imported":
                assert str(attribute["realtimeKeyEventId"]) in ids
            for action in attribute.get("actions") or []:
                assert str(action["realtimeKeyEventId"]) in ids


Convergence.TestCase.settings = settings(
    max_examples=2000 if DEEP else int(os.environ.get("RTCFG_EXAMPLES", "500")),
    stateful_step_count=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestConvergence = Convergence.TestCase
