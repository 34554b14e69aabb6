"""Staff pages for forecasts: every product's model and backtest error against naive
(sortable by accuracy and by expected stock-out), a product page with history, forecast
and intervals drawn, the reorder list, and reorder policies."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.catalogue.models import Product
from apps.core.admin_export import CsvExportMixin
from apps.core.charts import Band, time_lines
from apps.forecasts import selectors
from apps.forecasts.models import ProductForecastModel, ReorderPolicy


@admin.register(ProductForecastModel)
class ProductForecastModelAdmin(CsvExportMixin, admin.ModelAdmin):
    """Forecast accuracy of the active run, one row per product."""

    list_display = (
        "product_link",
        "model_name",
        "demand_class",
        "backtest_error",
        "baseline_error",
        "improvement_shown",
        "mean_demand",
        "selling_periods",
    )
    list_filter = ("model_name", "demand_class")
    search_fields = ("product__sku", "product__name")
    ordering = (F("backtest_error").asc(nulls_last=True),)
    csv_fields = ("product__sku", "model_name", "demand_class", "backtest_error", "baseline_error", "mean_demand")

    def get_queryset(self, request):
        return selectors.forecast_models_current()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        extra = [
            path("product/<int:product_id>/", self.admin_site.admin_view(self.product_view), name="forecasts_product"),
            path("reorder/", self.admin_site.admin_view(self.reorder_view), name="forecasts_reorder"),
        ]
        return extra + super().get_urls()

    @admin.display(description="product", ordering="product__sku")
    def product_link(self, obj):
        url = reverse("admin:forecasts_product", args=[obj.product_id])
        return format_html('<a href="{}">{} {}</a>', url, obj.product.sku, obj.product.name[:40])

    @admin.display(description="error removed vs naive")
    def improvement_shown(self, obj):
        value = obj.improvement
        return "" if value is None else f"{value:.0%}"

    def product_view(self, request, product_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        product = get_object_or_404(Product, pk=product_id)
        forecasts = list(selectors.product_forecasts_current().filter(product=product).order_by("period_start"))
        model = selectors.forecast_models_current().filter(product=product).first()
        history = selectors.product_weekly_history(product_id, before=forecasts[0].period_start) if forecasts else []
        context = {
            **self.admin_site.each_context(request),
            "title": f"Forecast: {product.sku} {product.name}",
            "opts": self.model._meta,
            "product": product,
            "forecasts": forecasts,
            "model": model,
            "run_id": selectors.forecast_run_id(),
            "chart": _forecast_chart(history, forecasts) if forecasts else None,
        }
        return TemplateResponse(request, "admin/forecasts/product.html", context)

    def reorder_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        show_all = request.GET.get("all") == "1"
        context = {
            **self.admin_site.each_context(request),
            "title": "Reorder list",
            "opts": self.model._meta,
            "rows": selectors.reorder_list(only_due=not show_all),
            "show_all": show_all,
            "weeks_from": selectors.reorder_weeks_from(),
            "run_id": selectors.forecast_run_id(),
        }
        return TemplateResponse(request, "admin/forecasts/reorder.html", context)


def _forecast_chart(history, forecasts):
    periods = [period.isoformat() for period, _ in history] + [row.period_start.isoformat() for row in forecasts]
    start = len(history)
    return time_lines(
        periods,
        [
            ("units sold", 0, [value for _, value in history]),
            ("forecast", start, [row.forecast for row in forecasts]),
        ],
        bands=[
            Band("95% interval", start, [row.lower_95 for row in forecasts], [row.upper_95 for row in forecasts], 0.2),
            Band("80% interval", start, [row.lower_80 for row in forecasts], [row.upper_80 for row in forecasts], 0.35),
        ],
        title="Weekly units: history, forecast and intervals",
        # Scaled to the sales and the 80% band: a wide 95% band is cut at the top, not allowed
        # to flatten the history into the axis.
        y_max=1.1 * max([value for _, value in history] + [row.upper_80 for row in forecasts] + [1.0]),
    )


@admin.register(ReorderPolicy)
class ReorderPolicyAdmin(admin.ModelAdmin):
    list_display = ("product", "lead_time_days", "review_period_days", "service_level")
    search_fields = ("product__sku", "product__name")
    autocomplete_fields = ("product",)
