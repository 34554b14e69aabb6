"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): while alive a customer buys as a Poisson
process with a gamma(r, alpha) rate, and lives an exponential lifetime with a gamma(s, beta)
rate, so dropout can happen at any moment, not only after a purchase as in BG/NBD. Fitted by
maximum likelihood; expected purchases and the chance of being alive per customer. Pure
numpy/scipy, no Django.

The likelihood needs care. Its closed form holds 2F1 functions whose arguments approach 1
and whose parameters grow with frequency, and it loses all precision when the fit wanders
towards large s and beta (homogeneous dropout), where scipy's 2F1 also slows down. Here the
"died between the last purchase and T" term is the integral it comes from,
    int_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau,
computed by Gauss-Legendre quadrature in logs after the substitution w = log(1 + lambda u)
(u = tau - t_x, lambda the integrand's initial decay rate). The substitution spreads both a
steep start (hundreds of purchases) and a slow power-law tail over the nodes, so 8 panels
of 16 nodes give about 12 correct digits everywhere, and every term stays finite.
"""

import numpy as np
from scipy import special

from apps.segments.ml.bgnbd import PurchaseCountModel, as_customer_arrays

PANELS = 8
NODES_PER_PANEL = 16
CHUNK_ROWS = 20_000


def _composite_gauss_legendre() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of PANELS equal Gauss-Legendre panels on [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(NODES_PER_PANEL)
    starts = np.arange(PANELS) / PANELS
    all_nodes = (starts[:, None] + (nodes[None, :] + 1.0) / (2 * PANELS)).ravel()
    all_weights = np.tile(weights / (2 * PANELS), PANELS)
    return all_nodes, all_weights


QUADRATURE_NODES, QUADRATURE_WEIGHTS = _composite_gauss_legendre()
LOG_QUADRATURE_WEIGHTS = np.log(QUADRATURE_WEIGHTS)


def _log_integral(span, scale_a, power_a, scale_b, power_b) -> np.ndarray:
    """log int_0^span (1 + u/scale_a)^-power_a (1 + u/scale_b)^-power_b du, row by row; -inf
    for an empty span."""
    decay = power_a / scale_a + power_b / scale_b
    width = np.log1p(decay * span)[:, None]
    w = width * QUADRATURE_NODES[None, :]
    u = np.expm1(w) / decay[:, None]
    log_integrand = (
        -power_a[:, None] * np.log1p(u / scale_a[:, None])
        - power_b[:, None] * np.log1p(u / scale_b[:, None])
        + w
        - np.log(decay)[:, None]
        + LOG_QUADRATURE_WEIGHTS[None, :]
    )
    # log-sum-exp by hand: scipy's general one costs as much again as the integrand here
    peak = log_integrand.max(axis=1)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(log_integrand - peak[:, None]).sum(axis=1)) + peak + np.log(width[:, 0])


def pareto_nbd_log_parts(params, frequency, recency, T) -> tuple[np.ndarray, np.ndarray]:
    """log of the likelihood's two terms for each customer at params (r, alpha, s, beta):
    alive at T:               G(r+x)/G(r) alpha^r/(alpha+T)^(r+x) (beta/(beta+T))^s
    died in (t_x, T]:         G(r+x)/G(r) alpha^r s beta^s int_{t_x}^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau
    Their log-sum is the log-likelihood; the first's share is P(alive)."""
    r, alpha, s, beta = params
    x, t_x, age = (np.asarray(values, dtype=float) for values in (frequency, recency, T))
    head = special.gammaln(r + x) - special.gammaln(r)
    alive = head - r * np.log1p(age / alpha) - x * np.log(alpha + age) - s * np.log1p(age / beta)
    died = np.empty_like(x)
    for start in range(0, len(x), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        xs, ts = x[part], t_x[part]
        log_integral = _log_integral(
            age[part] - ts,
            alpha + ts,
            r + xs,
            np.full_like(xs, beta) + ts,
            np.full_like(xs, s + 1.0),
        )
        # alpha^r (alpha+t_x)^-(r+x) * s beta^s (beta+t_x)^-(s+1), with the integral relative to t_x
        died[part] = (
            head[part]
            - r * np.log1p(ts / alpha)
            - xs * np.log(alpha + ts)
            + np.log(s / beta)
            - (s + 1) * np.log1p(ts / beta)
            + log_integral
        )
    return alive, died


def pareto_nbd_log_likelihood(params, frequency, recency, T) -> np.ndarray:
    alive, died = pareto_nbd_log_parts(params, frequency, recency, T)
    return np.logaddexp(alive, died)


def _one_minus_power_over(y: np.ndarray) -> np.ndarray:
    """(1 - exp(-y)) / y, which is 1 at y = 0 (s = 1 in the expectation)."""
    small = np.abs(y) < 1e-8
    safe = np.where(small, 1.0, y)
    return np.where(small, 1.0 - y / 2, -np.expm1(-safe) / safe)


class ParetoNbd(PurchaseCountModel):
    """Pareto/NBD estimator; same interface as BgNbd. Fitted params_: {r, alpha, s, beta}.
    Fitted on at most 3,000 distinct rows by default: its likelihood is the costly one."""

    name = "pareto_nbd"
    param_names = ("r", "alpha", "s", "beta")
    log_likelihood_of = staticmethod(pareto_nbd_log_likelihood)

    def __init__(self, *, max_fit_rows: int | None = 3_000, **options):
        super().__init__(max_fit_rows=max_fit_rows, **options)

    def start(self, mean_log_age: float) -> np.ndarray:
        return np.array([0.0, mean_log_age, 0.0, mean_log_age])

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        alive, died = pareto_nbd_log_parts(self._params(), *as_customer_arrays(frequency, recency, T))
        return np.exp(alive - np.logaddexp(alive, died))

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[purchases in (T, T+t]] = (r+x)/(alpha+T) * (beta+T)/(s-1) [1 - ((beta+T)/(beta+T+t))^(s-1)]
        * P(alive): the expected rate times the expected remaining alive time within t."""
        x, t_x, age = as_customer_arrays(frequency, recency, T)
        r, alpha, s, beta = self._params()
        t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
        stretch = np.log1p(t / (beta + age))
        alive_time = (beta + age) * stretch * _one_minus_power_over((s - 1) * stretch)
        return (r + x) / (alpha + age) * alive_time * self.probability_alive(x, t_x, age)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        r, alpha, s, beta = self._params()
        stretch = np.log1p(np.asarray(t, dtype=float) / beta)
        return r / alpha * beta * stretch * _one_minus_power_over((s - 1) * stretch)
