"""What the storefront shows, read from the active recommendations run only; while no run is
active, the fallback lists of apps.recommendations.fallback (popular, similar by name), with
"run": null, so a list is never empty for want of a run.

Lists are kept per (run, catalogue version, list, arguments): a new run or any product
change (deactivated, out of stock, repriced) makes a new key, so stale lists are never read.
"""

import json
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils.functional import cached_property

from apps.catalogue.models import Product
from apps.catalogue.signals import VERSION_KEY, catalogue_version
from apps.core.training.selectors import active_run_cache_key, active_run_id
from apps.customers.models import Customer
from apps.recommendations import fallback
from apps.recommendations.models import (
    CustomerRecommendation,
    PopularProduct,
    ProductAlsoBought,
    ProductSimilar,
    TrendingProduct,
)

KIND = "recommendations"
# Lists kept per web process (about 2 KB each).
MEMO_ENTRIES = 20_000
# The visit's latest clicks that lift related products.
MAX_CLICKS = 3
REASON_TEXT = {
    "bought_before": "You bought this before",
    "popular": "Popular right now",
    "popular_in_country": "Popular in {country}",
    "trending": "Trending",
    "also_bought": "Often bought with {name}",
    "similar": "Similar to {name}",
    "because_you_bought": "Because you bought {name}",
    "because_you_viewed": "Because you looked at {name}",
}
SELLABLE = Q(product__is_active=True, product__kind=Product.Kind.MERCHANDISE) & (
    Q(product__stock_on_hand__isnull=True) | Q(product__stock_on_hand__gt=0)
)
SELLABLE_OTHER = Q(other__is_active=True, other__kind=Product.Kind.MERCHANDISE) & (
    Q(other__stock_on_hand__isnull=True) | Q(other__stock_on_hand__gt=0)
)


def card(product: Product, reason: str, **context) -> dict:
    """A product as the widget shows it; `because_of` names the product the reason refers to."""
    return {
        "sku": product.sku,
        "name": product.name or product.sku,
        "price": str(product.price.quantize(product.price.__class__("0.01"))),
        "currency": product.currency,
        "url": settings.STOREFRONT_PRODUCT_URL.format(sku=product.sku),
        "image": product.image_url or None,
        "reason": REASON_TEXT[reason].format(**context),
        "because_of": context.get("name") or None,
    }


_state = {"expires": 0.0, "value": (None, 0)}


def serving_state() -> tuple[int | None, int]:
    """(active run id, catalogue version): one shared-cache round trip at most every
    WIDGET_STATE_TTL_SECONDS per process, so a new run or a product change shows on every
    web process within that time."""
    now = time.monotonic()
    if now < _state["expires"]:
        return _state["value"]
    run_key = active_run_cache_key(KIND)
    found = cache.get_many([run_key, VERSION_KEY])
    run_id = (found[run_key] or None) if run_key in found else active_run_id(kind=KIND)
    version = found.get(VERSION_KEY) or catalogue_version()
    _state["value"], _state["expires"] = (run_id, version), now + settings.WIDGET_STATE_TTL_SECONDS
    return run_id, version


class _Memo:
    """Lists computed by this process, keyed by run and catalogue version: a key never goes
    stale (a new run or any product change makes a new key), so no shared-cache read is
    needed on the hot path. Least recently used entries go first."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[str, list] = OrderedDict()

    def get_or_compute(self, key: str, compute):
        items = self.entries.get(key)
        if items is None:
            items = compute()
            self.entries[key] = items
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        else:
            self.entries.move_to_end(key)
        return items


_memo = _Memo(size=MEMO_ENTRIES)


def _cached(name: str, compute, *args, without_run=None):
    """(run id, cards): the active run's list, or (None, the fallback's) while no run is active."""
    run_id, version = serving_state()
    if run_id is None:
        return None, CardList(fallback.cached(name, version, args, lambda: without_run(*args)) if without_run else [])
    key = f"{run_id}:{version}:{name}:" + ":".join(map(str, args))
    return run_id, _memo.get_or_compute(key, lambda: CardList(compute(run_id, *args)))


class CardList(list):
    """A list of cards that keeps its JSON text: the widget sends the same bytes on every hit."""

    @cached_property
    def json(self) -> str:
        return json.dumps(self, separators=(",", ":"))


def trending(*, limit: int) -> tuple[int | None, list[dict]]:
    def compute(run_id, limit):
        rows = TrendingProduct.objects.filter(SELLABLE, run_id=run_id).select_related("product").order_by("rank")
        return [card(row.product, "trending") for row in rows[:limit]]

    return _cached("trending", compute, limit, without_run=lambda limit: _popular_cards("", limit))


def popular(*, country: str, limit: int) -> tuple[int | None, list[dict]]:
    def compute(run_id, country, limit):
        rows = PopularProduct.objects.filter(SELLABLE, run_id=run_id, country=country).select_related("product")
        items = [
            card(row.product, "popular_in_country" if country else "popular", country=country)
            for row in rows.order_by("rank")[:limit]
        ]
        if not items and country:
            return popular(country="", limit=limit)[1]
        return items

    return _cached("popular", compute, country, limit, without_run=_popular_cards)


def _popular_cards(country: str, limit: int) -> list[dict]:
    return [
        card(product, "popular_in_country" if local else "popular", country=country)
        for product, local in fallback.popular_products(country=country, limit=limit)
    ]


def _similar_cards(sku: str, limit: int) -> list[dict]:
    product = Product.objects.filter(sku=sku).only("name", "sku").first()
    name = (product.name or product.sku) if product else sku
    return [card(other, "similar", name=name) for other in fallback.similar_products(sku=sku, limit=limit)]


def also_bought(*, sku: str, limit: int) -> tuple[int | None, list[dict]]:
    def compute(run_id, sku, limit):
        rows = (
            ProductAlsoBought.objects.filter(SELLABLE_OTHER, run_id=run_id, product__sku=sku)
            .select_related("other", "product")
            .order_by("rank")
        )
        items = [card(row.other, "also_bought", name=row.product.name or row.product.sku) for row in rows[:limit]]
        if items:
            return items
        # A product nobody bought yet: products with similar names.
        similar = (
            ProductSimilar.objects.filter(SELLABLE_OTHER, run_id=run_id, product__sku=sku)
            .select_related("other", "product")
            .order_by("rank")
        )
        return [card(row.other, "similar", name=row.product.name or row.product.sku) for row in similar[:limit]]

    return _cached("also_bought", compute, sku, limit, without_run=_similar_cards)


def for_customer(*, external_id: str, limit: int, clicked: tuple[str, ...] = (), source: str = "online_retail"):
    """A customer's list; a customer without one gets their country's popular products.
    Products often bought with what this visit clicked (`clicked`, newest first, as the
    widget remembers them) lead the list, before any retrain."""

    def compute(run_id, external_id, limit):
        customer = Customer.objects.filter(source=source, external_id=external_id).only("id", "country").first()
        if customer is None:
            return popular(country="", limit=limit)[1]
        rows = (
            CustomerRecommendation.objects.filter(SELLABLE, run_id=run_id, customer_id=customer.pk)
            .select_related("product", "because_of")
            .order_by("rank")
        )
        items = [
            card(row.product, row.reason, name=row.because_of.name if row.because_of else "") for row in rows[:limit]
        ]
        return items or popular(country=customer.country, limit=limit)[1]

    def without_run(external_id, limit):
        customer = Customer.objects.filter(source=source, external_id=external_id).only("country").first()
        return _popular_cards(customer.country if customer else "", limit)

    run_id, items = _cached("for_you", compute, external_id, limit, without_run=without_run)
    lifted = _click_lift(clicked, limit) if clicked and run_id else []
    if lifted:
        skus = {item["sku"] for item in lifted}
        items = (lifted + [item for item in items if item["sku"] not in skus])[:limit]
    return run_id, items


def _click_lift(clicked: tuple[str, ...], limit: int) -> list[dict]:
    """Products often bought with the clicked ones, up to half the list."""
    lifted, seen = [], set(clicked)
    for sku in dict.fromkeys(clicked[:MAX_CLICKS]):
        for item in also_bought(sku=sku, limit=3)[1]:
            if item["sku"] not in seen:
                seen.add(item["sku"])
                reason = REASON_TEXT["because_you_viewed"].format(name=item["because_of"])
                lifted.append({**item, "reason": reason})
    return lifted[: max(1, limit // 2)]
