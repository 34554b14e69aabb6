from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "worker-heartbeat"


@shared_task(name="core.record_worker_heartbeat")
def record_worker_heartbeat() -> str:
    """Beat runs this every minute; the time it was last run tells that workers are alive."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, 24 * 60 * 60)
    return now


@shared_task(name="core.ping")
def ping(payload: str) -> str:
    return f"pong:{payload}"
