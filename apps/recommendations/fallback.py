"""Lists served while no recommendations run is active (a new store, or every run refused so far),
computed from the order lines themselves with no training, so that shoppers and integrations never
get an empty list.

- Popular: sellable merchandise ranked by distinct buyers (guests count by order) over the last
  FALLBACK_WINDOW_DAYS of the log, counted back from its latest sale so that a historical log works
  too; in the shopper's country first, topped up from everyone's.
- Similar, for a product page: without a run nothing says what is bought together, so products by
  content: sharing words of the name (the same category counts as one more shared word), ranked by
  the share of the product's words they carry, then by popularity.

Lists are kept in the shared cache for FALLBACK_TTL_SECONDS under the catalogue version, so new
orders reach them within minutes and a product change at once. The first trained run competes
against these lists through its gate (it must beat popularity), never against nothing.
"""

import datetime
import re

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q

from apps.catalogue.models import Product
from apps.orders.models import Order, OrderLine

FALLBACK_WINDOW_DAYS = 90
# Words too common in product names to say two products are alike.
STOP_WORDS = {"THE", "AND", "FOR", "WITH", "SET", "OF", "IN", "PACK", "SMALL", "LARGE", "MINI", "OF4", "OF6"}


def cached(name: str, version: int, args: tuple, compute) -> list:
    key = f"recommendations:fallback:{version}:{name}:" + ":".join(map(str, args))
    return cache.get_or_set(key, compute, timeout=settings.RECOMMENDATIONS_FALLBACK_TTL_SECONDS)


def popular_products(*, country: str, limit: int) -> list[tuple[Product, bool]]:
    """The most bought sellable products of the recent window, the country's first, each with
    whether it is popular in that country."""
    latest = Order.objects.filter(kind=Order.Kind.SALE).aggregate(latest=Max("placed_at"))["latest"]
    if latest is None:
        return []
    since = latest - datetime.timedelta(days=FALLBACK_WINDOW_DAYS)
    lines = OrderLine.objects.filter(
        order__kind=Order.Kind.SALE, order__placed_at__gte=since, quantity__gt=0, is_duplicate=False
    ).filter(product__in=Product.objects.sellable())

    def ranked(rows) -> list[int]:
        counted = rows.values("product_id").annotate(
            buyers=Count("order__customer_id", distinct=True)
            + Count("order_id", filter=Q(order__customer__isnull=True))
        )
        return [row["product_id"] for row in counted.order_by("-buyers", "product_id")[:limit]]

    in_country = ranked(lines.filter(order__country=country)) if country else []
    chosen = in_country + [pk for pk in ranked(lines) if pk not in in_country][: limit - len(in_country)]
    products = Product.objects.in_bulk(chosen)
    local = set(in_country)
    return [(products[pk], pk in local) for pk in chosen if pk in products]


def name_words(name: str) -> set[str]:
    return {word for word in re.findall(r"[A-Z0-9][A-Z0-9'-]+", name.upper()) if len(word) > 2} - STOP_WORDS


def similar_products(*, sku: str, limit: int) -> list[Product]:
    """Products whose names share the most words with this one's (same category: one more word)."""
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        return []
    words = name_words(product.name)
    if not words and product.category_id is None:
        return []
    popularity = {p.pk: rank for rank, (p, _) in enumerate(popular_products(country="", limit=500))}
    scored = []
    for other in Product.objects.sellable().exclude(pk=product.pk).only("pk", "name", "category_id"):
        shared = len(words & name_words(other.name))
        same_category = product.category_id is not None and other.category_id == product.category_id
        score = (shared + same_category) / (len(words) + (product.category_id is not None))
        if score > 0:
            scored.append((-score, popularity.get(other.pk, len(popularity)), other.pk))
    chosen = [pk for _, _, pk in sorted(scored)[:limit]]
    products = Product.objects.in_bulk(chosen)
    return [products[pk] for pk in chosen]
