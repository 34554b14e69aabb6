"""Forecasts for integrations: per product and category with intervals (the active run),
how good each product's model was in backtests, the reorder list, and a CSV export."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.admin_export import csv_download
from apps.forecasts import selectors
from apps.forecasts.api.serializers import (
    BOUND_FIELDS,
    CategoryForecastSerializer,
    ForecastModelSerializer,
    ProductForecastSerializer,
    ReorderSuggestionSerializer,
)
from apps.forecasts.models import CategoryForecast, ProductForecast, ProductForecastModel


class ProductForecastFilter(filters.FilterSet):
    product = filters.NumberFilter(field_name="product_id")
    sku = filters.CharFilter(field_name="product__sku")
    period_from = filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_to = filters.DateFilter(field_name="period_start", lookup_expr="lte")

    class Meta:
        model = ProductForecast
        fields = ["product", "sku", "step"]


class ForecastModelFilter(filters.FilterSet):
    product = filters.NumberFilter(field_name="product_id")
    sku = filters.CharFilter(field_name="product__sku")

    class Meta:
        model = ProductForecastModel
        fields = ["model_name", "demand_class"]


class ProductForecastViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Weekly forecasts per product in the active forecasts run, with 80% and 95% intervals."""

    serializer_class = ProductForecastSerializer
    filterset_class = ProductForecastFilter
    ordering_fields = ["period_start", "forecast"]
    ordering = ["product_id", "period_start"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProductForecast.objects.none()
        return selectors.product_forecasts_current()

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        """Every filtered row as CSV: sku, period_start, step, forecast and interval bounds."""
        queryset = self.filter_queryset(self.get_queryset()).order_by("product__sku", "period_start")
        rows = (
            [row["product__sku"], row["period_start"].isoformat(), row["step"], *(row[f] for f in BOUND_FIELDS)]
            for row in queryset.values("product__sku", "period_start", "step", *BOUND_FIELDS).iterator()
        )
        return csv_download(header=["sku", "period_start", "step", *BOUND_FIELDS], rows=rows, name="forecasts")


class CategoryForecastViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Weekly forecasts per category (the sum of its products), with intervals."""

    serializer_class = CategoryForecastSerializer
    filterset_fields = ["category", "step"]
    ordering = ["category_id", "period_start"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CategoryForecast.objects.none()
        return selectors.category_forecasts_current()


class ForecastModelViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Per product: the chosen model, its demand class and backtest error against naive."""

    serializer_class = ForecastModelSerializer
    filterset_class = ForecastModelFilter
    ordering_fields = ["backtest_error", "baseline_error", "mean_demand"]
    ordering = ["product_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProductForecastModel.objects.none()
        return selectors.forecast_models_current()


class ReorderListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("all", bool, description="every tracked product, not only those due")],
        responses={200: ReorderSuggestionSerializer(many=True)},
    )
    def get(self, request):
        """What to reorder now (stock at or below its reorder point), soonest stock-out first."""
        only_due = request.query_params.get("all", "").lower() not in ("1", "true", "yes")
        rows = selectors.reorder_list(only_due=only_due)
        return Response(
            {
                "run": selectors.forecast_run_id(),
                "weeks_from": selectors.reorder_weeks_from(),
                "results": ReorderSuggestionSerializer(rows, many=True).data,
            }
        )
