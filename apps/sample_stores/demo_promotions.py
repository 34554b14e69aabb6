"""The demo's promotions: the Hillstrom e-mail experiment as a campaign log (or a generated one of
its shape), and a few live promotions so the pricing API and the results pages have something to
show: 10% off everything with a 10% control group, a coupon promotion with codes, free shipping; and
a past promotion over the order log's last month with a 20% control group, so that its results page
compares the groups on real orders (and can become a campaign log)."""

import datetime
from decimal import Decimal
from pathlib import Path

from django.db.models import Max
from django.utils import timezone

from apps.orders.models import Order
from apps.promotions.campaign_logs import campaign_log_import, read_log_file
from apps.promotions.models import CampaignLog, Promotion
from apps.promotions.services import coupons_generate
from apps.sample_stores.sample_campaign import sample_campaign_log

HILLSTROM_NAME = "Hillstrom e-mail experiment (MineThatData, 2008)"
SAMPLE_NAME = "Generated e-mail experiment (Hillstrom's shape)"


def demo_promotions(*, data_dir: Path, write) -> None:
    path = data_dir / "hillstrom" / "hillstrom.csv.gz"
    if not CampaignLog.objects.filter(name__in=[HILLSTROM_NAME, SAMPLE_NAME]).exists():
        if path.exists():
            frame, name = read_log_file(path), HILLSTROM_NAME
        else:
            frame, name = sample_campaign_log().astype(str), SAMPLE_NAME
            write(f"{path} not found: a generated e-mail experiment of the same shape")
        # conversion and spend are outcomes too: only visit is learned from, the others are left out.
        frame = frame.drop(columns=[c for c in ("conversion", "spend") if c in frame.columns])
        log = campaign_log_import(
            frame=frame,
            name=name,
            treatment_col="segment",
            control="No E-Mail",
            outcome_col="visit",
            file_name=path.name,
        )
        write(f"Campaign log {log.name!r}: {log.rows:,} customers")
    if Promotion.objects.exists():
        return
    start = timezone.now() - datetime.timedelta(days=14)
    Promotion.objects.create(
        name="Winter sale: 10% off everything",
        kind=Promotion.Kind.PERCENT_OFF,
        value=Decimal("10"),
        starts_at=start,
        ends_at=start + datetime.timedelta(days=60),
        status=Promotion.Status.ACTIVE,
        holdout_percent=Decimal("10"),
        budget=Decimal("5000"),
    )
    vip = Promotion.objects.create(
        name="VIP code: 5.00 off orders over 40",
        kind=Promotion.Kind.SPEND_AND_SAVE,
        value=Decimal("5"),
        min_spend=Decimal("40"),
        eligibility=Promotion.Eligibility.COUPON_HOLDERS,
        exclusive=True,
        starts_at=start,
        status=Promotion.Status.ACTIVE,
        per_customer_limit=1,
    )
    codes = coupons_generate(promotion=vip, count=20, prefix="VIP-")
    Promotion.objects.create(
        name="Free shipping over 60",
        kind=Promotion.Kind.FREE_SHIPPING,
        min_spend=Decimal("60"),
        starts_at=start,
        status=Promotion.Status.ACTIVE,
    )
    last_order = Order.objects.aggregate(last=Max("placed_at"))["last"]
    if last_order is not None:
        Promotion.objects.create(
            name="Last month of the log: 5% off (past, 20% held out)",
            description="Demo: laid over the historical orders, so the groups differ by chance only.",
            kind=Promotion.Kind.PERCENT_OFF,
            value=Decimal("5"),
            starts_at=last_order - datetime.timedelta(days=30),
            ends_at=last_order + datetime.timedelta(days=1),
            status=Promotion.Status.STOPPED,
            holdout_percent=Decimal("20"),
        )
    write(f"Promotions: 3 live, 1 past; coupon codes for the VIP offer include {codes[0]} and {codes[1]}")
