"""Settings for the test suite: the real PostgreSQL and Redis, tasks eager unless a
test starts a real worker."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/retailhub")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

from retailhub.settings.base import *  # noqa: E402,F403
from retailhub.settings.base import VAR_DIR  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STOREFRONT_DEMO = True
# Every request re-reads the serving state, so tests see product changes at once.
WIDGET_STATE_TTL_SECONDS = 0
