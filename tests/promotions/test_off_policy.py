"""Off-policy estimates on a four-row log worked out by hand, and a check on simulated data that
the doubly robust estimate with a cross-fitted model finds the true value."""

import numpy as np
import pytest

from apps.promotions.ml.off_policy import doubly_robust, ips, policy_difference, snips

# Two arms. Row: logged arm, outcome, probability the logged arm had.
ARM = np.array([0, 1, 1, 0])
Y = np.array([1.0, 1.0, 0.0, 0.0])
PROPENSITY = np.array([0.5, 0.25, 0.5, 0.5])
# The policy agrees with the log on rows 1 and 3 only: weights 1/0.25 = 4 and 1/0.5 = 2.
POLICY = np.array([1, 1, 0, 0])
OUTCOMES = np.array([[0.5, 0.5], [0.2, 0.6], [0.4, 0.4], [0.1, 0.3]])


def test_ips_and_snips_by_hand():
    # IPS = (4 * 1 + 2 * 0) / 4 rows = 1.0; SNIPS = 4 / (4 + 2) = 2/3.
    assert ips(ARM, Y, PROPENSITY, POLICY, n_boot=0).estimate == 1.0
    assert snips(ARM, Y, PROPENSITY, POLICY, n_boot=0).estimate == pytest.approx(2 / 3)


def test_doubly_robust_by_hand():
    # Row terms: m(policy arm) + w (y - m(logged arm)):
    # 0.5 + 0;  0.6 + 4 (1 - 0.6) = 2.2;  0.4 + 0;  0.1 + 2 (0 - 0.1) = -0.1.  Mean 3.0 / 4 = 0.75.
    value = doubly_robust(ARM, Y, PROPENSITY, POLICY, outcomes=OUTCOMES, n_boot=0)
    assert value.estimate == pytest.approx(0.75)


def test_a_stochastic_policy_weights_rows_by_its_probabilities():
    # Half and half: weights 0.5/0.5 = 1, 0.5/0.25 = 2, 1, 1. IPS = (1 + 2) / 4; SNIPS = 3 / 5.
    half = np.full((4, 2), 0.5)
    assert ips(ARM, Y, PROPENSITY, half, n_boot=0).estimate == 0.75
    assert snips(ARM, Y, PROPENSITY, half, n_boot=0).estimate == pytest.approx(0.6)


def test_a_difference_is_paired_and_a_fixed_seed_repeats_the_interval():
    # Baseline "arm 0 for all" matches rows 0 and 3 at weight 2: IPS (2 + 0) / 4 = 0.5; difference 0.5.
    baseline = np.zeros(4, dtype=int)
    first = policy_difference(ARM, Y, PROPENSITY, POLICY, baseline, n_boot=200, seed=3)
    again = policy_difference(ARM, Y, PROPENSITY, POLICY, baseline, n_boot=200, seed=3)

    assert first.estimate == 0.5
    assert (first.low, first.high) == (again.low, again.high)
    assert first.low <= first.estimate <= first.high


def test_cross_fitted_doubly_robust_recovers_a_known_policy_value():
    # Arm 1 lifts the rate from 0.2 to 0.5 where x > 0 only; the policy "arm 1 where x > 0" is
    # worth 0.5 * 0.5 + 0.5 * 0.2 = 0.35.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 1))
    arm = rng.integers(0, 2, 4000)
    y = (rng.random(4000) < np.where((arm == 1) & (x[:, 0] > 0), 0.5, 0.2)).astype(float)
    policy = (x[:, 0] > 0).astype(int)

    value = doubly_robust(arm, y, 0.5, policy, X=np.column_stack([x, x > 0]), n_boot=200, seed=0)

    assert value.low < 0.35 < value.high
    assert abs(value.estimate - 0.35) < 0.02
