"""The recommendation rules on plain data: which columns become which attributes, what is
left out and why, which keys stitch, and which tables are events."""

from __future__ import annotations

from typing import Any

import pytest

from rtcfg.errors import UsageError
from rtcfg.setup.discover import event_kind, id_kind
from rtcfg.setup.recommend import Choices, Recommendation, recommend
from tests.builders import CART, ORDERS, PAGES, STOCK, discovery, table


def attributes(rec: Recommendation) -> dict[str, dict[str, Any]]:
    return {str(a.entry["name"]): a.entry for a in rec.attributes + rec.batch}


def left_out(rec: Recommendation) -> dict[str, str]:
    return {item.what: item.why for item in rec.left_out}


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("web_pageviews", "page_view"),
        ("SiteVisitsPV", "page_view"),
        ("pv", "page_view"),
        ("basket_adds", "add_to_cart"),
        ("cart_events", "add_to_cart"),
        ("order_transactions", "purchase"),
        ("form_submissions", "form_fill"),
        ("click_stream", "click"),
        ("user_activity", "activity"),
        ("tracking_events", "event"),
        ("product_views", "page_view"),
        ("daily_sales", "purchase"),
        ("newsletter_signups", "form_fill"),
        ("web_hits", "page_view"),
        ("product_catalog", None),
        ("platform_users", None),
    ],
)
def test_event_tables_are_matched_by_pattern(name: str, kind: str | None) -> None:
    found = event_kind(name)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("td_client_id", "cookie"),
        ("visitor_cookie", "cookie"),
        ("canonical_id", "canonical"),
        ("email_address", "email"),
        ("member_id", "user"),
        ("customer_id", "user"),
        ("mobile_phone", "phone"),
        ("product_id", None),
        ("order_id", None),
        ("product_sku", None),
        ("tdClientId", "cookie"),
        ("userId", "user"),
    ],
)
def test_identity_columns_are_people_not_objects(column: str, kind: str | None) -> None:
    found = id_kind(column)
    assert (found.name if found else None) == kind


def test_recommendations_read_the_product_column_whatever_it_is_called() -> None:
    rec = recommend(discovery(PAGES), "recommendations")
    attrs = attributes(rec)
    assert attrs["last_product_viewed"]["source_field"] == "product_sku"
    assert attrs["browsed_categories"]["source_field"] == "category_name"
    assert attrs["browsed_products_list"]["aggregation"] == "distinct_list"
    assert attrs["page_views_24h"] == {
        "name": "page_views_24h",
        "type": "counter",
        "source_event": "page_view",
        "aggregation": "count",
        "window_duration": "24h",
        "description": "Page views in the last 24 hours",
    }
    product_view = next(e for e in rec.events if e.name == "product_view")
    assert product_view.filter_field == "product_sku"


def test_a_missing_column_leaves_the_attribute_out_saying_what_was_looked_for() -> None:
    rec = recommend(discovery(table("pageviews", "td_client_id", "product_id")), "recommendations")
    why = left_out(rec)["browsed_categories (list)"]
    assert "no category column in shop.pageviews" in why and "product_category" in why
    assert "browsed_categories" not in attributes(rec)


def test_a_missing_table_leaves_its_event_and_attributes_out() -> None:
    rec = recommend(discovery(PAGES), "cart")
    assert "no shopping cart actions table in shop" in left_out(rec)["event add_to_cart"]
    assert "needs the add_to_cart event" in left_out(rec)["cart_value (counter)"]


def test_the_guides_single_sum_cart_value_is_a_counter_that_sums_the_price() -> None:
    rec = recommend(discovery(PAGES, CART), "cart")
    value = attributes(rec)["cart_value"]
    assert value["type"] == "counter" and value["aggregation"] == "sum"
    assert value["source_field"] == "unit_price"
    assert attributes(rec)["last_cart_update"]["data_type"] == "number"  # time is a long


def test_a_number_column_makes_a_number_single() -> None:
    rec = recommend(discovery(ORDERS), "triggers")
    assert attributes(rec)["purchase_amount"]["source_field"] == "order_amount"
    assert attributes(rec)["purchase_amount"]["data_type"] == "number"
    assert "data_type" not in attributes(rec)["product_purchased"]


def test_a_table_without_an_identity_column_is_never_an_event() -> None:
    rec = recommend(discovery(PAGES, STOCK), "both")
    assert all(e.table.name != "inventory_events" for e in rec.events)
    assert [s.what for s in rec.skipped_tables] == ["shop.inventory_events"]


def test_both_is_recommendations_and_triggers_without_duplicates() -> None:
    rec = recommend(discovery(PAGES, ORDERS), "both")
    names = [a.entry["name"] for a in rec.attributes]
    assert "last_product_viewed" in names and "purchase_count_30d" in names
    assert len(names) == len(set(names)) and "cart_value" not in names


def test_cookie_and_email_stitch_a_user_id_only_with_a_caution() -> None:
    rec = recommend(discovery(PAGES, ORDERS), "both")
    assert [k.name for k in rec.keys] == ["td_client_id", "email_address"]
    assert "anonymous" in {s.what: s.why for s in rec.skipped_keys}["member_id"]
    assert rec.primary_key == "td_client_id" and rec.ext_lookup_key == "cust_key"


def test_a_user_id_stitches_when_nothing_better_exists() -> None:
    rec = recommend(discovery(table("pageviews", "member_id", "product_id")), "recommendations")
    assert [k.name for k in rec.keys] == ["member_id"] and rec.primary_key == "member_id"


def test_the_canonical_id_is_the_primary_key() -> None:
    pages = table("pageviews", "td_client_id", "canonical_id", "product_id")
    rec = recommend(discovery(pages), "recommendations")
    assert rec.primary_key == "canonical_id" and "canonical" in rec.primary_why


def test_batch_attributes_are_matched_by_pattern_and_left_out_when_absent() -> None:
    found = discovery(PAGES, attributes=("membership_tier", "lifetime_spend", "city"))
    rec = recommend(found, "recommendations")
    assert {a.entry["name"] for a in rec.batch} == {"membership_tier", "lifetime_spend"}
    assert all(a.entry["type"] == "imported_batch" for a in rec.batch)
    rec = recommend(found, "cart")
    assert "no attribute like it" in left_out(rec)["email (batch)"]


def test_choices_narrow_attributes_keys_and_tables() -> None:
    found = discovery(PAGES, ORDERS)
    choices = Choices(tables=("order_transactions",), keys=("email_address",))
    rec = recommend(found, "both", choices)
    assert [e.name for e in rec.events] == ["purchase"]
    assert [k.name for k in rec.keys] == ["email_address"]
    rec = recommend(found, "triggers", Choices(attributes=("purchase_amount",)))
    assert [a.entry["name"] for a in rec.attributes] == ["purchase_amount"]
    assert left_out(rec)["product_purchased"] == "not chosen"


def test_unknown_names_are_usage_errors_with_a_suggestion() -> None:
    found = discovery(PAGES, ORDERS)
    with pytest.raises(UsageError, match="did you mean 'web_pageviews'"):
        recommend(found, "both", Choices(tables=("web_pagevews",)))
    with pytest.raises(UsageError, match="not a string column"):
        recommend(found, "both", Choices(keys=("order_amount",)))
    with pytest.raises(UsageError, match="not among the stitching keys"):
        recommend(found, "both", Choices(primary_key="member_id"))


def test_the_database_with_the_most_event_tables_is_chosen() -> None:
    other = table("clicks", "td_client_id", db="archive", rows=10**9)
    rec = recommend(discovery(PAGES, ORDERS, other), "both")
    assert rec.database == "shop"
    with pytest.raises(UsageError, match="no event tables found"):
        recommend(discovery(STOCK), "cart")


def test_filters_stay_within_the_apis_1000_characters() -> None:
    many = [table(f"events_{i:02d}", "td_client_id", "x") for i in range(12)]
    rec = recommend(discovery(*many), "both", Choices(tables=tuple(t.name for t in many)))
    assert len(rec.events) == 12
    kept = [e for e in rec.events if e.filter_field]
    assert 0 < len(kept) < 12
    assert all("1000 characters" in e.why for e in rec.events if not e.filter_field)


def test_a_use_case_without_its_tables_still_gets_key_events() -> None:
    rec = recommend(discovery(table("user_activity", "td_client_id")), "recommendations")
    assert [e.name for e in rec.events] == ["activity"]
    assert "no website page views table" in left_out(rec)["event page_view"]


def test_rows_and_age_read_like_the_guide() -> None:
    from rtcfg.api.catalog import age_text, rows_text

    assert rows_text(12_500_000) == "12.5M rows" and rows_text(340_000) == "340K rows"
    assert rows_text(1) == "1 row" and rows_text(None) == "? rows"
    assert age_text(1000, now=1120) == "2 minutes ago" and age_text(1000, now=1000) == "just now"
    assert age_text(None) == "at an unknown time"


def test_page_views_without_a_product_column_still_count_but_recommend_no_products() -> None:
    rec = recommend(discovery(table("pageviews", "td_client_id", "td_url")), "recommendations")
    assert [e.name for e in rec.events] == ["page_view"]
    assert "no product column in shop.pageviews" in left_out(rec)["event product_view"]
    assert list(attributes(rec)) == ["page_views_24h"]


def test_qualified_table_names_name_the_database() -> None:
    other = table("clicks", "td_client_id", db="archive")
    rec = recommend(
        discovery(PAGES, ORDERS, other), "triggers", Choices(tables=("archive.clicks",))
    )
    assert rec.database == "archive" and [e.name for e in rec.events] == ["click"]
