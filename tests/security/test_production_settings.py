"""Production refuses to start without a Celery broker unless in-process tasks are explicitly
allowed, and believes X-Forwarded-For only when told how many proxies are in front."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "retailhub.settings.production",
    "SECRET_KEY": "k3y-" + "x9Q!z" * 12,
    "ALLOWED_HOSTS": "backoffice.example.com",
    "WIDGET_SIGNING_SECRET": "s3cret-" + "y7W" * 10,
    "CACHE_URL": "redis://127.0.0.1:6379/13",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
}
PRINT_SETTINGS = (
    "shell",
    "--no-imports",
    "-c",
    "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER, settings.TRUSTED_PROXY_HOPS)",
)


def manage(*args, env):
    unset = {*PRODUCTION, "RETAILHUB_ALLOW_IN_PROCESS_TASKS", "CELERY_TASK_ALWAYS_EAGER", "TRUSTED_PROXY_HOPS"}
    inherited = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_needs_a_broker():
    without_broker = {k: v for k, v in PRODUCTION.items() if k != "CELERY_BROKER_URL"}

    result = manage("check", env=without_broker)

    assert result.returncode != 0
    assert (
        "django.core.exceptions.ImproperlyConfigured: Set the CELERY_BROKER_URL environment variable "
        "(e.g. redis://host:6379/0): production runs tasks on Celery workers. "
        "RETAILHUB_ALLOW_IN_PROCESS_TASKS=1 runs them inside web requests instead."
    ) in result.stderr


def test_in_process_tasks_are_an_explicit_choice_with_a_warning():
    without_broker = {k: v for k, v in PRODUCTION.items() if k != "CELERY_BROKER_URL"}

    result = manage(*PRINT_SETTINGS, env={**without_broker, "RETAILHUB_ALLOW_IN_PROCESS_TASKS": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True 0"
    assert "No CELERY_BROKER_URL: tasks run inside the web requests that start them" in result.stderr


def test_with_a_broker_tasks_go_to_workers_and_no_proxy_is_trusted_by_default():
    result = manage(*PRINT_SETTINGS, env=PRODUCTION)
    behind_a_load_balancer = manage(*PRINT_SETTINGS, env={**PRODUCTION, "TRUSTED_PROXY_HOPS": "1"})

    assert (result.returncode, result.stdout.strip()) == (0, "False 0"), result.stderr
    assert "No CELERY_BROKER_URL" not in result.stderr
    assert behind_a_load_balancer.stdout.strip() == "False 1"
