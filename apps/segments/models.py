from django.db import models

from apps.core.models import TrainingRun
from apps.customers.models import Customer


class CustomerRfm(models.Model):
    """A customer's RFM scores and segment, as computed by one training run."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="rfm_scores")
    recency_days = models.PositiveIntegerField()
    frequency = models.PositiveIntegerField()
    monetary = models.DecimalField(max_digits=14, decimal_places=3)
    r = models.PositiveSmallIntegerField()
    f = models.PositiveSmallIntegerField()
    m = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="customer_rfm_run_customer_unique"),
        ]
        indexes = [
            # Readers list one run's customers by segment.
            models.Index(fields=["run", "segment"], name="customer_rfm_run_segment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment}"
