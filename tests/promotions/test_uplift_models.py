"""Uplift models on synthetic campaigns whose uplift is known by construction, and the selection
protocol's promise that the test half plays no part in the choice."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge

from apps.promotions.ml.uplift_models import (
    AveragedUplift,
    ClassTransformation,
    ScreenedUplift,
    SLearner,
    TLearner,
    TransformedOutcome,
    TwoHeadNet,
    UpliftForest,
    XLearner,
)
from apps.promotions.ml.uplift_selection import Candidate, evaluate_uplift, select_model, split_halves


def synthetic_campaign(rows=3000, seed=0):
    """The e-mail adds 30 points to the visit rate of customers with x0 > 0 and nothing to the
    others; x1 moves everyone's baseline, x2 is noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    t = rng.integers(0, 2, rows)
    responsive = X[:, 0] > 0
    rate = 0.2 + 0.1 * (X[:, 1] > 0) + 0.3 * t * responsive
    y = (rng.random(rows) < rate).astype(float)
    return X, t, y, responsive


def _boosted():
    return HistGradientBoostingRegressor(max_depth=2, min_samples_leaf=100, max_iter=50, learning_rate=0.1)


MODELS = {
    "s_learner": lambda: SLearner(LogisticRegression(), interactions=True),
    "t_learner": lambda: TLearner(LogisticRegression()),
    "x_learner": lambda: XLearner(_boosted(), Ridge(), propensity=0.5),
    "class_transformation": lambda: ClassTransformation(LogisticRegression()),
    "transformed_outcome": lambda: TransformedOutcome(_boosted()),
    "uplift_forest": lambda: UpliftForest(n_estimators=20, min_samples_leaf=100, min_split_z=2.0),
    "screened": lambda: ScreenedUplift(TLearner(LogisticRegression())),
    "averaged": lambda: AveragedUplift([TLearner(LogisticRegression()), UpliftForest(n_estimators=10)]),
    "two_head_net": lambda: TwoHeadNet(hidden=8, epochs=150),
}


@pytest.mark.parametrize("name", MODELS)
def test_each_model_ranks_the_responsive_customers_first(name):
    X, t, y, _ = synthetic_campaign()
    fresh, _, _, responsive = synthetic_campaign(seed=1)
    model = MODELS[name]().fit(X, t, y)
    assert model.fit(X, t, y) is model
    predicted = model.predict_uplift(fresh)
    assert predicted.shape == (len(fresh),)
    # The top half of the ranking should be (almost) the responsive half.
    top = np.argsort(-predicted, kind="stable")[: len(fresh) // 2]
    assert responsive[top].mean() > 0.85
    assert predicted[responsive].mean() > predicted[~responsive].mean() + 0.1 * np.std(predicted)


def test_screening_keeps_the_feature_that_carries_the_uplift():
    X, t, y, _ = synthetic_campaign()
    model = ScreenedUplift(TLearner(LogisticRegression()), min_z=3.0).fit(X, t, y)
    assert model.columns_.tolist() == [0]


def test_models_reject_a_single_arm():
    X, t, y, _ = synthetic_campaign(rows=50)
    with pytest.raises(ValueError, match="both the treated and the control"):
        TLearner(LogisticRegression()).fit(X, np.ones(50, dtype=int), y)


SMALL_GRID = [
    Candidate("t_learner", lambda seed: TLearner(LogisticRegression()), 1),
    Candidate("forest", lambda seed: UpliftForest(n_estimators=10, min_samples_leaf=50, random_state=seed), 2),
]


def test_the_choice_is_made_on_the_train_half_alone():
    X, t, y, _ = synthetic_campaign(rows=1200)
    first = evaluate_uplift(X, t, y, seed=3, candidates=SMALL_GRID, n_folds=3, n_bootstrap=20)
    train, test = split_halves(t, y, seed=3)
    assert len(train) == len(test) == 600
    # The split depends on treatment and outcome only, so scrambling the test half's features keeps it, and
    # scaling its amounts keeps it too (amounts are stratified on being positive): the figures reported
    # change, the choice does not.
    rng = np.random.default_rng(9)
    scrambled = X.copy()
    scrambled[test] = rng.normal(size=(len(test), X.shape[1]))
    second = evaluate_uplift(scrambled, t, y, seed=3, candidates=SMALL_GRID, n_folds=3, n_bootstrap=20)
    assert second.selection == first.selection
    assert second.models != first.models
    amounts = y * 20.0
    rescaled = amounts.copy()
    rescaled[test] *= rng.uniform(0.1, 10.0, len(test))
    as_amounts = evaluate_uplift(X, t, amounts, seed=3, candidates=SMALL_GRID, n_folds=3, n_bootstrap=20)
    rescaled_report = evaluate_uplift(X, t, rescaled, seed=3, candidates=SMALL_GRID, n_folds=3, n_bootstrap=20)
    assert rescaled_report.selection == as_amounts.selection
    assert rescaled_report.ate != as_amounts.ate
    assert select_model(X[train], t[train], y[train], candidates=SMALL_GRID, n_folds=3, seed=3) == first.selection


def test_the_split_is_stratified_on_treatment_and_outcome():
    X, t, y, _ = synthetic_campaign(rows=1000)
    train, test = split_halves(t, y, seed=0)
    for arm in (0, 1):
        for outcome in (0, 1):
            in_train = np.sum((t[train] == arm) & (y[train] == outcome))
            in_test = np.sum((t[test] == arm) & (y[test] == outcome))
            assert abs(in_train - in_test) <= 1


def test_simpler_model_wins_a_near_tie():
    X, t, y, _ = synthetic_campaign(rows=1200)
    same = [
        Candidate("complex", lambda seed: TLearner(LogisticRegression()), 2),
        Candidate("simple", lambda seed: TLearner(LogisticRegression()), 1),
    ]
    selection = select_model(X, t, y, candidates=same, n_folds=3)
    assert selection.selected == "simple"
