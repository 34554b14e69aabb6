"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): while alive a
customer buys as a Poisson process with a gamma(r, alpha) rate, and after each purchase drops
out with a beta(a, b) probability. Fitted by maximum likelihood on frequency, recency and T;
gives each customer's expected purchases over a horizon and the chance they are still alive.
Pure numpy/scipy, no Django.

Every formula works in logs (gammaln, betaln, logaddexp), so a customer with one purchase or
with hundreds neither overflows nor gives NaN. The fit runs on the distinct (frequency,
recency, T) rows with their counts as weights, which is exact; when there are more distinct
rows than `max_fit_rows` it fits on a uniform random sample of them (weights kept), which
keeps a million-customer fit to a few seconds.
"""

import time

import numpy as np
from scipy import optimize, special

# Log-parameters stay in [-LOG_BOUND, LOG_BOUND]: a degenerate log (nobody bought twice)
# pushes the optimum to the edge, and the edge keeps every prediction finite.
LOG_BOUND = 12.0
# Distance from a = 1, where the expectation's (a + b + x - 1) / (a - 1) factor is 0 / 0.
A_NEAR_ONE = 1e-7


def as_customer_arrays(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, age = (np.asarray(values, dtype=float) for values in (frequency, recency, T))
    if not (x.shape == t_x.shape == age.shape):
        raise ValueError("frequency, recency and T must have the same length")
    if len(x) and (np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > age + 1e-9) or not np.isfinite(age).all()):
        raise ValueError("need frequency >= 0 and 0 <= recency <= T (finite)")
    return x, t_x, age


def compress_customers(x, t_x, age, *, max_rows: int | None, random_state: int = 0):
    """Distinct (x, t_x, T) rows and how many customers share each; a uniform sample of the
    distinct rows when there are more than `max_rows` (the likelihood's shape is unchanged)."""
    rows, counts = np.unique(np.column_stack([x, t_x, age]), axis=0, return_counts=True)
    if max_rows is not None and len(rows) > max_rows:
        keep = np.random.default_rng(random_state).choice(len(rows), size=max_rows, replace=False)
        rows, counts = rows[keep], counts[keep]
    return rows[:, 0], rows[:, 1], rows[:, 2], counts.astype(float)


# Optimiser tolerances: "precise" reproduces published figures to their last digit; "screening"
# is for validation fits, whose forecasts are compared to noisy counts and need far fewer digits.
TOLERANCES = {"precise": {"ftol": 1e-15, "gtol": 1e-10}, "screening": {"ftol": 1e-9, "gtol": 1e-6}}


def maximise_likelihood(
    log_likelihood, start: np.ndarray, weights: np.ndarray, *, tolerance: str = "precise"
) -> optimize.OptimizeResult:
    """Maximise the weighted mean log-likelihood over log-parameters (bounded L-BFGS-B)."""
    total = weights.sum()

    def loss(log_params):
        value = -(weights @ log_likelihood(np.exp(log_params))) / total
        return value if np.isfinite(value) else 1e12

    return optimize.minimize(
        loss,
        start,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
        options={"maxiter": 3000, **TOLERANCES[tolerance]},
    )


def bgnbd_log_likelihood(params, frequency, recency, T) -> np.ndarray:
    """Each customer's log-likelihood at params (r, alpha, a, b); FHL 2005, equation 6:
    L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))."""
    r, alpha, a, b = params
    x, t_x, age = (np.asarray(values, dtype=float) for values in (frequency, recency, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    still_alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + age)
    repeat = x > 0
    dropped = np.full_like(x, -np.inf)
    dropped[repeat] = special.betaln(a + 1, b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    return common + np.logaddexp(still_alive, dropped)


def hyp2f1(a, b, c, z) -> np.ndarray:
    """Gauss's 2F1 for 0 <= z < 1: scipy's, with a direct power series wherever scipy gives a
    non-finite value."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    values = np.asarray(special.hyp2f1(a, b, c, z), dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        values = values.copy()
        values[bad] = _hyp2f1_series(a[bad], b[bad], c[bad], z[bad])
    return values


def _hyp2f1_series(a, b, c, z, *, max_terms: int = 20_000) -> np.ndarray:
    term = np.ones_like(z)
    total = np.ones_like(z)
    for k in range(max_terms):
        term = term * (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total = total + term
        if np.all(np.abs(term) <= 1e-15 * np.abs(total)):
            break
    return total


class PurchaseCountModel:
    """What BG/NBD and Pareto/NBD share: a maximum-likelihood fit in log-parameters on the
    (frequency, recency, T) summary, on at most `max_fit_rows` distinct rows. A subclass names
    its parameters, its per-customer log-likelihood and where the optimiser starts.
    `warm_start` (a params_ dict of the same model, e.g. from a neighbouring cut-off) replaces the
    default start; `tolerance` is "precise" or "screening" (see TOLERANCES).
    Fitted: params_, log_likelihood_ (sum over the fitted customers), fit_seconds_,
    fit_rows_ (distinct rows the optimiser saw)."""

    name = ""
    param_names: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        max_fit_rows: int | None = 200_000,
        random_state: int = 0,
        warm_start: dict | None = None,
        tolerance: str = "precise",
    ):
        if tolerance not in TOLERANCES:
            raise ValueError(f"tolerance must be one of {', '.join(TOLERANCES)}")
        self.max_fit_rows = max_fit_rows
        self.random_state = random_state
        self.warm_start = warm_start
        self.tolerance = tolerance

    @staticmethod
    def log_likelihood_of(params, x, t_x, age) -> np.ndarray:
        raise NotImplementedError

    def start(self, mean_log_age: float) -> np.ndarray:
        raise NotImplementedError

    def fit(self, frequency, recency, T):
        started = time.perf_counter()
        x, t_x, age = as_customer_arrays(frequency, recency, T)
        if not len(x):
            raise ValueError("no customers to fit")
        x, t_x, age, weights = compress_customers(
            x, t_x, age, max_rows=self.max_fit_rows, random_state=self.random_state
        )
        if self.warm_start is not None:
            start = np.clip(np.log([self.warm_start[name] for name in self.param_names]), -LOG_BOUND, LOG_BOUND)
        else:
            start = self.start(np.log(max(np.average(age, weights=weights), 1e-3)))
        result = maximise_likelihood(
            lambda p: self.log_likelihood_of(p, x, t_x, age), start, weights, tolerance=self.tolerance
        )
        self.params_ = dict(zip(self.param_names, (float(v) for v in np.exp(result.x)), strict=True))
        self.log_likelihood_ = float(weights @ self.log_likelihood_of(self._params(), x, t_x, age))
        self.fit_rows_ = len(x)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _params(self) -> tuple[float, ...]:
        return tuple(self.params_[name] for name in self.param_names)

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        return self.log_likelihood_of(self._params(), *as_customer_arrays(frequency, recency, T))


class BgNbd(PurchaseCountModel):
    """BG/NBD estimator. Time is in the summary's unit (weeks for the paper's figures).
    Fitted params_: {r, alpha, a, b}."""

    name = "bgnbd"
    param_names = ("r", "alpha", "a", "b")
    log_likelihood_of = staticmethod(bgnbd_log_likelihood)

    def start(self, mean_log_age: float) -> np.ndarray:
        # A rate of one purchase per mean customer age.
        return np.array([0.0, mean_log_age, 0.0, 0.0])

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x));
        1 for customers without a repeat purchase (dropout only follows a purchase)."""
        return special.expit(-self._log_odds_dead(*as_customer_arrays(frequency, recency, T)))

    def _log_odds_dead(self, x, t_x, age) -> np.ndarray:
        r, alpha, a, b = self._params()
        log_odds = np.full_like(x, -np.inf)
        repeat = x > 0
        xr = x[repeat]
        log_odds[repeat] = (
            np.log(a) - np.log(b + xr - 1) + (r + xr) * (np.log(alpha + age[repeat]) - np.log(alpha + t_x[repeat]))
        )
        return log_odds

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[purchases in (T, T+t] | x, t_x, T], FHL 2005 equation 10:
        (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] P(alive),
        z = t/(alpha+T+t). Euler's transformation turns the bracket into
        1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose series shrinks as x grows
        instead of blowing up, so heavy buyers stay accurate."""
        x, t_x, age = as_customer_arrays(frequency, recency, T)
        r, alpha, a, b = self._params()
        a = _away_from_one(a)
        t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
        z = t / (alpha + age + t)
        bracket = 1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        expected = (a + b + x - 1) / (a - 1) * bracket * special.expit(-self._log_odds_dead(x, t_x, age))
        return np.maximum(expected, 0.0)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] for a customer who has just arrived (FHL 2005 equation 7)."""
        r, alpha, a, b = self._params()
        a = _away_from_one(a)
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        bracket = 1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, a + b - 1, z)
        return np.maximum((a + b - 1) / (a - 1) * bracket, 0.0)


def _away_from_one(a: float) -> float:
    if abs(a - 1.0) < A_NEAR_ONE:
        return 1.0 + A_NEAR_ONE if a >= 1.0 else 1.0 - A_NEAR_ONE
    return a
