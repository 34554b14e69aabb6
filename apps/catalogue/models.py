from django.conf import settings
from django.db import models

from apps.catalogue.querysets import ProductQuerySet


class Category(models.Model):
    name = models.CharField(max_length=120, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


def default_currency() -> str:
    return settings.STORE_CURRENCY


class Product(models.Model):
    class Kind(models.TextChoices):
        MERCHANDISE = "merchandise", "Merchandise"
        POSTAGE = "postage", "Postage and carriage"
        FEE = "fee", "Fee or charge"
        DISCOUNT = "discount", "Discount"
        MANUAL = "manual", "Manual entry"
        SAMPLE = "sample", "Sample"
        GIFT_VOUCHER = "gift_voucher", "Gift voucher"
        ADJUSTMENT = "adjustment", "Accounting adjustment"
        OTHER = "other", "Other non-merchandise"

    # Kept exactly as the source system writes it: "85123A" and "85123a" are two SKUs.
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MERCHANDISE)
    price = models.DecimalField(max_digits=12, decimal_places=3, default=0)
    image_url = models.URLField(max_length=500, blank=True)
    currency = models.CharField(max_length=3, default=default_currency)
    is_active = models.BooleanField(default=True)
    # None means stock is not tracked for this product (the order logs carry no stock).
    # Never negative: model validation, the API and a database CHECK refuse it.
    stock_on_hand = models.PositiveIntegerField(null=True, blank=True)
    # When the current name and price were last seen on a sale: a later order log
    # replaces them, an older one does not.
    name_seen_at = models.DateTimeField(null=True, blank=True)
    price_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]
        indexes = [
            # Admin and API filter the catalogue by kind and active flag.
            models.Index(fields=["kind", "is_active"], name="product_kind_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}".strip()

    @property
    def is_merchandise(self) -> bool:
        return self.kind == self.Kind.MERCHANDISE


class ProductName(models.Model):
    """Every description a SKU has been sold under, with when it was first and last seen."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="name_history")
    name = models.CharField(max_length=255)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "-last_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="product_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
