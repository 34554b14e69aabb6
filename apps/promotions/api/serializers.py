import copy
from decimal import Decimal

from rest_framework import serializers

from apps.catalogue.models import Category, Product
from apps.promotions.models import Coupon, Promotion, PromotionEvent
from apps.promotions.rules import promotion_errors
from apps.promotions.selectors import RequestedLine

MAX_LINES = 500
MAX_CODES = 10


class QuoteLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class QuoteRequestSerializer(serializers.Serializer):
    lines = QuoteLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    customer = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="The shopper's external id."
    )
    customer_source = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    codes = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=MAX_CODES
    )
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0"))

    def pricing_arguments(self) -> dict:
        data = self.validated_data
        return {
            "lines": [RequestedLine(sku=line["sku"], quantity=line["quantity"]) for line in data["lines"]],
            "customer": data["customer"],
            "customer_source": data["customer_source"],
            "codes": data["codes"],
            "shipping": data["shipping"],
        }


class RedeemRequestSerializer(QuoteRequestSerializer):
    order_reference = serializers.CharField(max_length=64, help_text="The placed order's id: its idempotency key.")
    expected_total = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="The total the shopper was shown; the redemption is refused if prices changed since.",
    )

    def pricing_arguments(self) -> dict:
        return {
            **super().pricing_arguments(),
            "order_reference": self.validated_data["order_reference"],
            "expected_total": self.validated_data["expected_total"],
        }


class PromotionSerializer(serializers.ModelSerializer):
    products = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), many=True, required=False, help_text="SKUs in scope."
    )
    categories = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    gift_product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), required=False, allow_null=True
    )
    budget_left = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Promotion
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "value",
            "min_spend",
            "buy_quantity",
            "get_quantity",
            "gift_product",
            "scope",
            "products",
            "categories",
            "eligibility",
            "saved_segment",
            "starts_at",
            "ends_at",
            "status",
            "exclusive",
            "priority",
            "budget",
            "budget_left",
            "max_redemptions",
            "per_customer_limit",
            "holdout_percent",
            "discount_spent",
            "redemptions_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "discount_spent", "redemptions_count", "created_at", "updated_at"]

    def validate(self, attrs):
        candidate = copy.copy(self.instance) if self.instance is not None else Promotion()
        for key, value in attrs.items():
            if key not in ("products", "categories"):
                setattr(candidate, key, value)
        products = attrs.get("products")
        categories = attrs.get("categories")
        errors = promotion_errors(
            candidate,
            product_ids=None if products is None else [p.pk for p in products],
            category_ids=None if categories is None else [c.pk for c in categories],
        )
        if errors:
            raise serializers.ValidationError({field: [message] for field, message in errors.items()})
        return attrs


class CouponSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id", read_only=True, default=None)

    class Meta:
        model = Coupon
        fields = ["code", "promotion", "max_uses", "uses", "expires_at", "customer", "created_at"]


class CouponBatchSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=100_000)
    max_uses = serializers.IntegerField(min_value=1, default=1)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    prefix = serializers.RegexField(r"^[A-Za-z0-9-]{0,12}$", required=False, default="")


class PromotionEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PromotionEvent.Kind.choices)
    channel = serializers.ChoiceField(choices=PromotionEvent.Channel.choices)
    customer = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    customer_source = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, default=None, allow_null=True)


class PromotionEventBatchSerializer(serializers.Serializer):
    events = PromotionEventSerializer(many=True, allow_empty=False, max_length=1000)
