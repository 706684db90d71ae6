"""`rtcfg plan` and `rtcfg apply` end to end: the CLI against the emulator over a real socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcfg.emulator import EmulatorThread
from tests.functional.emulator_support import CLI_KEY, example, rtcfg, writes


@pytest.fixture()
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.05) as thread:
        yield thread


def test_plan_of_an_empty_segment_lists_creates_and_sends_no_write(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = example(tmp_path, "product_recommendations.yaml")
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert code == 2
    assert "+ key_event.product_view" in out and "~ setting" in out
    assert "to create" in out and writes(emu) == []


def test_apply_then_plan_shows_no_changes(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path, "product_recommendations.yaml")
    code, out, err = rtcfg(emu, "apply", config, "-y")
    assert code == 0, out + err
    assert "[1/" in err and "Creating key_event.product_view" in err
    before = len(writes(emu))
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    code, out, _ = rtcfg(emu, "apply", config, "-y")
    assert code == 0 and len(writes(emu)) == before  # an empty plan sends no write


@pytest.mark.parametrize(
    "name",
    ["product_recommendations.yaml", "cart_abandonment.yaml", "event_triggers.yaml", "large.yaml"],
)
def test_every_example_applies_converges_and_imports_back(
    emu: EmulatorThread, tmp_path: Path, name: str
) -> None:
    config = example(tmp_path, name)
    code, out, err = rtcfg(emu, "apply", config, "-y", "--parallelism", "16")
    assert code == 0, out + err
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert (code, out.strip().splitlines()[-1]) == (0, "No changes.")
    imported = tmp_path / "imported.yaml"
    assert rtcfg(emu, "import", "1069944", "-o", str(imported))[0] == 0
    code, out, _ = rtcfg(emu, "plan", str(imported), "--detailed-exitcode")
    assert (code, out.strip().splitlines()[-1]) == (0, "No changes.")


def test_import_then_plan_shows_no_changes(emu: EmulatorThread, tmp_path: Path) -> None:
    imported = tmp_path / "imported.yaml"
    code, _, err = rtcfg(emu, "import", "1069935", "-o", str(imported))
    assert code == 0, err
    code, out, _ = rtcfg(emu, "plan", str(imported), "--detailed-exitcode")
    assert code == 0 and "No changes." in out


def test_import_never_overwrites_without_force(emu: EmulatorThread, tmp_path: Path) -> None:
    target = tmp_path / "rt.yaml"
    target.write_text("keep me")
    code, _, err = rtcfg(emu, "import", "1069935", "-o", str(target))
    assert code == 1 and "--force" in err and target.read_text() == "keep me"
    code, _, _ = rtcfg(emu, "import", "1069935", "-o", str(target), "--force")
    assert code == 0 and "parent_segment_id" in target.read_text()


def test_a_saved_plan_applies_exactly(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path, "cart_abandonment.yaml")
    saved = tmp_path / "plan.json"
    code, _, _ = rtcfg(emu, "plan", config, "-o", str(saved))
    document = json.loads(saved.read_text())
    assert code == 0 and document["format_version"] == "1" and CLI_KEY not in saved.read_text()
    code, out, err = rtcfg(emu, "apply", str(saved), "-y")
    assert code == 0, out + err
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert code == 0


def test_a_stale_saved_plan_is_refused_and_names_the_object(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    imported = tmp_path / "imported.yaml"
    rtcfg(emu, "import", "1069935", "-o", str(imported))
    edited = imported.read_text().replace("max_items: 50", "max_items: 60")
    imported.write_text(edited)
    saved = tmp_path / "plan.json"
    assert rtcfg(emu, "plan", str(imported), "-o", str(saved))[0] == 0
    # someone changes live state between plan and apply
    code, _, _ = rtcfg(emu, "import", "1069935", "-o", str(tmp_path / "other.yaml"))
    drift = (tmp_path / "other.yaml").read_text().replace("Completed orders", "Paid orders")
    (tmp_path / "other.yaml").write_text(drift)
    assert rtcfg(emu, "apply", str(tmp_path / "other.yaml"), "-y")[0] == 0
    before = len(writes(emu))
    code, _, err = rtcfg(emu, "apply", str(saved), "-y")
    assert code == 3 and "key_event.purchase" in err and "stale" in err
    assert len(writes(emu)) == before


def test_destructive_changes_need_allow_destroy(emu: EmulatorThread, tmp_path: Path) -> None:
    imported = tmp_path / "imported.yaml"
    rtcfg(emu, "import", "1069935", "-o", str(imported))
    head, tail = imported.read_text().split("identifier: last_product_viewed", 1)
    tail = tail.replace("source_field: product_id", "source_field: td_url", 1)
    imported.write_text(head + "identifier: last_product_viewed" + tail)
    code, out, _ = rtcfg(emu, "plan", str(imported))
    assert "-/+" in out and "cannot be patched" in out
    before = len(writes(emu))
    code, _, err = rtcfg(emu, "apply", str(imported), "-y")
    assert code == 3 and "--allow-destroy" in err and len(writes(emu)) == before
    code, out, err = rtcfg(emu, "apply", str(imported), "-y", "--allow-destroy")
    assert code == 0, out + err
    assert rtcfg(emu, "plan", str(imported), "--detailed-exitcode")[0] == 0


def test_without_a_terminal_and_without_yes_apply_refuses(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = example(tmp_path, "event_triggers.yaml")
    code, _, err = rtcfg(emu, "apply", config)
    assert code == 3 and "-y" in err and writes(emu) == []


def test_a_bad_config_sends_nothing(emu: EmulatorThread, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text('parent_segment_id: "1069944"\nevents: [{name: x}]\n')
    code, _, err = rtcfg(emu, "plan", str(config))
    assert code == 1 and "bad.yaml:2:" in err and emu.requests() == []


def test_a_failed_step_stops_its_dependents_and_the_next_apply_finishes(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = example(tmp_path, "product_recommendations.yaml")
    key_events = "/audiences/1069944/realtime_key_events"
    emu.set_faults(script=[{"fault": "503", "method": "POST", "path": key_events, "times": 100}])
    code, out, err = rtcfg(emu, "apply", config, "-y")
    assert code == 1
    table = [line.split(maxsplit=4) for line in out.splitlines()]
    lines = {row[2]: " ".join(row) + " " for row in table if row and row[0].isdigit()}
    assert " done " in lines["setting"]
    assert (
        " failed " in lines["key_event.product_view"] and "503" in lines["key_event.product_view"]
    )
    assert " skipped " in lines["attribute.browsed_products"]
    emu.set_faults(replace=True)
    code, out, err = rtcfg(emu, "apply", config, "-y")
    assert code == 0, out + err
    assert rtcfg(emu, "plan", config, "--detailed-exitcode")[0] == 0


def test_markdown_plan_has_the_marker_and_the_summary(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path, "event_triggers.yaml")
    code, out, _ = rtcfg(emu, "plan", config, "--format", "markdown")
    assert code == 0 and out.startswith("<!-- rtcfg-plan -->")
    assert "to create" in out and "<details>" in out


def test_target_plans_only_that_attribute_and_what_it_needs(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = example(tmp_path, "product_recommendations.yaml")
    code, out, _ = rtcfg(emu, "plan", config, "--format", "json", "--target", "attribute.browsed*")
    changes = [c["address"] for c in json.loads(out)["segments"][0]["changes"]]
    assert code == 0
    assert changes == ["setting", "key_event.product_view", "attribute.browsed_products"]


def test_apply_with_a_target_applies_it_and_succeeds(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path, "product_recommendations.yaml")
    code, out, err = rtcfg(emu, "apply", config, "-y", "--target", "key_event.product_view")
    assert code == 0, out + err
    code, out, _ = rtcfg(emu, "plan", config, "--format", "json")
    left = {c["address"] for c in json.loads(out)["segments"][0]["changes"]}
    assert "key_event.product_view" not in left and "key_event.add_to_cart" in left


def test_an_output_path_that_cannot_be_written_fails_before_any_request(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    config = example(tmp_path, "event_triggers.yaml")
    missing = str(tmp_path / "no" / "such" / "plan.json")
    code, _, err = rtcfg(emu, "plan", config, "-o", missing)
    assert code == 1 and "does not exist" in err
    code, _, err = rtcfg(emu, "import", "1069935", "-o", missing.replace(".json", ".yaml"))
    assert code == 1 and "does not exist" in err
    assert emu.requests() == []


def test_a_saved_plan_takes_no_target(emu: EmulatorThread, tmp_path: Path) -> None:
    config = example(tmp_path, "event_triggers.yaml")
    saved = tmp_path / "plan.json"
    rtcfg(emu, "plan", config, "-o", str(saved))
    code, _, err = rtcfg(emu, "apply", str(saved), "-y", "--target", "setting")
    assert code == 1 and "saved plan" in err and writes(emu) == []


def test_apply_waits_for_the_setting_without_hammering_it(tmp_path: Path) -> None:
    # a 1 s update: polls start 0.1 s apart, so about ten GETs of the setting, not hundreds
    with EmulatorThread(update_seconds=1.0) as slow:
        config = example(tmp_path, "product_recommendations.yaml")
        code, _, err = rtcfg(slow, "apply", config, "-y")
        assert code == 0, err
        polls = [
            r for r in slow.requests() if r["method"] == "GET" and r["path"].endswith("_setting")
        ]
        assert 3 <= len(polls) <= 20


def test_plan_and_apply_work_without_asyncio_runner(
    emu: EmulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python 3.10 has no asyncio.Runner: each phase then gets its own loop and client
    import asyncio

    monkeypatch.delattr(asyncio, "Runner", raising=False)
    config = example(tmp_path, "cart_abandonment.yaml")
    code, _, err = rtcfg(emu, "apply", config, "-y")
    assert code == 0, err
    code, out, _ = rtcfg(emu, "plan", config, "--detailed-exitcode")
    assert code == 0 and "No changes." in out
