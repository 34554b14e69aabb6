"""Lifetime value from order lines as the segments run publishes it."""

import datetime as dt

import numpy as np
import pandas as pd

from apps.segments.ml import lifetime_value
from apps.segments.ml.lifetime_value import customer_lifetime_value

AS_OF = dt.datetime(2011, 7, 1, tzinfo=dt.UTC)


def lines(customers: int, *, seed: int = 0) -> pd.DataFrame:
    """Each customer buys on a few random days of the half-year before AS_OF; customer 999
    only ever returns goods."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(1, customers + 1):
        for order, day in enumerate(sorted(rng.choice(180, size=rng.integers(1, 6), replace=False))):
            placed = pd.Timestamp(AS_OF) - pd.Timedelta(days=int(day) + 1)
            rows.append((customer, customer * 100 + order, 1, placed, 2, 20.0))
    rows.append((999, 99_900, 1, pd.Timestamp(AS_OF) - pd.Timedelta(days=3), -2, -20.0))
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "product_id", "placed_at", "quantity", "amount"])


def test_every_customer_who_kept_something_gets_finite_value_and_one_who_returned_all_is_left_out():
    value = customer_lifetime_value(lines(40), as_of=AS_OF, horizon_days=90)

    assert list(value.table.index) == list(range(1, 41))
    assert np.isfinite(value.table.to_numpy()).all()
    assert (value.table["predicted_value"] >= 0).all()
    assert value.table["probability_alive"].between(0, 1).all()
    assert value.metrics["horizon_days"] == 90


def test_a_large_store_is_fitted_on_a_sample_and_scored_whole(monkeypatch):
    monkeypatch.setattr(lifetime_value, "MAX_FIT_CUSTOMERS", 25)

    value = customer_lifetime_value(lines(40), as_of=AS_OF, horizon_days=90)

    assert value.metrics["fitted_on_customers"] == 25
    assert list(value.table.index) == list(range(1, 41))
    assert np.isfinite(value.table.to_numpy()).all()


def test_no_purchases_before_the_cutoff_give_an_empty_table():
    value = customer_lifetime_value(lines(5), as_of=dt.datetime(2010, 1, 1, tzinfo=dt.UTC))

    assert value.table.empty
    assert value.metrics["model"] is None
