"""Fan-out of a forecasting run's per-series work over Celery workers.

The run's worker files its series as chunks and sends helper tasks to the training queue;
every worker, the run's own included, claims pending chunks one at a time with a
conditional UPDATE, fits them and stores the result. The run's worker then gathers them.
Because it works through chunks itself, a run finishes on a single worker (helpers that
arrive late find nothing to do), and no result backend is needed: results live in the
database. A worker refreshes its claim while it computes; a chunk whose worker vanished
(no refresh for FORECAST_CHUNK_STALE_SECONDS) is claimed again. Every attempt at a chunk
computes the same result, so the first to finish is kept and later ones are dropped.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.forecasts.models import ForecastChunk

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15


def chunks_create(*, run_id: int, payloads: list[bytes]) -> None:
    ForecastChunk.objects.filter(run_id=run_id).delete()
    ForecastChunk.objects.bulk_create(
        ForecastChunk(run_id=run_id, number=number, payload=payload) for number, payload in enumerate(payloads)
    )


def chunk_claim(*, run_id: int, worker: str) -> tuple[ForecastChunk, str] | None:
    """Claim the next pending (or stale) chunk of the run; None when none is left."""
    stale = timezone.now() - timedelta(seconds=settings.FORECAST_CHUNK_STALE_SECONDS)
    claimable = Q(status=ForecastChunk.Status.PENDING) | Q(status=ForecastChunk.Status.CLAIMED, claimed_at__lt=stale)
    for chunk_id in (
        ForecastChunk.objects.filter(claimable, run_id=run_id).order_by("number").values_list("id", flat=True)
    ):
        token = uuid.uuid4().hex
        claimed = ForecastChunk.objects.filter(claimable, pk=chunk_id).update(
            status=ForecastChunk.Status.CLAIMED, claimed_by=worker[:200], claim_token=token, claimed_at=timezone.now()
        )
        if claimed:
            return ForecastChunk.objects.get(pk=chunk_id), token
    return None


def chunk_finish(*, chunk_id: int, result: bytes, seconds: float) -> bool:
    """Store a chunk's result, unless another attempt at it finished first."""
    return bool(
        ForecastChunk.objects.filter(pk=chunk_id)
        .exclude(status=ForecastChunk.Status.DONE)
        .update(status=ForecastChunk.Status.DONE, result=result, finished_at=timezone.now(), seconds=round(seconds, 3))
    )


class _KeepingClaim:
    """While a chunk is computed, a thread refreshes its claim so that nobody takes it
    over as stale, however long it takes."""

    def __init__(self, chunk_id: int, token: str):
        self.chunk_id, self.token = chunk_id, token
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self):
        self.thread.start()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stop.wait(HEARTBEAT_SECONDS):
                ForecastChunk.objects.filter(
                    pk=self.chunk_id, claim_token=self.token, status=ForecastChunk.Status.CLAIMED
                ).update(claimed_at=timezone.now())
        except Exception:  # a missed beat at worst lets another worker redo the chunk
            logger.warning("Could not refresh the claim of chunk %s", self.chunk_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection


def chunks_work(*, run_id: int, worker: str, compute: Callable[[bytes], bytes], keep_going=lambda: True) -> int:
    """Claim and compute chunks until none is left (or `keep_going` says stop); returns how
    many this worker finished."""
    finished = 0
    while keep_going():
        claim = chunk_claim(run_id=run_id, worker=worker)
        if claim is None:
            return finished
        chunk, token = claim
        started = time.monotonic()
        with _KeepingClaim(chunk.pk, token):
            result = compute(bytes(chunk.payload))
        finished += chunk_finish(chunk_id=chunk.pk, result=result, seconds=time.monotonic() - started)
    return finished


def chunks_gather(*, run_id: int, worker: str, compute: Callable[[bytes], bytes], on_progress=None) -> list[bytes]:
    """Work through the run's chunks, wait for those other workers hold, and return every
    result in chunk order. `on_progress(done, total)` is called before each chunk and while
    waiting (progress, a heartbeat, and where a cancelled run stops)."""
    chunks = ForecastChunk.objects.filter(run_id=run_id)
    total = chunks.count()

    def progress() -> bool:
        done = chunks.filter(status=ForecastChunk.Status.DONE).count()
        if on_progress:
            on_progress(done, total)
        return done < total

    while True:
        chunks_work(run_id=run_id, worker=worker, compute=compute, keep_going=progress)
        if not progress():
            break
        time.sleep(POLL_SECONDS)
    return [bytes(result) for result in chunks.order_by("number").values_list("result", flat=True)]


def chunk_summary(run_id: int) -> dict:
    """Who fitted how many chunks, for the run's metrics."""
    by_worker: dict[str, int] = {}
    for worker in ForecastChunk.objects.filter(run_id=run_id).values_list("claimed_by", flat=True):
        by_worker[worker] = by_worker.get(worker, 0) + 1
    return by_worker
