"""Thin tasks: take ids, call one service."""

from celery import shared_task


@shared_task(name="orders.import_batch", acks_late=True, reject_on_worker_lost=True)
def import_batch_task(batch_id: int) -> str:
    from apps.orders.services import import_batch_run

    return import_batch_run(batch_id=batch_id).status


@shared_task(name="orders.expire_stale_import_batches")
def expire_stale_import_batches_task() -> int:
    from apps.orders.services import import_batches_expire_stale

    return import_batches_expire_stale()
