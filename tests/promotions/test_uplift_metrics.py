"""Uplift metrics on eight customers, every figure worked out by hand below."""

import numpy as np
import pytest

from apps.promotions.ml.uplift_metrics import (
    average_treatment_effect,
    bootstrap_interval,
    qini_auc_score,
    qini_curve,
    random_uplift_at_k_quantile,
    uplift_at_k,
    uplift_auc_score,
    uplift_curve,
)

# Already ranked by score, highest first.
SCORE = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
TREATED = np.array([1, 0, 1, 0, 1, 0, 1, 0])
Y = np.array([1, 0, 1, 1, 0, 0, 0, 1])


def test_uplift_at_k_overall_and_by_group():
    # Top int(8 * 0.5) = 4: treated rows 0, 2 respond (1.0), control rows 1, 3: one of two (0.5).
    assert uplift_at_k(Y, SCORE, TREATED, k=0.5) == pytest.approx(0.5)
    # Top int(8 * 0.3) = 2: treated row 0 responds, control row 1 does not.
    assert uplift_at_k(Y, SCORE, TREATED) == pytest.approx(1.0)
    assert uplift_at_k(Y, SCORE, TREATED, k=4) == pytest.approx(0.5)
    # By group: top 2 treated (rows 0, 2) -> 1.0, top 2 control (rows 1, 3) -> 0.5.
    assert uplift_at_k(Y, SCORE, TREATED, k=0.5, strategy="by_group") == pytest.approx(0.5)


def test_a_cut_through_tied_scores_takes_the_last_rows_first():
    # All tied: the ranking is the input reversed, rows 7, 6, 5, 4: treated 6, 4 (0 of 2), control 7, 5 (1 of 2).
    assert uplift_at_k(Y, np.zeros(8), TREATED, k=0.5) == pytest.approx(-0.5)


def test_qini_curve_and_coefficient():
    # Q(i) = r_t - r_c * n_t / n_c after each row:
    # i=1 1-0=1; i=2 1; i=3 2; i=4 2-1*2/2=1; i=5 2-1*3/2=0.5; i=6 2-1*3/3=1; i=7 2-1*4/3=2/3; i=8 2-2=0.
    x, q = qini_curve(Y, SCORE, TREATED)
    assert x.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert q == pytest.approx([0, 1, 1, 2, 1, 0.5, 1, 2 / 3, 0])
    # Trapezoids: 0.5 + 1 + 1.5 + 1.5 + 0.75 + 0.75 + 5/6 + 1/3 = 43/6; the random line ends at 0.
    # Perfect score y*t - y*(1-t): rows 0, 2 (1) | 1, 4, 5, 6 (0) | 3, 7 (-1); tied rows enter together:
    # (0, 0), (2, 2), (6, 2 - 0), (8, 0) -> area 2 + 8 + 2 = 12.  Qini = (43/6) / 12 = 43/72.
    assert qini_auc_score(Y, SCORE, TREATED) == pytest.approx(43 / 72)


def test_uplift_curve_and_auuc():
    # U(i) = (r_t/n_t - r_c/n_c) * i: 1, 2, 3, (1 - 1/2)*4 = 2, (2/3 - 1/2)*5 = 5/6, (2/3 - 1/3)*6 = 2,
    # (1/2 - 1/3)*7 = 7/6, 0.  Area 0.5 + 1.5 + 2.5 + 2.5 + 17/12 + 17/12 + 19/12 + 7/12 = 12.
    x, u = uplift_curve(Y, SCORE, TREATED)
    assert u == pytest.approx([0, 1, 2, 3, 2, 5 / 6, 2, 7 / 6, 0])
    # Perfect: control responders (2) do not outnumber treated non-responders (2), so 2*(y == t) + t:
    # rows 0, 2 -> 3; 1, 5 -> 2; 4, 6 -> 1; 3, 7 -> 0.  Points (2, 2), (4, 4), (6, 3), (8, 0): area 18.
    assert uplift_auc_score(Y, SCORE, TREATED) == pytest.approx(12 / 18)


def test_tied_scores_score_as_a_random_ranking():
    assert qini_auc_score(Y, np.ones(8), TREATED) == pytest.approx(0.0)
    assert uplift_auc_score(Y, np.ones(8), TREATED) == pytest.approx(0.0)


def test_amounts_use_the_same_curves():
    spend = Y * 10.0
    assert qini_auc_score(spend, SCORE, TREATED) == pytest.approx(43 / 72)
    assert uplift_at_k(spend, SCORE, TREATED, k=0.5) == pytest.approx(5.0)


def test_average_treatment_effect_and_bad_input():
    # Treated 1, 1, 0, 0 -> 0.5; control 0, 1, 0, 1 -> 0.5.
    assert average_treatment_effect(Y, TREATED) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="treatment"):
        uplift_at_k(Y, SCORE, TREATED * 2)
    with pytest.raises(ValueError, match="k="):
        uplift_at_k(Y, SCORE, TREATED, k=1.5)
    with pytest.raises(ValueError, match="length"):
        qini_auc_score(Y[:5], SCORE, TREATED)


def test_bootstrap_interval_holds_the_estimate_and_repeats_with_its_seed():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, 400)
    score = rng.normal(size=400)
    y = (rng.random(400) < 0.2 + 0.2 * t * (score > 0)).astype(int)
    first = bootstrap_interval(qini_auc_score, y, score, t, n_bootstrap=50, random_state=1)
    again = bootstrap_interval(qini_auc_score, y, score, t, n_bootstrap=50, random_state=1)
    assert first == again
    assert first.low < first.estimate < first.high
    assert first.estimate == pytest.approx(qini_auc_score(y, score, t))
    assert random_uplift_at_k_quantile(y, t, n_orderings=50) < uplift_at_k(y, score, t)
