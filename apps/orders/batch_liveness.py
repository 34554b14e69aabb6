"""Whether a running import batch still has a process importing it.

The process that claims a batch (a worker, the command line, or the web process when
tasks run in-process) holds a PostgreSQL session advisory lock keyed on the batch's id
from just before the claim until it has recorded the outcome. PostgreSQL releases the
lock when that process's connection ends, however the process ended (killed, out of
memory, machine lost; a statement it had under way runs to its end first). So a batch
marked running whose lock nobody holds was interrupted, and its import transaction was
rolled back with the connection. `services.import_batches_expire_stale` marks such
batches failed; it runs before every import, whenever the API or the admin shows
batches, and hourly from beat. This needs no heartbeat and no timeout, and cannot
mistake a slow import for a dead one: one waiting behind another import of its source,
or inside a long COPY, still holds its lock.

SQLite (the demo) has no advisory locks: there, a batch running for longer than the
task time limit (CELERY_TASK_TIME_LIMIT) is taken to be interrupted.

Session locks need the importer's own server session: behind a pooler in transaction
mode (PgBouncer), connect the workers and the command line to PostgreSQL directly.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.orders.models import ImportBatch

# First key of the two-key advisory locks held on batches (the second is the batch id;
# ids fit the key's 31 bits up to two billion batches). An arbitrary number: the other
# advisory lock of the import, per source, uses the one-key form, so they never meet.
BATCH_LOCK_SPACE = 7_341_001


@contextmanager
def batch_lock(batch_id: int) -> Iterator[bool]:
    """Hold the batch's lock for the block. Yields False, holding nothing, when another
    session holds it (that process is importing the batch)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::integer, %s::integer)", [BATCH_LOCK_SPACE, batch_id])
        (held,) = cursor.fetchone()
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s::integer, %s::integer)", [BATCH_LOCK_SPACE, batch_id])
            except DatabaseError:  # the connection is gone, and the lock with it
                pass


def interrupted_batches() -> QuerySet[ImportBatch]:
    """Batches marked running that no process is importing any more."""
    running = ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING)
    if connection.vendor != "postgresql":
        limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        return running.filter(started_at__lt=timezone.now() - limit)
    locked = RawSQL(
        """SELECT objid::bigint FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND classid = %s::oid
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
        [BATCH_LOCK_SPACE],
    )
    return running.exclude(pk__in=locked)
