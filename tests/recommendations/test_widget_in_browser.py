"""The sample storefront in Debian's Chromium: the widget fetches and renders real
recommendations, and a product name full of markup shows as text."""

import shutil
import subprocess

import pytest

from apps.catalogue.models import Product
from apps.recommendations.models import TrendingProduct

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/browser.sh)")


def rendered_dom(url: str, tmp_path) -> str:
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",  # containers often have a small /dev/shm
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_storefront_renders_recommendations_and_escapes_names(live_server, trained_store, tmp_path):
    top = TrendingProduct.objects.filter(run=trained_store).order_by("rank").first().product
    top.name = "<img src=x onerror=\"document.title='pwned'\">Lantern"
    top.save()

    dom = rendered_dom(f"{live_server.url}/storefront/", tmp_path)

    for kind in ("also-bought", "for-you", "trending"):
        assert f'data-retailhub-widget="{kind}"' in dom
    assert dom.count('class="rh-card"') >= 10
    assert dom.count('data-loaded="true"') == 3
    first_trending = dom.split('data-retailhub-widget="trending"')[1]
    assert f'data-sku="{top.sku}"' in first_trending
    # The name is text in a span, not an element: no <img src="x"> and the title is intact.
    assert "&lt;img src=x onerror=" in first_trending
    assert '<img src="x"' not in dom
    assert "<title>Sample storefront" in dom
    names = set(
        Product.objects.filter(
            sku__in=[r.product.sku for r in TrendingProduct.objects.filter(run=trained_store)]
        ).values_list("name", flat=True)
    )
    assert any(name in dom for name in names if name and "<" not in name)
