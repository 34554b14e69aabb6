from django.conf import settings
from django.db import models

from apps.core.models import TrainingRun
from apps.customers.models import Customer


class CustomerSegment(models.Model):
    """One customer as one segments run saw them: RFM scores and named segment, behavioural
    cluster, and lifetime value over the run's horizon."""

    # What integrations and exports give of each customer, in this order.
    SCORE_FIELDS = (
        "segment",
        "r",
        "f",
        "m",
        "recency_days",
        "frequency",
        "monetary",
        "cluster",
        "predicted_purchases",
        "probability_alive",
        "predicted_value",
    )

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="segment_scores")
    recency_days = models.PositiveIntegerField()
    frequency = models.PositiveIntegerField()
    monetary = models.DecimalField(max_digits=14, decimal_places=3)
    r = models.PositiveSmallIntegerField()
    f = models.PositiveSmallIntegerField()
    m = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=32)
    cluster = models.PositiveSmallIntegerField(null=True, blank=True)
    predicted_purchases = models.FloatField(default=0)
    probability_alive = models.FloatField(default=0)
    predicted_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="customer_rfm_run_customer_unique"),
        ]
        indexes = [
            # Readers list one run's customers by segment.
            models.Index(fields=["run", "segment"], name="customer_rfm_run_segment_idx"),
            # A customer's page lists their rows across runs.
            models.Index(fields=["customer", "run"], name="customer_segment_history_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment}"


class SegmentProfiles(CustomerSegment):
    """The admin's segment profiles page (a view over the active run's rows, no table)."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "segment profiles"


class SegmentCluster(models.Model):
    """A behavioural cluster of one segments run, described in words."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500)
    customers = models.PositiveIntegerField()
    # Mean of each behavioural feature in the cluster (recency_days, frequency, ...).
    profile = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="segment_cluster_run_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.name}"


class SavedSegment(models.Model):
    """A named audience over the active segments run that promotions and exports target:
    RFM segments, clusters and thresholds, all of which a customer must meet."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=500, blank=True)
    rfm_segments = models.JSONField(default=list, blank=True, help_text="Any of these RFM segments (empty: any).")
    clusters = models.JSONField(default=list, blank=True, help_text="Any of these cluster numbers (empty: any).")
    min_predicted_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    min_probability_alive = models.FloatField(null=True, blank=True)
    max_probability_alive = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
