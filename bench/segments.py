"""Benchmark: every segments model on the real UCI Online Retail customers, the pipeline on
a million generated customers, and lifetime value on CDNOW next to the published BG/NBD fit
and its predictive check.

- UCI: the order log's merchandise lines of known customers (cancellations negative, exact
  duplicates dropped), as of the day after the last line: seconds of each model (features,
  RFM, k-means with its stability, deep clustering, CLV) and of all of them together.
  Target: at most 15 s in all.
- Scale: BENCH_CUSTOMERS (default 1,000,000) generated customers with a few orders each:
  RFM + k-means + CLV, whole-pipeline seconds and this process's peak RSS. Target: at most
  300 s and 4 GiB.
- CDNOW: BG/NBD fitted on the 39-week summary, parameters and log-likelihood beside Fader,
  Hardie & Lee (2005); then fit on 1997-01-01..1997-09-30 of the purchase log, predict each
  customer's repeat purchases in the next 39 weeks, and score the product's model against
  BG/NBD (the named peer) and a naive same-rate forecast. Target: RMSE below BG/NBD's and a
  total within 10% of the actual.

    .venv/bin/python bench/segments.py            # prints one JSON line
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.catalogue.stock_codes import kind_of_stock_code  # noqa: E402
from apps.segments.ml.bgnbd import BgNbd  # noqa: E402
from apps.segments.ml.clv import clv_predictive_check  # noqa: E402
from apps.segments.ml.features import customer_features, model_matrix  # noqa: E402
from apps.segments.ml.kmeans import KMeansSegmenter, stability_ari  # noqa: E402
from apps.segments.ml.lifetime_value import customer_lifetime_value  # noqa: E402
from apps.segments.ml.rfm import rfm_table  # noqa: E402
from apps.segments.ml.selection import choose_segmentation  # noqa: E402

DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 1_000_000))
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}


def uci_lines(path: Path) -> pd.DataFrame:
    log = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    log = log[log["CustomerID"].notna()].drop_duplicates()
    merchandise = {code for code in log["StockCode"].unique() if kind_of_stock_code(code) == "merchandise"}
    log = log[log["StockCode"].isin(merchandise) & (log["UnitPrice"] > 0) & (log["Quantity"] != 0)]
    return pd.DataFrame(
        {
            "customer_id": log["CustomerID"].str.removesuffix(".0").astype(np.int64).to_numpy(),
            "order_id": pd.factorize(log["InvoiceNo"])[0],
            "product_id": pd.factorize(log["StockCode"])[0],
            "placed_at": pd.to_datetime(log["InvoiceDate"], utc=True).to_numpy(),
            "quantity": log["Quantity"].astype(np.int64).to_numpy(),
            "amount": (log["Quantity"] * log["UnitPrice"]).to_numpy(),
        }
    )


def generated_lines(customers: int, seed: int = 0) -> pd.DataFrame:
    """A store of the UCI log's shape: a few orders per customer over a year, a few lines
    per order, one order in twenty a return."""
    rng = np.random.default_rng(seed)
    orders_per_customer = 1 + rng.poisson(3.0, customers)
    orders = int(orders_per_customer.sum())
    order_customer = np.repeat(np.arange(1, customers + 1), orders_per_customer)
    lines_per_order = 1 + rng.poisson(2.0, orders)
    start = pd.Timestamp("2010-12-01", tz="UTC").value
    order_time = start + rng.integers(0, 373 * 86_400, orders) * 1_000_000_000
    quantity = rng.integers(1, 13, int(lines_per_order.sum())) * np.where(
        np.repeat(rng.random(orders) < 0.05, lines_per_order), -1, 1
    )
    price = np.round(rng.lognormal(1.0, 0.8, len(quantity)), 2)
    return pd.DataFrame(
        {
            "customer_id": np.repeat(order_customer, lines_per_order),
            "order_id": np.repeat(np.arange(1, orders + 1), lines_per_order),
            "product_id": rng.integers(1, 4_000, len(quantity)),
            "placed_at": pd.to_datetime(np.repeat(order_time, lines_per_order), utc=True),
            "quantity": quantity,
            "amount": quantity * price,
        }
    )


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - started, 2)


def real_store() -> dict:
    lines = uci_lines(DATA / "online_retail" / "online_retail.csv.gz")
    as_of = (lines["placed_at"].max() + pd.Timedelta(days=1)).to_pydatetime()
    started = time.perf_counter()
    features, features_s = timed(customer_features, lines, as_of=as_of)
    rfm, rfm_s = timed(rfm_table, features.reset_index())
    matrix, _ = model_matrix(features)
    choice, clustering_s = timed(choose_segmentation, matrix, features, measure_all=True)
    value, clv_s = timed(customer_lifetime_value, lines, as_of=as_of, horizon_days=90)
    total = round(time.perf_counter() - started, 2)
    kmeans, deep = choice.metrics["kmeans"], choice.metrics["deep"]
    return {
        "customers": len(features),
        "seconds": {
            "features": features_s,
            "rfm": rfm_s,
            "kmeans_with_stability": round(kmeans["seconds"], 2),
            "deep_with_stability": round(deep.get("seconds", 0.0), 2),
            "clustering_total": clustering_s,
            "clv": clv_s,
            "all_models": total,
        },
        "target_seconds": 15,
        "met": total <= 15,
        "chosen": choice.method,
        "k": choice.k,
        "silhouette": {"kmeans": round(kmeans["silhouette"], 3), "deep": round(deep.get("silhouette", 0.0), 3)},
        "stability_ari_mean": {
            "kmeans": round(kmeans["stability_ari_mean"], 3),
            "deep": round(deep.get("stability_ari_mean", 0.0), 3),
        },
        "clusters": [description.name for description in choice.descriptions],
        "rfm_segments": rfm["segment"].value_counts().to_dict(),
        "clv_model": value.metrics.get("model"),
    }


def at_scale(customers: int) -> dict:
    lines, generate_s = timed(generated_lines, customers)
    as_of = (lines["placed_at"].max() + pd.Timedelta(days=1)).to_pydatetime()
    started = time.perf_counter()
    features = customer_features(lines, as_of=as_of)
    rfm_table(features.reset_index())
    matrix, _ = model_matrix(features)
    kmeans = KMeansSegmenter(random_state=0).fit(matrix)
    stability = stability_ari(
        matrix,
        lambda: KMeansSegmenter(k=kmeans.k_, random_state=0),
        3,
        0,
        reference_labels=kmeans.labels_,
        sample_size=100_000,
    )
    customer_lifetime_value(lines, as_of=as_of, horizon_days=90)
    seconds = round(time.perf_counter() - started, 1)
    peak_gib = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)
    return {
        "customers": customers,
        "lines": len(lines),
        "generate_seconds": generate_s,
        "rfm_kmeans_clv_seconds": seconds,
        "k": kmeans.k_,
        "stability_ari_mean": round(stability.mean, 3),
        "peak_rss_gib": peak_gib,
        "target": {"seconds": 300, "peak_rss_gib": 4},
        "met": seconds <= 300 and peak_gib <= 4,
    }


def cdnow() -> dict:
    summary = pd.read_csv(DATA / "cdnow" / "cdnow_customers_summary.csv.gz")
    fitted, fit_s = timed(BgNbd().fit, summary["frequency"], summary["recency"], summary["T"])
    ours = {name: round(value, 3) for name, value in fitted.params_.items()}
    ours["log_likelihood"] = round(fitted.log_likelihood_, 1)
    log = pd.read_csv(
        DATA / "cdnow" / "cdnow_sample_transactions.txt.gz",
        sep=r"\s+",
        header=None,
        names=["master", "customer", "date", "cds", "value"],
        dtype={"date": str},
    )
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    check, check_s = timed(
        clv_predictive_check,
        log,
        calibration_end="1997-09-30",
        holdout_end="1998-06-30",
        customer_col="customer",
        date_col="date",
        value_col="value",
    )
    models = check["models"]
    product, bgnbd = models["product"], models["bgnbd"]
    keep = ("model", "predicted_total", "actual_total", "ratio", "rmse", "mae")
    return {
        "bgnbd_fit_on_summary": {"params": ours, "paper": PAPER, "seconds": fit_s},
        "matches_paper": all(ours[name] == PAPER[name] for name in PAPER),
        "predictive_check": {
            "calibration": "1997-01-01..1997-09-30",
            "holdout": "1997-10-01..1998-06-30",
            "product": {name: product[name] for name in keep},
            "bgnbd": {name: bgnbd[name] for name in keep},
            "naive": {name: models["naive"][name] for name in keep},
            "selection_reason": check["selection"]["reason"],
            "seconds": check_s,
        },
        "ratio_rmse_to_bgnbd": round(product["rmse"] / bgnbd["rmse"], 4),
        "total_within_10_percent": abs(product["ratio"] - 1) <= 0.10,
        "met": product["rmse"] < bgnbd["rmse"] and abs(product["ratio"] - 1) <= 0.10,
    }


def main() -> None:
    figures = {"real_store": real_store(), "cdnow": cdnow()}
    figures["scale"] = at_scale(CUSTOMERS)  # last: its peak memory is the process's
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
