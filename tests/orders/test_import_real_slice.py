"""The first 20,000 rows of the real UCI Online Retail log, checked against counts taken
from the raw file with nothing but the csv module."""

import csv
import gzip
import itertools

import pytest

from apps.catalogue.models import Product
from apps.customers.models import Customer
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.services import order_log_import

SLICE_ROWS = 20_000


@pytest.fixture
def real_slice(real_order_log, tmp_path):
    path = tmp_path / "online_retail_slice.csv.gz"
    with gzip.open(real_order_log, "rt", encoding="utf-8", newline="") as source:
        lines = list(itertools.islice(source, SLICE_ROWS + 1))
    with gzip.open(path, "wt", encoding="utf-8", newline="") as out:
        out.writelines(lines)
    rows = list(csv.reader(lines))[1:]
    return path, rows


@pytest.mark.real_data
@pytest.mark.django_db(transaction=True)
def test_real_slice_imports_every_row_with_the_raw_files_counts(real_slice):
    path, rows = real_slice

    batch = order_log_import(path=path)

    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (SLICE_ROWS, SLICE_ROWS, 0)
    assert Order.objects.count() == len({r[0] for r in rows})
    assert Customer.objects.count() == len({r[6] for r in rows if r[6]})
    assert Product.objects.count() == len({r[1] for r in rows})
    assert OrderLine.objects.count() == SLICE_ROWS
    assert Order.objects.filter(kind=Order.Kind.CANCELLATION).count() == len(
        {r[0] for r in rows if r[0].startswith("C")}
    )
    assert batch.duplicate_rows == sum(n - 1 for n in _row_counts(rows).values() if n > 1)
    assert set(Order.objects.values_list("country", flat=True)) == {r[7] for r in rows}


@pytest.mark.real_data
@pytest.mark.django_db(transaction=True)
def test_real_slice_reimport_is_a_no_op(real_slice):
    path, _ = real_slice
    order_log_import(path=path)
    lines_before = OrderLine.objects.count()

    again = order_log_import(path=path)

    assert (again.rows_already_present, again.rows_imported, again.orders_created) == (SLICE_ROWS, 0, 0)
    assert OrderLine.objects.count() == lines_before


def _row_counts(rows):
    counts = {}
    for row in rows:
        counts[tuple(row)] = counts.get(tuple(row), 0) + 1
    return counts
