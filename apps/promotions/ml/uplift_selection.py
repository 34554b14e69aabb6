"""Choose an uplift model for a campaign log and report how every candidate does, without letting
the figures reported leak into the choice.

Protocol:
1. Split the log 50/50 with a seed, stratified on (treatment, outcome) (for an amount, on
   treatment and whether it is positive), so both halves hold the same arm and response shares.
2. Choose on the train half only: K-fold cross-fitting (default 5 folds, stratified the same
   way); each candidate is fitted on K-1 folds and scored on the fold left out by Qini
   coefficient and uplift@30%; the fold scores are averaged. Score = Qini / best Qini + uplift@30 /
   best uplift@30 (best over the candidates), so each metric counts equally whatever its scale.
   The candidate with the best score wins, except that the simplest candidate (lowest
   `complexity`) within SELECTION_MARGIN of it is preferred: near-ties are noise at these sample
   sizes, and a simple model is cheaper and easier to explain. If no candidate has a positive
   cross-fitted Qini and uplift@30, nothing beats a random ordering and the simplest is taken.
3. Refit every candidate on the whole train half and measure it on the test half: uplift@30%,
   Qini, AUUC; plus the test half's ATE and, for the chosen model, a bootstrap 95% interval of
   its uplift@30% and Qini. The test half's outcomes are read only here, after the choice.

The grid (default_candidates) is small on purpose: a few strongly regularised learners of
different kinds, each with hyperparameters a campaign of tens of thousands of customers supports
(many customers per leaf, shallow trees, heavy shrinkage), and their average. Uplift is a
difference of two noisy rates, usually a few points, so capacity hurts more than it helps, and a
grid with many settings would pick the one luckiest on the folds. The same grid serves any
store's log; only the cross-fitting decides.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from apps.promotions.ml.uplift_metrics import (
    Interval,
    average_treatment_effect,
    bootstrap_interval,
    qini_auc_score,
    uplift_at_k,
    uplift_auc_score,
)
from apps.promotions.ml.uplift_models import (
    AveragedUplift,
    ClassTransformation,
    ScreenedUplift,
    SLearner,
    TLearner,
    TransformedOutcome,
    UpliftForest,
    UpliftModel,
    XLearner,
)

SELECTION_MARGIN = 0.02
TOP_SHARE = 0.3
N_FOLDS = 5
N_BOOTSTRAP = 200


@dataclass(frozen=True)
class Candidate:
    """make: a function of the random seed returning an unfitted model. complexity: lower is simpler."""

    name: str
    make: Callable[[int], UpliftModel]
    complexity: int


@dataclass(frozen=True)
class CrossFitScore:
    qini: float
    uplift_at_30: float
    score: float
    seconds: float = field(compare=False)


@dataclass(frozen=True)
class TestScore:
    uplift_at_30: float
    qini: float
    auuc: float


@dataclass(frozen=True)
class Selection:
    """The choice made on the train half: the winner, why, and every candidate's cross-fitted score."""

    selected: str
    reason: str
    cross_fit: dict[str, CrossFitScore]


@dataclass(frozen=True)
class UpliftReport:
    selection: Selection
    ate: float
    models: dict[str, TestScore]
    uplift_at_30_interval: Interval
    qini_interval: Interval
    n_train: int
    n_test: int
    seed: int
    test_uplift: np.ndarray = field(repr=False)

    @property
    def selected(self) -> str:
        return self.selection.selected


def _hgb_regressor(depth: int, leaf: int, seed: int):
    return HistGradientBoostingRegressor(
        max_depth=depth, min_samples_leaf=leaf, learning_rate=0.05, max_iter=100, random_state=seed
    )


def _logistic(c: float):
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))


def default_candidates(*, binary: bool = True) -> list[Candidate]:
    """The documented grid. For an amount (binary=False) the classifiers become regressors and
    class transformation becomes transformed-outcome regression."""

    def s_learner(seed):
        estimator = _logistic(0.1) if binary else make_pipeline(StandardScaler(), Ridge(10.0))
        return SLearner(estimator, interactions=True)

    def t_learner(seed):
        return TLearner(_logistic(1.0) if binary else make_pipeline(StandardScaler(), Ridge(10.0)))

    def class_transformation(seed):
        if binary:
            return ClassTransformation(
                HistGradientBoostingClassifier(
                    max_depth=2, min_samples_leaf=500, learning_rate=0.05, max_iter=100, random_state=seed
                )
            )
        return TransformedOutcome(_hgb_regressor(2, 1000, seed))

    def x_learner(seed):
        return XLearner(_hgb_regressor(2, 200, seed), _hgb_regressor(2, 500, seed))

    def forest(seed):
        return UpliftForest(max_depth=6, min_samples_leaf=200, min_split_z=3.0, smoothing=100.0, random_state=seed)

    def screened(seed):
        return ScreenedUplift(t_learner(seed), min_z=3.0)

    def averaged(seed):
        return AveragedUplift([s_learner(seed), x_learner(seed), forest(seed)])

    return [
        Candidate("screened_t_learner", screened, 1),
        Candidate("s_learner_logistic", s_learner, 2),
        Candidate("t_learner_logistic", t_learner, 3),
        Candidate("class_transformation" if binary else "transformed_outcome", class_transformation, 4),
        Candidate("x_learner_boosted", x_learner, 5),
        Candidate("uplift_forest", forest, 6),
        Candidate("averaged", averaged, 7),
    ]


def strata(treatment: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Treatment x outcome (0/1) or treatment x (outcome > 0) (amounts)."""
    y = np.asarray(y, dtype=np.float64)
    response = y if np.isin(y, (0.0, 1.0)).all() else (y > 0)
    return 2 * np.asarray(treatment, dtype=np.int64) + response.astype(np.int64)


def split_halves(treatment: np.ndarray, y: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of the train and test halves, stratified on (treatment, outcome)."""
    rows = np.arange(len(treatment))
    train, test = train_test_split(rows, test_size=0.5, stratify=strata(treatment, y), random_state=seed)
    return np.sort(train), np.sort(test)


def select_model(
    X,
    treatment,
    y,
    *,
    candidates: list[Candidate] | None = None,
    n_folds: int = N_FOLDS,
    seed: int = 0,
    report: Callable[[str], None] | None = None,
) -> Selection:
    """Cross-fit every candidate on (X, treatment, y) (the train half) and choose by the rule in
    the module docstring. Sees no other data."""
    report = report or (lambda message: None)
    X, t, y = np.asarray(X, dtype=np.float64), np.asarray(treatment, dtype=np.int64), np.asarray(y, dtype=float)
    candidates = candidates or default_candidates(binary=bool(np.isin(y, (0.0, 1.0)).all()))
    folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(X, strata(t, y)))
    raw = {}
    for candidate in candidates:
        started = time.perf_counter()
        qinis, uplifts = [], []
        for fit_rows, score_rows in folds:
            model = candidate.make(seed).fit(X[fit_rows], t[fit_rows], y[fit_rows])
            predicted = model.predict_uplift(X[score_rows])
            qinis.append(qini_auc_score(y[score_rows], predicted, t[score_rows]))
            uplifts.append(uplift_at_k(y[score_rows], predicted, t[score_rows], k=TOP_SHARE))
        raw[candidate.name] = (float(np.nanmean(qinis)), float(np.nanmean(uplifts)), time.perf_counter() - started)
        report(
            f"cross-fitted {candidate.name}: qini {raw[candidate.name][0]:.4f}, uplift@30 {raw[candidate.name][1]:.4f}"
        )

    best_qini = max(q for q, _, _ in raw.values())
    best_uplift = max(u for _, u, _ in raw.values())
    by_complexity = sorted(candidates, key=lambda c: c.complexity)
    if best_qini <= 0 or best_uplift <= 0:
        scores = {name: CrossFitScore(q, u, float("nan"), s) for name, (q, u, s) in raw.items()}
        return Selection(
            by_complexity[0].name, "no candidate beat a random ordering when cross-fitted; the simplest", scores
        )
    scores = {name: CrossFitScore(q, u, q / best_qini + u / best_uplift, s) for name, (q, u, s) in raw.items()}
    best = max(scores, key=lambda name: scores[name].score)
    close = [c for c in by_complexity if scores[c.name].score >= scores[best].score - SELECTION_MARGIN]
    chosen = close[0].name
    if chosen == best:
        reason = f"best cross-fitted score {scores[best].score:.3f} (Qini and uplift@30 relative to the best)"
    else:
        reason = (
            f"simplest within {SELECTION_MARGIN} of the best cross-fitted score "
            f"({scores[chosen].score:.3f} against {best}'s {scores[best].score:.3f})"
        )
    return Selection(chosen, reason, scores)


def evaluate_uplift(
    X,
    treatment,
    y,
    *,
    seed: int = 0,
    candidates: list[Candidate] | None = None,
    n_folds: int = N_FOLDS,
    n_bootstrap: int = N_BOOTSTRAP,
    report: Callable[[str], None] | None = None,
) -> UpliftReport:
    """The whole protocol (module docstring) on one campaign arm against its control."""
    report = report or (lambda message: None)
    X, t, y = np.asarray(X, dtype=np.float64), np.asarray(treatment, dtype=np.int64), np.asarray(y, dtype=float)
    candidates = candidates or default_candidates(binary=bool(np.isin(y, (0.0, 1.0)).all()))
    train, test = split_halves(t, y, seed=seed)
    report(f"split: {len(train):,} train, {len(test):,} test rows; choosing on the train half")
    selection = select_model(
        X[train], t[train], y[train], candidates=candidates, n_folds=n_folds, seed=seed, report=report
    )
    report(f"selected {selection.selected}: {selection.reason}")

    models, chosen_uplift = {}, None
    for candidate in candidates:
        predicted = candidate.make(seed).fit(X[train], t[train], y[train]).predict_uplift(X[test])
        models[candidate.name] = TestScore(
            uplift_at_30=uplift_at_k(y[test], predicted, t[test], k=TOP_SHARE),
            qini=qini_auc_score(y[test], predicted, t[test]),
            auuc=uplift_auc_score(y[test], predicted, t[test]),
        )
        if candidate.name == selection.selected:
            chosen_uplift = predicted
        report(f"test half {candidate.name}: {models[candidate.name]}")

    def at_30(y_, u_, t_):
        return uplift_at_k(y_, u_, t_, k=TOP_SHARE)

    intervals = [
        bootstrap_interval(metric, y[test], chosen_uplift, t[test], n_bootstrap=n_bootstrap, random_state=seed)
        for metric in (at_30, qini_auc_score)
    ]
    return UpliftReport(
        selection=selection,
        ate=average_treatment_effect(y[test], t[test]),
        models=models,
        uplift_at_30_interval=intervals[0],
        qini_interval=intervals[1],
        n_train=len(train),
        n_test=len(test),
        seed=seed,
        test_uplift=chosen_uplift,
    )
