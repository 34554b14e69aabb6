"""Large files load with the order lines' foreign keys validated in one pass: the keys
must be back, validated, after success, and untouched after a failure."""

import pytest
from django.db import connection

from apps.orders.importing.pipeline import OrderLogImport
from apps.orders.models import ImportBatch, Order, OrderLine
from apps.orders.services import order_log_import
from tests.orders.test_import_order_log import STORE_LOG


def order_line_foreign_keys():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = 'orders_orderline'::regclass AND contype = 'f' ORDER BY conname"
        )
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_keys_are_restored_and_validated_after_a_large_import(write_order_log, settings):
    before = order_line_foreign_keys()
    settings.IMPORT_BULK_MIN_BYTES = 0

    batch = order_log_import(path=write_order_log(STORE_LOG))

    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert (Order.objects.count(), OrderLine.objects.count()) == (7, 9)
    assert order_line_foreign_keys() == before
    assert [definition.split(" REFERENCES ")[1] for _, definition, _ in before] == [
        "orders_orderline(id) DEFERRABLE INITIALLY DEFERRED",
        "orders_order(id) DEFERRABLE INITIALLY DEFERRED",
        "catalogue_product(id) DEFERRABLE INITIALLY DEFERRED",
    ]
    assert all(validated for _, _, validated in before)


@pytest.mark.django_db(transaction=True)
def test_a_failed_large_import_leaves_keys_and_data_untouched(write_order_log, settings, monkeypatch):
    order_log_import(path=write_order_log(STORE_LOG[:3], name="first.csv"))
    before = order_line_foreign_keys()
    settings.IMPORT_BULK_MIN_BYTES = 0

    def crash(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OrderLogImport, "_write_orders", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        order_log_import(path=write_order_log(STORE_LOG, name="second.csv"))

    assert order_line_foreign_keys() == before
    assert (Order.objects.count(), OrderLine.objects.count()) == (1, 3)
    failed = ImportBatch.objects.get(file_name="second.csv")
    assert (failed.status, failed.failure) == (ImportBatch.Status.FAILED, "RuntimeError: disk full")
