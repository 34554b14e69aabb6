"""Benchmark: RetailHub's recommenders against the `implicit` library's ALS on the full
UCI Online Retail log, same events, same split, same metrics.

Protocol: purchase events (customer known, not cancelled, quantity and price > 0,
merchandise only); test weeks from 2011-11-09, hyperparameters of every model (ALS
included: a grid of factors, regularisation and alpha) chosen on 2011-10-10..2011-11-09.
Prints one JSON line: NDCG@10 per track for the served model, ALS and popularity, the
ratios, and each model's fit time with its ratio to ALS's fit time.

    .venv/bin/pip install -r requirements-bench.txt && .venv/bin/python bench/recommendations.py

BENCH_SCALES=1,10,40 adds generated stores (generate_store's generator, seed 2010) of those sizes:
1x has the UCI log's shape (4,400 customers, 4,000 products, 540,000 lines); 40x is 1,000,000
customers, 50,000 products and 20,000,000 lines, and 10x a quarter of it. Each size runs in a
process of its own and reports the whole retrain (reading the log, choosing and measuring every
family, refitting the served one, building every published list) in seconds, the process's peak
memory and the served model's NDCG@10 on its test weeks, under "scales".
"""

import itertools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.catalogue.stock_codes import kind_of_stock_code  # noqa: E402
from apps.recommendations.ml.events import events_from_order_log  # noqa: E402
from apps.recommendations.ml.interactions import Interactions  # noqa: E402
from apps.recommendations.ml.protocol import TRACKS, temporal_split  # noqa: E402
from apps.recommendations.ml.recommenders import Popularity, Recommender  # noqa: E402
from apps.recommendations.ml.selection import measure, select_and_test, served_family  # noqa: E402

DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
VALID_START = pd.Timestamp("2011-10-10", tz="UTC")
SPLIT_AT = pd.Timestamp("2011-11-09", tz="UTC")
ALS_GRID = {"factors": (32, 64, 128), "regularization": (0.01, 0.1), "alpha": (1.0, 10.0)}


class ImplicitAls(Recommender):
    """The peer: implicit's ALS on the same customer x product order counts."""

    def __init__(self, factors: int, regularization: float, alpha: float):
        self.params = {"factors": factors, "regularization": regularization, "alpha": alpha}
        self.name = f"implicit_als({factors}, {regularization}, {alpha})"

    def fit(self, data):
        from implicit.cpu.als import AlternatingLeastSquares

        super().fit(data)
        model = AlternatingLeastSquares(**self.params, iterations=15, random_state=0)
        model.fit(data.matrix.tocsr(), show_progress=False)
        self.user_factors, self.item_factors = model.user_factors, model.item_factors
        return self

    def score(self, rows):
        return np.asarray(self.user_factors[rows] @ self.item_factors.T)


def is_merchandise(code: str) -> bool:
    return kind_of_stock_code(code) == "merchandise"


def torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def best_als(events):
    validation = temporal_split(events[events["placed_at"] < SPLIT_AT], split_at=VALID_START)
    data = Interactions.from_events(validation.train, as_of=VALID_START)
    fallback = Popularity().fit(data)
    scored = []
    for factors, regularization, alpha in itertools.product(*ALS_GRID.values()):
        model = ImplicitAls(factors, regularization, alpha).fit(data)
        metrics = measure(model, validation, fallback)
        scored.append((sum(metrics[t]["ndcg@10"] for t in TRACKS) / len(TRACKS), factors, regularization, alpha))
    _, factors, regularization, alpha = max(scored)
    return factors, regularization, alpha


SCALES = {
    1: (4_400, 4_000, 540_000),
    10: (250_000, 12_500, 5_000_000),
    40: (1_000_000, 50_000, 20_000_000),
}


def retrain_at_scale(scale: int) -> dict:
    """Generate (once, cached under var/bench) and retrain on a store of the given scale."""
    import resource

    from apps.recommendations.ml.protocol import protocol_dates
    from apps.recommendations.ml.served_lists import served_lists
    from apps.sample_stores.generator import StoreShape, write_store

    customers, products, lines = SCALES[scale]
    path = ROOT / "var" / "bench" / f"store-{scale}x.csv.gz"
    if not path.exists():
        write_store(path, StoreShape(customers=customers, products=products, lines=lines))
    started = time.perf_counter()
    events, texts = events_from_order_log(path, is_merchandise=is_merchandise)
    as_of = events["placed_at"].max() + pd.Timedelta(seconds=1)
    valid_start, split_at = protocol_dates(as_of, test_days=30, validation_days=30)
    results = select_and_test(
        events, valid_start=valid_start, split_at=split_at, until=as_of, product_text=texts, device=torch_device()
    )
    served = served_family(results)
    lists = served_lists(
        events, served, as_of=as_of, texts=texts, list_length=20, popular_window_days=90, min_country_customers=20
    )
    seconds = time.perf_counter() - started
    return {
        "scale": scale,
        "customers": customers,
        "products": products,
        "lines": lines,
        "events": len(events),
        "retrain_seconds": round(seconds, 1),
        "peak_memory_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "served_model": served.chosen.name,
        "served_ndcg@10": {t: served.test[t]["ndcg@10"] for t in TRACKS},
        "served_ndcg@10_interval": {t: served.test[t]["ndcg@10_interval"] for t in TRACKS},
        "test_customers": {t: served.test[t]["customers"] for t in TRACKS},
        "customers_with_lists": len(lists["customers"]),
    }


def scales() -> list[dict]:
    """Each requested scale in a fresh process, so peak memory is that size's own."""
    import subprocess

    wanted = [int(s) for s in os.environ.get("BENCH_SCALES", "").split(",") if s.strip()]
    figures = []
    for scale in wanted:
        child = subprocess.run(
            [sys.executable, __file__, "--scale", str(scale)], capture_output=True, text=True, check=True
        )
        figures.append(json.loads(child.stdout.strip().splitlines()[-1]))
    return figures


def main() -> None:
    if sys.argv[1:2] == ["--scale"]:
        # Every core, as a retrain on this machine would have (the one-thread limit below is for the peer).
        print(json.dumps(retrain_at_scale(int(sys.argv[2]))))
        return
    log = DATA / "online_retail" / "online_retail.csv.gz"
    if not log.exists():
        sys.exit(f"{log} not found: set RETAILHUB_SAMPLE_DATA")
    events, product_names = events_from_order_log(log, is_merchandise=is_merchandise)
    with threadpool_limits(1, "blas"):  # implicit asks for one BLAS thread; both sides get the same
        started = time.perf_counter()
        # The same model families the platform's trainer tries, the PyTorch one included.
        results = select_and_test(
            events,
            valid_start=VALID_START,
            split_at=SPLIT_AT,
            until=None,
            product_text=product_names,
            device=torch_device(),
        )
        ours_seconds = time.perf_counter() - started
        served = served_family(results)
        als_config = best_als(events)
        test = temporal_split(events, split_at=SPLIT_AT)
        data = Interactions.from_events(test.train, as_of=SPLIT_AT)
        fit_started = time.perf_counter()
        als = ImplicitAls(*als_config).fit(data)
        als_fit = time.perf_counter() - fit_started
        als_metrics = measure(als, test, Popularity().fit(data))
    popularity = next(r for r in results if r.family == "popularity")
    print(
        json.dumps(
            {
                "benchmark": "recommendations",
                "events": len(events),
                "test_customers": {t: served.test[t]["customers"] for t in TRACKS},
                "served_model": served.chosen.name,
                "peer": f"implicit {als.name}, chosen on the validation weeks",
                "ndcg@10": {
                    "served": {t: served.test[t]["ndcg@10"] for t in TRACKS},
                    "served_interval": {t: served.test[t]["ndcg@10_interval"] for t in TRACKS},
                    "implicit_als": {t: als_metrics[t]["ndcg@10"] for t in TRACKS},
                    "popularity": {t: popularity.test[t]["ndcg@10"] for t in TRACKS},
                },
                "ratio_served_to_als": {
                    t: round(served.test[t]["ndcg@10"] / als_metrics[t]["ndcg@10"], 3) for t in TRACKS
                },
                "ratio_served_to_popularity": {
                    t: round(served.test[t]["ndcg@10"] / popularity.test[t]["ndcg@10"], 2) for t in TRACKS
                },
                "models": {
                    r.family: {
                        "model": r.chosen.name,
                        **{t: r.test[t] for t in TRACKS},
                        "fit_seconds": r.fit_seconds,
                        "fit_ratio_to_als": round(r.fit_seconds / als_fit, 2),
                    }
                    for r in results
                },
                "implicit_als": {**{t: als_metrics[t] for t in TRACKS}, "fit_seconds": round(als_fit, 3)},
                "all_models_selection_and_test_seconds": round(ours_seconds, 1),
                "scales": scales(),
            }
        )
    )


if __name__ == "__main__":
    main()
