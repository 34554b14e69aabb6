"""The checks behind /healthz: database, cache and the Celery broker."""

import dataclasses

from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable


@dataclasses.dataclass
class CeleryBroker(HealthCheck):
    """Connects to the configured broker; with none configured, tasks run in-process
    and there is nothing to reach."""

    def run(self):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return
        from retailhub.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # kombu raises transport-specific errors
            raise ServiceUnavailable(f"Broker unreachable: {type(exc).__name__}") from exc

    def __repr__(self):
        return "Broker(in-process)" if settings.CELERY_TASK_ALWAYS_EAGER else "Broker"


HEALTH_CHECKS = (
    "health_check.checks.Database",
    "health_check.checks.Cache",
    CeleryBroker,
)
