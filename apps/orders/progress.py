"""Progress of a running import, kept in the cache so that other processes (the admin,
the API) see it while the import's own transaction is still open."""

from django.core.cache import cache

PROGRESS_TTL_SECONDS = 24 * 60 * 60


def _key(batch_id: int) -> str:
    return f"import-batch:{batch_id}:progress"


def import_progress_set(*, batch_id: int, percent: int, message: str) -> None:
    cache.set(_key(batch_id), {"percent": percent, "message": message}, PROGRESS_TTL_SECONDS)


def import_progress_get(*, batch_id: int) -> dict | None:
    return cache.get(_key(batch_id))
