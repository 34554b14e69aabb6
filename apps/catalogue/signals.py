"""A catalogue version that moves whenever a product is saved: storefront caches include
it in their keys, so a product deactivated or sold out disappears from cached lists at once."""

import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.catalogue.models import Product

VERSION_KEY = "catalogue-version"


def catalogue_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh start (cache flushed or restarted) must not reuse an old number, or lists
        # memoised under it in a web process would come back: start from the clock.
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY)
    return version


def catalogue_changed() -> None:
    """Move the version now (call on commit of any bulk change to products)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): a value never used before
        cache.set(VERSION_KEY, time.time_ns(), None)


@receiver(post_save, sender=Product)
def product_saved(sender, instance, **kwargs):
    transaction.on_commit(catalogue_changed)
