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
