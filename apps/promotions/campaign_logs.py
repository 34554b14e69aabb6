"""Campaign logs in the database: imported from a file (checked by the same reader the models use,
so a bad file is refused before anything is stored) or built from a past promotion with a control
group, and read back as a DataFrame for training.

A past promotion's log has one row per customer of its experiment population (see results.py):
`customer`, the group (`offer` or `control`, by the quotes' own hash), `converted` (a sale in the
window) and what was known of the customer at the start: days since their last order, orders and
spend before the start, days since their first order, country."""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from apps.orders.models import Order
from apps.promotions.experiment import in_control_group
from apps.promotions.ml.campaign_log import CampaignLog as CampaignLogData
from apps.promotions.ml.campaign_log import read_campaign_log
from apps.promotions.models import CampaignLog, CampaignLogRow, Promotion

BATCH = 5_000
GZIP_MAGIC = b"\x1f\x8b"
PROMOTION_ARM, PROMOTION_CONTROL = "offer", "control"


class CampaignLogError(ValueError):
    pass


def read_log_file(path: Path) -> pd.DataFrame:
    """A CSV file, gzipped or not, every value kept as text (the reader types the columns); empty
    cells are missing values, as pandas reads them."""
    path = Path(path)
    with open(path, "rb") as handle:
        opener = gzip.open if handle.read(2) == GZIP_MAGIC else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            return pd.read_csv(handle, dtype=str)
    except (UnicodeDecodeError, pd.errors.ParserError, gzip.BadGzipFile, EOFError) as error:
        raise CampaignLogError(f"{path.name}: not a readable CSV file ({error})") from None
    except pd.errors.EmptyDataError:
        raise CampaignLogError(f"{path.name}: the file is empty") from None


def campaign_log_import(
    *,
    frame: pd.DataFrame,
    name: str,
    treatment_col: str,
    control: str,
    outcome_col: str,
    customer_col: str = "",
    file_name: str = "",
    origin: str = CampaignLog.Origin.FILE,
    promotion: Promotion | None = None,
    user=None,
) -> CampaignLog:
    """Check the log as training will read it, then store it whole in one transaction."""
    if CampaignLog.objects.filter(name=name).exists():
        raise CampaignLogError(f"name: a campaign log named {name!r} exists already")
    if customer_col and customer_col not in frame.columns:
        raise CampaignLogError(f"customer column {customer_col!r} is not in the file")
    ignored = [customer_col] if customer_col else []
    features = [c for c in frame.columns if c not in (treatment_col, outcome_col, *ignored)]
    try:
        checked = read_campaign_log(
            frame,
            treatment_col=treatment_col,
            control=control,
            outcome_col=outcome_col,
            feature_cols=features,
            treatments=_every_arm(frame, treatment_col, control),
        )
    except ValueError as error:
        raise CampaignLogError(str(error)) from None
    records = frame.to_dict(orient="records")
    with transaction.atomic():
        log = CampaignLog.objects.create(
            name=name,
            origin=origin,
            promotion=promotion,
            file_name=file_name,
            treatment_column=treatment_col,
            control=control,
            outcome_column=outcome_col,
            customer_column=customer_col,
            arms=list(checked.arms),
            rows=len(records),
            created_by=user,
        )
        CampaignLogRow.objects.bulk_create(
            (CampaignLogRow(log=log, position=i, values=_json_safe(record)) for i, record in enumerate(records)),
            batch_size=BATCH,
        )
    return log


def _every_arm(frame: pd.DataFrame, treatment_col: str, control: str) -> list[str] | None:
    """A stored log keeps every offer it holds; targeting learns each against the control."""
    if treatment_col not in frame.columns:
        return None  # the reader names the missing column
    return sorted({str(v).strip() for v in frame[treatment_col].dropna()} - {str(control).strip()}) or None


def _json_safe(record: dict) -> dict:
    return {key: (None if isinstance(value, float) and np.isnan(value) else value) for key, value in record.items()}


def campaign_log_frame(log: CampaignLog) -> pd.DataFrame:
    values = CampaignLogRow.objects.filter(log=log).order_by("position").values_list("values", flat=True)
    return pd.DataFrame.from_records(list(values.iterator(chunk_size=BATCH)))


def campaign_log_data(log: CampaignLog) -> tuple[CampaignLogData, pd.Series | None]:
    """The stored log read as the models read it, and the customer ids by row when it has them."""
    frame = campaign_log_frame(log)
    ignored = [log.customer_column] if log.customer_column else []
    features = [c for c in frame.columns if c not in (log.treatment_column, log.outcome_column, *ignored)]
    data = read_campaign_log(
        frame,
        treatment_col=log.treatment_column,
        control=log.control,
        outcome_col=log.outcome_column,
        feature_cols=features,
        treatments=log.arms,
    )
    customers = frame[log.customer_column].astype(str) if log.customer_column else None
    return data, customers


def campaign_log_from_promotion(*, promotion: Promotion, user=None) -> CampaignLog:
    """The experiment of a past promotion as a campaign log (see the module docstring)."""
    from apps.promotions.results import experiment_population

    if not promotion.holdout_percent:
        raise CampaignLogError("holdout_percent: the promotion held out no control group to learn from")
    now = timezone.now()
    window_end = min(promotion.ends_at, now) if promotion.ends_at else now
    population, _ = experiment_population(promotion, window_end=window_end)
    start = promotion.starts_at
    sale = Q(orders__kind=Order.Kind.SALE)
    before = sale & Q(orders__placed_at__lt=start)
    during = sale & Q(orders__placed_at__gte=start, orders__placed_at__lt=window_end)
    rows = population.annotate(
        orders_before=Count("orders", filter=before),
        spend_before=Sum("orders__total_amount", filter=before),
        last_order=Max("orders__placed_at", filter=before),
        first_order=Min("orders__placed_at", filter=before),
        orders_during=Count("orders", filter=during),
    ).values_list(
        "source",
        "external_id",
        "country",
        "orders_before",
        "spend_before",
        "last_order",
        "first_order",
        "orders_during",
    )
    records = []
    for source, external_id, country, orders, spend, last, first, during_count in rows.iterator(chunk_size=BATCH):
        key = f"{source}:{external_id}"
        held_out = in_control_group(promotion_id=promotion.pk, customer_key=key, percent=promotion.holdout_percent)
        records.append(
            {
                "customer": key,
                "group": PROMOTION_CONTROL if held_out else PROMOTION_ARM,
                "converted": int(during_count > 0),
                "recency_days": (start - last).days if last else None,
                "orders_before": orders,
                "spend_before": float(spend or 0),
                "tenure_days": (start - first).days if first else 0,
                "country": country,
            }
        )
    if not records:
        raise CampaignLogError("the promotion's experiment has no customers yet")
    frame = pd.DataFrame.from_records(records)
    # A customer with no earlier order has no recency: as long ago as the oldest seen, plus a day.
    frame["recency_days"] = frame["recency_days"].fillna(
        frame["recency_days"].max() + 1 if frame["recency_days"].notna().any() else 0
    )
    name = f"{promotion.name} (promotion {promotion.pk}, {now:%Y-%m-%d %H:%M})"
    return campaign_log_import(
        frame=frame,
        name=name,
        treatment_col="group",
        control=PROMOTION_CONTROL,
        outcome_col="converted",
        customer_col="customer",
        origin=CampaignLog.Origin.PROMOTION,
        promotion=promotion,
        user=user,
    )
