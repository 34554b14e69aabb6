"""CLV building blocks on data small enough to check by hand, and the published CDNOW fits."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from scipy import integrate, special

from apps.segments.ml.bgnbd import BgNbd, bgnbd_log_likelihood, hyp2f1
from apps.segments.ml.clv_summary import customer_summary
from apps.segments.ml.gamma_gamma import GammaGamma, gamma_gamma_log_likelihood
from apps.segments.ml.pareto_nbd import ParetoNbd, pareto_nbd_log_parts


def cdnow_file(name: str) -> Path:
    path = Path(settings.RETAILHUB_SAMPLE_DATA) / "cdnow" / name
    if not path.exists():
        pytest.skip(f"CDNOW data not found at {path} (set RETAILHUB_SAMPLE_DATA)")
    return path


@pytest.fixture
def cdnow_summary() -> pd.DataFrame:
    return pd.read_csv(cdnow_file("cdnow_customers_summary.csv.gz"))


@pytest.fixture
def cdnow_log() -> pd.DataFrame:
    log = pd.read_csv(
        cdnow_file("cdnow_sample_transactions.txt.gz"),
        sep=r"\s+",
        header=None,
        names=["master", "customer", "date", "cds", "value"],
        dtype={"date": str},
    )
    log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
    return log


def log_of(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "placed_at", "amount"]).astype({"placed_at": "datetime64[ns]"})


# A: two lines on 1 Jan are one purchase of 15; 22 Jan nets -10 (a return) and is no purchase;
#    29 Jan is the calibration-end day and counts. Purchase days 1, 8, 29 Jan.
# B: one purchase, then two in the holdout. C: two purchases worth 0 (free items).
# D: first buys after the calibration end (left out). E: only a return (left out).
THREE_CUSTOMERS = log_of(
    [
        ("A", "2011-01-01 09:00", 10.0),
        ("A", "2011-01-01 17:00", 5.0),
        ("A", "2011-01-08", 20.0),
        ("A", "2011-01-22", 30.0),
        ("A", "2011-01-22", -40.0),
        ("A", "2011-01-29", 6.0),
        ("A", "2011-02-05", 7.0),
        ("B", "2011-01-15", 50.0),
        ("B", "2011-02-10", 5.0),
        ("B", "2011-02-20", 5.0),
        ("C", "2011-01-10", 0.0),
        ("C", "2011-01-17", 0.0),
        ("D", "2011-02-01", 9.0),
        ("E", "2011-01-05", -20.0),
    ]
)


def test_summary_of_three_customers_by_hand():
    summary = customer_summary(
        THREE_CUSTOMERS,
        date_col="placed_at",
        value_col="amount",
        calibration_end="2011-01-29",
        observation_end="2011-02-26",
    ).set_index("customer_id")

    assert list(summary.index) == ["A", "B", "C"]
    assert summary["frequency"].to_dict() == {"A": 2, "B": 0, "C": 1}
    # In weeks: A first bought 28 days before the end and last bought on it; C bought a week apart.
    assert summary["recency"].to_dict() == {"A": 4.0, "B": 0.0, "C": 1.0}
    assert summary["T"].to_dict() == pytest.approx({"A": 4.0, "B": 2.0, "C": 19 / 7})
    # A's repeat purchases were 20 and 6; B has none; C's were free.
    assert summary["monetary_value"].to_dict() == {"A": 13.0, "B": 0.0, "C": 0.0}
    assert summary["frequency_holdout"].to_dict() == {"A": 1, "B": 2, "C": 0}
    assert set(summary["duration_holdout"]) == {4.0}


def test_summary_in_days_and_without_values():
    summary = customer_summary(
        THREE_CUSTOMERS, date_col="placed_at", calibration_end="2011-01-29", time_unit_days=1
    ).set_index("customer_id")

    # Without a value column every line is a purchase, the return day included, and E counts.
    assert summary["frequency"].to_dict() == {"A": 3, "B": 0, "C": 1, "E": 0}
    assert summary["recency"].to_dict() == {"A": 28.0, "B": 0.0, "C": 7.0, "E": 0.0}
    assert summary["T"].to_dict() == {"A": 28.0, "B": 14.0, "C": 19.0, "E": 24.0}
    assert summary["monetary_value"].eq(0).all()


def test_summary_reads_aware_times_as_utc_days_and_handles_empty_logs():
    late = pd.DataFrame(
        {"customer_id": [1, 1], "placed_at": pd.to_datetime(["2011-01-01 10:00", "2011-01-29 23:30"], utc=True)}
    )
    summary = customer_summary(late, calibration_end=pd.Timestamp("2011-01-29", tz="UTC"))
    assert summary[["frequency", "recency", "T"]].iloc[0].tolist() == [1.0, 4.0, 4.0]

    empty = customer_summary(log_of([]), calibration_end="2011-01-29", observation_end="2011-02-26")
    assert empty.empty
    assert list(empty.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "duration_holdout",
    ]


@pytest.mark.real_data
def test_summary_reproduces_the_published_cdnow_summary(cdnow_log, cdnow_summary):
    summary = customer_summary(
        cdnow_log, customer_col="customer", date_col="date", value_col="value", calibration_end="1997-09-30"
    )

    assert len(summary) == 2357
    assert (summary["frequency"].to_numpy() == cdnow_summary["frequency"].to_numpy()).all()
    # The published file rounds weeks to two decimals.
    assert np.abs(summary["recency"].to_numpy() - cdnow_summary["recency"].to_numpy()).max() < 0.005
    assert np.abs(summary["T"].to_numpy() - cdnow_summary["T"].to_numpy()).max() < 0.005


# BG/NBD


PARAMS = (0.5, 2.0, 0.8, 2.5)  # r, alpha, a, b


def test_bgnbd_log_likelihood_by_hand():
    r, alpha, a, b = PARAMS
    # x = 0: only the "still alive" term, and its beta functions cancel: (alpha / (alpha + T))^r.
    assert bgnbd_log_likelihood(PARAMS, [0], [0], [10])[0] == pytest.approx(0.5 * math.log(2 / 12), rel=1e-12)
    # x = 2, t_x = 4, T = 10, FHL 2005 eq. 6 in plain arithmetic:
    #   B(a, b+x)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
    # + B(a+1, b+x-1)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
    beta = lambda p, q: math.gamma(p) * math.gamma(q) / math.gamma(p + q)  # noqa: E731
    head = math.gamma(r + 2) * alpha**r / math.gamma(r)
    by_hand = beta(a, b + 2) / beta(a, b) * head / 12 ** (r + 2) + beta(a + 1, b + 1) / beta(a, b) * head / 6 ** (r + 2)
    assert by_hand == pytest.approx(0.0030064359786, rel=1e-10)
    assert bgnbd_log_likelihood(PARAMS, [2], [4], [10])[0] == pytest.approx(math.log(by_hand), rel=1e-12)


def fitted_bgnbd(params=PARAMS) -> BgNbd:
    model = BgNbd()
    model.params_ = dict(zip(BgNbd.param_names, params, strict=True))
    return model


def test_bgnbd_alive_and_expected_purchases_by_the_formula():
    model = fitted_bgnbd()
    r, alpha, a, b = PARAMS
    # Dropout only follows a purchase, so a customer without a repeat purchase is alive.
    assert model.probability_alive([0, 0], [0, 0], [3, 300]).tolist() == [1.0, 1.0]
    # 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + 0.8/3.5 * 2^2.5)
    assert model.probability_alive([2], [4], [10])[0] == pytest.approx(1 / (1 + 0.8 / 3.5 * 2**2.5))
    # FHL eq. 10 straight from scipy's 2F1 (fine for small x) agrees with the transformed form.
    x, t_x, age, t = 2, 4, 10, 5.0
    z = t / (alpha + age + t)
    direct = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z))
        * model.probability_alive([x], [t_x], [age])[0]
    )
    assert model.expected_purchases(t, [x], [t_x], [age])[0] == pytest.approx(direct, rel=1e-10)
    assert model.expected_purchases(0.0, [x], [t_x], [age])[0] == 0.0
    # A customer of age 0 is a new customer; at first everyone buys at the mean rate r / alpha.
    assert model.expected_purchases(t, [0], [0], [0])[0] == pytest.approx(model.expected_purchases_new_customer(t))
    assert model.expected_purchases_new_customer(1e-6) / 1e-6 == pytest.approx(r / alpha, rel=1e-4)


def test_bgnbd_stays_finite_for_hundreds_of_purchases():
    model = fitted_bgnbd((0.243, 4.414, 0.793, 2.426))
    x = np.array([0, 1, 300, 300, 1000])
    t_x = np.array([0, 0.5, 38.9, 5.0, 39.0])
    age = np.full(5, 39.0)

    expected = model.expected_purchases(39.0, x, t_x, age)
    alive = model.probability_alive(x, t_x, age)
    log_likelihood = model.log_likelihood(x, t_x, age)

    assert np.isfinite(expected).all() and np.isfinite(alive).all() and np.isfinite(log_likelihood).all()
    # Buying every day until a week ago: alive and buying on; stopping after week 5: gone.
    assert expected[2] > 100 and alive[2] > 0.9
    assert expected[3] < 1e-6 and alive[3] < 1e-6
    assert expected[4] > expected[2]


def test_hyp2f1_series_fallback_matches_scipy():
    a, b, c, z = np.array([0.3, 2.0]), np.array([-0.2, 1.5]), np.array([5.0, 400.0]), np.array([0.9, 0.5])
    from apps.segments.ml.bgnbd import _hyp2f1_series

    assert _hyp2f1_series(a, b, c, z) == pytest.approx(special.hyp2f1(a, b, c, z), rel=1e-12)
    assert hyp2f1(a, b, c, z) == pytest.approx(special.hyp2f1(a, b, c, z), rel=1e-12)


@pytest.mark.real_data
def test_bgnbd_reproduces_the_paper_on_cdnow(cdnow_summary):
    model = BgNbd().fit(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])

    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    assert {name: round(value, 3) for name, value in model.params_.items()} == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
    }
    assert round(model.log_likelihood_, 1) == -9582.4


def test_bgnbd_fit_recovers_simulated_parameters():
    rng = np.random.default_rng(3)
    n, (r, alpha, a, b) = 20_000, (0.5, 6.0, 1.2, 3.0)
    rate, dropout = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    age = rng.uniform(10, 52, n)
    purchases = rng.poisson(rate * age)
    x = np.minimum(purchases, rng.geometric(dropout))
    t_x = np.where(x > 0, rng.beta(np.maximum(x, 1), np.maximum(purchases - x + 1, 1)) * age, 0.0)

    model = BgNbd().fit(x, t_x, age)

    assert [model.params_[name] for name in BgNbd.param_names] == pytest.approx([r, alpha, a, b], rel=0.2)


def test_bgnbd_fit_on_a_sample_when_rows_are_many():
    rng = np.random.default_rng(0)
    x = rng.poisson(1.0, 5000).astype(float)
    age = rng.uniform(1, 40, 5000)
    t_x = np.where(x > 0, rng.uniform(0, 1, 5000) * age, 0.0)

    full, sampled = BgNbd().fit(x, t_x, age), BgNbd(max_fit_rows=2000).fit(x, t_x, age)

    assert sampled.fit_rows_ == 2000 and full.fit_rows_ == 5000
    assert sampled.params_["r"] == pytest.approx(full.params_["r"], rel=0.2)


def test_bgnbd_rejects_inconsistent_customers():
    with pytest.raises(ValueError, match="recency"):
        BgNbd().fit([1], [5.0], [3.0])
    with pytest.raises(ValueError, match="no customers"):
        BgNbd().fit([], [], [])


# Pareto/NBD


def test_pareto_nbd_died_term_matches_adaptive_quadrature():
    r, alpha, s, beta = params = (0.55, 10.58, 0.61, 11.67)
    for x, t_x, age in [(0, 0.0, 39.0), (2, 30.0, 39.0), (1, 0.1, 500.0), (50, 3.0, 1000.0), (5, 1.0, 30.0)]:
        integral = integrate.quad(
            lambda tau, x=x: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
            t_x,
            age,
            epsabs=0,
            epsrel=1e-13,
            limit=500,
        )[0]
        expected = (
            special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + np.log(s) + s * np.log(beta)
        ) + np.log(integral)
        assert pareto_nbd_log_parts(params, [x], [t_x], [age])[1][0] == pytest.approx(expected, rel=1e-10)


def test_pareto_nbd_stays_finite_at_extreme_parameters():
    # Homogeneous dropout (s, beta large) is where the closed form breaks down.
    for params in [(0.2, 3.0, 1e4, 1.6e5), (5.0, 0.1, 0.05, 1000.0)]:
        alive, died = pareto_nbd_log_parts(params, [0, 3, 300], [0, 10, 20], [39, 39, 39])
        assert np.isfinite(alive).all() and np.isfinite(died).all()


@pytest.mark.real_data
def test_pareto_nbd_reproduces_the_paper_on_cdnow(cdnow_summary):
    model = ParetoNbd().fit(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])

    # Fader, Hardie & Lee (2005), Pareto/NBD: r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67, LL = -9595.0
    assert {name: round(value, 2) for name, value in model.params_.items()} == {
        "r": 0.55,
        "alpha": 10.58,
        "s": 0.61,
        "beta": 11.67,
    }
    assert round(model.log_likelihood_, 1) == -9595.0
    alive = model.probability_alive([0, 5], [0, 38], [39, 39])
    assert 0 < alive[0] < 1 and alive[1] > 0.9


# Gamma-Gamma


def fitted_gamma_gamma(p=6.0, q=4.0, v=15.0) -> GammaGamma:
    model = GammaGamma()
    model.params_ = {"p": p, "q": q, "v": v}
    model.population_mean_ = p * v / (q - 1)
    return model


def test_gamma_gamma_expected_spend_by_hand():
    model = fitted_gamma_gamma()
    # p (v + m x) / (p x + q - 1) = 6 (15 + 40 * 2) / (12 + 3) = 38; population mean 6 * 15 / 3 = 30
    assert model.expected_spend([2, 0, 1], [40.0, 0.0, 0.0]).tolist() == pytest.approx([38.0, 30.0, 90 / 9])


def test_gamma_gamma_density_integrates_to_one():
    density = lambda m: math.exp(gamma_gamma_log_likelihood((6.0, 4.0, 15.0), [3], [m])[0])  # noqa: E731
    assert integrate.quad(density, 0, np.inf)[0] == pytest.approx(1.0, rel=1e-8)


def test_gamma_gamma_needs_repeat_spend():
    with pytest.raises(ValueError, match="at least two customers"):
        GammaGamma().fit([0, 1, 2], [0.0, 0.0, 10.0])


@pytest.mark.real_data
def test_gamma_gamma_reproduces_the_paper_on_cdnow(cdnow_log):
    summary = customer_summary(
        cdnow_log, customer_col="customer", date_col="date", value_col="value", calibration_end="1997-09-30"
    )
    model = GammaGamma().fit(summary["frequency"], summary["monetary_value"])

    # Fader, Hardie & Lee (2005), "RFM and CLV": 946 customers, p = 6.25, q = 3.74, gamma = 15.44
    assert model.fit_customers_ == 946
    assert {name: round(value, 2) for name, value in model.params_.items()} == {"p": 6.25, "q": 3.74, "v": 15.44}
