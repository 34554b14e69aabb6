"""CSV exports never hand a spreadsheet a formula: text cells starting with = + - @, a tab or a
carriage return get a leading single quote (OWASP), and numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.admin_export import csv_download
from apps.core.csv_injection import neutralise_formula
from apps.customers.models import Customer
from apps.orders.models import Order


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("WHITE HANGING HEART", "WHITE HANGING HEART"),
        ("a=b", "a=b"),
        ("-3.5", "-3.5"),
        ("+44", "+44"),
        ("-1e3", "-1e3"),
        (Decimal("-3.500"), Decimal("-3.500")),
        (-3.5, -3.5),
        (-2, -2),
        (None, None),
    ],
)
def test_cells(value, written):
    assert neutralise_formula(value) == written


def read(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_every_export_writes_through_the_neutraliser():
    rows = [["=1+1", Decimal("-3.5"), "-3.5", -2, "@A1"]]

    response = csv_download(header=["=name", "amount", "text", "count", "note"], rows=rows, name="test")

    assert read(response) == [["'=name", "amount", "text", "count", "note"], ["'=1+1", "-3.5", "-3.5", "-2", "'@A1"]]


def test_admin_export_of_orders_quotes_a_formula_customer_and_keeps_a_negative_total(db, staff_client):
    customer = Customer.objects.create(external_id='=HYPERLINK("http://evil.example","17850")', country="-UK")
    Order.objects.create(
        invoice_no="C536379",
        kind=Order.Kind.CANCELLATION,
        placed_at=timezone.now(),
        customer=customer,
        country="@United Kingdom",
        total_amount=Decimal("-15.300"),
    )

    rows = read(staff_client.get("/admin/orders/order/export-csv/"))

    header, row = rows
    assert row[header.index("customer__external_id")] == '\'=HYPERLINK("http://evil.example","17850")'
    assert row[header.index("country")] == "'@United Kingdom"
    assert row[header.index("total_amount")] == "-15.300"
