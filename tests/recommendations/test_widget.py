"""The storefront widget's endpoints on a trained store: lists from the active run only,
signed shopper tokens, never an unsellable product, CORS, rate limits, the beacon (signed
impression ids), the session lift, and the admin's click-through rates."""

import json

import pytest

from apps.catalogue.models import Product
from apps.customers.models import Customer
from apps.recommendations.models import CustomerRecommendation, ProductAlsoBought, TrendingProduct, WidgetEvent
from apps.recommendations.tokens import shopper_token_for


def published_for(run, customer, n):
    rows = CustomerRecommendation.objects.filter(run=run, customer=customer).order_by("rank")
    return [row.product.sku for row in rows[:n]]


@pytest.fixture
def shopper(trained_store):
    customer = (
        Customer.objects.filter(pk__in=CustomerRecommendation.objects.filter(run=trained_store).values("customer_id"))
        .order_by("external_id")
        .first()
    )
    return customer, shopper_token_for(customer.external_id)


def test_for_you_serves_the_signed_customers_list_of_the_active_run(client, trained_store, shopper):
    customer, token = shopper

    body = client.get("/api/widget/v1/for-you", {"token": token, "limit": 5}).json()

    assert (body["list"], body["run"]) == ("for_you", trained_store.pk)
    assert [item["sku"] for item in body["items"]] == published_for(trained_store, customer, 5)
    first = body["items"][0]
    assert set(first) == {"sku", "name", "price", "currency", "url", "image", "reason", "because_of"}
    assert first["url"] == f"/storefront/products/{first['sku']}/"


def test_a_forged_token_reads_nothing(client, trained_store, shopper):
    _, token = shopper
    forged = "MTIzNDU" + token[token.index(".") :]  # another customer id, the same signature

    response = client.get("/api/widget/v1/for-you", {"token": forged})

    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid shopper token: bad signature."}


def test_visitors_without_a_token_get_the_popular_list(client, trained_store):
    body = client.get("/api/widget/v1/for-you", {"limit": 3}).json()

    assert [item["reason"] for item in body["items"]] == ["Popular right now"] * 3


def test_also_bought_and_trending_follow_the_published_ranks(client, trained_store):
    row = ProductAlsoBought.objects.filter(run=trained_store, rank=1).select_related("product").first()
    expected = [
        r.other.sku
        for r in ProductAlsoBought.objects.filter(run=trained_store, product=row.product).order_by("rank")[:4]
    ]

    also = client.get("/api/widget/v1/also-bought", {"product": row.product.sku, "limit": 4}).json()
    trending = client.get("/api/widget/v1/trending", {"limit": 3}).json()

    assert [item["sku"] for item in also["items"]] == expected
    assert also["items"][0]["reason"] == f"Often bought with {row.product.name}"
    assert [item["sku"] for item in trending["items"]] == [
        r.product.sku for r in TrendingProduct.objects.filter(run=trained_store).order_by("rank")[:3]
    ]
    assert client.get("/api/widget/v1/also-bought").status_code == 400


def test_inactive_and_sold_out_products_leave_the_lists_at_once(client, trained_store, shopper):
    customer, token = shopper
    before = [i["sku"] for i in client.get("/api/widget/v1/for-you", {"token": token, "limit": 5}).json()["items"]]
    sold_out, inactive = Product.objects.get(sku=before[0]), Product.objects.get(sku=before[1])

    sold_out.stock_on_hand = 0
    sold_out.save()
    inactive.is_active = False
    inactive.save()
    after = [i["sku"] for i in client.get("/api/widget/v1/for-you", {"token": token, "limit": 5}).json()["items"]]

    assert after == [sku for sku in published_for(trained_store, customer, 7) if sku not in before[:2]][:5]


def test_cors_admits_configured_storefronts_only(client, trained_store, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]

    allowed = client.get("/api/widget/v1/trending", HTTP_ORIGIN="https://shop.example.com")
    other = client.get("/api/widget/v1/trending", HTTP_ORIGIN="https://evil.example.net")

    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Access-Control-Allow-Origin" not in other


@pytest.fixture
def mid_minute(monkeypatch):
    """The limiter's clock stopped 30 s into a minute, so no window ends between requests."""
    monkeypatch.setattr("apps.core.rate_limit._clock", lambda: 1_800_000_030.0)


def test_anonymous_callers_are_rate_limited(client, trained_store, settings, mid_minute):
    settings.WIDGET_RATE = "3/minute"
    responses = [client.get("/api/widget/v1/trending", REMOTE_ADDR="203.0.113.9") for _ in range(4)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert responses[-1]["Retry-After"] == "30"  # the rest of the minute
    assert client.get("/api/widget/v1/trending", REMOTE_ADDR="203.0.113.10").status_code == 200


def test_beacon_records_impressions_and_clicks(client, trained_store):
    served = client.get("/api/widget/v1/trending", {"limit": 3}).json()
    sku = served["items"][0]["sku"]
    payload = {
        "session": "visit-1",
        "events": [
            {"type": "impression", "sku": sku, "impression": served["impression"]},
            {"type": "click", "sku": sku, "impression": served["impression"]},
        ],
    }
    # The unsigned form of old: any list, any run, any product.
    unsigned = {"session": "visit-1", "events": [{"type": "click", "list": "trending", "sku": sku, "run": 999999}]}

    response = client.post("/api/widget/v1/events", json.dumps(payload), content_type="text/plain")

    assert (response.status_code, response.json()) == (202, {"recorded": 2})
    assert sorted(WidgetEvent.objects.values_list("kind", "session", "run_id")) == [
        ("click", "visit-1", trained_store.pk),
        ("impression", "visit-1", trained_store.pk),
    ]
    assert client.post("/api/widget/v1/events", "not json", content_type="text/plain").status_code == 400
    assert client.post("/api/widget/v1/events", json.dumps(unsigned), content_type="text/plain").status_code == 400
    assert WidgetEvent.objects.count() == 2


def test_a_click_lifts_related_products_in_the_next_for_you_list(client, trained_store, shopper):
    _, token = shopper
    clicked = ProductAlsoBought.objects.filter(run=trained_store, rank=1).select_related("product").first().product
    related = [
        r.other.sku for r in ProductAlsoBought.objects.filter(run=trained_store, product=clicked).order_by("rank")[:2]
    ]
    plain = client.get("/api/widget/v1/for-you", {"token": token, "limit": 4}).json()["items"]

    # The widget sends the visit's clicked products along with the next request.
    items = client.get("/api/widget/v1/for-you", {"token": token, "limit": 4, "clicked": clicked.sku}).json()["items"]

    assert [item["sku"] for item in items[:2]] == related
    assert items[0]["reason"] == f"Because you looked at {clicked.name}"
    assert [item["sku"] for item in items[2:]] == [i["sku"] for i in plain if i["sku"] not in related][:2]


def test_admin_shows_click_through_rate_per_run_and_list(staff_client, trained_store):
    product = Product.objects.filter(kind="merchandise").first()
    WidgetEvent.objects.bulk_create(
        [WidgetEvent(run=trained_store, list_name="for_you", kind="impression", product=product)] * 8
        + [WidgetEvent(run=trained_store, list_name="for_you", kind="click", product=product)] * 2
    )

    page = staff_client.get("/admin/recommendations/widgetevent/").content.decode()

    assert "<td>for_you</td>" in page
    assert "<td>8</td>" in page and "<td>2</td>" in page and "25.00%" in page


def test_integrations_read_any_customers_list_with_a_key(client, api_keys, trained_store, shopper):
    customer, _ = shopper

    anonymous = client.get(f"/api/v1/recommendations/customers/{customer.external_id}/")
    body = client.get(
        f"/api/v1/recommendations/customers/{customer.external_id}/?limit=5", HTTP_X_API_KEY=api_keys["read"]
    ).json()

    assert anonymous.status_code == 401
    assert [item["sku"] for item in body["items"]] == published_for(trained_store, customer, 5)


def test_a_product_nobody_bought_gets_similar_names(client, trained_store):
    from apps.core.training.services import training_run_execute, training_run_request

    bought = Product.objects.filter(kind="merchandise", name__contains="LANTERN").first()
    Product.objects.create(sku="99001", name=bought.name + " DELUXE", price="9.99")
    run, _ = training_run_request(kind="recommendations", trigger="staff", enqueue=False)
    training_run_execute(run_id=run.pk)

    items = client.get("/api/widget/v1/also-bought", {"product": "99001", "limit": 3}).json()["items"]

    assert items and all(item["reason"] == f"Similar to {bought.name} DELUXE" for item in items)
    assert bought.sku in [item["sku"] for item in items] or all("LANTERN" in item["name"] for item in items)


def test_malformed_input_is_refused_not_a_server_error(client, trained_store):
    assert client.get("/api/widget/v1/for-you", {"token": "YQ.9999999999.\u00e9"}).status_code == 403
    sku = TrendingProduct.objects.filter(run=trained_store).first().product.sku
    payload = {"session": "s", "events": [{"type": "click", "sku": sku, "impression": [1]}]}

    response = client.post("/api/widget/v1/events", json.dumps(payload), content_type="text/plain")

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Event 0: a valid impression id of a served list is required."},
    )
    assert not WidgetEvent.objects.exists()


def test_caching_headers(client, trained_store, shopper):
    _, token = shopper

    assert client.get("/api/widget/v1/for-you", {"token": token})["Cache-Control"] == "no-store"
    assert client.get("/api/widget/v1/trending")["Cache-Control"] == "public, max-age=5"


def test_behind_a_proxy_each_shopper_has_their_own_limit(client, trained_store, settings, mid_minute):
    settings.WIDGET_RATE, settings.TRUSTED_PROXY_HOPS = "2/minute", 1

    def call(shopper_address):
        return client.get(
            "/api/widget/v1/trending", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.7, {shopper_address}"
        ).status_code

    assert [call("203.0.113.1"), call("203.0.113.1"), call("203.0.113.1")] == [200, 200, 429]
    assert call("203.0.113.2") == 200  # another shopper behind the same load balancer
