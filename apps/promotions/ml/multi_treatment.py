"""An outcome model per arm for campaigns with several offers and a control: each customer's
expected outcome under every arm, and so the incremental outcome of each offer against control.

Why one model per arm. With a randomised log every arm's rows are a fair sample of the customers,
so a model fitted on one arm's rows estimates E[y | x, arm] for everybody; the difference between
two arms' predictions is the customer's uplift (the "T-learner" generalised to K arms). It is the
simplest estimator that lets each arm have its own slopes, and on a few tens of thousands of rows a
regularised logistic regression per arm is both stable and fast. Any scikit-learn estimator can be
passed instead (a gradient-boosted classifier for example); it is cloned once per arm.

Cross-fitting. Predictions used to choose or to score a policy on the same rows must not come from
a model that saw those rows, or the policy learns the noise; `cross_fitted_outcomes` returns
out-of-fold predictions (folds stratified on arm and outcome, seeded) for that.

Arms are integers 0..K-1 here; the control's index is the caller's business (`uplift(control=...)`).
"""

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def _is_binary(y: np.ndarray) -> bool:
    return bool(np.isin(y, (0.0, 1.0)).all())


class MultiArmOutcomeModel(BaseEstimator):
    """One regression per arm of y on X. Binary outcomes get a standardised L2 logistic regression
    (strength `C`) and predictions are probabilities; other outcomes get a standardised ridge
    (alpha = 1 / C). An arm whose rows hold a single outcome value predicts that value, and an arm
    with no rows predicts the overall mean, so a thin arm never breaks a fit.

    After fit: n_arms_, binary_, models_ (None where the arm predicts a constant), constants_."""

    def __init__(self, estimator=None, C: float = 1.0, max_iter: int = 500):
        self.estimator = estimator
        self.C = C
        self.max_iter = max_iter

    def _template(self, binary: bool):
        if self.estimator is not None:
            return self.estimator
        if binary:
            return make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=self.max_iter))
        return make_pipeline(StandardScaler(), Ridge(alpha=1.0 / self.C))

    def fit(self, X, arm, y, n_arms: int | None = None) -> "MultiArmOutcomeModel":
        X, arm, y = np.asarray(X, dtype=float), np.asarray(arm, dtype=int), np.asarray(y, dtype=float)
        self.n_arms_ = int(n_arms if n_arms is not None else arm.max() + 1)
        self.binary_ = _is_binary(y)
        self.models_, self.constants_ = [], np.full(self.n_arms_, y.mean() if len(y) else 0.0)
        for k in range(self.n_arms_):
            rows = arm == k
            if rows.any():
                self.constants_[k] = y[rows].mean()
            if rows.sum() < 2 or np.unique(y[rows]).size < 2:
                self.models_.append(None)
                continue
            self.models_.append(clone(self._template(self.binary_)).fit(X[rows], y[rows]))
        return self

    def predict_outcomes(self, X) -> np.ndarray:
        """(n, K): expected outcome of every row under every arm."""
        X = np.asarray(X, dtype=float)
        out = np.empty((len(X), self.n_arms_))
        for k, model in enumerate(self.models_):
            if model is None:
                out[:, k] = self.constants_[k]
            elif self.binary_ and hasattr(model, "predict_proba"):
                out[:, k] = model.predict_proba(X)[:, 1]
            else:
                out[:, k] = model.predict(X)
        return out

    def predict_uplift(self, X, control: int = 0) -> np.ndarray:
        """(n, K): each arm's expected outcome minus the control's (the control's column is 0)."""
        outcomes = self.predict_outcomes(X)
        return outcomes - outcomes[:, [control]]


def stratified_folds(arm, y, n_folds: int, random_state: int) -> np.ndarray:
    """Fold number of every row, stratified on arm and on whether the outcome is positive, so each
    fold holds every arm's responders in proportion."""
    arm, y = np.asarray(arm, dtype=int), np.asarray(y, dtype=float)
    strata = arm * 2 + (y > 0)
    folds = np.empty(len(arm), dtype=int)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(arm)), strata)):
        folds[test] = fold
    return folds


def cross_fitted_outcomes(
    model: MultiArmOutcomeModel, X, arm, y, *, n_arms: int | None = None, n_folds: int = 5, random_state: int = 0
) -> np.ndarray:
    """(n, K) out-of-fold predictions: each row's outcomes under every arm from a clone of `model`
    fitted on the other folds."""
    X, arm, y = np.asarray(X, dtype=float), np.asarray(arm, dtype=int), np.asarray(y, dtype=float)
    n_arms = int(n_arms if n_arms is not None else arm.max() + 1)
    folds = stratified_folds(arm, y, n_folds, random_state)
    out = np.empty((len(X), n_arms))
    for fold in range(n_folds):
        test = folds == fold
        fitted = clone(model).fit(X[~test], arm[~test], y[~test], n_arms=n_arms)
        out[test] = fitted.predict_outcomes(X[test])
    return out
