"""When to reorder and how much, from a product's forecast (no Django).

A periodic-review order-up-to policy: every `review_period_days` the buyer looks at the
stock; if it is at or below the reorder point (expected demand over the lead time plus
safety stock), they order up to the level that covers the lead time and the next review
period. Weekly forecast uncertainty is read from the 80% interval (half-width / 1.2816 is
one standard deviation for a normal error) and weeks are treated as independent. Beyond
the forecast horizon the last week's forecast is assumed to continue.
"""

import math
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

Z_80 = NormalDist().inv_cdf(0.9)


@dataclass(frozen=True)
class ReorderSuggestion:
    lead_time_demand: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    order_quantity: int
    reorder_now: bool
    # The first forecast period in which expected demand exceeds stock; None beyond the horizon.
    stockout_period: date | None


def reorder_suggestion(
    *,
    periods: list[date],
    forecast: list[float],
    upper_80: list[float],
    stock_on_hand: int,
    lead_time_days: int,
    review_period_days: int,
    service_level: float,
) -> ReorderSuggestion:
    if not 0.5 <= service_level < 1:
        raise ValueError(f"service_level must be in [0.5, 1), not {service_level}")
    sigma = [max(0.0, high - point) / Z_80 for point, high in zip(forecast, upper_80, strict=True)]
    z = NormalDist().inv_cdf(service_level)
    lead_mean, lead_variance = _over(forecast, sigma, lead_time_days / 7)
    cover_mean, cover_variance = _over(forecast, sigma, (lead_time_days + review_period_days) / 7)
    safety = z * math.sqrt(lead_variance)
    reorder_point = lead_mean + safety
    order_up_to = cover_mean + z * math.sqrt(cover_variance)
    quantity = max(0, math.ceil(order_up_to - stock_on_hand)) if stock_on_hand <= reorder_point else 0
    reorder_now = quantity > 0  # nothing expected to sell and nothing in stock: nothing to order
    return ReorderSuggestion(
        lead_time_demand=round(lead_mean, 3),
        safety_stock=round(safety, 3),
        reorder_point=round(reorder_point, 3),
        order_up_to=round(order_up_to, 3),
        order_quantity=quantity,
        reorder_now=reorder_now,
        stockout_period=_stockout(periods, forecast, stock_on_hand),
    )


def _over(forecast: list[float], sigma: list[float], weeks: float) -> tuple[float, float]:
    """Expected demand and its variance over the next `weeks` (a fraction of a week counts
    its share of that week's demand and variance)."""
    mean = variance = 0.0
    step = 0
    while weeks > 0:
        share = min(1.0, weeks)
        index = min(step, len(forecast) - 1)
        mean += share * forecast[index]
        variance += share * sigma[index] ** 2
        weeks -= share
        step += 1
    return mean, variance


def _stockout(periods: list[date], forecast: list[float], stock: int) -> date | None:
    cumulative = 0.0
    for period, demand in zip(periods, forecast, strict=True):
        cumulative += demand
        if cumulative > stock:
            return period
    return None
