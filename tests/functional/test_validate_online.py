"""Online checks (rtcfg.checks.online) against the emulator over a real socket.

Each test writes a small config that passes the offline checks, loads it the way ``rtcfg
validate`` does, runs the online checks against the emulator's seed (events_db with
pageviews, formfills, add_to_cart, purchase, clicks; parent segments 1069944 empty and RT
enabled, 1053580 RT disabled) and asserts the line:column, message and hint of each problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcfg.api.catalog import is_number_type, is_string_type
from rtcfg.checks.online import online_problems, parse_schema
from rtcfg.checks.validate import validate_file
from rtcfg.emulator import EmulatorThread
from rtcfg.errors import ApiError, Problem
from tests.builders import EMPTY_ID

from .emulator_support import KEY, attempts, call, reset

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DISABLED = "1053580"

HEAD = """\
parent_segment_id: "1069944"
events:
  - name: page_view
    database: events_db
    table: pageviews
    filter:
      field: td_path
      pattern: "^/product/"
  - name: cart
    database: events_db
    table: add_to_cart
    filter:
      field: product_id
      pattern: ".+"
"""  # 14 lines: what each test appends starts on line 15


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


def online(emu: EmulatorThread, path: Path, env: dict[str, str] | None = None) -> list[Problem]:
    config, doc, offline = validate_file(path, env or {})
    assert config is not None and doc is not None, [p.format() for p in offline]
    return call(emu.url, lambda api: online_problems(api, config, doc))


def check(emu: EmulatorThread, tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "rt_config.yaml"
    path.write_text(text, encoding="utf-8")
    return online(emu, path)


def found(problems: list[Problem]) -> list[tuple[int, int, str, str]]:
    """(line, col, severity, message) of each problem, for exact comparisons."""
    return [(p.line, p.col, p.severity, p.message) for p in problems]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


# --- the examples and the parent segment ---------------------------------------------------------


@pytest.mark.parametrize(
    "example",
    sorted(EXAMPLES.glob("*.yaml")),
    ids=lambda p: p.stem,
)
def test_every_example_passes_the_online_checks(emu: EmulatorThread, example: Path) -> None:
    problems = online(emu, example, {"RTCFG_PS_ID": EMPTY_ID})
    assert [p.format() for p in problems if p.severity == "error"] == []


def test_an_unknown_parent_segment_is_the_only_problem(emu: EmulatorThread, tmp_path: Path) -> None:
    text = HEAD.replace('"1069944"', '"424242"') + "event_tables:\n  - {database: nope, table: x}\n"
    problem = only(check(emu, tmp_path, text))
    assert (problem.line, problem.col) == (1, 20)
    assert problem.message == "parent segment 424242 not found"
    assert problem.hint is not None and "rtcfg segments" in problem.hint


def test_a_segment_without_rt_is_an_error_with_the_csm_request_hint(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    problem = only(check(emu, tmp_path, HEAD.replace("1069944", DISABLED)))
    assert (problem.line, problem.col, problem.severity) == (1, 20, "error")
    assert problem.message == "RT 2.0 is not enabled for parent segment 1053580 (Legacy_Batch_Only)"
    assert f"rtcfg status {DISABLED} --csm-request FILE" in (problem.hint or "")


def test_a_different_live_name_is_a_warning(emu: EmulatorThread, tmp_path: Path) -> None:
    text = HEAD.replace('"1069944"\n', '"1069944"\nparent_segment_name: RT_Demo_Retial\n')
    problem = only(check(emu, tmp_path, text))
    assert (problem.line, problem.col, problem.severity) == (2, 22, "warning")
    assert "differs from the live name 'RT_Demo_Retail'" in problem.message
    assert problem.hint == "write parent_segment_name: RT_Demo_Retail, or check parent_segment_id"


# --- tables and columns --------------------------------------------------------------------------


def test_missing_databases_and_tables_read_differently(emu: EmulatorThread, tmp_path: Path) -> None:
    text = HEAD + (
        "event_tables:\n"
        "  - database: event_db\n"  # line 16
        "    table: clicks\n"
        "  - database: events_db\n"
        "    table: clickz\n"  # line 19
    )
    problems = check(emu, tmp_path, text)
    assert found(problems) == [
        (16, 15, "error", "database 'event_db' not found"),
        (19, 12, "error", "table 'clickz' not found in database 'events_db'"),
    ]
    assert [p.hint for p in problems] == ["did you mean 'events_db'?", "did you mean 'clicks'?"]


def test_a_missing_event_table_skips_the_checks_of_its_columns(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    text = HEAD.replace("table: add_to_cart", "table: add_to_kart") + (
        "attributes:\n"
        "  - name: cart_total\n"
        "    type: counter\n"
        "    source_event: cart\n"
        "    aggregation: sum\n"
        "    source_field: no_such_column\n"
        "    window_duration: 7d\n"
    )
    problem = only(check(emu, tmp_path, text))
    assert (problem.line, problem.col) == (11, 12)
    assert problem.hint == "did you mean 'add_to_cart'?"


def test_filter_columns_must_be_columns_of_the_event_table(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    text = HEAD.replace("field: td_path", "field: td_pth") + (
        "  - name: purchase\n"
        "    database: events_db\n"
        "    table: purchase\n"
        "    filter_rule:\n"
        "      type: And\n"
        "      conditions:\n"
        "        - type: Column\n"
        "          column: totl\n"  # line 22
        "          operator: {type: Greater, not: false, rightValue: 0}\n"
    )
    problems = check(emu, tmp_path, text)
    assert found(problems) == [
        (
            7,
            14,
            "error",
            "column 'td_pth' not found in events_db.pageviews (the table of event 'page_view')",
        ),
        (
            22,
            19,
            "error",
            "column 'totl' not found in events_db.purchase (the table of event 'purchase')",
        ),
    ]
    assert [p.hint for p in problems] == ["did you mean 'td_path'?", "did you mean 'total'?"]


def test_source_fields_must_be_columns_of_the_source_event_table(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    text = HEAD + (
        "attributes:\n"
        "  - name: last_product\n"
        "    type: single\n"
        "    source_event: page_view\n"
        "    source_field: product_idd\n"  # line 19
        "  - name: cart_products\n"
        "    type: list\n"
        "    source_event: cart\n"
        "    source_field: td_title\n"  # line 23: a column of pageviews, not of add_to_cart
    )
    problems = check(emu, tmp_path, text)
    assert found(problems) == [
        (
            19,
            19,
            "error",
            "column 'product_idd' not found in events_db.pageviews "
            "(the table of event 'page_view')",
        ),
        (
            23,
            19,
            "error",
            "column 'td_title' not found in events_db.add_to_cart (the table of event 'cart')",
        ),
    ]
    assert problems[0].hint == "did you mean 'product_id'?"
    assert problems[1].hint is not None and problems[1].hint.startswith("columns of add_to_cart:")


def test_a_summing_counter_needs_a_number_column(emu: EmulatorThread, tmp_path: Path) -> None:
    text = HEAD + (
        "attributes:\n"
        "  - name: cart_sum\n"
        "    type: counter\n"
        "    source_event: cart\n"
        "    aggregation: sum\n"
        "    source_field: product_name\n"  # line 20
        "    window_duration: 24h\n"
    )
    problem = only(check(emu, tmp_path, text))
    assert (problem.line, problem.col) == (20, 19)
    assert problem.message == (
        "aggregation: sum needs a number column; 'product_name' of events_db.add_to_cart is string"
    )
    assert problem.hint == "number columns of add_to_cart: price, quantity"


def test_a_single_data_type_must_fit_its_column(emu: EmulatorThread, tmp_path: Path) -> None:
    text = HEAD + (
        "attributes:\n"
        "  - name: last_price\n"
        "    type: single\n"
        "    source_event: cart\n"
        "    source_field: price\n"  # line 19: no data_type, so string
        "  - name: last_quantity\n"
        "    type: single\n"
        "    source_event: cart\n"
        "    source_field: quantity\n"
        "    data_type: string\n"  # line 24
        "  - name: last_product\n"
        "    type: single\n"
        "    source_event: cart\n"
        "    source_field: product_id\n"
        "    data_type: number\n"  # line 29
    )
    problems = check(emu, tmp_path, text)
    assert found(problems) == [
        (
            19,
            19,
            "error",
            "data_type string (the default) does not fit column 'price' of "
            "events_db.add_to_cart, which is double",
        ),
        (
            24,
            16,
            "error",
            "data_type string does not fit column 'quantity' of events_db.add_to_cart, "
            "which is int",
        ),
        (
            29,
            16,
            "error",
            "data_type number does not fit column 'product_id' of events_db.add_to_cart, "
            "which is string",
        ),
    ]
    assert [p.hint for p in problems] == [
        "write data_type: number",
        "write data_type: number",
        "write data_type: string",
    ]


def test_list_fields_and_aggregation_columns_are_checked(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    text = HEAD + (
        "attributes:\n"
        "  - name: viewed\n"
        "    type: list\n"
        "    source_event: page_view\n"
        "    source_field: product_id\n"
        "    fields: [product_id, td_titel]\n"  # line 20
        "    aggregations:\n"
        "      - {name: items, identifier: items, column: product_id, "
        "aggregation: distinct_list}\n"
        "      - {name: title, identifier: title, column: td_titl, aggregation: last}\n"  # 23
    )
    problems = check(emu, tmp_path, text)
    assert [(p.line, p.col, p.hint) for p in problems] == [
        (20, 26, "did you mean 'td_title'?"),
        (23, 50, "did you mean 'td_title'?"),
    ]


# --- stitching keys, imported attributes, the lookup key ----------------------------------------


def test_stitching_keys_must_be_string_columns_of_an_event_table(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    text = HEAD + (
        "event_tables:\n"
        "  - {database: events_db, table: clicks}\n"
        "id_stitching:\n"
        "  stitching_keys:\n"
        "    - name: td_client_id\n"
        "    - name: user_id\n"  # not in clicks, but in pageviews: fine
        "    - name: quantity\n"  # line 21
        "    - name: emial\n"  # line 22
    )
    problems = check(emu, tmp_path, text)
    assert found(problems) == [
        (
            21,
            13,
            "error",
            "stitching key 'quantity' is not a string column (events_db.add_to_cart has it as int)",
        ),
        (22, 13, "error", "stitching key 'emial' is not a column of any event table"),
    ]
    assert problems[1].hint == "did you mean 'email'?"


def test_imported_batch_attributes_must_be_parent_segment_attributes(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    text = HEAD + (
        "attributes:\n"
        "  - name: loyalty_teir\n"  # line 16
        "    type: imported_batch\n"
        "  - name: Spend\n"
        "    type: imported_batch\n"
        "    column: total_spend\n"  # line 20
        "  - name: Tier\n"
        "    type: imported\n"
        "    column: loyalty_tier\n"
    )
    problems = check(emu, tmp_path, text)
    assert found(problems) == [
        (16, 11, "error", "'loyalty_teir' is not an attribute of parent segment 1069944"),
        (20, 13, "error", "'total_spend' is not an attribute of parent segment 1069944"),
    ]
    assert problems[0].hint == "did you mean 'loyalty_tier'?"
    assert problems[1].hint == (
        "attributes of the parent segment: city, email, first_name, loyalty_tier, "
        "total_purchase_value"
    )


def test_ext_lookup_key_must_be_the_profile_key(emu: EmulatorThread, tmp_path: Path) -> None:
    text = HEAD + (
        "id_stitching:\n"
        "  stitching_keys:\n"
        "    - name: td_client_id\n"
        "  ext_lookup_key: user_id\n"  # line 18
    )
    problem = only(check(emu, tmp_path, text))
    assert (problem.line, problem.col, problem.severity) == (18, 19, "warning")
    assert problem.message == (
        "ext_lookup_key 'user_id' is not 'customer_id', the master-table column that every "
        "attribute table of parent segment 1069944 joins on (most likely its profile key)"
    )
    assert problem.hint is not None and problem.hint.startswith("write ext_lookup_key: customer_id")


# --- round trips and failures --------------------------------------------------------------------


def test_one_request_each_for_the_segment_its_setting_and_each_database(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    reset(emu)
    text = HEAD + "event_tables:\n  - {database: master_db, table: customers}\n"
    assert check(emu, tmp_path, text) == []
    expected = (
        "/audiences/1069944",
        "/audiences/1069944/realtime_setting",  # RT 2.0 enabled? (the Audience has no flag)
        "/v3/table/list/events_db",
        "/v3/table/list/master_db",
    )
    assert [attempts(emu, "GET", path) for path in expected] == [1, 1, 1, 1]
    assert len(emu.requests()) == len(expected)


def test_databases_are_listed_only_when_one_is_missing(emu: EmulatorThread, tmp_path: Path) -> None:
    reset(emu)
    check(emu, tmp_path, HEAD.replace("database: events_db", "database: evnts_db", 1))
    assert attempts(emu, "GET", "/v3/database/list") == 1


def test_an_api_failure_is_raised_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "rt_config.yaml"
    path.write_text(HEAD, encoding="utf-8")
    with EmulatorThread(api_key="1/another-key") as locked, pytest.raises(ApiError) as info:
        online(locked, path)
    assert info.value.status == 401 and KEY not in str(info.value)


# --- schema parsing ------------------------------------------------------------------------------


def test_a_schema_is_read_from_json_text_or_a_list_with_aliases_and_time() -> None:
    text = '[["user", "string", "user_name"], ["amount", "decimal(10,2)"]]'
    as_text, as_list = parse_schema(text), parse_schema([["user", "string"], ["n", "bigint"]])
    assert as_text == {
        "time": "long",
        "user": "string",
        "user_name": "string",
        "amount": "decimal(10,2)",
    }
    assert as_list == {"time": "long", "user": "string", "n": "bigint"}
    assert parse_schema("not json") == parse_schema(None) == {"time": "long"}


def test_number_and_string_types() -> None:
    assert all(is_number_type(t) for t in ("int", "long", "double", "decimal(10,2)"))
    assert not any(is_number_type(t) for t in ("string", "boolean", "array<int>"))
    assert is_string_type("varchar(64)") and not is_string_type("array<string>")


# --- the command ------------------------------------------------------------------------------


def test_validate_online_reports_at_the_yaml_line_and_exits_1(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from rtcfg.cli import cli

    path = tmp_path / "rt_config.yaml"
    path.write_text(HEAD + "event_tables:\n  - {database: events_db, table: pageview}\n")
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "TD_API_KEY": "", "TDX_PROFILE": ""}
    result = CliRunner().invoke(cli, ["validate", "--online", str(path)], env=env)
    assert result.exit_code == 1
    assert "rt_config.yaml:16:" in result.stdout and "pageview" in result.stdout
    offline = CliRunner().invoke(cli, ["validate", str(path)], env=env)
    assert offline.exit_code == 0  # the missing table is only visible online
