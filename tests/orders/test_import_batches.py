"""Batch bookkeeping: a batch runs once, and a batch whose worker died is marked failed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.orders.models import ImportBatch
from apps.orders.services import import_batch_create, import_batch_run, import_batches_expire_stale
from tests.orders.test_import_order_log import STORE_LOG


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_claimed_once(write_order_log):
    batch = import_batch_create(path=write_order_log(STORE_LOG))

    first = import_batch_run(batch_id=batch.pk)
    second = import_batch_run(batch_id=batch.pk)

    assert (first.status, first.rows_imported) == ("succeeded", 9)
    assert (second.status, second.rows_imported, second.finished_at) == ("succeeded", 9, first.finished_at)


@pytest.mark.django_db
def test_batches_running_past_the_time_limit_are_marked_failed():
    stale = ImportBatch.objects.create(
        file_name="a.csv", status=ImportBatch.Status.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    fresh = ImportBatch.objects.create(
        file_name="b.csv", status=ImportBatch.Status.RUNNING, started_at=timezone.now() - timedelta(minutes=5)
    )

    assert import_batches_expire_stale(older_than=timedelta(hours=1)) == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.failure) == ("failed", "The import stopped without finishing (worker lost).")
    assert fresh.status == "running"
