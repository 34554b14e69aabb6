import datetime

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class IntegrationKey(AbstractAPIKey):
    """An API key for one integration. Only a SHA-512 hash of the key is stored;
    the key itself is shown once, when it is created."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.READ)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "integration API key"
        verbose_name_plural = "integration API keys"

    def allows_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class TrainingRun(models.Model):
    """One training of one kind of model. Results are written under the run's id; readers
    only ever read the active run of a kind, so they see a whole result or the previous one."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        STAFF = "staff", "Staff"
        API = "api", "API"
        CLI = "cli", "Command line"

    UNFINISHED = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.STAFF)
    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs"
    )
    # Data up to (not including) this moment is used; None means all data present.
    data_cutoff = models.DateTimeField(null=True, blank=True)
    # The cutoff as a key ("latest" for None), so that equal requests can be matched.
    cutoff_key = models.CharField(max_length=40, default="latest", editable=False)
    parameters = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    # Last sign of life of the attempt (claim or progress report); a silent run is reaped.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker_host = models.CharField(max_length=200, blank=True)
    # Deliveries of the training task that claimed the run; a worker lost mid-run leads to another.
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    artifact_path = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=False)
    # Why a succeeded run was or was not activated (the quality gate's verdict).
    gate_passed = models.BooleanField(null=True, blank=True)
    gate_reason = models.CharField(max_length=300, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # Old runs keep their record but lose their result rows and artifact.
    results_pruned = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one active run per kind: readers never see two results at once.
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(is_active=True), name="training_run_one_active_per_kind"
            ),
            # A second request for the same kind and cutoff joins the unfinished run.
            models.UniqueConstraint(
                fields=["kind", "cutoff_key"],
                condition=models.Q(status__in=["queued", "running"]),
                name="training_run_one_unfinished_per_cutoff",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=False) | models.Q(status="succeeded"),
                name="training_run_only_succeeded_active",
            ),
        ]
        indexes = [
            # The runs page of a kind, newest first.
            models.Index(fields=["kind", "-created_at"], name="training_run_kind_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status not in self.UNFINISHED

    @staticmethod
    def key_for_cutoff(cutoff) -> str:
        """The same instant gives the same key whatever time zone the caller wrote it in."""
        return cutoff.astimezone(datetime.UTC).isoformat() if cutoff else "latest"
