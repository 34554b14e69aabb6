"""Reads of forecasts. Readers see the active forecasts run only, so a run still writing
is never seen; reorder suggestions are computed on read from that run and today's stock."""

import datetime as dt

import pandas as pd
from django.conf import settings

from apps.catalogue.models import Product
from apps.core.training.selectors import active_run_id
from apps.forecasts.ml.panel import period_start
from apps.forecasts.models import CategoryForecast, ProductForecast, ProductForecastModel, ReorderPolicy
from apps.forecasts.replenishment import reorder_suggestion
from apps.orders.selectors import merchandise_sales

KIND = "forecasts"


def forecast_run_id() -> int | None:
    return active_run_id(kind=KIND)


def product_forecasts_current():
    return ProductForecast.objects.filter(run_id=forecast_run_id()).select_related("product")


def category_forecasts_current():
    return CategoryForecast.objects.filter(run_id=forecast_run_id()).select_related("category")


def forecast_models_current():
    return ProductForecastModel.objects.filter(run_id=forecast_run_id()).select_related("product")


def product_weekly_history(product_id: int, *, weeks: int = 52, before=None) -> list[tuple[dt.date, float]]:
    """Units sold per week (zero weeks included) over the last `weeks` whole weeks before
    `before` (the start of the active forecast by default)."""
    sales = merchandise_sales(product_id=product_id)
    if before is None:
        first = product_forecasts_current().filter(product_id=product_id).order_by("period_start").first()
        before = first.period_start if first else None
    if sales.empty or before is None:
        return []
    end = pd.Timestamp(before)
    periods = pd.date_range(end=end - pd.Timedelta(weeks=1), periods=weeks, freq="W-MON")
    local_times = sales["placed_at"].dt.tz_convert(settings.TIME_ZONE)
    weekly = sales.groupby(period_start(local_times, "W"))["quantity"].sum()
    weekly = weekly.reindex(periods, fill_value=0)
    return [(period.date(), float(value)) for period, value in weekly.items()]


def reorder_policy_for(product: Product) -> dict:
    try:
        policy = product.reorder_policy
    except ReorderPolicy.DoesNotExist:
        return {
            "lead_time_days": settings.FORECAST_DEFAULT_LEAD_TIME_DAYS,
            "service_level": settings.FORECAST_DEFAULT_SERVICE_LEVEL,
            "review_period_days": 7,
        }
    return {
        "lead_time_days": policy.lead_time_days,
        "service_level": policy.service_level,
        "review_period_days": policy.review_period_days,
    }


def reorder_weeks_from(today: dt.date | None = None) -> dt.date | None:
    """The first forecast week a reorder suggestion counts: the current week, so weeks
    already past are not demand still to come. A forecast that lies wholly in the past
    (a store whose data stopped, the demo's 2011 log) is read from its own first week."""
    today = today or dt.date.today()
    current_week = today - dt.timedelta(days=today.weekday())
    periods = product_forecasts_current().values_list("period_start", flat=True)
    last = periods.order_by("-period_start").first()
    if last is None:
        return None
    return current_week if last >= current_week else periods.order_by("period_start").first()


def reorder_list(*, only_due: bool = True, today: dt.date | None = None) -> list[dict]:
    """Products whose stock is tracked, with their suggestion from the active forecast:
    what to reorder now (or every tracked product), soonest expected stock-out first."""
    rows_by_product: dict[int, list] = {}
    weeks_from = reorder_weeks_from(today)
    forecasts = (
        product_forecasts_current()
        .filter(product__stock_on_hand__isnull=False, period_start__gte=weeks_from)
        .order_by("period_start")
    )
    for row in forecasts.values("product_id", "period_start", "forecast", "upper_80"):
        rows_by_product.setdefault(row["product_id"], []).append(row)
    products = Product.objects.filter(pk__in=rows_by_product).select_related("reorder_policy")
    suggestions = []
    for product in products:
        rows = rows_by_product[product.pk]
        policy = reorder_policy_for(product)
        suggestion = reorder_suggestion(
            periods=[row["period_start"] for row in rows],
            forecast=[row["forecast"] for row in rows],
            upper_80=[row["upper_80"] for row in rows],
            stock_on_hand=product.stock_on_hand,
            **policy,
        )
        if only_due and not suggestion.reorder_now:
            continue
        suggestions.append({"product": product, **policy, **suggestion.__dict__})
    far_future = dt.date.max
    return sorted(suggestions, key=lambda row: (row["stockout_period"] or far_future, row["product"].sku))
