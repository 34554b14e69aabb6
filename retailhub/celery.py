"""The Celery app. Configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailhub.settings.base")
# Workers share cores with each other: OpenMP threads (scikit-learn, PyTorch) that finished
# their part sleep instead of spinning, or one worker's idle threads starve another's work.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

app = Celery("retailhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
