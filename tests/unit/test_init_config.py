"""The file `rtcfg init` writes: modeline first, a comment per choice, valid offline; the
questions through a scripted asker; the report's graph and console URLs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rtcfg.checks.validate import validate_file
from rtcfg.setup.console import CONSOLE_HOSTS, console_url
from rtcfg.setup.init_config import Option, ask_choices, command_line, render_config, use_case_of
from rtcfg.setup.recommend import Choices, recommend
from rtcfg.setup.report import SegmentSummary, mermaid
from tests.builders import ORDERS, PAGES, STOCK, discovery

FOUND = discovery(PAGES, ORDERS, STOCK, attributes=("membership_tier", "contact_email"))


def written(tmp_path: Path, use_case: str, choices: Choices | None = None) -> str:
    choices = choices or Choices()
    rec = recommend(FOUND, use_case, choices)
    text = render_config(rec, command_line("42", use_case, choices))
    (tmp_path / "rt_config.yaml").write_text(text)
    return text


@pytest.mark.parametrize("use_case", ["recommendations", "cart", "triggers", "both"])
def test_the_file_is_valid_offline_without_warnings(tmp_path: Path, use_case: str) -> None:
    text = written(tmp_path, use_case)
    config, _, problems = validate_file(str(tmp_path / "rt_config.yaml"))
    assert config is not None and problems == []
    assert text.splitlines()[0].startswith("# yaml-language-server: $schema=")
    assert use_case_of(text) == use_case


def test_each_choice_has_a_comment_before_it(tmp_path: Path) -> None:
    lines = written(tmp_path, "both").splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("- name:"):
            assert lines[i - 1].lstrip().startswith("#"), line
    text = "\n".join(lines)
    assert "# - browsed_categories (list)" not in text  # the category column exists
    assert "Not used: shop.inventory_events: no identity column" in text
    assert "Not chosen: member_id" in text
    assert "ext_lookup_key: cust_key" in text


def test_what_the_data_cannot_have_is_a_comment_not_an_entry(tmp_path: Path) -> None:
    text = written(tmp_path, "cart")
    assert "# Left out" in text and "cart_value (counter): needs the add_to_cart event" in text
    assert "name: cart_value" not in text


class Script:
    """Answers the questions from a list, recording what was asked."""

    def __init__(self, *answers: list[str] | str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, list[Option]]] = []

    def choose_many(self, question: str, options: Sequence[Option]) -> list[str]:
        self.asked.append((question, list(options)))
        answer = self.answers.pop(0)
        assert isinstance(answer, list)
        return answer

    def choose_one(self, question: str, options: Sequence[Option], default: str) -> str:
        self.asked.append((question, list(options)))
        answer = self.answers.pop(0)
        assert isinstance(answer, str)
        return answer


def test_the_questions_offer_the_recommendations_checked() -> None:
    script = Script(
        ["shop.web_pageviews", "shop.order_transactions"],
        ["td_client_id", "member_id"],
        "member_id",
        ["last_product_viewed", "purchase_amount"],
    )
    choices = ask_choices(FOUND, "both", Choices(), script)
    questions = [q for q, _ in script.asked]
    assert questions[0] == "Which event tables should RT 2.0 track?"
    keys = {o.value: o.checked for o in script.asked[1][1]}
    assert keys == {"td_client_id": True, "email_address": True, "member_id": False}
    rec = recommend(FOUND, "both", choices)
    assert [k.name for k in rec.keys] == ["td_client_id", "member_id"]
    assert rec.primary_key == "member_id"
    assert [a.entry["name"] for a in rec.attributes] == ["last_product_viewed", "purchase_amount"]


def test_flags_are_not_asked_again() -> None:
    script = Script(["td_client_id"], ["purchase_amount"])
    flags = Choices(tables=("order_transactions",))
    choices = ask_choices(FOUND, "triggers", flags, script)
    assert choices.tables == ("order_transactions",) and len(script.asked) == 2


def test_console_urls_come_from_one_table() -> None:
    assert console_url("eu01", "7") == (
        "https://console-next.eu01.treasuredata.com/app/dw/parentSegments/7/realtime"
    )
    assert set(CONSOLE_HOSTS) == {"us01", "jp01", "eu01", "ap02", "ap03"}
    assert console_url("jp01", "7").startswith("https://console-next.treasuredata.co.jp/")


def test_the_graph_links_tables_to_key_events_to_attributes() -> None:
    from rtcfg.setup.report import AttributeView, EventView

    summary = SegmentSummary("7", "S", "ok", "url")
    summary.events = [EventView('pv"x', "db.pages", None)]
    summary.attributes = [AttributeView("a", "last_a", "single", 'pv"x', "c", "")]
    summary.batch = ["tier"]
    graph = mermaid(summary).splitlines()
    assert graph[0] == "graph LR"
    assert '  t0[("db.pages")]' in graph
    assert '  t0 --> e0(["pv#quot;x"])' in graph
    assert '  e0 --> a0["last_a<br/>single"]' in graph
    assert '  ps --> b0["tier<br/>batch"]' in graph


def test_many_tables_still_make_a_valid_file(tmp_path: Path) -> None:
    from tests.builders import table

    many = [table(f"events_{i:02d}", "td_client_id", "x") for i in range(12)]
    rec = recommend(discovery(*many), "both", Choices(tables=tuple(t.name for t in many)))
    (tmp_path / "many.yaml").write_text(render_config(rec, "rtcfg init 42 --use-case both"))
    config, _, problems = validate_file(str(tmp_path / "many.yaml"))
    assert config is not None and all(p.severity == "warning" for p in problems)


def test_with_two_event_databases_the_first_question_is_which() -> None:
    from tests.builders import table

    other = table("clicks", "td_client_id", db="archive")
    script = Script("archive", ["archive.clicks"], ["td_client_id"], [])
    choices = ask_choices(discovery(PAGES, ORDERS, other), "triggers", Choices(), script)
    assert script.asked[0][0] == "Which database contains your streaming event data?"
    assert choices.database == "archive" and choices.tables == ("archive.clicks",)
    rec = recommend(discovery(PAGES, ORDERS, other), "triggers", choices)
    assert [e.table.address for e in rec.events] == ["archive.clicks"]
