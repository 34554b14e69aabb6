"""The storefront rate limit is counted in the shared cache, so every web process draws on one
allowance per client, and X-Forwarded-For is believed only behind configured proxies."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from apps.core.rate_limit import rate_limited

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_030.0  # 30 s into a minute: no window ends during a test

ANOTHER_PROCESS = f"""
import django
django.setup()
from django.http import HttpResponse
from django.test import RequestFactory
import apps.core.rate_limit as rate_limit
rate_limit._clock = lambda: {NOW}
view = rate_limit.rate_limited("WIDGET_RATE")(lambda request: HttpResponse("ok"))
print([view(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")).status_code for _ in range(2)])
"""


@pytest.fixture
def stopped_clock(monkeypatch):
    monkeypatch.setattr("apps.core.rate_limit._clock", lambda: NOW)


def plain_view(request):
    return HttpResponse("ok")


def test_two_web_processes_share_one_allowance(settings, stopped_clock):
    settings.WIDGET_RATE = "3/minute"
    view = rate_limited("WIDGET_RATE")(plain_view)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "retailhub.settings.test", "WIDGET_RATE": "3/minute"}

    other = subprocess.run(
        [sys.executable, "-c", ANOTHER_PROCESS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    here = [view(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")).status_code for _ in range(2)]

    assert other.returncode == 0, other.stderr[-2000:]
    assert other.stdout.strip() == "[200, 200]"
    assert here == [200, 429]


def test_concurrent_requests_are_counted_exactly(settings, stopped_clock):
    settings.WIDGET_RATE = "10/minute"
    view = rate_limited("WIDGET_RATE")(plain_view)

    def call(_):
        return view(RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(call, range(14)))

    assert statuses == [200] * 10 + [429] * 4


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(client, settings, stopped_clock):
    settings.WIDGET_RATE, settings.TRUSTED_PROXY_HOPS = "3/minute", 0

    statuses = [
        client.get(
            "/api/widget/v1/trending", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_far_from_the_limit_a_process_syncs_every_tenth_request_and_the_limit_stays_exact(
    settings, stopped_clock, monkeypatch
):
    import apps.core.rate_limit as rate_limit

    settings.WIDGET_RATE = "25/minute"
    monkeypatch.setattr(rate_limit, "_local_counts", rate_limit._LocalCounts())
    synced = []
    real_add = rate_limit._add
    monkeypatch.setattr(
        rate_limit, "_add", lambda key, amount, window: synced.append(amount) or real_add(key, amount, window)
    )
    view = rate_limited("WIDGET_RATE")(plain_view)

    statuses = [view(RequestFactory().get("/", REMOTE_ADDR="203.0.113.5")).status_code for _ in range(27)]

    # Requests 1-10 sync once (at the 10th), 11-14 count locally, from the 15th (within 10 of 25) every one syncs.
    assert synced == [10] + [5] + [1] * 12
    assert statuses == [200] * 25 + [429] * 2
