"""Reads for a promotion's results page: who was in the experiment, treatment against control on
conversion and revenue per customer (with 95% intervals), redemptions and spend over time, and the
click-through figures the channels reported.

The experiment's population is the known customers the promotion was for: everyone who had ordered
by the end of the window, the saved segment's members, the customers with no order before the start
(new customers), or the owners of its coupons. Each is in the control group or not by the same hash
the quotes use, so the comparison needs nothing stored per customer. The outcome window runs from
the start to the end (or now): a conversion is any sale in it, revenue the sales' total."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db.models import Count, Exists, OuterRef, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.customers.models import Customer
from apps.orders.models import Order
from apps.promotions.experiment import in_control_group
from apps.promotions.ml.lift import Lift, mean_lift, rate_lift
from apps.promotions.models import Promotion, PromotionEvent, Redemption


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    impressions: int
    clicks: int

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None


@dataclass(frozen=True)
class PromotionResults:
    window_start: datetime.datetime
    window_end: datetime.datetime
    treatment_size: int
    control_size: int
    conversion: Lift | None
    revenue: Lift | None
    # (day, redemptions, saving given that day)
    daily: list[tuple[datetime.date, int, Decimal]]
    channels: list[ChannelFigures]
    population_note: str

    @property
    def redemptions(self) -> int:
        return sum(count for _, count, _ in self.daily)

    @property
    def cvr(self) -> float | None:
        """Redemptions per reported click (redemptions are not tied to a channel)."""
        clicks = sum(channel.clicks for channel in self.channels)
        return self.redemptions / clicks if clicks else None


def experiment_population(promotion: Promotion, *, window_end):
    customers = Customer.objects.all()
    sales = Order.objects.filter(customer=OuterRef("pk"), kind=Order.Kind.SALE)
    eligibility = promotion.eligibility
    if eligibility == Promotion.Eligibility.SEGMENT and promotion.saved_segment_id:
        from apps.segments.selectors import saved_segment_members

        members = saved_segment_members(promotion.saved_segment).values("customer_id")
        return customers.filter(pk__in=members), "members of the saved segment"
    if eligibility == Promotion.Eligibility.NEW_CUSTOMERS:
        before = sales.filter(placed_at__lt=promotion.starts_at)
        during = sales.filter(placed_at__gte=promotion.starts_at, placed_at__lt=window_end)
        return customers.filter(~Exists(before), Exists(during)), "customers whose first order fell in the window"
    if eligibility == Promotion.Eligibility.COUPON_HOLDERS:
        return customers.filter(coupons__promotion=promotion).distinct(), "owners of the promotion's coupons"
    return customers.filter(Exists(sales.filter(placed_at__lt=window_end))), "customers who had ordered by the end"


def promotion_results(*, promotion: Promotion, now=None) -> PromotionResults:
    now = now or timezone.now()
    window_end = min(promotion.ends_at, now) if promotion.ends_at else now
    population, note = experiment_population(promotion, window_end=window_end)
    people = list(population.values_list("pk", "source", "external_id"))
    outcome = dict(
        Order.objects.filter(
            customer_id__in=population.values("pk"),
            kind=Order.Kind.SALE,
            placed_at__gte=promotion.starts_at,
            placed_at__lt=window_end,
        )
        .values("customer_id")
        .annotate(revenue=Sum("total_amount"))
        .values_list("customer_id", "revenue")
    )
    groups: dict[bool, list[float]] = {True: [], False: []}
    for pk, source, external_id in people:
        held_out = in_control_group(
            promotion_id=promotion.pk, customer_key=f"{source}:{external_id}", percent=promotion.holdout_percent
        )
        revenue = outcome.get(pk)
        groups[held_out].append(float(revenue) if revenue is not None else np.nan)

    treated, control = np.array(groups[False]), np.array(groups[True])
    conversion = rate_lift(
        treatment_hits=int(np.sum(~np.isnan(treated))),
        treatment_size=len(treated),
        control_hits=int(np.sum(~np.isnan(control))),
        control_size=len(control),
    )
    revenue = mean_lift(np.nan_to_num(treated), np.nan_to_num(control))
    return PromotionResults(
        window_start=promotion.starts_at,
        window_end=window_end,
        treatment_size=len(treated),
        control_size=len(control),
        conversion=conversion,
        revenue=revenue,
        daily=daily_redemptions(promotion),
        channels=channel_figures(promotion),
        population_note=note,
    )


def daily_redemptions(promotion: Promotion) -> list[tuple[datetime.date, int, Decimal]]:
    rows = (
        Redemption.objects.filter(promotion=promotion)
        .annotate(day=TruncDate("redeemed_at"))
        .values("day")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("day")
    )
    return [(row["day"], row["count"], row["amount"]) for row in rows]


def channel_figures(promotion: Promotion) -> list[ChannelFigures]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"impression": 0, "click": 0})
    for row in PromotionEvent.objects.filter(promotion=promotion).values("channel", "kind").annotate(n=Count("pk")):
        counts[row["channel"]][row["kind"]] = row["n"]
    return [
        ChannelFigures(channel=channel, impressions=kinds["impression"], clicks=kinds["click"])
        for channel, kinds in sorted(counts.items())
    ]
