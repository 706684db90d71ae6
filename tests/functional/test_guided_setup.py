"""Guided setup end to end on the emulator: init → validate --online → apply → plan → report,
for every use case, on the emulator's seed and on a seed with other names
(tests/fixtures/guided/seed.json); discover --json; what init refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcfg.emulator import EmulatorThread
from tests.functional.emulator_support import reset
from tests.functional.guided_support import CONSOLE, loop, rtcfg


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


@pytest.mark.parametrize("use_case", ["recommendations", "cart", "triggers", "both"])
def test_every_use_case_converges_on_the_emulator_seed(
    emu: EmulatorThread, tmp_path: Path, use_case: str
) -> None:
    text = loop(emu, tmp_path, "1069944", "--use-case", use_case)
    assert text.startswith("# yaml-language-server: $schema=")
    assert f"--use-case {use_case}" in text.splitlines()[2]


@pytest.mark.parametrize("use_case", ["recommendations", "cart", "triggers", "both"])
def test_every_use_case_converges_on_a_seed_with_other_names(
    own: EmulatorThread, tmp_path: Path, use_case: str
) -> None:
    text = loop(own, tmp_path, "7700001", "--use-case", use_case)
    assert "bookshop_stream" in text and "visitor_cookie" in text and "events_db" not in text


def test_other_naming_conventions_in_the_emulator_seed(emu: EmulatorThread, tmp_path: Path) -> None:
    text = loop(emu, tmp_path, "1069944", "--use-case", "both", "--database", "web_analytics")
    assert "source_field: product_sku" in text and "source_field: order_amount" in text
    assert "category_name" in text and "inventory_events" in text  # left out, with the reason


def test_discover_json_lists_event_tables_id_candidates_and_batch_attributes(
    own: EmulatorThread,
) -> None:
    reset(own)
    code, out, _ = rtcfg(own, "discover", "7700001", "--json")
    data = json.loads(out)
    assert code == 0 and not data["rt_configured"]
    kinds = {e["table"]: e["kind"] for e in data["event_tables"]}
    assert kinds["SiteVisitsPV"] == "page_view" and kinds["basket_adds"] == "add_to_cart"
    assert kinds["checkout_orders"] == "purchase"
    no_ids = [e["table"] for e in data["event_tables"] if not e["id_columns"]]
    assert no_ids == ["warehouse_events"]
    ids = {c["column"]: c for c in data["id_candidates"]}
    assert ids["visitor_cookie"]["recommended"] and not ids["login_id"]["recommended"]
    assert "bookshop_stream.basket_adds" in ids["visitor_cookie"]["tables"]
    assert "article_no" not in ids
    assert {"name": "lifetime_spend", "type": "number"} in data["batch_attributes"]


def test_discover_text_reads_like_the_guide(own: EmulatorThread) -> None:
    reset(own)
    code, out, _ = rtcfg(own, "discover", "7700001", "--database", "bookshop_stream")
    assert code == 0 and "Found 4 potential event tables" in out
    assert "SiteVisitsPV - Website page views (2.3M rows, updated " in out
    assert "✓ visitor_cookie" in out and "⚠ login_id" in out
    assert "bookshop_stream.warehouse_events" in out and "crm" not in out


def test_init_refuses_a_configured_segment_and_points_to_import(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    target = tmp_path / "x.yaml"
    code, _, err = rtcfg(emu, "init", "1069935", "--use-case", "cart", "-y", "-o", str(target))
    assert code == 3 and "rtcfg import 1069935" in err and not target.exists()


def test_init_refuses_a_segment_without_rt(emu: EmulatorThread, tmp_path: Path) -> None:
    target = tmp_path / "off.yaml"
    code, _, err = rtcfg(emu, "init", "1053580", "--use-case", "cart", "-y", "-o", str(target))
    assert code == 3 and "--csm-request" in err and not target.exists()


def test_a_not_initialized_setting_counts_as_nothing_configured(
    own: EmulatorThread, tmp_path: Path
) -> None:
    target = tmp_path / "new.yaml"
    code, _, err = rtcfg(own, "init", "7700003", "--use-case", "triggers", "-y", "-o", str(target))
    assert code == 0 and "purchase_count_30d" in target.read_text(), err


def test_init_keeps_an_existing_file_and_sends_nothing(emu: EmulatorThread, tmp_path: Path) -> None:
    target = tmp_path / "kept.yaml"
    target.write_text("mine\n")
    reset(emu)
    code, _, err = rtcfg(emu, "init", "1069944", "--use-case", "cart", "-o", str(target))
    assert code == 1 and "--force" in err and target.read_text() == "mine\n"
    assert emu.requests() == []


def test_an_unknown_table_is_a_clear_error(emu: EmulatorThread, tmp_path: Path) -> None:
    target = tmp_path / "t.yaml"
    args = ["init", "1069944", "--use-case", "cart", "--tables", "add_to_crat", "-o", str(target)]
    code, _, err = rtcfg(emu, *args)
    assert code == 1 and "did you mean 'add_to_cart'?" in err and not target.exists()


def test_apply_summary_is_quiet_with_q_and_fields_in_json(
    own: EmulatorThread, tmp_path: Path
) -> None:
    reset(own)
    config = tmp_path / "c.yaml"
    assert rtcfg(own, "init", "7700001", "--use-case", "triggers", "-y", "-o", str(config))[0] == 0
    code, out, _ = rtcfg(own, "apply", "-y", "-q", "--format", "json", str(config))
    document = json.loads(out)
    summary = document["segments"][0]
    assert code == 0 and document["ok"] and document["applied"]["create"] >= 4
    assert summary["primary_key"] == "golden_id" and summary["ext_lookup_key"] == "shopper_key"
    assert summary["counts"]["counter"] == 1 and summary["use_case"] == "triggers"
    assert summary["console_url"] == CONSOLE + "7700001/realtime"
    code, out, _ = rtcfg(own, "apply", "-y", "-q", str(config))
    assert code == 0 and CONSOLE not in out


def test_report_of_a_segment_id_prints_markdown(own: EmulatorThread) -> None:
    reset(own)
    code, out, _ = rtcfg(own, "report", "7700001", "-o", "-")
    assert code == 0 and out.startswith("# RT 2.0 Configuration Summary")
    assert "Nordic_Books_Online (7700001)" in out and "None yet." in out


def test_csm_request_names_the_use_case_and_the_site_in_use(
    own: EmulatorThread, tmp_path: Path
) -> None:
    request = tmp_path / "csm.md"
    args = ["status", "7700002", "--csm-request", str(request), "--use-case", "Cart reminders"]
    code, _, _ = rtcfg(own, *args, "--site", "eu01")
    text = request.read_text()
    assert code == 0 and "Cart reminders" in text and "Region: eu01" in text


def test_an_unknown_database_is_a_clear_error(own: EmulatorThread) -> None:
    code, _, err = rtcfg(own, "discover", "7700001", "--database", "bookshop_steam")
    assert code == 1 and "did you mean 'bookshop_stream'?" in err


def test_discover_says_how_many_tables_it_read(own: EmulatorThread) -> None:
    code, _, err = rtcfg(own, "discover", "7700001", "--json")
    assert code == 0 and "Read 7 tables in 2 databases." in err


def test_use_case_without_a_request_file_is_a_usage_error(own: EmulatorThread) -> None:
    reset(own)
    code, _, err = rtcfg(own, "status", "7700002", "--use-case", "Cart reminders")
    assert code == 1 and "--csm-request" in err and own.requests() == []


def test_init_can_print_the_file(own: EmulatorThread) -> None:
    reset(own)
    code, out, _ = rtcfg(own, "init", "7700001", "--use-case", "cart", "-y", "-o", "-")
    assert code == 0 and out.startswith("# yaml-language-server:") and "basket_adds" in out


def test_discover_of_an_unknown_segment_is_a_clear_error(own: EmulatorThread) -> None:
    code, _, err = rtcfg(own, "discover", "424242")
    assert code == 1 and "parent segment 424242 not found" in err
