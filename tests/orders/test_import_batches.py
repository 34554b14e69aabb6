"""Batch bookkeeping: a batch runs once, and a batch whose importer died is marked failed."""

import pytest
from django.utils import timezone

from apps.orders.batch_liveness import batch_lock
from apps.orders.models import ImportBatch
from apps.orders.services import (
    INTERRUPTED_FAILURE,
    import_batch_create,
    import_batch_run,
    import_batches_expire_stale,
)
from tests.orders.test_import_order_log import STORE_LOG


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_claimed_once(write_order_log):
    batch = import_batch_create(path=write_order_log(STORE_LOG))

    first = import_batch_run(batch_id=batch.pk)
    second = import_batch_run(batch_id=batch.pk)

    assert (first.status, first.rows_imported) == ("succeeded", 9)
    assert (second.status, second.rows_imported, second.finished_at) == ("succeeded", 9, first.finished_at)


@pytest.mark.django_db
def test_running_batches_whose_importer_is_gone_are_marked_interrupted():
    lost = ImportBatch.objects.create(file_name="a.csv", status=ImportBatch.Status.RUNNING, started_at=timezone.now())
    alive = ImportBatch.objects.create(file_name="b.csv", status=ImportBatch.Status.RUNNING, started_at=timezone.now())

    with batch_lock(alive.pk) as held:  # what the importing process holds while it works
        assert held
        assert import_batches_expire_stale() == 1
        alive.refresh_from_db()
        assert alive.status == "running"
    assert import_batches_expire_stale() == 1  # its importer let go without recording an outcome

    lost.refresh_from_db()
    alive.refresh_from_db()
    assert (lost.status, lost.failure) == ("failed", INTERRUPTED_FAILURE)
    assert (alive.status, alive.failure) == ("failed", INTERRUPTED_FAILURE)
    assert INTERRUPTED_FAILURE == (
        "Interrupted: the import stopped before finishing (its process or its database connection was lost). "
        "Nothing of the file was kept; import it again."
    )
