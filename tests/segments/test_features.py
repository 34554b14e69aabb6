"""Customer features on three hand-made customers, and the model matrix on degenerate ones."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from apps.segments.ml.features import FEATURE_COLUMNS, MODEL_COLUMNS, customer_features, model_matrix

AS_OF = dt.datetime(2011, 2, 1, 18, 0, tzinfo=dt.UTC)


def lines(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "product_id", "placed_at", "quantity", "amount"])
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True)
    return frame


THREE_CUSTOMERS = lines(
    [
        # 1: two purchases, then returns two units of product 100.
        (1, 11, 100, "2011-01-01 10:00", 2, 20.0),
        (1, 11, 101, "2011-01-01 10:00", 1, 20.0),
        (1, 12, 100, "2011-01-11 10:00", 4, 40.0),
        (1, 13, 100, "2011-01-15 10:00", -2, -20.0),
        # 2: a purchase on the cutoff day, nine hours before as_of, and one after it (ignored).
        (2, 21, 101, "2011-01-20 09:00", 1, 20.0),
        (2, 22, 102, "2011-02-01 09:00", 5, 12.5),
        (2, 22, 103, "2011-02-01 09:00", 1, 2.5),
        (2, 23, 104, "2011-02-02 09:00", 9, 90.0),
        # 3: only returns, of goods bought before the log starts.
        (3, 31, 100, "2011-01-05 12:00", -1, -10.0),
        (3, 32, 101, "2011-01-25 12:00", -2, -40.0),
    ]
)


def test_features_of_three_hand_made_customers():
    features = customer_features(THREE_CUSTOMERS, as_of=AS_OF)

    assert features.index.name == "customer_id"
    assert list(features.columns) == list(FEATURE_COLUMNS)
    assert features.to_dict(orient="index") == {
        # Last purchase 21 days 8 hours before as_of, first 31 days 8 hours; the return is
        # netted from the spend; baskets of 3 and 4 items; 20 returned of 80 bought.
        1: {
            "recency_days": 21,
            "frequency": 2,
            "monetary": 60.0,
            "basket_size": 3.5,
            "product_variety": 2,
            "return_rate": 0.25,
            "tenure_days": 31,
        },
        # Bought less than a day before as_of: recency 0. Baskets of 1 and 6 items.
        2: {
            "recency_days": 0,
            "frequency": 2,
            "monetary": 35.0,
            "basket_size": 3.5,
            "product_variety": 3,
            "return_rate": 0.0,
            "tenure_days": 12,
        },
        # No purchase: dates from the returns, nothing bought, everything returned.
        3: {
            "recency_days": 7,
            "frequency": 0,
            "monetary": -50.0,
            "basket_size": 0.0,
            "product_variety": 0,
            "return_rate": 1.0,
            "tenure_days": 27,
        },
    }
    assert features.dtypes.astype(str).to_dict() == {
        "recency_days": "int64",
        "frequency": "int64",
        "monetary": "float64",
        "basket_size": "float64",
        "product_variety": "int64",
        "return_rate": "float64",
        "tenure_days": "int64",
    }


def test_a_purchase_at_the_as_of_moment_has_recency_zero():
    features = customer_features(THREE_CUSTOMERS, as_of=dt.datetime(2011, 2, 1, 9, 0, tzinfo=dt.UTC))

    assert features.loc[2, "recency_days"] == 0
    assert features.loc[2, "frequency"] == 2


def test_orders_are_netted_before_counting_purchases():
    features = customer_features(
        lines(
            [
                # Bought 3, one line cancelled inside the same order: one purchase of 2 items.
                (1, 10, 100, "2011-01-10", 3, 30.0),
                (1, 10, 100, "2011-01-10", -1, -10.0),
                # A free sample nets to zero: not a purchase, its product not counted as bought.
                (1, 11, 200, "2011-01-20", 1, 0.0),
            ]
        ),
        as_of=AS_OF,
    )

    row = features.loc[1]
    assert (row["frequency"], row["basket_size"], row["product_variety"], row["monetary"]) == (1, 2.0, 1, 20.0)
    assert row["recency_days"] == 22  # from the purchase, not from the later free sample
    assert row["return_rate"] == pytest.approx(10 / 30)


def test_returns_beyond_the_purchases_cap_the_return_rate_at_one():
    features = customer_features(
        lines([(1, 10, 100, "2011-01-10", 1, 10.0), (1, 11, 100, "2011-01-11", -3, -30.0)]), as_of=AS_OF
    )

    assert features.loc[1, "return_rate"] == 1.0
    assert features.loc[1, "monetary"] == -20.0


def test_no_lines_give_an_empty_table_with_the_columns():
    features = customer_features(lines([]), as_of=AS_OF)

    assert features.empty
    assert list(features.columns) == list(FEATURE_COLUMNS)
    matrix, _ = model_matrix(features)
    assert matrix.shape == (0, len(MODEL_COLUMNS))


def test_model_matrix_logs_clips_and_standardises():
    features = customer_features(THREE_CUSTOMERS, as_of=AS_OF)

    matrix, scaler = model_matrix(features)

    assert matrix.shape == (3, len(MODEL_COLUMNS))
    # Before scaling: log1p of monetary clipped at 0 (customer 3's refund reads as no spend).
    monetary = MODEL_COLUMNS.index("monetary")
    assert scaler.mean_[monetary] == pytest.approx((math.log1p(60) + math.log1p(35) + 0.0) / 3)
    assert MODEL_COLUMNS[-1] == "return_rate"
    assert scaler.mean_[-1] == pytest.approx(1.25 / 3)  # the rate enters as is
    np.testing.assert_allclose(matrix.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(matrix.std(axis=0), 1.0)


@pytest.mark.parametrize("scaling", ["standard", "robust"])
def test_model_matrix_is_finite_on_degenerate_customers(scaling):
    features = pd.DataFrame(
        {
            "recency_days": [0, 0, 5, 0],
            "frequency": [0, 0, 1, 0],
            "monetary": [-50.0, 0.0, 1e12, -1e-9],
            "basket_size": [0.0, 0.0, 0.0, 0.0],  # constant: scales to 0, not NaN
            "product_variety": [0, 0, 1, 0],
            "return_rate": [1.0, 0.0, 0.0, 1.0],
            "tenure_days": [0, 0, 0, 0],
        },
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )

    matrix, _ = model_matrix(features, scaling=scaling)

    assert np.isfinite(matrix).all()
    assert (matrix[:, MODEL_COLUMNS.index("basket_size")] == 0).all()
    single, _ = model_matrix(features.iloc[:1], scaling=scaling)
    assert np.isfinite(single).all() and (single == 0).all()


def test_model_matrix_rejects_an_unknown_scaling():
    with pytest.raises(ValueError):
        model_matrix(customer_features(THREE_CUSTOMERS, as_of=AS_OF), scaling="minmax")
