"""Guided setup on the emulator with a seed whose profile key (member_no) is in the event tables
and whose ids are spelled otherwise (device_uuid, mail, customer_number, a long visitor_cookie
in one table): discover, init, validate --online and the refusals (tests/fixtures/guided/
member_seed.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcfg.emulator import EmulatorThread
from tests.functional.emulator_support import attempts, reset
from tests.functional.guided_support import loop, rtcfg

MEMBER_SEED = Path(__file__).parent.parent / "fixtures" / "guided" / "member_seed.json"
PS = "8800001"


@pytest.fixture(scope="module")
def members() -> Iterator[EmulatorThread]:
    with EmulatorThread(MEMBER_SEED, update_seconds=0.0) as thread:
        yield thread


def test_discover_recommends_the_profile_key_and_sees_other_id_spellings(
    members: EmulatorThread,
) -> None:
    reset(members)
    code, out, _ = rtcfg(members, "discover", PS, "--json")
    ids = {c["column"]: c for c in json.loads(out)["id_candidates"]}
    assert code == 0 and ids["member_no"]["recommended"] and ids["member_no"]["kind"] == "profile"
    assert ids["device_uuid"]["kind"] == "cookie" and ids["mail"]["kind"] == "email"
    assert ids["customer_number"]["kind"] == "user" and "order_number" not in ids
    assert ids["visitor_cookie"]["tables"] == ["shop_stream.checkout_orders"]
    assert "shop_stream.site_hits (long)" in ids["visitor_cookie"]["note"]
    code, out, _ = rtcfg(members, "discover", PS)
    assert "✓ member_no - profile key (master customer ID)" in out
    assert "note: not a string column in shop_stream.site_hits (long)" in out


def test_init_stitches_on_the_profile_key_and_validates_without_a_false_warning(
    members: EmulatorThread, tmp_path: Path
) -> None:
    text = loop(members, tmp_path, PS, "--use-case", "both")  # validate --online --strict: clean
    assert "primary_key: member_no" in text and "- name: member_no" in text
    assert "ext_lookup_key: member_no" in text and "- name: device_uuid" in text
    assert text.count("loyalty_tier (batch)") <= 1
    code, out, _ = rtcfg(members, "validate", str(tmp_path / "rt_config.yaml"))
    assert code == 0 and "warning" not in out


def test_validate_online_says_a_stitched_ext_lookup_key_is_not_the_profile_key(
    members: EmulatorThread, tmp_path: Path
) -> None:
    config = tmp_path / "rt.yaml"
    config.write_text(
        f'parent_segment_id: "{PS}"\nid_stitching:\n  stitching_keys:\n'
        "    - name: customer_number\n  ext_lookup_key: customer_number\n"
    )
    code, out, _ = rtcfg(members, "validate", "--online", str(config))
    assert code == 0 and "ext_lookup_key 'customer_number' is not 'member_no'" in out
    assert "profile key); it is also a stitching key, which is right only for the profile" in out


def test_init_refuses_a_table_that_cannot_be_tied_to_a_profile(
    members: EmulatorThread, tmp_path: Path
) -> None:
    reset(members)
    args = ["--use-case", "triggers", "--tables", "checkout_orders,sku_lookup", "-y"]
    code, _, err = rtcfg(members, "init", PS, *args, "-o", str(tmp_path / "rt.yaml"))
    assert code == 1 and "'shop_stream.sku_lookup' has no identity column" in err
    assert not (tmp_path / "rt.yaml").exists()


def test_a_use_case_without_its_data_says_so_on_stderr(members: EmulatorThread) -> None:
    reset(members)
    code, out, err = rtcfg(members, "init", PS, "--use-case", "cart", "-y", "-o", "-")
    assert code == 0 and "source_event" not in out and "type: imported_batch" in out
    assert "Warning: use case 'cart' found no matching data in shop_stream" in err
    assert "looked for names like add_to_cart, cart_events" in err


def test_an_extra_table_is_described_as_discover_describes_it(members: EmulatorThread) -> None:
    reset(members)
    args = ["--use-case", "cart", "--tables", "site_hits", "-y", "-o", "-"]
    code, out, _ = rtcfg(members, "init", PS, *args)
    assert code == 0 and "description: Website page views" in out and "Events of" not in out


def test_an_unknown_segment_is_reported_before_the_catalog_is_read(
    members: EmulatorThread,
) -> None:
    reset(members)
    code, _, err = rtcfg(members, "discover", "999")
    assert code == 1 and "parent segment 999 not found" in err
    assert attempts(members, "GET", "/audiences/999") == 1
    assert [r["path"] for r in members.requests() if "/v3/" in r["path"]] == []


def test_one_table_read_is_one_table(members: EmulatorThread) -> None:
    code, _, err = rtcfg(members, "discover", PS, "--database", "crm")
    assert code == 0 and "Read 1 table in 1 database." in err


def test_a_written_request_drops_the_hint_and_names_the_emulator(
    own: EmulatorThread, tmp_path: Path
) -> None:
    request = tmp_path / "csm.md"
    code, out, _ = rtcfg(own, "status", "7700002", "--csm-request", str(request))
    assert code == 0 and "not enabled" in out and "--csm-request" not in out
    text = request.read_text()
    assert "- Environment: local emulator (http://127.0.0.1:" in text
    assert "production" not in text
