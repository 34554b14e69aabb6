"""Behavioural features of each customer, computed from their order lines, and the scaled
matrix the clustering models see. RFM alone says how recently, how often and how much;
segments also differ in how big their baskets are, how wide a range they buy, how much they
send back and how long they have been customers, so those are measured here too.

Input, the "lines" frame: one row per order line of a known customer, with columns
    customer_id (int), order_id (int), product_id (int),
    placed_at (tz-aware UTC datetime64; every line of an order carries the order's time),
    quantity (int; negative for cancellations and returns),
    amount (float; quantity x unit price, negative for cancellations and returns),
and `as_of`, a tz-aware datetime: the moment the features describe. Lines placed after
`as_of` are ignored, so a full log can be replayed at any cutoff.

Rules (one row per customer who has any line up to `as_of`):
- A purchase order is an order whose lines net to a positive amount; cancellation and
  return orders (and orders that net to zero, e.g. free samples) are not purchases.
- recency_days and tenure_days are whole days elapsed from the last and the first purchase
  to `as_of`, rounded down as the RFM table does: a purchase less than a day before `as_of`
  (the cutoff day) has recency 0.
- frequency counts purchase orders; basket_size is the mean net quantity of a purchase order
  (0 without purchases); product_variety counts distinct products on positive lines of
  purchase orders.
- monetary is the net spend: every line's amount summed, cancellations and returns netted.
  It can be zero or negative (returns of goods bought before the log starts); it is kept as
  is here and clipped at 0 in the model matrix.
- return_rate is the returned amount (negative lines) over the gross purchased amount
  (positive lines), clipped to [0, 1]; 0 when nothing was returned.
- A customer whose lines are all returns has frequency, basket_size and product_variety 0,
  return_rate 1, and recency and tenure measured from their last and first line: a return
  follows a purchase, so those dates are the closest the log gets to when they bought.
"""

import datetime as dt

import numpy as np
import pandas as pd
from sklearn.preprocessing import RobustScaler, StandardScaler

LINE_COLUMNS = ("customer_id", "order_id", "product_id", "placed_at", "quantity", "amount")
FEATURE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "basket_size",
    "product_variety",
    "return_rate",
    "tenure_days",
)
# Heavy-tailed counts and amounts enter the model on a log scale; return_rate is a share already.
LOG_COLUMNS = ("recency_days", "frequency", "monetary", "basket_size", "product_variety", "tenure_days")
MODEL_COLUMNS = LOG_COLUMNS + ("return_rate",)
SECONDS_PER_DAY = 86_400


def customer_features(lines: pd.DataFrame, *, as_of: dt.datetime) -> pd.DataFrame:
    """One row per customer, indexed by customer_id (ascending), with FEATURE_COLUMNS.
    Vectorised over integer codes (np.bincount), so a million customers take seconds."""
    as_of = pd.Timestamp(as_of)
    after_cutoff = (lines["placed_at"] > as_of).to_numpy()
    if after_cutoff.any():
        lines = lines.loc[~after_cutoff]
    if lines.empty:
        empty = pd.DataFrame({name: pd.Series(dtype=_dtype(name)) for name in FEATURE_COLUMNS})
        return empty.rename_axis("customer_id")

    customer_code, customer_ids = pd.factorize(lines["customer_id"], sort=True)
    n_customers = len(customer_ids)
    amount = lines["amount"].to_numpy(dtype=np.float64)
    quantity = lines["quantity"].to_numpy(dtype=np.float64)

    def per_customer(codes, weights=None):
        return np.bincount(codes, weights=weights, minlength=n_customers)

    monetary = per_customer(customer_code, amount)
    gross = per_customer(customer_code, np.clip(amount, 0.0, None))
    returned = per_customer(customer_code, np.clip(-amount, 0.0, None))

    # Orders: net amount and quantity, and the order's time (its latest line; all lines share it in practice).
    order_keys = pd.DataFrame({"customer": customer_code, "order": lines["order_id"].to_numpy()})
    order_code = order_keys.groupby(["customer", "order"], sort=False).ngroup().to_numpy()
    n_orders = int(order_code.max()) + 1
    order_net = np.bincount(order_code, weights=amount, minlength=n_orders)
    order_quantity = np.bincount(order_code, weights=quantity, minlength=n_orders)
    order_customer = np.empty(n_orders, dtype=np.int64)
    order_customer[order_code] = customer_code
    order_time = lines["placed_at"].groupby(order_code).max().reset_index(drop=True)
    is_purchase = order_net > 0

    frequency = per_customer(order_customer[is_purchase])
    quantity_bought = per_customer(order_customer[is_purchase], order_quantity[is_purchase])
    basket_size = quantity_bought / np.maximum(frequency, 1)  # 0 for customers without a purchase

    # Without a purchase, the customer's own lines stand in for the purchase dates (see above).
    any_times = order_time.groupby(order_customer).agg(["min", "max"])
    purchase_times = order_time[is_purchase].groupby(order_customer[is_purchase]).agg(["min", "max"])
    purchase_times = purchase_times.reindex(range(n_customers)).fillna(any_times)

    bought = (quantity > 0) & is_purchase[order_code]
    product_code, product_ids = pd.factorize(lines["product_id"])
    # Distinct (customer, product) pairs as one int64 key: hashing one column beats drop_duplicates on two.
    pairs = pd.unique(customer_code[bought].astype(np.int64) * len(product_ids) + product_code[bought])
    product_variety = per_customer(pairs // len(product_ids))

    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(gross > 0, returned / gross, np.where(returned > 0, 1.0, 0.0))

    table = pd.DataFrame(
        {
            "recency_days": _whole_days(as_of - purchase_times["max"]),
            "frequency": frequency,
            "monetary": np.round(monetary, 3),
            "basket_size": np.clip(basket_size, 0.0, None),
            "product_variety": product_variety,
            "return_rate": np.clip(rate, 0.0, 1.0),
            "tenure_days": _whole_days(as_of - purchase_times["min"]),
        },
        index=pd.Index(np.asarray(customer_ids), name="customer_id"),
    )
    return table.astype({name: _dtype(name) for name in FEATURE_COLUMNS})


def transformed_features(features: pd.DataFrame) -> pd.DataFrame:
    """The features on the scale the models use, before standardising: log1p of the counts,
    days and amounts (negatives clipped at 0 first, so net refunds read as no spend), the
    return rate as a share in [0, 1]. Never NaN or inf."""
    values = {}
    for name in LOG_COLUMNS:
        column = np.nan_to_num(features[name].to_numpy(dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
        values[name] = np.log1p(np.clip(column, 0.0, None))
    rate = np.nan_to_num(features["return_rate"].to_numpy(dtype=float), nan=0.0, posinf=1.0, neginf=0.0)
    values["return_rate"] = np.clip(rate, 0.0, 1.0)
    return pd.DataFrame(values, index=features.index)[list(MODEL_COLUMNS)]


def model_matrix(
    features: pd.DataFrame, *, scaling: str = "standard"
) -> tuple[np.ndarray, StandardScaler | RobustScaler]:
    """(matrix, fitted scaler): transformed_features scaled column by column, columns in
    MODEL_COLUMNS order, rows in the order of `features`.

    "standard" (the default) gives every column mean 0 and variance 1, so k-means weighs the
    seven behaviours equally; after the log transform the tails are mild enough for it.
    "robust" centres on the median and divides by the interquartile range, which leaves a
    column such as return_rate (mostly 0, IQR 0) unscaled and so weighs columns unevenly.
    Constant columns scale to 0 in both, never to NaN."""
    if scaling not in ("standard", "robust"):
        raise ValueError("scaling must be standard or robust")
    values = transformed_features(features).to_numpy(dtype=np.float64)
    scaler = StandardScaler() if scaling == "standard" else RobustScaler()
    if len(values) == 0:
        return values, scaler
    matrix = scaler.fit_transform(values)
    return np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0), scaler


def _whole_days(elapsed: pd.Series) -> np.ndarray:
    return np.maximum(elapsed.dt.total_seconds().to_numpy() // SECONDS_PER_DAY, 0).astype(np.int64)


def _dtype(name: str) -> str:
    return "float64" if name in ("monetary", "basket_size", "return_rate") else "int64"
