from django.db import models


class Customer(models.Model):
    """A customer as the source system knows them. Guests are orders without one."""

    source = models.CharField(max_length=32, default="online_retail")
    external_id = models.CharField(max_length=64)
    country = models.CharField(max_length=64, blank=True)
    # The latest order the country was read from: an older log does not overwrite it.
    country_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "external_id"]
        # Erasure cannot be undone, so it is granted apart from delete (see apps.customers.privacy).
        permissions = [("erase_customer", "Can erase a customer's personal data")]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="customer_source_external_id_unique"),
        ]
        indexes = [
            # Admin filter and segment reports by country.
            models.Index(fields=["country"], name="customer_country_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id
