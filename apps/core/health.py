"""/healthz: the database, the cache and the Celery broker. /readyz: those, and an active
(published) run of every model kind, so a new deployment takes traffic once its models are in."""

import dataclasses

from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu import Connection


@dataclasses.dataclass
class CeleryBroker(HealthCheck):
    """Connects to the configured broker; with none configured, tasks run in-process
    and there is nothing to reach."""

    def run(self):
        if _in_process():
            return
        try:
            # A fresh connection each time: a pooled one may hide an outage.
            with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # kombu raises transport-specific errors
            raise ServiceUnavailable(f"Broker unreachable: {type(exc).__name__}") from exc

    def __repr__(self):
        return "Broker(in-process)" if _in_process() else f"Broker({settings.CELERY_BROKER_URL.split('://')[0]})"


def _in_process() -> bool:
    return settings.CELERY_BROKER_URL.startswith("memory://")


@dataclasses.dataclass
class ActiveModels(HealthCheck):
    """Every model kind has an active run: readers get trained results, not only fallbacks."""

    def run(self):
        from apps.core.models import TrainingRun
        from apps.core.training.registry import trainer_kinds

        active = set(TrainingRun.objects.filter(is_active=True).values_list("kind", flat=True))
        missing = [kind for kind in trainer_kinds() if kind not in active]
        if missing:
            raise ServiceUnavailable(f"No active run: {', '.join(missing)}")

    def __repr__(self):
        return "ActiveModels"


HEALTH_CHECKS = (
    "health_check.checks.Database",
    "health_check.checks.Cache",
    CeleryBroker,
)


class HealthView(HealthCheckView):
    """django-health-check's view, answering a browser or a load balancer's probe (Accept: */*,
    text/html) with its short plain-text report instead of an HTML page: one line per check,
    200 when every one is OK, 500 otherwise. JSON and the other formats are unchanged."""

    checks = HEALTH_CHECKS

    def render_to_response(self, context, **response_kwargs):
        return self.render_to_response_text(response_kwargs.get("status", 200))

    async def get(self, request, *args, **kwargs):
        try:
            return await super().get(request, *args, **kwargs)
        except ValueError:  # an Accept header the library cannot parse; the checks have run
            return self.render_to_response_text(500 if any(result.error for result in self.results) else 200)


class ReadyView(HealthView):
    """/readyz: /healthz's checks and the active models."""

    checks = (*HEALTH_CHECKS, ActiveModels)
