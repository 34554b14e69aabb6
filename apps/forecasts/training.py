"""The forecasts kind on the training platform: weekly demand of every merchandise product
that has sold, forecast `horizon` weeks ahead by the model its backtests chose, with 80%
and 95% intervals, summed per category. The work (each global model, and the local models
on chunks of products) is fanned out over the workers of the ml queue."""

import time

import numpy as np
import pandas as pd
from celery import group
from django.conf import settings

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.core.training.trainer import Trainer, TrainingOutcome
from apps.forecasts.chunk_fitting import gather, item_compute, work_items
from apps.forecasts.fanout import chunk_summary, chunks_create, chunks_gather
from apps.forecasts.ml.base import ForecastInput
from apps.forecasts.ml.demand import demand_class
from apps.forecasts.ml.forecaster import (
    forecast_panel,
)
from apps.forecasts.ml.panel import panel_from_long, period_start
from apps.forecasts.models import CategoryForecast, ForecastChunk, ProductForecast, ProductForecastModel
from apps.orders.selectors import merchandise_sales

SEASON_LENGTH = 52  # weeks
PUBLISH_BATCH = 5_000
BOUNDS = ("lower_80", "upper_80", "lower_95", "upper_95")


def default_parameters() -> dict:
    return {
        "horizon": settings.FORECAST_HORIZON,
        "origins": settings.FORECAST_BACKTEST_ORIGINS,
        "chunk_series": settings.FORECAST_CHUNK_SERIES,
        "lstm": True,
        "random_state": 0,
    }


class ForecastsTrainer(Trainer):
    kind = "forecasts"
    serving_without_run = "No forecasts: the accuracy and reorder pages and the forecasts API are empty."
    result_models = (ProductForecast, CategoryForecast, ProductForecastModel, ForecastChunk)

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        params = {**default_parameters(), **parameters}
        for name in ("horizon", "origins", "chunk_series"):
            if int(params[name]) < 1:
                raise ValueError(f"Parameter {name} must be at least 1, not {params[name]!r}.")
        seconds: dict[str, float] = {}
        report(3, "Reading sales")
        sales = merchandise_sales(before=cutoff)
        if sales.empty:
            return _refused("No merchandise sales before the cutoff: nothing to forecast.")
        # Weeks as the store lives them (Monday 00:00 local time), whole weeks only: the week
        # holding the cutoff (or the last sale) is still selling.
        sales["placed_at"] = sales["placed_at"].dt.tz_convert(settings.TIME_ZONE)
        last_moment = (
            pd.Timestamp(cutoff).tz_convert(settings.TIME_ZONE)
            if cutoff
            else sales["placed_at"].max() + pd.Timedelta(days=1)
        )
        end = period_start(pd.Series([last_moment]), "W").iloc[0]
        sales = sales[period_start(sales["placed_at"], "W") < end]
        if sales.empty:
            return _refused("No whole week of sales before the cutoff: nothing to forecast.")
        panel = panel_from_long(
            sales, id_col="product_id", date_col="placed_at", value_col="quantity", freq="W", end=end, week_start=0
        )
        data = ForecastInput(
            panel.values, panel.periods, int(params["horizon"]), SEASON_LENGTH, random_state=params["random_state"]
        )
        origins = int(params["origins"])

        report(8, f"Forecasting {len(panel):,} products over {len(panel.periods)} weeks")
        started = time.perf_counter()
        payloads = work_items(
            data, origins=origins, chunk_series=int(params["chunk_series"]), lstm=bool(params["lstm"])
        )
        if self.run_id is None:  # outside the platform: no workers to share with
            results = [item_compute(payload) for payload in payloads]
        else:
            chunks_create(run_id=self.run_id, payloads=payloads)
            _send_helpers(self.run_id, len(payloads))
            results = self.work_chunks(report)
        fitted = gather(payloads, results, len(panel))
        seconds["fit"] = time.perf_counter() - started
        seconds.update({f"model:{name}": round(value, 3) for name, value in fitted.seconds.items()})

        report(82, "Choosing a model per product")
        result = forecast_panel(data, fitted)
        classes = demand_class(panel.values)
        metrics = _metrics(panel, result, classes, params, seconds)
        if self.run_id is not None:
            metrics["chunks_by_worker"] = chunk_summary(self.run_id)
        passed, reason = _gate(result, metrics)
        return TrainingOutcome(
            metrics=metrics,
            gate_passed=passed,
            gate_reason=reason,
            results={"panel": panel, "forecast": result, "classes": classes},
        )

    def work_chunks(self, report) -> list[bytes]:
        """Fit work items alongside the helpers until every item is done; their results in
        item order."""
        worker = TrainingRun.objects.filter(pk=self.run_id).values_list("worker_host", flat=True).first()
        return chunks_gather(
            run_id=self.run_id,
            worker=worker or "run worker",
            compute=item_compute,
            on_progress=lambda done, total: report(10 + 70 * done // total, f"Fitted {done} of {total} work items"),
        )

    def publish(self, *, run, outcome) -> None:
        if outcome.results is None:  # refused before forecasting: nothing to write
            return
        panel, result, classes = (outcome.results[key] for key in ("panel", "forecast", "classes"))
        product_ids = [int(value) for value in panel.series_ids]
        periods = [period.date() for period in result.periods]
        columns = result.columns()
        ProductForecast.objects.bulk_create(
            (
                ProductForecast(
                    run=run,
                    product_id=product_id,
                    period_start=period,
                    step=step + 1,
                    **{name: float(values[row, step]) for name, values in columns.items()},
                )
                for row, product_id in enumerate(product_ids)
                for step, period in enumerate(periods)
            ),
            batch_size=PUBLISH_BATCH,
        )
        ProductForecastModel.objects.bulk_create(
            (
                ProductForecastModel(
                    run=run,
                    product_id=product_id,
                    model_name=str(result.chosen[row]),
                    demand_class=str(classes[row]),
                    backtest_error=_finite_or_none(result.chosen_error[row]),
                    baseline_error=_finite_or_none(result.baseline_error[row]),
                    history_periods=len(panel.periods),
                    selling_periods=int((panel.values[row] > 0).sum()),
                    mean_demand=float(panel.values[row].mean()),
                )
                for row, product_id in enumerate(product_ids)
            ),
            batch_size=PUBLISH_BATCH,
        )
        CategoryForecast.objects.bulk_create(
            _category_rows(run, product_ids, periods, columns), batch_size=PUBLISH_BATCH
        )
        # The chunks were the run's working space; its published rows are what stays.
        ForecastChunk.objects.filter(run=run).delete()


def _send_helpers(run_id: int, chunk_count: int) -> None:
    from apps.forecasts.tasks import fit_chunks

    helpers = min(settings.FORECAST_HELPER_TASKS, chunk_count - 1)
    if helpers > 0:
        group(fit_chunks.si(run_id) for _ in range(helpers)).apply_async()


def _category_rows(run, product_ids, periods, columns):
    """Category totals. Intervals assume products vary independently: the half-widths add
    in quadrature (a sum of upper bounds would claim far more uncertainty than there is)."""
    categories = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "category_id"))
    keys = np.array([categories.get(product_id) or 0 for product_id in product_ids])
    point = columns["forecast"]
    for key in np.unique(keys):
        rows = keys == key
        total = point[rows].sum(axis=0)
        bounds = {}
        for name in BOUNDS:
            half_width = np.sqrt(((columns[name][rows] - point[rows]) ** 2).sum(axis=0))
            bounds[name] = np.clip(total - half_width, 0, None) if name.startswith("lower") else total + half_width
        for step, period in enumerate(periods):
            yield CategoryForecast(
                run=run,
                category_id=int(key) or None,
                period_start=period,
                step=step + 1,
                forecast=float(total[step]),
                **{name: float(values[step]) for name, values in bounds.items()},
            )


def _metrics(panel, result, classes, params, seconds) -> dict:
    class_names, class_counts = np.unique(classes.astype(str), return_counts=True)
    metrics = {
        "products": len(panel),
        "weeks": len(panel.periods),
        "first_week": panel.periods[0].date().isoformat(),
        "last_week": panel.periods[-1].date().isoformat(),
        "horizon": int(params["horizon"]),
        "chosen_models": result.mix(),
        "demand_classes": {str(name): int(count) for name, count in zip(class_names, class_counts, strict=True)},
        "negative_weeks_set_to_zero": panel.notes.get("negative_periods_set_to_zero", 0),
        "seconds": {name: round(value, 3) for name, value in seconds.items()},
    }
    if result.selection is not None:
        selection = result.selection
        metrics.update(
            {
                "default_model": selection.default_model,
                "switch_margin": selection.switch_margin,
                "backtest_error": {name: round(value, 4) for name, value in selection.pooled_errors.items()},
                "selected_backtest_error": round(float(np.nanmean(result.chosen_error)), 4),
                "naive_backtest_error": round(float(np.nanmean(result.baseline_error)), 4),
            }
        )
    return metrics


def _gate(result, metrics) -> tuple[bool, str]:
    """Every number finite and never negative; the chosen models beat the naive baseline
    in the backtests (when there were backtests)."""
    values = np.stack([result.forecast, *result.bounds.values()])
    if not np.isfinite(values).all() or (values < 0).any():
        return False, "Some forecasts are not finite, non-negative numbers."
    selected, naive = metrics.get("selected_backtest_error"), metrics.get("naive_backtest_error")
    if selected is None:
        return True, f"{metrics['products']:,} products forecast by the fallback (too little history to backtest)."
    if selected > naive:
        return (
            False,
            f"The chosen models' backtest error {selected:.3f} is worse than the naive forecast's {naive:.3f}.",
        )
    return True, f"{metrics['products']:,} products; backtest error {selected:.3f} against naive {naive:.3f}."


def _refused(reason: str) -> TrainingOutcome:
    return TrainingOutcome(metrics={"products": 0}, gate_passed=False, gate_reason=reason, results=None)


def _finite_or_none(value) -> float | None:
    value = float(value)
    return round(value, 4) if np.isfinite(value) else None
