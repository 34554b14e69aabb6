"""Staff pages: lists, the customer page with lifetime totals, CSV export of a filtered list,
and the order-log upload with its rejected rows."""

import csv
import io

import pytest

from apps.customers.models import Customer
from apps.orders.models import ImportBatch, Order
from apps.orders.services import order_log_import
from tests.orders.test_import_order_log import STORE_LOG


@pytest.fixture
def store(write_order_log, transactional_db):
    order_log_import(path=write_order_log(STORE_LOG))


def test_admin_requires_a_staff_login(client, db):
    response = client.get("/admin/orders/order/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/catalogue/product/",
        "/admin/customers/customer/",
        "/admin/orders/order/",
        "/admin/orders/importbatch/",
        "/admin/orders/importbatch/add/",
        "/admin/core/integrationkey/",
        "/admin/orders/order/?placed_at__year=2010&placed_at__month=12",
        "/admin/catalogue/product/?q=HEART",
        "/admin/customers/customer/?o=5",
    ],
)
def test_staff_pages_render(store, staff_client, url):
    assert staff_client.get(url).status_code == 200


def test_order_page_shows_its_lines(store, staff_client):
    order = Order.objects.get(invoice_no="536365")

    page = staff_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert "WHITE METAL LANTERN" in page
    assert page.count("71053") >= 2


def test_customer_page_shows_orders_and_lifetime_totals(store, staff_client):
    customer = Customer.objects.get(external_id="17850")

    page = staff_client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()

    assert "58.680" in page  # net spend: 55.98 + 18.00 - 15.30
    for invoice in ("536365", "536366", "C536368"):
        assert invoice in page


def test_csv_export_follows_the_filters(store, staff_client):
    response = staff_client.get("/admin/orders/order/export-csv/?kind__exact=sale&q=17850")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["invoice_no", "placed_at", "customer__external_id"]
    assert sorted(r[0] for r in rows[1:]) == ["536365", "536366"]


def test_upload_page_imports_and_lists_rejected_rows(staff_client, write_order_log, transactional_db):
    path = write_order_log(
        [
            STORE_LOG[0],
            ["536500", "22633", "HAND WARMER", "two", "2010-12-05 10:00:00", "1.85", "13000", "United Kingdom"],
        ]
    )

    with path.open("rb") as upload:
        response = staff_client.post("/admin/orders/importbatch/add/", {"file": upload, "source": "online_retail"})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/orders/importbatch/{batch.pk}/change/"
    assert (batch.status, batch.started_via, batch.rows_imported, batch.rows_rejected) == ("succeeded", "admin", 1, 1)
    page = staff_client.get(response["Location"]).content.decode()
    assert "<td>3</td><td>Quantity</td><td>&#x27;two&#x27; is not a whole number</td>" in page
