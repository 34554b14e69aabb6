"""Broken order logs: refused whole when a column is missing, row by row otherwise,
and nothing already stored is lost or changed."""

import json

import pytest
from django.core.management import CommandError, call_command

from apps.catalogue.models import Product
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.services import order_log_import

GOOD = [
    "536365",
    "85123A",
    "WHITE HANGING HEART T-LIGHT HOLDER",
    "6",
    "2010-12-01 08:26:00",
    "2.55",
    "17850.0",
    "United Kingdom",
]


def stored_state():
    return (
        list(Order.objects.order_by("invoice_no").values_list("invoice_no", "total_amount", "status")),
        list(OrderLine.objects.order_by("id").values_list("order__invoice_no", "line_number", "quantity")),
        list(Product.objects.order_by("sku").values_list("sku", "name", "price")),
    )


@pytest.fixture
def existing_store(write_order_log):
    order_log_import(path=write_order_log([GOOD], name="existing.csv"))
    return stored_state()


@pytest.mark.django_db(transaction=True)
def test_missing_required_column_is_refused_before_anything_is_written(write_order_log, existing_store):
    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "CustomerID", "Country"]
    path = write_order_log(
        [["536400", "22633", "HAND WARMER", "1", "2010-12-05 10:00:00", "13000", "UK"]], header=header
    )

    batch = order_log_import(path=path)

    assert batch.status == ImportBatch.Status.FAILED
    assert batch.failure.startswith("orders.csv: missing required column UnitPrice")
    assert (batch.rows_read, batch.rows_imported) == (0, 0)
    assert stored_state() == existing_store


@pytest.mark.django_db(transaction=True)
def test_command_exits_with_the_missing_column_named(write_order_log, db):
    header = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "Country"]
    path = write_order_log([], header=header)

    with pytest.raises(CommandError, match="missing required columns Description, CustomerID"):
        call_command("import_orders", str(path), "--no-progress")


@pytest.mark.django_db(transaction=True)
def test_malformed_rows_are_reported_by_line_and_the_valid_rows_land(write_order_log, existing_store):
    path = write_order_log(
        [
            ["536400", "22633", "HAND WARMER", "1", "2010-12-05 10:00:00", "1.85", "13000", "United Kingdom"],
            ["536401", "22633", "HAND WARMER", "abc", "2010-12-05 10:00:00", "1.85", "13000", "United Kingdom"],
            ["536402", "22633", "HAND WARMER", "1", "2010-13-45 10:00", "1.85", "13000", "United Kingdom"],
            ["536403", "22633", "HAND WARMER", "1", "2010-12-05 10:00:00", "x1.5", "13000", "United Kingdom"],
            ["536404", "22633", "HAND WARMER", "1", "2010-12-05 10:00:00", "1.85", "13000", "United Kingdom", "extra"],
            b"536405,22633,HAND \xff\xfe WARMER,1,2010-12-05 10:00:00,1.85,13000,United Kingdom",
            ["536406", "22633", "HAND WARMER", "1", "2010-12-05 10:00:00", "1.8555", "13000", "United Kingdom"],
            [
                "536407",
                "84029G",
                "KNITTED UNION FLAG HOT WATER BOTTLE",
                "2",
                "2010-12-05 10:05:00",
                "3.39",
                "13000",
                "United Kingdom",
            ],
        ]
    )

    batch = order_log_import(path=path)

    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (8, 2, 6)
    assert batch.errors == [
        {"line": 3, "field": "Quantity", "reason": "'abc' is not a whole number"},
        {
            "line": 4,
            "field": "InvoiceDate",
            "reason": "'2010-13-45 10:00' is not a date (expected 2010-12-01 08:26:00 or 12/1/2010 8:26)",
        },
        {"line": 5, "field": "UnitPrice", "reason": "'x1.5' is not a number"},
        {"line": 6, "field": "columns", "reason": "expected 8 columns, found 9"},
        {"line": 7, "field": "encoding", "reason": "line is not valid utf-8"},
        {"line": 8, "field": "UnitPrice", "reason": "'1.8555' has more than 3 decimals"},
    ]
    assert set(Order.objects.values_list("invoice_no", flat=True)) == {"536365", "536400", "536407"}
    existing_orders, existing_lines, _ = existing_store
    orders, lines, _ = stored_state()
    assert [o for o in orders if o[0] == "536365"] == existing_orders
    assert [line for line in lines if line[0] == "536365"] == existing_lines


@pytest.mark.django_db(transaction=True)
def test_json_output_lists_rejected_rows(write_order_log, capsys):
    path = write_order_log([GOOD, ["536401", "22633", "X", "1", "yesterday", "1.85", "13000", "United Kingdom"]])

    call_command("import_orders", str(path), "--json", "--no-progress")

    summary = json.loads(capsys.readouterr().out)
    assert summary["rows_rejected"] == 1
    assert summary["errors"][0]["line"] == 3
    assert summary["errors"][0]["field"] == "InvoiceDate"


@pytest.mark.django_db(transaction=True)
def test_latin1_file_is_readable_with_its_encoding(write_order_log):
    path = write_order_log(
        [b"536371,gift_0001_20,Dotcomgiftshop Gift Voucher \xa320.00,1,2010-12-03 12:00:00,16.67,,United Kingdom"]
    )

    as_utf8 = order_log_import(path=path)
    assert (as_utf8.rows_rejected, as_utf8.rows_imported) == (1, 0)

    as_latin1 = order_log_import(path=path, encoding="latin-1")
    assert (as_latin1.rows_rejected, as_latin1.rows_imported) == (0, 1)
    assert Product.objects.get(sku="gift_0001_20").name == "Dotcomgiftshop Gift Voucher £20.00"


@pytest.mark.django_db(transaction=True)
def test_empty_file_and_unknown_path_fail_with_a_reason(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    assert order_log_import(path=empty).failure == "empty.csv: the file is empty"
    missing = order_log_import(path=tmp_path / "nope.csv")
    assert (missing.status, missing.failure) == (ImportBatch.Status.FAILED, f"{tmp_path / 'nope.csv'}: no such file")


@pytest.mark.django_db(transaction=True)
def test_values_a_column_cannot_hold_are_rejected_by_line(write_order_log):
    path = write_order_log(
        [
            ["536400", "22633", "HAND WARMER", "3000000000", "2010-12-05 10:00:00", "1.85", "13000", "United Kingdom"],
            ["536401", "22633", "HAND WARMER", "1", "2010-12-05 10:00:00", "99999999", "13000", "United Kingdom"],
            ["536402", "22633", "HAND\x00WARMER", "1", "2010-12-05 10:00:00", "1.85", "13000", "United Kingdom"],
            GOOD,
        ]
    )

    batch = order_log_import(path=path)

    assert (batch.status, batch.rows_imported) == (ImportBatch.Status.SUCCEEDED, 1)
    assert batch.errors == [
        {"line": 2, "field": "Quantity", "reason": "'3000000000' is out of range (at most 1,000,000 units)"},
        {"line": 3, "field": "UnitPrice", "reason": "'99999999' is out of range (below 10,000,000)"},
        {"line": 4, "field": "Description", "reason": "contains a NUL character"},
    ]


@pytest.mark.django_db(transaction=True)
def test_an_unclosed_quote_is_reported_with_the_lines_it_swallowed(write_order_log):
    path = write_order_log(
        [
            GOOD,
            b'536401,22633,"HAND WARMER,1,2010-12-05 10:00:00,1.85,13000,United Kingdom',
            b"536402,22633,HAND WARMER,1,2010-12-05 10:00:00,1.85,13000,United Kingdom",
            b"536403,22633,HAND WARMER,1,2010-12-05 10:00:00,1.85,13000,United Kingdom",
            b"536404,22633,HAND WARMER,1,2010-12-05 10:00:00,1.85,13000,United Kingdom",
        ]
    )

    batch = order_log_import(path=path)

    assert (batch.status, batch.rows_imported, batch.rows_rejected) == (ImportBatch.Status.SUCCEEDED, 1, 1)
    assert batch.errors == [
        {"line": 3, "field": "columns", "reason": "a quoted field runs from line 3 to 6 (unclosed quote?)"},
    ]


@pytest.mark.django_db(transaction=True)
def test_excel_utf8_bom_before_online_retail_ii_headers(tmp_path):
    path = tmp_path / "online_retail_ii.csv"
    path.write_bytes(
        "\ufeffInvoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,12/1/2009 7:45,6.95,13085,United Kingdom\n".encode()
    )

    batch = order_log_import(path=path)

    assert (batch.status, batch.rows_imported) == (ImportBatch.Status.SUCCEEDED, 1)
