from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.catalogue.models import Category, Product
from apps.customers.models import Customer
from apps.promotions.pricing import Kind as PriceKind


class PromotionQuerySet(models.QuerySet):
    def live(self, *, at=None):
        """Running now: active, inside the schedule, with budget and redemptions left."""
        at = at or timezone.now()
        return self.filter(status=Promotion.Status.ACTIVE, starts_at__lte=at).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=at),
            Q(budget__isnull=True) | Q(discount_spent__lt=models.F("budget")),
            Q(max_redemptions__isnull=True) | Q(redemptions_count__lt=models.F("max_redemptions")),
        )


class Promotion(models.Model):
    """A discount rule: what it gives (kind and value), on what (scope), to whom (eligibility), when
    (schedule and status), how it combines (exclusive or stackable by priority), and its caps.
    The rule's arithmetic lives in apps.promotions.pricing; what makes a definition valid, in
    apps.promotions.rules (the admin form and the API both ask it)."""

    class Kind(models.TextChoices):
        PERCENT_OFF = PriceKind.PERCENT_OFF, "Percent off"
        AMOUNT_OFF = PriceKind.AMOUNT_OFF, "Amount off each unit"
        FIXED_PRICE = PriceKind.FIXED_PRICE, "Fixed price"
        SPEND_AND_SAVE = PriceKind.SPEND_AND_SAVE, "Spend X, save Y"
        BUY_X_GET_Y = PriceKind.BUY_X_GET_Y, "Buy X, get Y"
        FREE_GIFT = PriceKind.FREE_GIFT, "Free gift"
        FREE_SHIPPING = PriceKind.FREE_SHIPPING, "Free shipping"

    class Scope(models.TextChoices):
        EVERYTHING = "everything", "Everything"
        CATEGORIES = "categories", "Categories"
        PRODUCTS = "products", "Products"

    class Eligibility(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        SEGMENT = "segment", "A saved segment"
        NEW_CUSTOMERS = "new_customers", "New customers (no order yet)"
        COUPON_HOLDERS = "coupon_holders", "Coupon holders"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Percent off, amount off per unit, fixed unit price, amount saved, or the percent off "
        "the 'get' units of buy X get Y (100 = free).",
    )
    min_spend = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), help_text="In-scope spend the offer needs."
    )
    buy_quantity = models.PositiveIntegerField(default=0)
    get_quantity = models.PositiveIntegerField(default=0)
    gift_product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.EVERYTHING)
    products = models.ManyToManyField(Product, blank=True, related_name="promotions")
    categories = models.ManyToManyField(Category, blank=True, related_name="promotions")

    eligibility = models.CharField(max_length=16, choices=Eligibility.choices, default=Eligibility.EVERYONE)
    saved_segment = models.ForeignKey(
        "segments.SavedSegment", null=True, blank=True, on_delete=models.PROTECT, related_name="promotions"
    )

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    exclusive = models.BooleanField(default=False, help_text="Applies alone; the best exclusive offer wins.")
    priority = models.IntegerField(default=0, help_text="Higher applies first among stackable promotions.")

    budget = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Total discount it may give."
    )
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(null=True, blank=True)
    holdout_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("90"))],
        help_text="Share of eligible customers held out as a control group (they do not get the offer).",
    )
    # Kept by redemptions under a row lock, so that caps hold under concurrency.
    discount_spent = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), editable=False)
    redemptions_count = models.PositiveIntegerField(default=0, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PromotionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "name"]
        indexes = [
            # Quotes read the live promotions: active ones whose schedule has begun.
            models.Index(fields=["status", "starts_at"], name="promotion_live_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="promotion_value_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="promotion_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def budget_left(self) -> Decimal | None:
        return None if self.budget is None else max(self.budget - self.discount_spent, Decimal("0"))


class Coupon(models.Model):
    """A code that unlocks a promotion for the shopper who gives it: single- or multi-use, with an
    optional expiry and an optional owner."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="coupons")
    # Stored upper-case: shoppers type codes in any case.
    code = models.CharField(max_length=32, unique=True)
    max_uses = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    uses = models.PositiveIntegerField(default=0, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="coupons")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["promotion", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(uses__lte=models.F("max_uses")), name="coupon_uses_within_cap"),
        ]

    def __str__(self) -> str:
        return self.code

    def is_expired(self, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or timezone.now())


class RedeemedOrder(models.Model):
    """One placed order whose promotions were recorded: the idempotency key of /pricing/redeem.
    The same order sent again finds this row and records nothing more."""

    order_reference = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer_key = models.CharField(max_length=100, blank=True)
    # A digest of the request, so that a reused reference with a different basket is refused.
    request_digest = models.CharField(max_length=64)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    quote = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.order_reference


class Redemption(models.Model):
    """One promotion used on one order: the saving it gave (discount, shipping and gift value)."""

    order = models.ForeignKey(RedeemedOrder, on_delete=models.CASCADE, related_name="redemptions")
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    coupon = models.ForeignKey(Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="redemptions")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # "source:external id" of the shopper, also for one not in the customer table yet.
    customer_key = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    redeemed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-redeemed_at"]
        indexes = [
            # Per-customer limits count a customer's redemptions of one promotion.
            models.Index(fields=["promotion", "customer_key"], name="redemption_customer_idx"),
            # The results page draws redemptions over time.
            models.Index(fields=["promotion", "redeemed_at"], name="redemption_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} on {self.order_id}: {self.amount}"


class PromotionEvent(models.Model):
    """What a channel reports about an offer it showed: impressions and clicks, from the storefront
    widget or an e-mail tool, for the click-through and conversion rates on the results page."""

    class Kind(models.TextChoices):
        IMPRESSION = "impression", "Impression"
        CLICK = "click", "Click"

    class Channel(models.TextChoices):
        WIDGET = "widget", "Storefront widget"
        EMAIL = "email", "E-mail"
        OTHER = "other", "Other"

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    customer_key = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The results page counts each kind per channel for one promotion.
            models.Index(fields=["promotion", "kind", "channel"], name="promotion_event_count_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.promotion_id} by {self.channel}"


class CampaignLog(models.Model):
    """A randomised campaign's log (who got which offer, or none, and what they did), imported from
    a file such as the Hillstrom experiment or built from a past promotion with a control group:
    what uplift models learn who to target from."""

    class Origin(models.TextChoices):
        FILE = "file", "Imported file"
        PROMOTION = "promotion", "Past promotion"

    name = models.CharField(max_length=120, unique=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.FILE)
    promotion = models.ForeignKey(Promotion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    treatment_column = models.CharField(max_length=64)
    control = models.CharField(max_length=64)
    outcome_column = models.CharField(max_length=64)
    # Column holding the customer's id, when the log has one: scores are published per customer.
    customer_column = models.CharField(max_length=64, blank=True)
    arms = models.JSONField(default=list)
    rows = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class CampaignLogRow(models.Model):
    """One customer of a campaign log, every column as it was read."""

    log = models.ForeignKey(CampaignLog, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField()
    values = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "position"], name="campaign_log_row_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.log_id}#{self.position}"


class CustomerUplift(models.Model):
    """A targeting run's predicted uplift of one customer of its campaign log for one offer, and the
    offer the budgeted plan gives them (blank: none)."""

    run = models.ForeignKey("core.TrainingRun", on_delete=models.CASCADE, related_name="+")
    customer_key = models.CharField(max_length=100)
    arm = models.CharField(max_length=64)
    uplift = models.FloatField()
    planned_offer = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "customer_key", "arm"], name="customer_uplift_unique"),
        ]
        indexes = [
            # The targeting page lists a run's customers by uplift, best first.
            models.Index(fields=["run", "arm", "-uplift"], name="customer_uplift_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_key}: {self.arm} {self.uplift:+.4f}"
