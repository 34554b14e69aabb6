"""Benchmark: RetailHub's recommenders against the `implicit` library's ALS on the full
UCI Online Retail log, same events, same split, same metrics.

Protocol: purchase events (customer known, not cancelled, quantity and price > 0,
merchandise only); test weeks from 2011-11-09, hyperparameters of every model (ALS
included: a grid of factors, regularisation and alpha) chosen on 2011-10-10..2011-11-09.
Prints one JSON line: NDCG@10 per track for the served model, ALS and popularity, the
ratios, and each model's fit time with its ratio to ALS's fit time.

    .venv/bin/pip install -r requirements-bench.txt && .venv/bin/python bench/recommendations.py
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


def main() -> None:
    log = DATA / "online_retail" / "online_retail.csv.gz"
    if not log.exists():
        sys.exit(f"{log} not found: set RETAILHUB_SAMPLE_DATA")
    events = events_from_order_log(log)
    with threadpool_limits(1, "blas"):  # implicit asks for one BLAS thread; both sides get the same
        started = time.perf_counter()
        # The same model families the platform's trainer tries, the PyTorch one included.
        results = select_and_test(
            events,
            valid_start=VALID_START,
            split_at=SPLIT_AT,
            until=None,
            product_text=events.attrs["product_names"],
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
            }
        )
    )


if __name__ == "__main__":
    main()
