"""Property: any valid config, dumped to YAML and loaded back, is the same model."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rtcfg.checks.validate import validate_file
from rtcfg.config.models import Config
from rtcfg.config.yamlio import dump_yaml

identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
# Free text of any kind but "$", which would be read as ${VAR} interpolation, and the control
# and format characters that a config refuses (rtcfg.checks.text).
texts = st.text(
    st.characters(blacklist_characters="$", blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
    min_size=1,
    max_size=20,
)
durations = st.builds(lambda n, u: f"{n}{u}", st.integers(1, 48), st.sampled_from("mhd"))
patterns = st.sampled_from(["^/product/.*", ".+", "^[0-9]+$", r"\.com$", "a|b"])


@st.composite
def events(draw: st.DrawFn) -> list[dict[str, Any]]:
    names = draw(st.lists(identifiers, min_size=1, max_size=4, unique=True))
    result = []
    for name in names:
        event: dict[str, Any] = {
            "name": name,
            "database": draw(identifiers),
            "table": draw(identifiers),
        }
        if draw(st.booleans()):
            event["filter"] = {"field": draw(identifiers), "pattern": draw(patterns)}
        if draw(st.booleans()):
            event["description"] = draw(texts)
        result.append(event)
    return result


def attribute(draw: st.DrawFn, name: str, event_names: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["single", "list", "counter", "imported_batch"]))
    attr: dict[str, Any] = {
        "name": name,
        "type": kind,
        # the API has a sensitive flag on single attributes only
        "sensitivity": draw(st.sampled_from(["sensitive", "non-sensitive"]))
        if kind == "single"
        else "non-sensitive",
    }
    if kind == "imported_batch":
        return attr
    attr["source_event"] = draw(st.sampled_from(event_names))
    if kind == "single":
        attr.update(
            source_field=draw(identifiers),
            data_type=draw(st.sampled_from(["string", "number"])),
            duration=draw(durations),
        )
    elif kind == "list":
        attr.update(
            source_field=draw(identifiers),
            max_items=draw(st.integers(1, 100)),
            expiry_days=draw(st.integers(1, 60)),
            aggregation=draw(st.sampled_from(["distinct_list", "first", "last", "sum"])),
        )
    elif draw(st.booleans()):
        attr.update(
            aggregation="sum", source_field=draw(identifiers), window_duration=draw(durations)
        )
    else:
        attr.update(aggregation="count", window_duration=draw(durations))
    return attr


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    event_list = draw(events())
    names = draw(st.lists(identifiers, max_size=6, unique=True))
    keys = draw(st.lists(identifiers, min_size=1, max_size=3, unique=True))
    stitching = [{"name": k, "invalid_texts": draw(st.lists(texts, max_size=2))} for k in keys]
    return {
        "parent_segment_id": str(draw(st.integers(1, 10**9))),
        "parent_segment_name": draw(st.none() | texts),
        "events": event_list,
        "attributes": [attribute(draw, n, [e["name"] for e in event_list]) for n in names],
        "id_stitching": {
            "primary_key": keys[0],
            "stitching_keys": stitching,
            "ext_lookup_key": draw(st.none() | st.just("customer_id")),
        },
    }


@settings(max_examples=150, deadline=None)
@given(configs())
def test_valid_config_survives_dump_and_load(data: dict[str, Any]) -> None:
    model = Config.model_validate(data)
    text = dump_yaml(model.model_dump(exclude_none=True))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rt_config.yaml"
        path.write_text(text, encoding="utf-8")
        loaded, _, problems = validate_file(path, env={})
    assert loaded == model, [p.format() for p in problems]
