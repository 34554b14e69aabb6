from django.db import models

from apps.catalogue.models import Product
from apps.core.models import TrainingRun


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
