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
    PromotionSerializer,
    QuoteRequestSerializer,
    RedeemRequestSerializer,
)
from apps.promotions.models import Promotion
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
