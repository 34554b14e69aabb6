"""Helper task of a forecasting run's fan-out: fit its work items while any are left."""

from celery import shared_task
from django.conf import settings


@shared_task(
    name="forecasts.fit_chunks",
    soft_time_limit=settings.TRAINING_SOFT_TIME_LIMIT,
    time_limit=settings.TRAINING_TIME_LIMIT,
)
def fit_chunks(run_id: int) -> int:
    from apps.core.models import TrainingRun
    from apps.forecasts.chunk_fitting import item_compute
    from apps.forecasts.fanout import chunks_work

    def run_still_running() -> bool:
        return TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.RUNNING).exists()

    return chunks_work(
        run_id=run_id,
        worker=f"{fit_chunks.request.hostname or 'local'}",
        compute=item_compute,
        keep_going=run_still_running,
    )
