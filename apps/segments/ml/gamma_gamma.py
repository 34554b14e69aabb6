"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves
for Customer Base Analysis"; after Colombo & Jiang 1999). Each purchase's value is gamma(p, nu)
around the customer's own mean, and nu is gamma(q, v) across customers; fitted by maximum
likelihood on the mean repeat-purchase value of customers with repeat purchases. Its
conditional expectation shrinks a customer's observed mean towards the population mean, the
more the fewer purchases back it. Pure numpy/scipy, no Django.

It assumes a customer's spend per purchase is independent of how often they buy (check that
frequency and monetary_value are barely correlated before trusting the CLV product). Only
customers with frequency > 0 and monetary_value > 0 are fitted: a mean of one purchase's
value or of zeros carries no information about the spread.
"""

import time

import numpy as np
from scipy import special

from apps.segments.ml.bgnbd import maximise_likelihood


def gamma_gamma_log_likelihood(params, frequency, monetary_value) -> np.ndarray:
    """log f(m | x) at params (p, q, v) for the mean m of x purchases:
    G(px+q) / (G(px) G(q)) * v^q m^(px-1) x^(px) / (v + m x)^(px+q)."""
    p, q, v = params
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + m * x)
    )


class GammaGamma:
    """Fitted: params_ {p, q, v}, log_likelihood_, fit_customers_, fit_seconds_ and
    population_mean_ (p v / (q - 1); when q <= 1 that mean does not exist and the observed
    mean of the fitted customers stands in)."""

    name = "gamma_gamma"
    param_names = ("p", "q", "v")

    def __init__(self, *, max_fit_rows: int | None = 200_000, random_state: int = 0):
        self.max_fit_rows = max_fit_rows
        self.random_state = random_state

    def fit(self, frequency, monetary_value) -> "GammaGamma":
        started = time.perf_counter()
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        usable = (x > 0) & (m > 0) & np.isfinite(m)
        if usable.sum() < 2:
            raise ValueError("Gamma-Gamma needs at least two customers with repeat purchases and positive spend")
        x, m = x[usable], m[usable]
        self.fit_customers_ = len(x)
        if self.max_fit_rows is not None and len(x) > self.max_fit_rows:
            keep = np.random.default_rng(self.random_state).choice(len(x), size=self.max_fit_rows, replace=False)
            x, m = x[keep], m[keep]
        start = np.array([0.0, np.log(2.0), np.log(m.mean())])
        result = maximise_likelihood(lambda params: gamma_gamma_log_likelihood(params, x, m), start, np.ones(len(x)))
        self.params_ = dict(zip(self.param_names, (float(v) for v in np.exp(result.x)), strict=True))
        self.log_likelihood_ = float(gamma_gamma_log_likelihood(self._params(), x, m).sum())
        p, q, v = self._params()
        self.population_mean_ = p * v / (q - 1) if q > 1 else float(m.mean())
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _params(self) -> tuple[float, float, float]:
        return tuple(self.params_[name] for name in self.param_names)

    def expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[value of a purchase | x, m] = p (v + m x) / (p x + q - 1), a weighted mean of the
        population mean p v / (q - 1) and the customer's own m. Customers with frequency 0 get
        population_mean_ (their one purchase is not counted; FHL 2005)."""
        p, q, v = self._params()
        x = np.asarray(frequency, dtype=float)
        m = np.clip(np.nan_to_num(np.asarray(monetary_value, dtype=float), nan=0.0, posinf=0.0), 0.0, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            conditional = p * (v + m * x) / (p * x + q - 1)
        usable = (x > 0) & np.isfinite(conditional) & (conditional >= 0)
        return np.where(usable, conditional, self.population_mean_)
