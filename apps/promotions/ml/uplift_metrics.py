"""How well a model ranks customers by uplift, measured on a randomised campaign log. Nobody's
individual uplift is observed (each customer got the e-mail or did not), so every metric compares
treated and control customers among the top of the ranking. The definitions are those of the
scikit-uplift library (sklift.metrics, version 0.5.1), so figures can be set beside published
ones; they are restated here because the details (ties, normalisation) change the numbers.

Notation: rank the n customers by predicted uplift, highest first. Scores are sorted with a stable
ascending sort and then reversed, so a cut through tied scores takes the tied rows that come last
in the input first (what scikit-uplift does). For the top i customers: n_t(i) and n_c(i) treated
and control customers, r_t(i) and r_c(i) their summed outcomes.

- uplift_at_k, strategy "overall" (the default): the top k customers (k a fraction of n, rounded
  down, or a count), their treated mean outcome minus their control mean outcome. Strategy
  "by_group": the top k of the treated and the top k of the control (k a fraction of each group,
  or a count in each), ranked separately, treated mean minus control mean.
- Uplift curve: U(i) = (r_t(i)/n_t(i) - r_c(i)/n_c(i)) * i, a ratio counted 0 when its group is
  empty. Qini curve: Q(i) = r_t(i) - r_c(i) * n_t(i)/n_c(i) (the second term 0 when n_c(i) = 0).
  Both have a point at i = 0 (value 0) and one at the end of each run of tied scores only, so
  tied customers enter together and their order does not matter.
- Areas are trapezoidal. Each area is taken above the straight line from (0, 0) to the curve's
  end (n, C(n)), the random ranking, and divided by the same area of the perfect curve:
  qini_auc_score = (A(Q) - A(random)) / (A(Q*) - A(random)),
  uplift_auc_score = (A(U) - A(random)) / (A(U*) - A(random)).
- Perfect Qini curve Q* (negative effects included, scikit-uplift's default): the Qini curve of
  the score y*t - y*(1-t): treated responders first, control responders last.
- Perfect uplift curve U*, binary outcome: the uplift curve of the score 2*(y == t) + s, with s = y
  if the control responders outnumber the treated non-responders, else s = t.
- Outcomes that are not 0/1 (an amount spent) have no scikit-uplift definition; here they use the
  same curves, and the perfect ranking of both areas is the Qini one (treated by outcome
  descending, then control by outcome ascending). For 0/1 outcomes the figures are scikit-uplift's.

A zero perfect area (for instance no responders at all) makes the normalised areas undefined: nan.

bootstrap_interval gives a percentile interval for any of them by resampling customers with
replacement within each arm (so both arms stay present); random_uplift_at_k_quantile says how high
uplift@k gets by chance, by scoring random orderings of the same customers.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

OVERALL, BY_GROUP = "overall", "by_group"


@dataclass(frozen=True)
class Interval:
    """estimate: the metric on the data as given; low, high: the percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    level: float
    n_bootstrap: int


def average_treatment_effect(y_true, treatment) -> float:
    """Mean outcome of the treated minus that of the control (the campaign's uplift per customer)."""
    y, t = _checked(y_true, np.zeros(len(y_true)), treatment)[::2]
    return float(y[t == 1].mean() - y[t == 0].mean())


def uplift_at_k(y_true, uplift, treatment, *, k: float | int = 0.3, strategy: str = OVERALL) -> float:
    """Treated minus control mean outcome among the top k by predicted uplift (module docstring).
    A float k is a fraction in (0, 1), an int a number of customers. nan if one arm is absent there."""
    y, u, t = _checked(y_true, uplift, treatment)
    order = _descending(u)
    y, t = y[order], t[order]
    if strategy == OVERALL:
        size = _cut(k, len(y))
        top_y, top_t = y[:size], t[:size]
        return _mean(top_y[top_t == 1]) - _mean(top_y[top_t == 0])
    if strategy == BY_GROUP:
        treated, control = y[t == 1], y[t == 0]
        return _mean(treated[: _cut(k, len(treated))]) - _mean(control[: _cut(k, len(control))])
    raise ValueError(f"strategy must be {OVERALL!r} or {BY_GROUP!r}, not {strategy!r}")


def uplift_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted, U) at 0 and at the end of each run of tied scores."""
    counts, treated, control, r_treated, r_control = _cumulative(*_checked(y_true, uplift, treatment))
    rate_t = np.divide(r_treated, treated, out=np.zeros_like(r_treated), where=treated != 0)
    rate_c = np.divide(r_control, control, out=np.zeros_like(r_control), where=control != 0)
    return counts, (rate_t - rate_c) * counts


def qini_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted, Q) at 0 and at the end of each run of tied scores."""
    counts, treated, control, r_treated, r_control = _cumulative(*_checked(y_true, uplift, treatment))
    ratio = np.divide(treated, control, out=np.zeros_like(treated), where=control != 0)
    return counts, r_treated - r_control * ratio


def qini_auc_score(y_true, uplift, treatment) -> float:
    """The Qini coefficient: area between the Qini curve and the random line, over the perfect one's."""
    y, u, t = _checked(y_true, uplift, treatment)
    return _normalised_area(qini_curve(y, u, t), qini_curve(y, _qini_oracle(y, t), t))


def uplift_auc_score(y_true, uplift, treatment) -> float:
    """AUUC: area between the uplift curve and the random line, over the perfect one's."""
    y, u, t = _checked(y_true, uplift, treatment)
    if np.isin(y, (0.0, 1.0)).all():
        control_responders = np.sum((y == 1) & (t == 0))
        treated_non_responders = np.sum((y == 0) & (t == 1))
        tie_break = y if control_responders > treated_non_responders else t
        oracle = 2.0 * (y == t) + tie_break
    else:
        oracle = _qini_oracle(y, t)
    return _normalised_area(uplift_curve(y, u, t), uplift_curve(y, oracle, t))


def bootstrap_interval(
    metric: Callable[[np.ndarray, np.ndarray, np.ndarray], float],
    y_true,
    uplift,
    treatment,
    *,
    n_bootstrap: int = 200,
    level: float = 0.95,
    random_state: int = 0,
) -> Interval:
    """Percentile interval of metric(y, uplift, treatment) over `n_bootstrap` resamples, each
    drawn with replacement within the treated and within the control (so their sizes are kept)."""
    y, u, t = _checked(y_true, uplift, treatment)
    rng = np.random.default_rng(random_state)
    groups = [np.flatnonzero(t == arm) for arm in (0, 1)]
    values = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        rows = np.concatenate([rng.choice(group, size=len(group), replace=True) for group in groups])
        values[b] = metric(y[rows], u[rows], t[rows])
    tail = (1.0 - level) / 2.0
    low, high = np.nanquantile(values, [tail, 1.0 - tail])
    return Interval(float(metric(y, u, t)), float(low), float(high), level, n_bootstrap)


def random_uplift_at_k_quantile(
    y_true, treatment, *, k: float | int = 0.3, quantile: float = 0.95, n_orderings: int = 500, random_state: int = 0
) -> float:
    """The `quantile` of uplift@k over random orderings of the customers: what a model has to beat
    to show it ranks better than chance on this sample."""
    y, _, t = _checked(y_true, np.zeros(len(y_true)), treatment)
    size = _cut(k, len(y))
    rng = np.random.default_rng(random_state)
    values = np.empty(n_orderings)
    for b in range(n_orderings):
        top = rng.choice(len(y), size=size, replace=False)
        values[b] = _mean(y[top][t[top] == 1]) - _mean(y[top][t[top] == 0])
    return float(np.nanquantile(values, quantile))


def _checked(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    u = np.asarray(uplift, dtype=np.float64).ravel()
    t = np.asarray(treatment).ravel()
    if not (len(y) == len(u) == len(t)):
        raise ValueError(f"outcome, uplift and treatment differ in length ({len(y)}, {len(u)}, {len(t)})")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("treatment must be 0 (control) or 1 (treated)")
    t = t.astype(np.int64)
    if (t == 1).sum() == 0 or (t == 0).sum() == 0:
        raise ValueError("both the treated and the control must be present")
    if np.isnan(u).any():
        raise ValueError("predicted uplift has missing values")
    return y, u, t


def _descending(scores: np.ndarray) -> np.ndarray:
    # Stable ascending, reversed: tied rows that come last in the input are ranked first.
    return np.argsort(scores, kind="mergesort")[::-1]


def _cut(k: float | int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | float | np.integer | np.floating):
        raise ValueError(f"k must be a fraction or a count, not {k!r}")
    if isinstance(k, int | np.integer):
        if not 0 < k < n:
            raise ValueError(f"k={k} must be a count between 1 and {n - 1}")
        return int(k)
    if not 0.0 < k < 1.0:
        raise ValueError(f"k={k} must be a fraction in (0, 1)")
    return int(n * k)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def _cumulative(y: np.ndarray, u: np.ndarray, t: np.ndarray):
    order = _descending(u)
    y, u, t = y[order], u[order], t[order]
    ends = np.r_[np.flatnonzero(np.diff(u)), len(u) - 1]
    treated = np.cumsum(t, dtype=np.float64)[ends]
    r_treated = np.cumsum(y * t)[ends]
    r_control = np.cumsum(y * (1 - t))[ends]
    counts = ends + 1.0
    control = counts - treated
    return tuple(np.r_[0.0, a] for a in (counts, treated, control, r_treated, r_control))


def _qini_oracle(y: np.ndarray, t: np.ndarray) -> np.ndarray:
    return y * t - y * (1 - t)


def _normalised_area(curve, perfect) -> float:
    (x, c), (x_star, c_star) = curve, perfect
    random_area = x_star[-1] * c_star[-1] / 2.0
    perfect_area = np.trapezoid(c_star, x_star) - random_area
    if perfect_area == 0:
        return float("nan")
    return float((np.trapezoid(c, x) - random_area) / perfect_area)
