"""Bootstrap intervals over customers: how sure a measured NDCG is, and whether one model
really beats another on the same customers.

A family's score on a split is the mean of its two tracks' means; the "new" track's customers
are a subset of the "all" track's. Resampling the "all" customers with replacement (the same
draws for both models: a paired bootstrap) and recomputing that score on each draw gives the
interval of the difference. Paired, because two models measured on the same few hundred
customers share most of their noise: their separate intervals can overlap while one of them
wins on nearly every draw.
"""

import numpy as np

RESAMPLES = 1000
LEVEL = 0.95
SEED = 20111209


def mean_interval(values: np.ndarray, *, resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """Percentile interval of the mean of `values` (one per customer)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return (0.0, 0.0)
    draws = _draw_counts(len(values), resamples, seed)
    means = draws @ values / len(values)
    return _percentiles(means)


def score_difference_interval(
    first: dict[str, np.ndarray],
    second: dict[str, np.ndarray],
    new_customers: np.ndarray,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """Interval of score(first) - score(second), score = (mean "all" NDCG + mean "new" NDCG) / 2.
    `first` and `second` hold per-customer NDCG per track, aligned on the same customers;
    `new_customers` gives the position of each "new" track customer among the "all" ones."""
    n = len(first["all"])
    if n == 0:
        return (0.0, 0.0)
    draws = _draw_counts(n, resamples, seed)
    all_difference = draws @ (first["all"] - second["all"]) / n
    if len(new_customers) == 0:
        return _percentiles(all_difference / 2)
    new_draws = draws[:, new_customers]
    drawn = new_draws.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        new_difference = np.where(drawn > 0, new_draws @ (first["new"] - second["new"]) / drawn, 0.0)
    return _percentiles((all_difference + new_difference) / 2)


def _draw_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """resamples x n: how many times each customer is drawn in each resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float64)


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return (round(float(low), 4), round(float(high), 4))
