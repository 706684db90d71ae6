"""The guide's recommendations by use case (Phase 4.5), as data: which attributes each use case
wants, the events they read, and the column roles they need, found by name patterns.

:mod:`rtcfg.setup.recommend` applies these to discovered tables; changing what is recommended means
changing only this file.
"""

from __future__ import annotations

from dataclasses import dataclass

USE_CASES: dict[str, tuple[str, ...]] = {
    "recommendations": ("recommendations",),
    "cart": ("cart",),
    "triggers": ("triggers",),
    "both": ("recommendations", "triggers"),
}


@dataclass(frozen=True)
class ColumnRole:
    """What a recommended attribute reads: a column kind and name patterns, best first."""

    kind: str  # "string" | "number"
    patterns: tuple[str, ...]
    looks_like: str  # for the "left out" comment


ROLES: dict[str, ColumnRole] = {
    "product": ColumnRole(
        "string",
        (
            r"^product_?(?:id|sku|code)$",
            r"^(?:sku|item_?id|article_?id|product)$",
            r"sku",
            r"(?:product|item|article)_?(?:id|code|no)$",
        ),
        "product_id, product_sku, sku, item_id, article_id",
    ),
    "category": ColumnRole(
        "string",
        (r"^(?:product_)?categor(?:y|ies)$", r"categor", r"department|section|genre|(?:^|_)cat$"),
        "category, product_category, category_name, genre, department",
    ),
    "price": ColumnRole(
        "number",
        (r"^(?:unit_)?price$", r"price", r"amount|cost|value"),
        "price, unit_price, amount (a number column)",
    ),
    "amount": ColumnRole(
        "number",
        (r"^(?:order_|grand_)?total$|^amount$", r"total|amount|revenue|value", r"price|cost"),
        "total, order_amount, revenue, price (a number column)",
    ),
    "time": ColumnRole("number", (r"^time$",), "time (listed in the table's schema)"),
}


@dataclass(frozen=True)
class EventRole:
    """A key event the recipes read: which kind of table, and the column its filter keeps."""

    table_kind: str
    description: str
    column_role: str | None = None  # the event is about rows where this column is set


EVENT_ROLES: dict[str, EventRole] = {
    "page_view": EventRole("page_view", "Page views"),
    "product_view": EventRole("page_view", "Page views of a product", "product"),
    "add_to_cart": EventRole("add_to_cart", "Items added to the cart"),
    "purchase": EventRole("purchase", "Completed purchases"),
}


@dataclass(frozen=True)
class Recipe:
    """One real-time attribute the guide recommends (4.5)."""

    name: str
    type: str
    event: str  # an EVENT_ROLES key
    role: str | None  # a ROLES key; None for a counter of events
    why: str
    aggregation: str | None = None
    window: str | None = None
    max_items: int | None = None
    expiry_days: int | None = None


@dataclass(frozen=True)
class BatchRecipe:
    """One batch attribute the guide recommends, found among the parent segment's attributes."""

    name: str
    pattern: str
    why: str


RECIPES: dict[str, tuple[Recipe, ...]] = {
    "recommendations": (
        Recipe("last_product_viewed", "single", "product_view", "product", "latest product viewed"),
        Recipe(
            "browsed_products_list",
            "list",
            "product_view",
            "product",
            "products viewed in the last 60 days",
            aggregation="distinct_list",
            max_items=100,
            expiry_days=60,
        ),
        Recipe(
            "browsed_categories",
            "list",
            "product_view",
            "category",
            "categories browsed in the last 60 days",
            aggregation="distinct_list",
            max_items=100,
            expiry_days=60,
        ),
        Recipe(
            "page_views_24h",
            "counter",
            "page_view",
            None,
            "page views in the last 24 hours (engagement)",
            aggregation="count",
            window="24h",
        ),
    ),
    "cart": (
        Recipe(
            "cart_items_list",
            "list",
            "add_to_cart",
            "product",
            "products added to the cart in the last 7 days",
            aggregation="distinct_list",
            max_items=100,
            expiry_days=7,
        ),
        Recipe(
            "cart_value",
            "counter",
            "add_to_cart",
            "price",
            "value added to the cart in the last 7 days (the guide's single/sum: a single "
            "keeps only the latest value, so a running sum is a counter)",
            aggregation="sum",
            window="7d",
        ),
        Recipe(
            "cart_item_count",
            "counter",
            "add_to_cart",
            None,
            "cart additions in the last 7 days",
            aggregation="count",
            window="7d",
        ),
        Recipe("last_cart_update", "single", "add_to_cart", "time", "when the cart last changed"),
    ),
    "triggers": (
        Recipe("purchase_amount", "single", "purchase", "amount", "amount of the latest purchase"),
        Recipe("product_purchased", "single", "purchase", "product", "latest product purchased"),
        Recipe(
            "purchase_count_30d",
            "counter",
            "purchase",
            None,
            "purchases in the last 30 days",
            aggregation="count",
            window="30d",
        ),
    ),
}
# Events a use case wants even though no recipe reads them.
EXTRA_EVENTS: dict[str, tuple[str, ...]] = {"cart": ("purchase",)}
_TIER = r"tier|loyalty"
_EMAIL = r"e_?mail|(?:^|_)mail(?:_?addr(?:ess)?)?$"  # as rtcfg.setup.discover spells it
BATCH_RECIPES: dict[str, tuple[BatchRecipe, ...]] = {
    "recommendations": (
        BatchRecipe("loyalty_tier", _TIER, "for personalized recommendations"),
        BatchRecipe(
            "total_purchase_value",
            r"lifetime|ltv|clv|purchase_?value|total_?(?:purchase|spend|revenue|value)",
            "for high-value customer treatment",
        ),
    ),
    "cart": (
        BatchRecipe("email", _EMAIL, "for sending reminders"),
        BatchRecipe("first_name", r"first_?name|given_?name|fname", "for personalization"),
    ),
    "triggers": (
        BatchRecipe("email", _EMAIL, "for activations"),
        BatchRecipe(
            "canonical_id", r"canonical|master_?id|golden_?id", "for matching in external systems"
        ),
        BatchRecipe("loyalty_tier", _TIER, "for conditional routing"),
    ),
}
