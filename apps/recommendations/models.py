from django.db import models

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.customers.models import Customer


class PopularProduct(models.Model):
    """A ranked "popular" list of one training run: overall (country "") or per country."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="+")
    country = models.CharField(max_length=64, blank=True)
    rank = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    customers = models.PositiveIntegerField(help_text="distinct customers who bought it in the window")

    class Meta:
        ordering = ["run", "country", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "country", "rank"], name="popular_product_run_country_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.country or 'all'} #{self.rank}"


class TrendingProduct(models.Model):
    """Products bought by many customers lately (decayed by age), of one training run."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "rank"], name="trending_product_run_rank")]

    def __str__(self) -> str:
        return f"trending #{self.rank}"


class CustomerRecommendation(models.Model):
    """One entry of a customer's "recommended for you" list, with why it is there."""

    class Reason(models.TextChoices):
        BOUGHT_BEFORE = "bought_before", "You bought this before"
        BECAUSE_YOU_BOUGHT = "because_you_bought", "Because you bought"
        POPULAR = "popular", "Popular"

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reason = models.CharField(max_length=24, choices=Reason.choices)
    # For "because you bought": the product of the customer's history it follows from.
    because_of = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["run", "customer", "rank"]
        constraints = [
            # Serves the widget's read: one customer's list in one run, in rank order.
            models.UniqueConstraint(fields=["run", "customer", "rank"], name="customer_rec_run_customer_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} #{self.rank}"


class RelatedProducts(models.Model):
    """A ranked list of products related to `product`, of one training run."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        abstract = True
        ordering = ["run", "product", "rank"]

    def __str__(self) -> str:
        return f"{self.product_id} -> {self.other_id}"


class ProductAlsoBought(RelatedProducts):
    """Customers who bought `product` also bought `other` (co-purchase similarity)."""

    class Meta(RelatedProducts.Meta):
        constraints = [
            # Serves "also bought" for one product in one run, in rank order.
            models.UniqueConstraint(fields=["run", "product", "rank"], name="also_bought_run_product_rank"),
        ]


class ProductSimilar(RelatedProducts):
    """Products whose names resemble `product`'s: the fallback for products nobody bought yet."""

    class Meta(RelatedProducts.Meta):
        constraints = [
            # Serves "similar" for one product in one run, in rank order.
            models.UniqueConstraint(fields=["run", "product", "rank"], name="similar_run_product_rank"),
        ]


class WidgetEvent(models.Model):
    """An impression or a click reported by the storefront widget's beacon."""

    class Kind(models.TextChoices):
        IMPRESSION = "impression", "Impression"
        CLICK = "click", "Click"

    run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    list_name = models.CharField(max_length=16)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    # A random id the widget keeps for the visit (for visit-level analysis); never a customer id.
    session = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "widget performance"
        verbose_name_plural = "widget performance"
        indexes = [
            # Click-through rate per run and list (the admin's performance page).
            models.Index(fields=["run", "list_name", "kind"], name="widget_event_ctr_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.list_name} {self.product_id}"
