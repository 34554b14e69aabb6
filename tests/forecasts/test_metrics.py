import numpy as np
import pytest

from apps.forecasts.ml import metrics


def test_mase_divides_the_mean_absolute_error_by_the_in_sample_naive_error():
    history = np.array([[1.0, 3.0, 2.0, 4.0]])  # one-step changes 2, 1, 2: scale 5/3
    actual, forecast = np.array([[2.0, 2.0]]), np.array([[3.0, 1.0]])  # MAE 1
    scale = metrics.mase_scale(history)
    assert scale == pytest.approx([5 / 3])
    assert metrics.mase(actual, forecast, scale) == pytest.approx([0.6])


def test_wape_is_total_absolute_error_over_total_actual():
    actual = np.array([[2.0, 2.0], [10.0, 0.0]])
    forecast = np.array([[3.0, 1.0], [7.0, 1.0]])
    assert metrics.wape(actual, forecast) == pytest.approx((1 + 1 + 3 + 1) / 14)


def test_a_flat_history_has_no_mase_and_is_left_out_of_the_mean_but_not_of_wape():
    history = np.array([[5.0, 5.0, 5.0], [1.0, 2.0, 1.0]])  # scales: none, 1
    actual = np.array([[5.0], [2.0]])
    forecast = np.array([[4.0], [1.0]])
    summary = metrics.summary(actual, forecast, history)
    assert summary == {
        "mase_mean": 1.0,
        "mase_median": 1.0,
        "wape": pytest.approx(2 / 7),
        "series": 2,
        "series_with_mase": 1,
    }


def test_coverage_counts_actuals_inside_their_interval_bounds_included():
    actual = np.array([[1.0, 5.0, 9.0, 3.0]])
    assert metrics.coverage(actual, np.array([[1.0, 0.0, 0.0, 4.0]]), np.array([[2.0, 5.0, 8.0, 6.0]])) == 0.5
