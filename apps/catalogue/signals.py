"""A catalogue version that moves whenever a product is saved: storefront caches include
it in their keys, so a product deactivated or sold out disappears from cached lists at once."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.catalogue.models import Product

VERSION_KEY = "catalogue-version"


def catalogue_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY, 1)
    return version


def catalogue_changed() -> None:
    """Move the version now (call on commit of any bulk change to products)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value invalidates
        cache.set(VERSION_KEY, 2, None)


@receiver(post_save, sender=Product)
def product_saved(sender, instance, **kwargs):
    transaction.on_commit(catalogue_changed)
