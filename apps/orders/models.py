from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.catalogue.models import Product, default_currency
from apps.customers.models import Customer


class ImportBatch(models.Model):
    """One order-log file brought in by the command line, the admin or the API."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Via(models.TextChoices):
        CLI = "cli", "Command line"
        ADMIN = "admin", "Admin upload"
        API = "api", "API"

    source = models.CharField(max_length=32, default="online_retail")
    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    started_via = models.CharField(max_length=8, choices=Via.choices, default=Via.CLI)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    # Lines of invoices that were already stored: a re-import skips them.
    rows_already_present = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    orders_created = models.PositiveIntegerField(default=0)
    customers_created = models.PositiveIntegerField(default=0)
    products_created = models.PositiveIntegerField(default=0)
    cancellations_linked = models.PositiveIntegerField(default=0)
    # The first rejected rows, each {"line", "field", "reason"}; rows_rejected has the full count.
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)

    # The figures an import counts, in the order reports list them.
    COUNTERS = (
        "rows_read",
        "rows_imported",
        "rows_rejected",
        "rows_already_present",
        "duplicate_rows",
        "orders_created",
        "customers_created",
        "products_created",
        "cancellations_linked",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class Order(models.Model):
    class Kind(models.TextChoices):
        SALE = "sale", "Sale"
        CANCELLATION = "cancellation", "Cancellation"
        STOCK_ADJUSTMENT = "stock_adjustment", "Stock adjustment"
        ADJUSTMENT = "adjustment", "Accounting adjustment"

    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        PARTLY_CANCELLED = "partly_cancelled", "Partly cancelled"
        CANCELLED = "cancelled", "Cancelled"

    source = models.CharField(max_length=32, default="online_retail")
    invoice_no = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SALE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLACED)
    placed_at = models.DateTimeField()
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    country = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default=default_currency)
    # Sum of quantity x unit price over the lines, exact (prices carry up to 3 decimals);
    # wide enough for the largest lines the importer and the API accept.
    total_amount = models.DecimalField(max_digits=20, decimal_places=3, default=Decimal("0"))
    line_count = models.PositiveIntegerField(default=0)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "invoice_no"], name="order_source_invoice_unique"),
        ]
        indexes = [
            # A customer's order history, newest first; cancellation linking.
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed_idx"),
            # Date drill-down and time-window reads for models.
            models.Index(fields=["placed_at"], name="order_placed_idx"),
        ]

    def __str__(self) -> str:
        return self.invoice_no


class OrderLine(models.Model):
    class Kind(models.TextChoices):
        SALE = "sale", "Sale"
        CANCELLATION = "cancellation", "Cancellation"
        STOCK_ADJUSTMENT = "stock_adjustment", "Stock adjustment"
        ADJUSTMENT = "adjustment", "Accounting adjustment"

    # The (order, line_number) unique constraint's index serves lookups by order.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    # Position of the line within its invoice in the source log, from 1.
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=3)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SALE)
    # The same row appeared earlier in the same invoice: kept, but flagged so that
    # analytics can leave it out.
    is_duplicate = models.BooleanField(default=False)
    # Free text the log carried instead of a product name ("damaged", "lost").
    note = models.CharField(max_length=255, blank=True)
    # For a cancellation line: the customer's latest earlier purchase of the product.
    cancels = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cancelled_by",
        db_index=False,
    )

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderline_order_number_unique"),
        ]
        indexes = [
            # "Which cancellations hit this line": only the few linked lines are indexed.
            models.Index(fields=["cancels"], name="orderline_cancels_idx", condition=Q(cancels__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_number}"

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price
