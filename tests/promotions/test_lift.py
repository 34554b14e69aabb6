import math

import numpy as np
import pytest

from apps.promotions.ml.lift import Z_95, mean_lift, rate_lift


def test_rate_lift_by_hand():
    # 30/100 against 20/100: se = sqrt(.3*.7/100 + .2*.8/100) = sqrt(.0037)
    lift = rate_lift(treatment_hits=30, treatment_size=100, control_hits=20, control_size=100)
    se = math.sqrt(0.0037)
    assert lift.difference == pytest.approx(0.10)
    assert (lift.low, lift.high) == (pytest.approx(0.10 - Z_95 * se), pytest.approx(0.10 + Z_95 * se))
    assert lift.low == pytest.approx(-0.019220, abs=1e-6)
    assert lift.relative == pytest.approx(0.5)
    assert not lift.significant


def test_mean_lift_by_hand_and_empty_groups():
    # means 3 and 1; sample variances 1 and 1; se = sqrt(1/3 + 1/3)
    lift = mean_lift(np.array([2.0, 3.0, 4.0]), np.array([0.0, 1.0, 2.0]))
    assert lift.difference == 2.0
    assert lift.low == pytest.approx(2.0 - Z_95 * math.sqrt(2 / 3))
    assert lift.significant
    assert mean_lift(np.array([1.0]), np.array([1.0, 2.0])) is None
    assert rate_lift(treatment_hits=0, treatment_size=0, control_hits=1, control_size=5) is None
    assert rate_lift(treatment_hits=1, treatment_size=5, control_hits=0, control_size=5).relative is None
