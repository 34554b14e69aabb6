"""The embeddable widget, run by Debian's Chromium on the sample storefront, sends each list's
impressions back with its signed impression id, and the server records them."""

import shutil
import subprocess
import time
from decimal import Decimal

import pytest

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.recommendations.models import PopularProduct, ProductAlsoBought, TrendingProduct, WidgetEvent

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/browser.sh)")


@pytest.fixture
def run(transactional_db):
    run = TrainingRun.objects.create(kind="recommendations", status="succeeded", is_active=True)
    products = [
        Product.objects.create(sku=sku, name=f"LANTERN {rank}", price=Decimal("2.50"))
        for rank, sku in enumerate(["22001", "22002", "22003", "22004"], start=1)
    ]
    for rank, product in enumerate(products, start=1):
        TrendingProduct.objects.create(run=run, rank=rank, product=product, score=1.0 / rank)
        PopularProduct.objects.create(run=run, country="", rank=rank, product=product, customers=10 - rank)
    for rank, other in enumerate(products[1:], start=1):
        ProductAlsoBought.objects.create(run=run, product=products[0], rank=rank, other=other, score=1.0 / rank)
    return run


def test_the_widget_reports_impressions_with_the_lists_impression_ids(live_server, run, tmp_path):
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{live_server.url}/storefront/",
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    deadline = time.monotonic() + 10  # beacons may land just after the page is dumped
    while WidgetEvent.objects.count() < 11 and time.monotonic() < deadline:
        time.sleep(0.2)

    recorded = sorted(WidgetEvent.objects.values_list("list_name", "product__sku", "kind", "run_id"))

    assert recorded == sorted(
        [("trending", sku, "impression", run.pk) for sku in ["22001", "22002", "22003", "22004"]]
        + [("for_you", sku, "impression", run.pk) for sku in ["22001", "22002", "22003", "22004"]]
        + [("also_bought", sku, "impression", run.pk) for sku in ["22002", "22003", "22004"]]
    )
