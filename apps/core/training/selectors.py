from django.core.cache import cache

from apps.core.models import TrainingRun

# Serving paths ask for the active run on every request; the answer is cached and the
# key is dropped whenever a run is activated (see services._forget_active_run).
ACTIVE_RUN_TTL_SECONDS = 300


def active_run_cache_key(kind: str) -> str:
    return f"active-run:{kind}"


def active_run_id(*, kind: str) -> int | None:
    key = active_run_cache_key(kind)
    cached = cache.get(key)
    if cached is not None:
        return cached or None  # 0 caches "no active run"
    run_id = TrainingRun.objects.filter(kind=kind, is_active=True).values_list("id", flat=True).first()
    cache.set(key, run_id or 0, ACTIVE_RUN_TTL_SECONDS)
    return run_id
