"""The per-arm outcome model on data whose true rates are known, cross-fitting, and the three-arm
policy protocol on a synthetic log where targeting clearly pays."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from apps.promotions.ml.multi_treatment import MultiArmOutcomeModel, cross_fitted_outcomes, stratified_folds
from apps.promotions.ml.policy_evaluation import aipw_scores, learned_policy_report, switching_policy


def three_arm_log(n=6000, seed=0):
    """Control 0.1; arm A 0.3 for x < 0 and 0.15 above; arm B 0.15 for x < 0 and 0.3 above. Arm A
    is the best single arm by a hair (the x < 0 half is a little larger), the best policy sends A
    below 0 and B above: 0.3 against about 0.225."""
    rng = np.random.default_rng(seed)
    x = rng.normal(-0.05, 1.0, n)
    arm = rng.integers(0, 3, n)
    rate = np.select([arm == 0, arm == 1], [0.1, np.where(x < 0, 0.3, 0.15)], np.where(x < 0, 0.15, 0.3))
    y = (rng.random(n) < rate).astype(float)
    labels = np.array(["none", "A", "B"])[arm]
    return SimpleNamespace(
        features=pd.DataFrame({"x": x, "above": (x > 0).astype(float)}),
        treatment=labels,
        outcome=y,
        control="none",
        arms=("A", "B"),
    ), rate


def test_each_arm_gets_its_own_model_and_constant_arms_do_not_break_the_fit():
    X = np.array([[0.0], [1.0], [0.0], [1.0], [0.0], [1.0]])
    arm = np.array([0, 0, 1, 1, 2, 2])
    y = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 0.0])

    model = MultiArmOutcomeModel().fit(X, arm, y, n_arms=4)
    outcomes = model.predict_outcomes(X[:2])

    assert model.models_[1] is None and model.models_[2] is None and model.models_[3] is None
    assert outcomes[:, 1].tolist() == [1.0, 1.0]  # arm 1 always responded
    assert outcomes[:, 2].tolist() == [0.0, 0.0]  # arm 2 never did
    assert outcomes[:, 3].tolist() == [0.5, 0.5]  # no rows: the overall mean
    assert outcomes[0, 0] < 0.5 < outcomes[1, 0]
    assert model.predict_uplift(X[:1], control=2)[0].tolist() == pytest.approx([outcomes[0, 0], 1.0, 0.0, 0.5])


def test_predictions_recover_the_true_rates_and_cross_fitting_keeps_rows_out_of_their_model():
    log, rate = three_arm_log()
    X = log.features.to_numpy()
    arm = np.searchsorted(["A", "B", "none"], log.treatment)  # A=0, B=1, none=2
    model = MultiArmOutcomeModel().fit(X, arm, log.outcome)
    below, above = model.predict_outcomes([[-1.0, 0.0], [1.0, 1.0]])

    assert below.tolist() == pytest.approx([0.3, 0.15, 0.1], abs=0.03)
    assert above.tolist() == pytest.approx([0.15, 0.3, 0.1], abs=0.03)
    folds = stratified_folds(arm, log.outcome, 5, 0)
    assert np.bincount(folds).tolist() == [1200] * 5
    oof = cross_fitted_outcomes(model, X, arm, log.outcome, n_folds=5, random_state=0)
    assert oof.shape == (6000, 3)
    assert not np.allclose(oof, model.predict_outcomes(X))


def test_switching_needs_the_margin_and_aipw_scores_correct_the_logged_arm():
    outcomes = np.array([[0.1, 0.30, 0.32], [0.1, 0.3, 0.5]])
    assert switching_policy(outcomes, 1, 0.0).tolist() == [2, 2]
    assert switching_policy(outcomes, 1, 0.05).tolist() == [1, 2]
    # Row 0 logged arm 2 with y = 1 at propensity 1/3: 0.32 + 3 * 0.68 = 2.36; other arms unchanged.
    scores = aipw_scores(outcomes, np.array([2, 0]), np.array([1.0, 0.0]), np.full(2, 1 / 3))
    assert scores[0].tolist() == pytest.approx([0.1, 0.3, 2.36])
    assert scores[1].tolist() == pytest.approx([0.1 - 0.3, 0.3, 0.5])


def test_the_policy_protocol_finds_targeting_that_beats_the_best_single_arm():
    log, _ = three_arm_log()

    report = learned_policy_report(log, seed=0, n_boot=200)

    assert report.arms == ("none", "A", "B")
    assert report.best_arm == "A"
    assert report.n_learn == report.n_eval == 3000
    assert report.policy_share["B"] == pytest.approx(0.5, abs=0.05)
    assert report.policy_ips.estimate == pytest.approx(0.3, abs=0.02)
    assert report.difference_ips.low > 0
    assert report.difference_dr.low > 0
    assert report.policy_ips.low < report.policy_ips.estimate < report.policy_ips.high
