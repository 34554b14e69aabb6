"""Operations: /healthz reports each dependency; production settings pass Django's deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_broker(client):
    response = client.get("/healthz", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    body = response.json()
    assert set(body.values()) == {"OK"}
    assert set(body) == {"Database(alias='default')", "Cache(alias='default')", "Broker(redis)"}


@pytest.mark.django_db
def test_healthz_fails_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert "Broker unreachable" in " ".join(response.json().values())


def _manage(*args, env_overrides):
    unset = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "WIDGET_SIGNING_SECRET", "CACHE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "retailhub.settings.production",
            "SECRET_KEY": "k3y-" + "x9Q!z" * 12,
            "ALLOWED_HOSTS": "backoffice.example.com",
            "WIDGET_SIGNING_SECRET": "s3cret-" + "y7W" * 10,
            "CACHE_URL": "redis://127.0.0.1:6379/13",
        },
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage(
        "check",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "retailhub.settings.production",
            "ALLOWED_HOSTS": "backoffice.example.com",
        },
    )

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_serves_no_sample_storefront_and_needs_a_shared_cache():
    production = {
        "DJANGO_SETTINGS_MODULE": "retailhub.settings.production",
        "SECRET_KEY": "k3y-" + "x9Q!z" * 12,
        "ALLOWED_HOSTS": "backoffice.example.com",
        "WIDGET_SIGNING_SECRET": "s3cret-" + "y7W" * 10,
    }
    without_cache = _manage("check", env_overrides=production)
    assert without_cache.returncode != 0
    assert "Set the CACHE_URL environment variable" in without_cache.stderr

    routed = _manage(
        "shell",
        "-c",
        "from django.urls import resolve; resolve('/storefront/')",
        env_overrides={**production, "CACHE_URL": "redis://127.0.0.1:6379/13"},
    )
    assert "Resolver404" in routed.stderr
