"""Pricing for the storefront and integrations (quote, redeem) and promotions for staff tools:
create and edit with every rule checked, move through draft / active / paused / stopped, generate
coupons, read an experiment's results."""

from django.db.models import ProtectedError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.promotions import services
from apps.promotions.api.serializers import (
    CouponBatchSerializer,
    CouponSerializer,
    PromotionEventBatchSerializer,
    PromotionSerializer,
    QuoteRequestSerializer,
    RedeemRequestSerializer,
)
from apps.promotions.models import Promotion
from apps.promotions.results import promotion_results
from apps.promotions.selectors import PricingError, pricing_quote

MONEY = {"max_digits": 14, "decimal_places": 2}
QUOTE_FIELDS = {
    "lines": serializers.ListField(
        child=inline_serializer(
            "QuotedLine",
            {
                "sku": serializers.CharField(),
                "quantity": serializers.IntegerField(),
                "unit_price": serializers.DecimalField(max_digits=12, decimal_places=3),
                "subtotal": serializers.DecimalField(**MONEY),
                "discount": serializers.DecimalField(**MONEY),
                "total": serializers.DecimalField(**MONEY),
            },
        )
    ),
    "promotions": serializers.ListField(
        child=inline_serializer(
            "AppliedPromotion",
            {
                "promotion": serializers.IntegerField(),
                "name": serializers.CharField(),
                "kind": serializers.ChoiceField(choices=Promotion.Kind.choices),
                "coupon": serializers.CharField(allow_null=True),
                "discount": serializers.DecimalField(**MONEY),
                "shipping_discount": serializers.DecimalField(**MONEY),
                "gift": serializers.CharField(allow_null=True),
                "gift_value": serializers.DecimalField(**MONEY),
                "lines": serializers.DictField(
                    child=serializers.DecimalField(**MONEY), help_text="Discount by line position."
                ),
            },
        )
    ),
    "gifts": serializers.ListField(child=serializers.CharField()),
    "subtotal": serializers.DecimalField(**MONEY),
    "discount": serializers.DecimalField(**MONEY),
    "shipping": serializers.DecimalField(**MONEY),
    "shipping_discount": serializers.DecimalField(**MONEY),
    "total": serializers.DecimalField(**MONEY),
}
QUOTE = inline_serializer("Quote", QUOTE_FIELDS)
LIFT = inline_serializer(
    "Lift",
    {
        "treatment": serializers.FloatField(),
        "control": serializers.FloatField(),
        "difference": serializers.FloatField(),
        "low": serializers.FloatField(help_text="95% interval of the difference."),
        "high": serializers.FloatField(),
        "relative": serializers.FloatField(allow_null=True),
        "treatment_size": serializers.IntegerField(),
        "control_size": serializers.IntegerField(),
    },
    allow_null=True,
)
RESULTS = inline_serializer(
    "PromotionResults",
    {
        "window_start": serializers.DateTimeField(),
        "window_end": serializers.DateTimeField(),
        "population": serializers.CharField(),
        "treatment_size": serializers.IntegerField(),
        "control_size": serializers.IntegerField(),
        "conversion": LIFT,
        "revenue_per_customer": LIFT,
        "redemptions": serializers.IntegerField(),
        "discount_spent": serializers.DecimalField(**MONEY),
        "budget": serializers.DecimalField(**MONEY, allow_null=True),
        "daily": serializers.ListField(child=serializers.JSONField()),
        "channels": serializers.ListField(child=serializers.JSONField()),
        "cvr": serializers.FloatField(allow_null=True),
    },
)
REDEEMED = inline_serializer(
    "RedeemedOrder",
    {"order_reference": serializers.CharField(), "replayed": serializers.BooleanField(), **QUOTE_FIELDS},
)


class QuoteView(APIView):
    """Price a basket: catalogue prices, the promotions this shopper gets now, the codes they gave."""

    # A quote changes nothing, so read-only integration keys may ask for one.
    is_read = True

    @extend_schema(request=QuoteRequestSerializer, responses={200: QUOTE})
    def post(self, request):
        serializer = QuoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            basket = pricing_quote(**serializer.pricing_arguments())
        except PricingError as error:
            raise ValidationError(error.errors) from None
        return Response(services.quote_as_dict(basket.quote))


class RedeemView(APIView):
    """Record the promotions of a placed order, atomically and once: the same order_reference
    again answers 200 with what was recorded (409 if the basket differs)."""

    @extend_schema(request=RedeemRequestSerializer, responses={200: REDEEMED, 201: REDEEMED})
    def post(self, request):
        serializer = RedeemRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            recorded = services.redemptions_record(**serializer.pricing_arguments())
        except PricingError as error:
            if {"order_reference", "expected_total"} & set(error.errors):
                return Response(error.errors, status=status.HTTP_409_CONFLICT)
            raise ValidationError(error.errors) from None
        order = recorded.order
        body = {"order_reference": order.order_reference, "replayed": recorded.replayed, **order.quote}
        return Response(body, status=status.HTTP_200_OK if recorded.replayed else status.HTTP_201_CREATED)


class PromotionViewSet(viewsets.ModelViewSet):
    queryset = Promotion.objects.prefetch_related("products", "categories").select_related("gift_product")
    serializer_class = PromotionSerializer
    filterset_fields = ["status", "kind", "eligibility", "exclusive"]
    search_fields = ["name"]
    ordering_fields = ["starts_at", "name", "priority", "discount_spent", "redemptions_count"]
    ordering = ["-starts_at", "id"]

    def perform_create(self, serializer):
        user = self.request.user if self.request.user.is_authenticated else None
        serializer.save(created_by=user)

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            return Response(
                {"detail": "This promotion has redemptions: stop it instead of deleting it."},
                status=status.HTTP_409_CONFLICT,
            )

    def _change_status(self, action_name: str):
        try:
            promotion = services.promotion_change_status(promotion=self.get_object(), action=action_name)
        except ValueError as error:
            field, _, message = str(error).partition(": ")
            return Response({field: [message]}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(promotion).data)

    @extend_schema(request=None, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._change_status("activate")

    @extend_schema(request=None, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._change_status("pause")

    @extend_schema(request=None, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._change_status("resume")

    @extend_schema(request=None, responses={200: PromotionSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        return self._change_status("stop")

    @extend_schema(methods=["get"], responses={200: CouponSerializer(many=True)})
    @extend_schema(methods=["post"], request=CouponBatchSerializer, responses={201: CouponSerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def coupons(self, request, pk=None):
        promotion = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(promotion.coupons.select_related("customer").order_by("code"))
            return self.get_paginated_response(CouponSerializer(page, many=True).data)
        batch = CouponBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        codes = services.coupons_generate(promotion=promotion, **batch.validated_data)
        created = promotion.coupons.filter(code__in=codes).order_by("code")
        return Response(CouponSerializer(created, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PromotionEventBatchSerializer,
        responses={201: inline_serializer("RecordedEvents", {"recorded": serializers.IntegerField()})},
    )
    @action(detail=True, methods=["post"])
    def events(self, request, pk=None):
        """Impressions and clicks a channel (the widget, an e-mail tool) reports for this promotion."""
        batch = PromotionEventBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        recorded = services.promotion_events_record(promotion=self.get_object(), events=batch.validated_data["events"])
        return Response({"recorded": recorded}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: RESULTS})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Treatment against control with 95% intervals, redemptions by day, channel figures."""
        promotion = self.get_object()
        results = promotion_results(promotion=promotion)
        return Response(
            {
                "window_start": results.window_start,
                "window_end": results.window_end,
                "population": results.population_note,
                "treatment_size": results.treatment_size,
                "control_size": results.control_size,
                "conversion": _lift_body(results.conversion),
                "revenue_per_customer": _lift_body(results.revenue),
                "redemptions": results.redemptions,
                "discount_spent": str(promotion.discount_spent),
                "budget": None if promotion.budget is None else str(promotion.budget),
                "daily": [
                    {"day": day.isoformat(), "redemptions": count, "amount": str(amount)}
                    for day, count, amount in results.daily
                ],
                "channels": [
                    {"channel": c.channel, "impressions": c.impressions, "clicks": c.clicks, "ctr": c.ctr}
                    for c in results.channels
                ],
                "cvr": results.cvr,
            }
        )


def _lift_body(lift):
    if lift is None:
        return None
    return {
        "treatment": lift.treatment,
        "control": lift.control,
        "difference": lift.difference,
        "low": lift.low,
        "high": lift.high,
        "relative": lift.relative,
        "treatment_size": lift.treatment_size,
        "control_size": lift.control_size,
    }
