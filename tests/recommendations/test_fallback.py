"""Never empty: with no active recommendations run (a new store, or every run refused), the widget
and the API serve lists computed from the orders: popular in the shopper's country then overall,
similar products by name on a product page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.customers.models import Customer
from apps.orders.models import Order, OrderLine
from apps.recommendations.tokens import shopper_token_for

NAMES = {
    "MUG-RED": "RED SPOTTY MUG",
    "MUG-BLUE": "BLUE SPOTTY MUG",
    "JUG": "RED SPOTTY JUG",
    "LAMP": "BRASS DESK LAMP",
    "CANDLE": "VANILLA CANDLE",
}


@pytest.fixture
def new_store(db):
    """Five products; French buyers like the lamp, British buyers the mugs; no training run."""
    products = {sku: Product.objects.create(sku=sku, name=name, price=Decimal("2.50")) for sku, name in NAMES.items()}
    now = timezone.now()
    baskets = [("FR", ["LAMP", "CANDLE"])] * 3 + [("UK", ["MUG-RED", "MUG-BLUE"])] * 5 + [("UK", ["JUG"])] * 4
    for i, (country, skus) in enumerate(baskets):
        customer = Customer.objects.create(external_id=f"{country}{i}", country=country)
        order = Order.objects.create(
            invoice_no=f"{i}", placed_at=now - datetime.timedelta(days=i), customer=customer, country=country
        )
        for n, sku in enumerate(skus):
            OrderLine.objects.create(
                order=order, line_number=n, product=products[sku], quantity=1, unit_price=Decimal("2.50")
            )
    # An old sale outside the 90-day window does not count.
    old = Order.objects.create(invoice_no="old", placed_at=now - datetime.timedelta(days=400), country="FR")
    OrderLine.objects.bulk_create(
        OrderLine(order=old, line_number=n, product=products["CANDLE"], quantity=1, unit_price=1) for n in range(50)
    )
    return products


def skus(body):
    return [item["sku"] for item in body["items"]]


def test_with_no_run_shoppers_get_popular_lists_by_country(client, new_store):
    token = shopper_token_for("FR0")

    mine = client.get("/api/widget/v1/for-you", {"token": token, "limit": 4}).json()
    anonymous = client.get("/api/widget/v1/for-you", {"limit": 3}).json()
    trending = client.get("/api/widget/v1/trending", {"limit": 2}).json()

    assert mine["run"] is None
    # France: lamp and candle (3 buyers each, by id), then everyone's: mugs (5), jug (4)
    assert skus(mine) == ["LAMP", "CANDLE", "MUG-RED", "MUG-BLUE"]
    assert [item["reason"] for item in mine["items"]] == ["Popular in FR"] * 2 + ["Popular right now"] * 2
    assert skus(anonymous) == ["MUG-RED", "MUG-BLUE", "JUG"]
    assert skus(trending) == ["MUG-RED", "MUG-BLUE"]


def test_with_no_run_a_product_page_gets_similar_names(client, new_store):
    body = client.get("/api/widget/v1/also-bought", {"product": "MUG-RED", "limit": 3}).json()

    # BLUE SPOTTY MUG shares 2 of 3 words, RED SPOTTY JUG 2 of 3 (fewer buyers): nothing else shares any
    assert skus(body) == ["MUG-BLUE", "JUG"]
    assert body["items"][0]["reason"] == "Similar to RED SPOTTY MUG"


def test_integrations_get_the_fallback_too_and_a_refused_run_changes_nothing(client, api_keys, new_store):
    TrainingRun.objects.create(kind="recommendations", status="succeeded", gate_passed=False, is_active=False)

    body = client.get("/api/v1/recommendations/customers/UK3/", {"limit": 2}, HTTP_X_API_KEY=api_keys["read"]).json()

    assert (body["run"], skus(body)) == (None, ["MUG-RED", "MUG-BLUE"])


def test_an_unsellable_product_leaves_the_fallback_at_once(client, new_store, django_capture_on_commit_callbacks):
    assert skus(client.get("/api/widget/v1/trending", {"limit": 1}).json()) == ["MUG-RED"]
    with django_capture_on_commit_callbacks(execute=True):
        new_store["MUG-RED"].is_active = False
        new_store["MUG-RED"].save()

    assert skus(client.get("/api/widget/v1/trending", {"limit": 1}).json()) == ["MUG-BLUE"]


def test_a_store_with_no_orders_answers_an_empty_list_not_an_error(client, db):
    body = client.get("/api/widget/v1/trending").json()
    assert (body["run"], body["items"]) == (None, [])


def test_staff_see_why_trained_lists_are_not_served(staff_client, new_store):
    refused = TrainingRun.objects.create(
        kind="recommendations",
        status="succeeded",
        gate_passed=False,
        gate_reason="ease does not beat popularity on NDCG@10",
    )

    page = staff_client.get("/admin/core/trainingrun/").content.decode()

    assert (
        f"<strong>recommendations</strong>: no active run (run {refused.pk} was refused: ease does not beat "
        "popularity on NDCG@10). Meanwhile: Shoppers and integrations get the fallback lists" in page
    )
    assert "<strong>segments</strong>: no active run (no run yet)" in page
