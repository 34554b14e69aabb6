"""Forecasts under a training run: readers only read the active run's rows."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class PeriodForecast(models.Model):
    """A forecast of one future period with its 80% and 95% intervals."""

    period_start = models.DateField()
    step = models.PositiveSmallIntegerField(help_text="1 for the first period after the data.")
    forecast = models.FloatField()
    lower_80 = models.FloatField()
    upper_80 = models.FloatField()
    lower_95 = models.FloatField()
    upper_95 = models.FloatField()

    class Meta:
        abstract = True


class ProductForecast(PeriodForecast):
    run = models.ForeignKey("core.TrainingRun", on_delete=models.CASCADE, related_name="product_forecasts")
    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, related_name="forecasts")

    class Meta:
        ordering = ["run", "product", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["run", "product", "period_start"], name="product_forecast_unique_period")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.period_start}: {self.forecast:.1f}"


class CategoryForecast(PeriodForecast):
    """The sum of a category's product forecasts; category None holds uncategorised products."""

    run = models.ForeignKey("core.TrainingRun", on_delete=models.CASCADE, related_name="category_forecasts")
    category = models.ForeignKey(
        "catalogue.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="forecasts"
    )

    class Meta:
        ordering = ["run", "category", "period_start"]
        indexes = [models.Index(fields=["run", "category", "period_start"], name="category_forecast_period_idx")]

    def __str__(self) -> str:
        return f"{self.category or 'Uncategorised'} {self.period_start}: {self.forecast:.1f}"


class ProductForecastModel(models.Model):
    """Which model forecasts a product in a run, and how it and the naive baseline did in
    the backtests (mean scaled absolute error: below 1 beats the in-sample naive step)."""

    run = models.ForeignKey("core.TrainingRun", on_delete=models.CASCADE, related_name="product_forecast_models")
    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, related_name="forecast_models")
    model_name = models.CharField(max_length=40)
    demand_class = models.CharField(max_length=20, help_text="smooth, erratic, intermittent or lumpy")
    backtest_error = models.FloatField(null=True, blank=True)
    baseline_error = models.FloatField(null=True, blank=True)
    history_periods = models.PositiveIntegerField()
    selling_periods = models.PositiveIntegerField()
    mean_demand = models.FloatField()

    class Meta:
        ordering = ["run", "product"]
        verbose_name = "forecast accuracy"
        verbose_name_plural = "forecast accuracy"
        constraints = [models.UniqueConstraint(fields=["run", "product"], name="product_forecast_model_unique")]

    def __str__(self) -> str:
        return f"{self.model_name} for product {self.product_id}"

    @property
    def improvement(self) -> float | None:
        """Share of the baseline's error the chosen model removes (positive is better)."""
        if self.backtest_error is None or not self.baseline_error:
            return None
        return 1 - self.backtest_error / self.baseline_error


class ForecastChunk(models.Model):
    """A slice of a forecasting run's series, fitted by whichever worker claims it first.
    The run's own worker claims chunks too, so a run finishes on a single worker; more
    workers share the chunks and finish sooner."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed"
        DONE = "done", "Done"

    run = models.ForeignKey("core.TrainingRun", on_delete=models.CASCADE, related_name="forecast_chunks")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The chunk's input (series history and settings) and output, as compressed numpy archives.
    payload = models.BinaryField()
    result = models.BinaryField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="forecast_chunk_unique_number")]

    def __str__(self) -> str:
        return f"Chunk {self.number} of run {self.run_id} ({self.status})"


def default_lead_time_days() -> int:
    return settings.FORECAST_DEFAULT_LEAD_TIME_DAYS


def default_service_level() -> float:
    return settings.FORECAST_DEFAULT_SERVICE_LEVEL


class ReorderPolicy(models.Model):
    """How a product is replenished; products without one use the settings' defaults."""

    product = models.OneToOneField("catalogue.Product", on_delete=models.CASCADE, related_name="reorder_policy")
    lead_time_days = models.PositiveIntegerField(
        default=default_lead_time_days, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    service_level = models.FloatField(
        default=default_service_level,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.999)],
        help_text="Chance of not running out before the next delivery, e.g. 0.95.",
    )
    review_period_days = models.PositiveIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(365)], help_text="Days between orders."
    )

    class Meta:
        verbose_name_plural = "reorder policies"

    def __str__(self) -> str:
        return f"Reorder policy of product {self.product_id}"
