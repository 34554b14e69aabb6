"""Integrations read and write orders: filters, validation messages, 404s, bulk ingest."""

from decimal import Decimal

import pytest

from apps.catalogue.models import Product
from apps.orders.models import ImportBatch, Order
from apps.orders.services import order_log_import
from tests.orders.test_import_order_log import STORE_LOG


@pytest.fixture
def store(write_order_log, transactional_db):
    order_log_import(path=write_order_log(STORE_LOG))


@pytest.fixture
def api(client, api_keys):
    class Api:
        def get(self, url, **params):
            return client.get(url, params, HTTP_X_API_KEY=api_keys["read"])

        def post(self, url, data, **extra):
            return client.post(url, data, content_type="application/json", HTTP_X_API_KEY=api_keys["write"], **extra)

    return Api()


def test_orders_are_paginated_filtered_and_ordered(store, api):
    page = api.get("/api/v1/orders/", customer="17850", ordering="placed_at").json()

    assert page["count"] == 3
    assert [o["invoice_no"] for o in page["results"]] == ["536365", "536366", "C536368"]
    assert page["results"][0]["total_amount"] == "55.980"
    cancellations = api.get("/api/v1/orders/", kind="cancellation").json()
    assert [o["invoice_no"] for o in cancellations["results"]] == ["C536368"]
    december_2 = api.get("/api/v1/orders/", placed_after="2010-12-02T00:00:00Z", placed_before="2010-12-03T00:00:00Z")
    assert [o["invoice_no"] for o in december_2.json()["results"]] == ["536367"]


def test_order_detail_has_lines_and_unknown_id_is_404(store, api):
    order = Order.objects.get(invoice_no="536365")

    detail = api.get(f"/api/v1/orders/{order.pk}/").json()

    assert [(line["sku"], line["quantity"], line["amount"]) for line in detail["lines"]] == [
        ("85123A", 6, "15.300"),
        ("71053", 6, "20.340"),
        ("71053", 6, "20.340"),
    ]
    assert api.get("/api/v1/orders/999999/").status_code == 404
    assert api.get("/api/v1/products/999999/").status_code == 404


def test_customers_carry_lifetime_totals(store, api):
    customer = api.get("/api/v1/customers/", external_id="17850").json()["results"][0]

    # Sales 55.98 + 18.00 postage, less the 15.30 cancellation.
    assert (customer["order_count"], customer["net_spend"], customer["country"]) == (2, "58.680", "United Kingdom")


def test_products_search_and_filter(store, api):
    found = api.get("/api/v1/products/", search="HEART").json()["results"]
    assert [p["sku"] for p in found] == ["85123A"]
    postage = api.get("/api/v1/products/", kind="postage").json()["results"]
    assert [p["sku"] for p in postage] == ["POST"]


def test_create_order_through_the_api(store, api):
    response = api.post(
        "/api/v1/orders/",
        {
            "invoice_no": "W1001",
            "placed_at": "2011-01-05T10:00:00Z",
            "customer": "17850",
            "country": "United Kingdom",
            "lines": [
                {"sku": "85123A", "quantity": 2, "unit_price": "2.95"},
                {"sku": "POST", "quantity": 1, "unit_price": "5"},
            ],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["source"], body["total_amount"], body["line_count"], body["customer"]) == ("api", "10.900", 2, "17850")
    assert Order.objects.get(invoice_no="W1001").lines.count() == 2


def test_api_cancellation_links_to_the_purchase(store, api):
    api.post(
        "/api/v1/orders/",
        {
            "invoice_no": "W1001",
            "placed_at": "2011-01-05T10:00:00Z",
            "customer": "12583",
            "country": "France",
            "lines": [{"sku": "22633", "quantity": 4, "unit_price": "1.85"}],
        },
    )
    response = api.post(
        "/api/v1/orders/",
        {
            "invoice_no": "CW1001",
            "placed_at": "2011-01-06T10:00:00Z",
            "customer": "12583",
            "country": "France",
            "lines": [{"sku": "22633", "quantity": -4, "unit_price": "1.85"}],
        },
    )

    assert response.status_code == 201
    assert response.json()["lines"][0]["cancels"] is not None
    assert Order.objects.get(invoice_no="W1001").status == Order.Status.CANCELLED


def test_invalid_orders_get_400_naming_the_field(store, api):
    unknown_sku = api.post(
        "/api/v1/orders/",
        {
            "invoice_no": "W2",
            "placed_at": "2011-01-05T10:00:00Z",
            "lines": [
                {"sku": "85123A", "quantity": 1, "unit_price": "1"},
                {"sku": "NOPE", "quantity": 1, "unit_price": "1"},
            ],
        },
    )
    assert unknown_sku.status_code == 400
    assert unknown_sku.json() == {"lines": {"1": {"sku": ["Unknown SKU 'NOPE'."]}}}

    duplicate = api.post(
        "/api/v1/orders/",
        {
            "source": "online_retail",
            "invoice_no": "536365",
            "placed_at": "2011-01-05T10:00:00Z",
            "lines": [{"sku": "85123A", "quantity": 1, "unit_price": "1"}],
        },
    )
    assert duplicate.status_code == 400
    assert duplicate.json() == {"invoice_no": ["An order '536365' already exists for source 'online_retail'."]}

    bad_fields = api.post("/api/v1/orders/", {"invoice_no": "W3", "placed_at": "soon", "lines": []})
    assert bad_fields.status_code == 400
    assert set(bad_fields.json()) == {"placed_at", "lines"}

    bad_line = api.post(
        "/api/v1/orders/",
        {
            "invoice_no": "W4",
            "placed_at": "2011-01-05T10:00:00Z",
            "lines": [{"sku": "85123A", "quantity": 0, "unit_price": "-1"}],
        },
    )
    assert bad_line.json() == {
        "lines": {
            "0": {"quantity": ["Must not be zero."], "unit_price": ["Ensure this value is greater than or equal to 0."]}
        }
    }
    assert not Order.objects.filter(invoice_no__in=["W2", "W3", "W4"]).exists()


def test_product_update_keeps_stock_and_price_current(store, api, client, api_keys):
    product = Product.objects.get(sku="22633")

    response = client.patch(
        f"/api/v1/products/{product.pk}/",
        {"stock_on_hand": 0, "price": "2.10"},
        content_type="application/json",
        HTTP_X_API_KEY=api_keys["write"],
    )

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.stock_on_hand, product.price) == (0, Decimal("2.100"))
    assert not Product.objects.sellable().filter(pk=product.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_bulk_ingest_endpoint_imports_a_file(client, api_keys, write_order_log):
    path = write_order_log(STORE_LOG)

    with path.open("rb") as upload:
        response = client.post("/api/v1/orders/import/", {"file": upload}, HTTP_X_API_KEY=api_keys["write"])

    assert response.status_code == 202
    batch_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/import-batches/{batch_id}/"
    # Tasks run eagerly in this test, so the batch has finished by now.
    batch = client.get(f"/api/v1/import-batches/{batch_id}/", HTTP_X_API_KEY=api_keys["read"]).json()
    assert (batch["status"], batch["rows_imported"], batch["started_via"]) == ("succeeded", 9, "api")
    assert ImportBatch.objects.get(pk=batch_id).orders.count() == 7


@pytest.mark.django_db
def test_bulk_ingest_without_file_is_400(client, api_keys):
    response = client.post("/api/v1/orders/import/", {}, HTTP_X_API_KEY=api_keys["write"])

    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}


@pytest.mark.django_db
def test_openapi_schema_documents_the_api_to_staff_and_integrations(client, api_keys):
    assert client.get("/api/schema/").status_code == 401
    response = client.get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json", HTTP_X_API_KEY=api_keys["read"]
    )

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/orders/", "/api/v1/orders/import/", "/api/v1/products/{id}/", "/api/v1/customers/"} <= set(paths)
    assert client.get("/api/docs/", HTTP_X_API_KEY=api_keys["read"]).status_code == 200


def test_order_lines_beyond_the_stored_range_are_400(store, api):
    response = api.post(
        "/api/v1/orders/",
        {
            "invoice_no": "W9",
            "placed_at": "2011-01-05T10:00:00Z",
            "lines": [{"sku": "85123A", "quantity": 3000000000, "unit_price": "99999999"}],
        },
    )

    assert response.status_code == 400
    assert response.json() == {
        "lines": {
            "0": {
                "quantity": ["Ensure this value is less than or equal to 1000000."],
                "unit_price": ["Ensure this value is less than or equal to 9999999.999."],
            }
        }
    }


def test_a_lost_race_for_the_same_invoice_is_a_400_not_a_500(store, api, monkeypatch):
    from apps.orders.api import views

    real_create = views.order_create

    def create_twice(**kwargs):
        real_create(**kwargs)  # another request got there first
        return real_create(**kwargs)

    monkeypatch.setattr(views, "order_create", create_twice)
    response = api.post(
        "/api/v1/orders/",
        {
            "invoice_no": "W10",
            "placed_at": "2011-01-05T10:00:00Z",
            "lines": [{"sku": "85123A", "quantity": 1, "unit_price": "1"}],
        },
    )

    assert response.status_code == 400
    assert response.json() == {"invoice_no": ["An order 'W10' already exists for source 'api'."]}
