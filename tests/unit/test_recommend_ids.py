"""Identity columns on plain data: the spellings seen as people's ids (and those that are not),
the parent segment's profile key as the master customer id, a column typed differently in one
table, tables that cannot be tied to a profile, and a use case that finds no data."""

from __future__ import annotations

import pytest

from rtcfg.errors import UsageError
from rtcfg.setup.discover import discovery_json, id_kind
from rtcfg.setup.recommend import Choices, recommend
from tests.builders import ORDERS, PAGES, discovery, table


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("device_uuid", "cookie"),
        ("device_guid", "cookie"),
        ("advertising_id", "cookie"),
        ("idfa", "cookie"),
        ("app_instance_id", "cookie"),
        ("cookie_id", "cookie"),
        ("anonymous_uuid", "cookie"),
        ("td_ssc_id", "cookie"),
        ("mail", "email"),
        ("user_mail", "email"),
        ("mail_address", "email"),
        ("EMail", "email"),
        ("customer_number", "user"),
        ("member_no", "user"),
        ("account_number", "user"),
        ("customer_uuid", "user"),
        ("subscriber_id", "user"),
        ("master_customer_id", "canonical"),
        # objects and sessions are not people
        ("session_id", None),
        ("session_uuid", None),
        ("order_uuid", None),
        ("product_guid", None),
        ("order_number", None),
        ("transaction_id", None),
        ("app_id", None),
        ("mail_campaign", None),
        ("sku", None),
    ],
)
def test_common_id_spellings_are_people_and_objects_are_not(column: str, kind: str | None) -> None:
    found = id_kind(column)
    assert (found.name if found else None) == kind


def test_the_profile_key_in_the_event_tables_is_the_recommended_primary_key() -> None:
    pages = table("web_pageviews", "td_client_id", "member_no", "product_sku")
    rec = recommend(discovery(pages, key="member_no"), "recommendations")
    assert [k.name for k in rec.keys] == ["td_client_id", "member_no"]
    assert rec.primary_key == "member_no" and "profile key" in rec.primary_why
    assert rec.ext_lookup_key == "member_no"


def test_the_profile_key_counts_as_an_identity_whatever_its_name() -> None:
    pages = table("web_pageviews", "shopper_ref", "product_sku")
    found = discovery(pages, key="shopper_ref")
    assert [e.table.name for e in found.stitchable] == ["web_pageviews"]
    candidate = discovery_json(found)["id_candidates"][0]
    assert candidate["column"] == "shopper_ref" and candidate["recommended"] is True
    assert candidate["kind"] == "profile"


def test_a_column_of_another_type_in_one_table_is_noted_on_the_candidate() -> None:
    hits = table("site_hits", "visitor_cookie:long", "td_url")
    pages = table("web_pageviews", "visitor_cookie", "product_sku")
    found = discovery(hits, pages)
    candidate = next(c for c in found.id_candidates if c.column == "visitor_cookie")
    assert candidate.tables == ["shop.web_pageviews"]
    assert candidate.note is not None and "shop.site_hits (long)" in candidate.note
    assert discovery_json(found)["id_candidates"][0]["note"] == candidate.note


def test_a_named_table_that_cannot_be_tied_to_a_profile_is_refused() -> None:
    skus = table("sku_lookup", "product_sku", "list_price:double")
    with pytest.raises(
        UsageError, match=r"'shop.sku_lookup' has no identity column.*web_pageviews"
    ):
        recommend(
            discovery(PAGES, skus), "triggers", Choices(tables=("web_pageviews", "sku_lookup"))
        )


def test_an_extra_table_is_described_as_discover_describes_it() -> None:
    hits = table("site_hits", "td_client_id", "td_url")
    rec = recommend(discovery(hits, ORDERS), "cart", Choices(tables=("site_hits",)))
    assert [(e.name, e.description) for e in rec.events] == [("page_view", "Website page views")]


def test_a_use_case_without_its_data_says_what_it_looked_for() -> None:
    rec = recommend(discovery(PAGES, ORDERS), "cart")
    assert not rec.attributes and len(rec.warnings) == 1
    assert "use case 'cart' found no matching data in shop" in rec.warnings[0]
    assert "add_to_cart, cart_events" in rec.warnings[0]
    assert recommend(discovery(PAGES, ORDERS), "recommendations").warnings == []


def test_both_lists_a_shared_batch_attribute_left_out_once() -> None:
    rec = recommend(discovery(PAGES, ORDERS), "both")
    names = [item.what for item in rec.left_out]
    assert names.count("loyalty_tier (batch)") == 1 and len(names) == len(set(names))
