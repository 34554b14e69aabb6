"""Order import under hostile or broken input: files that are not order logs, values too
long for their columns, killed imports, oversized requests, with exact outcomes."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from apps.catalogue.models import Product
from apps.orders.invoice_kinds import kind_of_invoice, kind_of_line, kind_of_order
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.services import (
    INTERRUPTED_FAILURE,
    import_batch_run,
    import_batches_expire_stale,
    order_log_import,
)
from tests.conftest import HEADER
from tests.orders.test_import_order_log import STORE_LOG

HEADER_LINE = ",".join(HEADER).encode() + b"\n"
GOOD_LINE = b"536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"


def row(**changes) -> list[str]:
    """A valid row of the UCI log with some fields changed."""
    values = dict(zip(HEADER, GOOD_LINE.decode().strip().split(","), strict=True))
    values.update(changes)
    return [values[name] for name in HEADER]


@pytest.fixture
def api(client, api_keys):
    class Api:
        def get(self, url):
            return client.get(url, HTTP_X_API_KEY=api_keys["read"])

        def post(self, url, data):
            return client.post(url, data, content_type="application/json", HTTP_X_API_KEY=api_keys["write"])

        def patch(self, url, data):
            return client.patch(url, data, content_type="application/json", HTTP_X_API_KEY=api_keys["write"])

        def upload(self, name: str, content: bytes):
            upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
            return client.post("/api/v1/orders/import/", {"file": upload}, HTTP_X_API_KEY=api_keys["write"])

    return Api()


# --- 1. a line's length is bounded -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_gzip_that_expands_into_one_endless_line_is_refused_at_once_in_bounded_memory(tmp_path):
    path = tmp_path / "orders.csv.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(HEADER_LINE + GOOD_LINE)
        for _ in range(50):
            out.write(b"A" * (1 << 20))  # 50 MB without a line break
    assert path.stat().st_size < 500_000

    tracemalloc.start()
    try:
        batch = order_log_import(path=path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (batch.status, batch.failure) == (
        "failed",
        "orders.csv.gz: line 3 is longer than 65,536 bytes; order-log lines are far shorter (is this an order log?)",
    )
    assert peak < 10 * (1 << 20)
    assert not Order.objects.exists()  # the good line before it was rolled back with the rest


@pytest.mark.django_db(transaction=True)
def test_a_line_of_65536_bytes_is_read_and_one_byte_more_refuses_the_file(tmp_path):
    def line_of(size: int) -> bytes:
        start = b"536366,22633,"
        end = b",1,2010-12-01 08:28:00,1.85,17850,United Kingdom\n"
        return start + b"D" * (size - len(start) - len(end)) + end

    longest = tmp_path / "longest.csv"
    longest.write_bytes(HEADER_LINE + GOOD_LINE + line_of(65_536) + GOOD_LINE.replace(b"536365", b"536367"))
    too_long = tmp_path / "too_long.csv"
    too_long.write_bytes(HEADER_LINE + GOOD_LINE + line_of(65_537) + GOOD_LINE.replace(b"536365", b"536367"))

    read = order_log_import(path=longest)
    refused = order_log_import(path=too_long)

    assert (read.status, read.rows_imported, read.errors) == (
        "succeeded",
        2,
        [{"line": 3, "field": "Description", "reason": "is longer than 255 characters"}],
    )
    assert (refused.status, refused.failure) == (
        "failed",
        "too_long.csv: line 3 is longer than 65,536 bytes; order-log lines are far shorter (is this an order log?)",
    )


@pytest.mark.django_db(transaction=True)
def test_a_spreadsheet_row_holding_more_than_64k_characters_refuses_the_workbook(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row())
    sheet.append(row(InvoiceNo="536366", Description="D" * 30_000, Country="C" * 30_000, CustomerID="9" * 6_000))
    path = tmp_path / "orders.xlsx"
    book.save(path)

    batch = order_log_import(path=path)

    assert (batch.status, batch.failure) == (
        "failed",
        "orders.xlsx: row 3 holds more than 65,536 characters; order-log rows are far shorter (is this an order log?)",
    )


@pytest.mark.django_db(transaction=True)
def test_a_workbook_part_that_would_expand_a_hundredfold_or_more_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (8 << 20))
    part = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    assert part.file_size / part.compress_size > 500

    batch = order_log_import(path=path)

    assert (batch.status, batch.failure) == (
        "failed",
        f"bomb.xlsx: xl/worksheets/sheet1.xml would expand {part.file_size / part.compress_size:,.0f}-fold "
        "to 8,388,609 bytes (at most 100-fold is read); not an order log",
    )


@pytest.mark.django_db(transaction=True)
def test_a_truncated_gzip_is_refused_with_the_reason(write_order_log):
    path = write_order_log(STORE_LOG, name="orders.csv.gz", compress=True)
    path.write_bytes(path.read_bytes()[:-12])  # the end of the stream is lost

    batch = order_log_import(path=path)

    assert (batch.status, batch.failure) == (
        "failed",
        "orders.csv.gz: cannot be read (Compressed file ended before the end-of-stream marker was reached) "
        "after 0 lines",
    )


# --- 2. a killed import does not stay running ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_is_shown_interrupted_and_its_source_imports_again(write_order_log):
    path = write_order_log(STORE_LOG)
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retailhub.settings.test",
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    source_lock = "SELECT pg_advisory_lock(hashtext('import:online_retail'))"
    with connection.cursor() as cursor:
        cursor.execute(source_lock)  # another import of the source is under way: the next one waits
    importer = subprocess.Popen(
        [sys.executable, "manage.py", "import_orders", str(path), "--no-progress"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        batch = _wait_for(lambda: ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING).first())
        assert import_batches_expire_stale() == 0  # waiting, but alive

        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=30)
    finally:
        if importer.poll() is None:
            importer.kill()
        with connection.cursor() as cursor:
            cursor.execute(source_lock.replace("pg_advisory_lock", "pg_advisory_unlock"))

    _wait_for(lambda: import_batches_expire_stale() == 1)
    batch.refresh_from_db()
    assert (batch.status, batch.failure) == ("failed", INTERRUPTED_FAILURE)
    assert import_batch_run(batch_id=batch.pk).status == "failed"  # its task delivered again does not revive it
    again = order_log_import(path=path)
    assert (again.status, again.rows_imported) == ("succeeded", 9)


def _wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.django_db
def test_the_api_shows_a_batch_whose_importer_is_gone_as_failed(api):
    lost = ImportBatch.objects.create(file_name="a.csv", status=ImportBatch.Status.RUNNING)

    listed = api.get("/api/v1/import-batches/").json()["results"]
    detail = api.get(f"/api/v1/import-batches/{lost.pk}/").json()

    assert [(b["id"], b["status"], b["failure"]) for b in listed] == [(lost.pk, "failed", INTERRUPTED_FAILURE)]
    assert (detail["status"], detail["failure"]) == ("failed", INTERRUPTED_FAILURE)


# --- 3. a value too long for its column rejects its line -----------------------------


@pytest.mark.django_db(transaction=True)
def test_values_longer_than_their_columns_are_rejected_by_line_and_field(write_order_log):
    path = write_order_log(
        [
            row(InvoiceNo="5" * 33),
            row(InvoiceNo="536401", StockCode="S" * 65),
            row(InvoiceNo="536402", Description="D" * 256),
            row(InvoiceNo="536403", CustomerID="7" * 65),
            row(InvoiceNo="536404", Country="C" * 65),
            row(InvoiceNo="5" * 32, StockCode="S" * 64, Description="D" * 255, CustomerID="7" * 64, Country="C" * 64),
        ]
    )

    batch = order_log_import(path=path)

    assert (batch.status, batch.rows_imported, batch.rows_rejected) == ("succeeded", 1, 5)
    assert batch.errors == [
        {"line": 2, "field": "InvoiceNo", "reason": "is longer than 32 characters"},
        {"line": 3, "field": "StockCode", "reason": "is longer than 64 characters"},
        {"line": 4, "field": "Description", "reason": "is longer than 255 characters"},
        {"line": 5, "field": "CustomerID", "reason": "is longer than 64 characters"},
        {"line": 6, "field": "Country", "reason": "is longer than 64 characters"},
    ]
    product = Product.objects.get()
    assert (product.sku, product.name) == ("S" * 64, "D" * 255)
    assert Order.objects.get().customer.external_id == "7" * 64


@pytest.mark.django_db(transaction=True)
def test_an_overlong_field_through_the_api_upload_rejects_its_line_not_the_request(api):
    content = HEADER_LINE + GOOD_LINE + ",".join(row(InvoiceNo="X" * 40)).encode() + b"\n"

    response = api.upload("orders.csv", content)

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["rows_imported"], body["errors"]) == (
        "succeeded",
        1,
        [{"line": 3, "field": "InvoiceNo", "reason": "is longer than 32 characters"}],
    )


# --- 4. files that are not UTF-8 text --------------------------------------------------

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256))


@pytest.mark.django_db(transaction=True)
def test_binary_and_utf16_uploads_fail_their_batch_with_a_readable_reason(api):
    png = api.upload("photo.png", PNG)
    utf16 = api.upload("orders.csv", (",".join(HEADER) + "\n").encode("utf-16") + GOOD_LINE.decode().encode("utf-16"))
    bad_header = api.upload("orders.csv", b"InvoiceNo,\xffStockCode\n" + GOOD_LINE)

    assert [(r.status_code, r.json()["status"], r.json()["failure"]) for r in (png, utf16, bad_header)] == [
        (202, "failed", "photo.png: not utf-8 text: byte 0x89 at offset 0"),
        (
            202,
            "failed",
            "orders.csv: the file is UTF-16 text (it starts with a UTF-16 byte-order mark); "
            "save it as CSV UTF-8 and import it again",
        ),
        (202, "failed", "orders.csv: not utf-8 text: byte 0xff at offset 10"),
    ]
    assert not ImportBatch.objects.exclude(status="failed").exists()


@pytest.mark.django_db(transaction=True)
def test_a_nul_in_the_header_says_the_file_is_not_text(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes("InvoiceNo,StockCode".encode("utf-16-le") + b"\n\x00")  # UTF-16 without a byte-order mark

    batch = order_log_import(path=path)

    assert batch.failure == "orders.csv: not utf-8 text: byte 0x00 at offset 1"


@pytest.mark.django_db(transaction=True)
def test_the_command_line_reports_an_undecodable_file_and_name_readably(tmp_path, capsys):
    path = tmp_path / "orders-\udcff.bin"  # a file name that is not UTF-8 either
    path.write_bytes(PNG)

    with pytest.raises(CommandError) as refused:
        call_command("import_orders", str(path), "--json", "--no-progress")

    assert str(refused.value) == "orders-\\xff.bin: not utf-8 text: byte 0x89 at offset 0"
    summary = json.loads(capsys.readouterr().out)
    assert (summary["status"], summary["file"]) == ("failed", "orders-\\xff.bin")
    assert ImportBatch.objects.get().failure == "orders-\\xff.bin: not utf-8 text: byte 0x89 at offset 0"


@pytest.mark.django_db(transaction=True)
def test_encodings_that_cannot_be_read_line_by_line_are_refused_by_name(write_order_log):
    path = write_order_log([row()])

    assert order_log_import(path=path, encoding="utf-16").failure == (
        "orders.csv: the utf-16 encoding is not supported; save the file as UTF-8"
    )
    assert order_log_import(path=path, encoding="nope").failure == "orders.csv: unknown text encoding 'nope'"


# --- 5. a long upload name ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_upload_with_a_250_character_name_is_imported_under_that_name(api, write_order_log):
    name = "orders-" + "é" * 100 + "x" * 139 + ".csv"  # 250 characters, 350 bytes
    assert len(name) == 250

    response = api.upload(name, write_order_log(STORE_LOG).read_bytes())

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["file_name"]) == ("succeeded", name)
    stored_name = os.path.basename(ImportBatch.objects.get().stored_path)  # a random id, then the name's end
    assert (len(stored_name), stored_name[32:]) == (133, "-" + "x" * 96 + ".csv")


# --- 6. what a batch stores, and a list returns, is bounded -------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_failure_message_is_cut_to_2000_characters_with_the_rest_counted(write_order_log):
    names = [f"col{i:04d}" for i in range(3000)]
    path = write_order_log([], header=names)
    full = (
        "orders.csv: missing required columns InvoiceNo, StockCode, Description, Quantity, InvoiceDate, "
        f"UnitPrice, CustomerID, Country (found: {', '.join(names)})"
    )

    batch = order_log_import(path=path)

    assert batch.failure == full[:2000] + f"… ({len(full) - 2000:,} more characters)"
    assert batch.failure.endswith("… (25,133 more characters)")


@pytest.mark.django_db(transaction=True)
def test_a_rejected_value_is_quoted_in_part(write_order_log):
    path = write_order_log([row(Quantity="x" * 10_000), row(InvoiceNo="536366", UnitPrice="1" * 60)])

    batch = order_log_import(path=path)

    assert batch.errors == [
        {"line": 2, "field": "Quantity", "reason": "'" + "x" * 50 + "…' is not a whole number"},
        {"line": 3, "field": "UnitPrice", "reason": "'" + "1" * 50 + "…' is out of range (below 10,000,000)"},
    ]


@pytest.mark.django_db(transaction=True)
def test_batch_lists_leave_rejected_rows_to_each_batch_page(api, write_order_log):
    order_log_import(path=write_order_log([row(Quantity=str(n) + "x") for n in range(1500)]))

    listed = api.get("/api/v1/import-batches/")
    batch = listed.json()["results"][0]
    detail = api.get(f"/api/v1/import-batches/{batch['id']}/").json()

    assert "errors" not in batch
    assert batch["rows_rejected"] == 1500
    assert len(listed.content) < 2_000
    assert len(detail["errors"]) == 1000
    assert detail["errors"][-1] == {"line": 1001, "field": "Quantity", "reason": "'999x' is not a whole number"}


# --- 7. an order's lines through the API are bounded -----------------------------------


def _order(invoice_no: str, lines: list[dict], **fields) -> dict:
    return {"invoice_no": invoice_no, "placed_at": "2011-01-05T10:00:00Z", "lines": lines, **fields}


@pytest.mark.django_db
def test_an_order_of_more_than_2000_lines_is_400(api):
    Product.objects.create(sku="85123A")
    line = {"sku": "85123A", "quantity": 1, "unit_price": "2.55"}

    too_many = api.post("/api/v1/orders/", _order("W1", [line] * 2001))
    most = api.post("/api/v1/orders/", _order("W2", [line] * 2000))

    assert (too_many.status_code, too_many.json()) == (
        400,
        {"lines": {"non_field_errors": ["Ensure this field has no more than 2000 elements."]}},
    )
    assert (most.status_code, most.json()["line_count"]) == (201, 2000)


# --- 8. one rule for the kind of an invoice and its lines ------------------------------


@pytest.mark.parametrize(
    ("invoice_no", "quantity", "unit_price", "has_customer", "line_kind", "order_kind"),
    [
        ("536365", 6, Decimal("2.55"), True, "sale", "sale"),
        ("C536379", -1, Decimal("27.50"), True, "cancellation", "cancellation"),
        ("c536379", -1, Decimal("27.50"), True, "cancellation", "cancellation"),
        ("A563185", 1, Decimal("11062.06"), False, "adjustment", "adjustment"),
        ("536369", -10, Decimal("0"), False, "stock_adjustment", "stock_adjustment"),
        ("536370", 3, Decimal("0"), False, "stock_adjustment", "stock_adjustment"),
        ("536371", 3, Decimal("0"), True, "sale", "sale"),
    ],
)
def test_kinds_of_invoices_and_lines(invoice_no, quantity, unit_price, has_customer, line_kind, order_kind):
    invoice_kind = kind_of_invoice(invoice_no)
    kind = kind_of_line(invoice_kind, quantity, unit_price, has_customer)

    assert kind == line_kind
    assert kind_of_order(invoice_kind, only_stock_adjustments=kind == "stock_adjustment") == order_kind


@pytest.mark.django_db(transaction=True)
def test_the_api_and_the_importer_give_an_invoice_the_same_kinds(api, write_order_log):
    Product.objects.create(sku="B")
    Product.objects.create(sku="21777")
    order_log_import(
        path=write_order_log(
            [
                ["A563185", "B", "Adjust bad debt", "1", "2011-08-12 14:50:00", "11062.06", "", "United Kingdom"],
                ["536370", "21777", "found", "3", "2011-08-12 15:00:00", "0", "", "United Kingdom"],
            ]
        )
    )

    adjustment = api.post("/api/v1/orders/", _order("A9001", [{"sku": "B", "quantity": 1, "unit_price": "11062.06"}]))
    found = api.post("/api/v1/orders/", _order("W9002", [{"sku": "21777", "quantity": 3, "unit_price": "0"}]))

    assert adjustment.status_code == 201, adjustment.json()
    assert (adjustment.json()["kind"], [line["kind"] for line in adjustment.json()["lines"]]) == (
        "adjustment",
        ["adjustment"],
    )
    assert (found.json()["kind"], [line["kind"] for line in found.json()["lines"]]) == (
        "stock_adjustment",
        ["stock_adjustment"],
    )
    kinds = {
        invoice_no: (kind, list(OrderLine.objects.filter(order__invoice_no=invoice_no).values_list("kind", flat=True)))
        for invoice_no, kind in Order.objects.values_list("invoice_no", "kind")
    }
    assert kinds == {
        "A563185": ("adjustment", ["adjustment"]),
        "A9001": ("adjustment", ["adjustment"]),
        "536370": ("stock_adjustment", ["stock_adjustment"]),
        "W9002": ("stock_adjustment", ["stock_adjustment"]),
    }


# --- 9. stock is never negative --------------------------------------------------------


@pytest.mark.django_db
def test_negative_stock_is_refused_by_the_api_the_model_and_the_database(api):
    product = Product.objects.create(sku="22633", stock_on_hand=5)

    patched = api.patch(f"/api/v1/products/{product.pk}/", {"stock_on_hand": -1})
    created = api.post("/api/v1/products/", {"sku": "22634", "stock_on_hand": -3})

    assert (patched.status_code, patched.json()) == (
        400,
        {"stock_on_hand": ["Ensure this value is greater than or equal to 0."]},
    )
    assert (created.status_code, created.json()) == (
        400,
        {"stock_on_hand": ["Ensure this value is greater than or equal to 0."]},
    )
    product.stock_on_hand = -1
    with pytest.raises(ValidationError) as invalid:
        product.full_clean()
    assert invalid.value.message_dict == {"stock_on_hand": ["Ensure this value is greater than or equal to 0."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock_on_hand=-1)
    product.refresh_from_db()
    assert product.stock_on_hand == 5
    assert api.patch(f"/api/v1/products/{product.pk}/", {"stock_on_hand": 0}).json()["stock_on_hand"] == 0
