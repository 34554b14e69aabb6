"""Importing an order log: every quirk of real retail logs, on rows small enough to check by hand."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from apps.catalogue.models import Product, ProductName
from apps.customers.models import Customer
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.services import order_log_import

LONDON = ZoneInfo("Europe/London")

STORE_LOG = [
    [
        "536365",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER ",
        "6",
        "2010-12-01 08:26:00",
        "2.55",
        "17850.0",
        "United Kingdom",
    ],
    ["536365", "71053", "WHITE METAL LANTERN", "6", "2010-12-01 08:26:00", "3.39", "17850.0", "United Kingdom"],
    ["536365", "71053", "WHITE METAL LANTERN", "6", "2010-12-01 08:26:00", "3.39", "17850.0", "United Kingdom"],
    ["536366", "POST", "POSTAGE", "1", "12/1/2010 8:28", "18.00", "17850", "United Kingdom"],
    ["536367", "85123A", "CREAM HANGING HEART T-LIGHT HOLDER", "2", "2010-12-02 10:00:00", "2.95", "12583.0", "France"],
    [
        "C536368",
        "85123A",
        "CREAM HANGING HEART T-LIGHT HOLDER",
        "-6",
        "2010-12-03 09:00:00",
        "2.55",
        "17850.0",
        "United Kingdom",
    ],
    ["536369", "21777", "damaged", "-10", "2010-12-03 10:00:00", "0", "", "United Kingdom"],
    ["536370", "22633", "HAND WARMER UNION JACK", "3", "2010-12-03 11:00:00", "1.85", "", "United Kingdom"],
    [
        "536371",
        "gift_0001_20",
        "Dotcomgiftshop Gift Voucher £20.00",
        "1",
        "2010-12-03 12:00:00",
        "16.67",
        "",
        "United Kingdom",
    ],
]


@pytest.fixture
def store_log(write_order_log):
    return write_order_log(STORE_LOG)


def counts():
    return (
        Order.objects.count(),
        OrderLine.objects.count(),
        Customer.objects.count(),
        Product.objects.count(),
        ProductName.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_import_counts_orders_customers_products_and_flags_duplicates(store_log):
    batch = order_log_import(path=store_log)

    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (9, 9, 0)
    assert (batch.orders_created, batch.customers_created, batch.products_created) == (7, 2, 6)
    assert batch.duplicate_rows == 1
    assert counts() == (7, 9, 2, 6, 6)
    duplicate = OrderLine.objects.get(is_duplicate=True)
    assert (duplicate.order.invoice_no, duplicate.line_number) == ("536365", 3)


@pytest.mark.django_db(transaction=True)
def test_both_date_and_customer_id_forms_mean_the_same(store_log):
    order_log_import(path=store_log)

    postage = Order.objects.get(invoice_no="536366")
    assert postage.placed_at == dt.datetime(2010, 12, 1, 8, 28, tzinfo=LONDON)
    assert postage.customer.external_id == "17850"
    assert Customer.objects.filter(external_id="17850").count() == 1


@pytest.mark.django_db(transaction=True)
def test_order_totals_and_kinds(store_log):
    order_log_import(path=store_log)

    sale = Order.objects.get(invoice_no="536365")
    assert (sale.line_count, sale.total_amount, sale.kind) == (3, Decimal("55.980"), Order.Kind.SALE)
    cancellation = Order.objects.get(invoice_no="C536368")
    assert (cancellation.total_amount, cancellation.kind) == (Decimal("-15.300"), Order.Kind.CANCELLATION)
    adjustment = Order.objects.get(invoice_no="536369")
    assert adjustment.kind == Order.Kind.STOCK_ADJUSTMENT
    assert adjustment.customer is None
    line = adjustment.lines.get()
    assert (line.kind, line.note, line.quantity) == (OrderLine.Kind.STOCK_ADJUSTMENT, "damaged", -10)
    guest = Order.objects.get(invoice_no="536370")
    assert (guest.customer, guest.kind) == (None, Order.Kind.SALE)


@pytest.mark.django_db(transaction=True)
def test_cancellation_is_linked_to_the_customers_earlier_purchase(store_log):
    batch = order_log_import(path=store_log)

    cancelled_line = OrderLine.objects.get(order__invoice_no="C536368")
    assert (cancelled_line.cancels.order.invoice_no, cancelled_line.cancels.line_number) == ("536365", 1)
    assert batch.cancellations_linked == 1
    # One of three lines was taken back in full: the sale is partly cancelled.
    assert Order.objects.get(invoice_no="536365").status == Order.Status.PARTLY_CANCELLED
    assert Order.objects.get(invoice_no="536367").status == Order.Status.PLACED


@pytest.mark.django_db(transaction=True)
def test_latest_description_names_the_product_and_history_is_kept(store_log):
    order_log_import(path=store_log)

    product = Product.objects.get(sku="85123A")
    assert product.name == "CREAM HANGING HEART T-LIGHT HOLDER"
    assert product.price == Decimal("2.950")
    history = {(h.name, h.first_seen_at, h.last_seen_at) for h in product.name_history.all()}
    assert history == {
        (
            "WHITE HANGING HEART T-LIGHT HOLDER",
            dt.datetime(2010, 12, 1, 8, 26, tzinfo=LONDON),
            dt.datetime(2010, 12, 1, 8, 26, tzinfo=LONDON),
        ),
        (
            "CREAM HANGING HEART T-LIGHT HOLDER",
            dt.datetime(2010, 12, 2, 10, 0, tzinfo=LONDON),
            dt.datetime(2010, 12, 3, 9, 0, tzinfo=LONDON),
        ),
    }
    # A stock-adjustment note ("damaged") never becomes a product name.
    assert Product.objects.get(sku="21777").name == ""


@pytest.mark.django_db(transaction=True)
def test_product_kinds_and_non_ascii_names(store_log):
    order_log_import(path=store_log)

    kinds = dict(Product.objects.values_list("sku", "kind"))
    assert kinds == {
        "85123A": "merchandise",
        "71053": "merchandise",
        "21777": "merchandise",
        "22633": "merchandise",
        "POST": "postage",
        "gift_0001_20": "gift_voucher",
    }
    assert Product.objects.get(sku="gift_0001_20").name == "Dotcomgiftshop Gift Voucher £20.00"


@pytest.mark.django_db(transaction=True)
def test_importing_the_same_file_twice_adds_nothing(store_log):
    order_log_import(path=store_log)
    before = counts()
    names_before = list(Product.objects.order_by("sku").values_list("sku", "name", "price"))

    again = order_log_import(path=store_log)

    assert again.status == ImportBatch.Status.SUCCEEDED
    assert (again.rows_imported, again.rows_already_present, again.orders_created) == (0, 9, 0)
    assert counts() == before
    assert list(Product.objects.order_by("sku").values_list("sku", "name", "price")) == names_before


@pytest.mark.django_db(transaction=True)
def test_an_older_log_does_not_overwrite_newer_names_or_countries(store_log, write_order_log):
    order_log_import(path=store_log)
    older = write_order_log(
        [["530000", "85123A", "OLD HEART HOLDER", "1", "2010-11-01 09:00:00", "2.10", "12583", "Germany"]],
        name="older.csv",
    )

    order_log_import(path=older)

    product = Product.objects.get(sku="85123A")
    assert (product.name, product.price) == ("CREAM HANGING HEART T-LIGHT HOLDER", Decimal("2.950"))
    assert product.name_history.filter(name="OLD HEART HOLDER").exists()
    assert Customer.objects.get(external_id="12583").country == "France"


@pytest.mark.django_db(transaction=True)
def test_gzipped_csv_is_read_like_plain_csv(write_order_log):
    path = write_order_log(STORE_LOG, name="orders.csv.gz", compress=True)

    batch = order_log_import(path=path)

    assert (batch.status, batch.rows_imported) == (ImportBatch.Status.SUCCEEDED, 9)


@pytest.mark.django_db(transaction=True)
def test_uci_xlsx_workbook_is_read(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    )
    sheet.append(
        [
            536365,
            "85123A",
            "WHITE HANGING HEART T-LIGHT HOLDER",
            6,
            dt.datetime(2010, 12, 1, 8, 26),
            2.55,
            17850.0,
            "United Kingdom",
        ]
    )
    sheet.append(["C536379", "D", "Discount", -1, dt.datetime(2010, 12, 1, 9, 41), 27.5, 14527.0, "United Kingdom"])
    path = tmp_path / "Online Retail.xlsx"
    book.save(path)

    batch = order_log_import(path=path)

    assert (batch.status, batch.rows_imported, batch.rows_rejected) == (ImportBatch.Status.SUCCEEDED, 2, 0)
    assert Customer.objects.filter(external_id__in=["17850", "14527"]).count() == 2
    line = OrderLine.objects.get(order__invoice_no="536365")
    assert (line.quantity, line.unit_price) == (6, Decimal("2.550"))
    assert Product.objects.get(sku="D").kind == Product.Kind.DISCOUNT


@pytest.mark.django_db(transaction=True)
def test_command_prints_json_summary(store_log, capsys):
    call_command("import_orders", str(store_log), "--json", "--no-progress")

    import json

    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "succeeded"
    assert (summary["rows_read"], summary["orders_created"], summary["duplicate_rows"]) == (9, 7, 1)
    assert summary["errors"] == []
