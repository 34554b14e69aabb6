"""A staff member reads and writes only what their model permissions allow: CSV exports need
the model's view permission, API writes with a staff session its add, change or delete one."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.catalogue.models import Product
from apps.customers.models import Customer
from apps.orders.models import Order
from apps.promotions.models import Promotion

EXPORTS = {
    "customers.view_customer": "/admin/customers/customer/export-csv/",
    "orders.view_order": "/admin/orders/order/export-csv/",
    "catalogue.view_product": "/admin/catalogue/product/export-csv/",
}


@pytest.fixture
def store(db):
    customer = Customer.objects.create(external_id="17850", country="United Kingdom")
    Order.objects.create(invoice_no="536365", placed_at=timezone.now(), customer=customer, total_amount=Decimal("9"))
    Product.objects.create(sku="85123A", name="WHITE HANGING HEART", price=Decimal("2.55"))


@pytest.mark.parametrize(("permission", "url"), EXPORTS.items())
def test_an_export_needs_the_view_permission_its_list_needs(store, clerk_client, grant, permission, url):
    list_url = url.removesuffix("export-csv/")
    assert clerk_client.get(list_url).status_code == 403
    assert clerk_client.get(url).status_code == 403

    grant(permission)
    response = clerk_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(b"".join(response.streaming_content).decode().splitlines()) == 2  # header and one row


def test_the_change_permission_also_opens_the_export(store, clerk_client, grant):
    grant("customers.change_customer")

    assert clerk_client.get("/admin/customers/customer/export-csv/").status_code == 200


def test_staff_api_writes_need_the_models_add_and_change_permissions(store, clerk_client, grant):
    payload = {"sku": "90001", "name": "NEW LANTERN", "price": "4.50"}
    product = Product.objects.get(sku="85123A")

    refused = clerk_client.post("/api/v1/products/", payload, content_type="application/json")
    refused_change = clerk_client.patch(
        f"/api/v1/products/{product.pk}/", {"price": "0.01"}, content_type="application/json"
    )

    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "Your account lacks the permission catalogue.add_product."},
    )
    assert (refused_change.status_code, refused_change.json()) == (
        403,
        {"detail": "Your account lacks the permission catalogue.change_product."},
    )
    assert not Product.objects.filter(sku="90001").exists()
    assert Product.objects.get(pk=product.pk).price == Decimal("2.55")
    assert clerk_client.get("/api/v1/products/").status_code == 200  # reads are unchanged

    grant("catalogue.add_product", "catalogue.change_product")

    assert clerk_client.post("/api/v1/products/", payload, content_type="application/json").status_code == 201
    changed = clerk_client.patch(f"/api/v1/products/{product.pk}/", {"price": "0.01"}, content_type="application/json")
    assert (changed.status_code, changed.json()["price"]) == (200, "0.010")


def test_a_post_to_one_objects_action_needs_the_change_permission(db, clerk_client, grant):
    promotion = Promotion.objects.create(
        name="Spring",
        kind=Promotion.Kind.PERCENT_OFF,
        value=Decimal("10"),
        starts_at=timezone.now() - datetime.timedelta(days=1),
        status=Promotion.Status.ACTIVE,
    )
    grant("promotions.add_promotion")

    refused = clerk_client.post(f"/api/v1/promotions/{promotion.pk}/pause/")
    grant("promotions.change_promotion")
    paused = clerk_client.post(f"/api/v1/promotions/{promotion.pk}/pause/")

    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "Your account lacks the permission promotions.change_promotion."},
    )
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")


def test_a_staff_write_that_names_no_model_is_for_superusers(db, clerk_client, grant):
    grant("promotions.add_promotion", "promotions.change_promotion")

    response = clerk_client.post("/api/v1/pricing/redeem", {}, content_type="application/json")

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Only a superuser may make this change with a staff session."},
    )


def test_read_write_keys_still_write_and_read_keys_still_cannot(client, api_keys):
    payload = {"sku": "90002", "name": "NEW CANDLE", "price": "1.25"}

    refused = client.post(
        "/api/v1/products/", payload, content_type="application/json", HTTP_X_API_KEY=api_keys["read"]
    )
    created = client.post(
        "/api/v1/products/", payload, content_type="application/json", HTTP_X_API_KEY=api_keys["write"]
    )

    assert (refused.status_code, refused.json()) == (403, {"detail": "This API key is read-only."})
    assert created.status_code == 201
