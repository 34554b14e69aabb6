"""Uplift models: who is moved by a promotion, rather than who would respond anyway. Each is fitted
on a randomised campaign log (features X, treatment 0/1, outcome y) and predicts, per customer,
the difference the treatment makes to the expected outcome; only the ranking matters to the
metrics in uplift_metrics.py, so some models predict uplift on their own scale.

Common interface (scikit-learn style: hyperparameters in __init__, fit returns self):
    model.fit(X, treatment, y) -> model;  model.predict_uplift(X) -> 1-d float array.

- SLearner: one outcome model on X plus the treatment flag (optionally its interactions with X);
  uplift = f(x, 1) - f(x, 0). Cheap, but a tree model may never split on the flag.
- TLearner: one outcome model per arm; uplift = f1(x) - f0(x). Each model's noise adds up.
- XLearner (Kunzel et al., 2019): T-learner outcome models, then imputed effects (treated:
  y - f0(x); control: f1(x) - y) regressed on X per arm, blended by the propensity g: g*tau0 +
  (1-g)*tau1. In a randomised campaign g is the share treated, known by design, so it is not fitted.
- ClassTransformation (Jaskowski & Jaroszewicz, 2012): binary y; Z = 1 for treated responders and
  control non-responders; uplift = 2 P(Z=1 | x) - 1. Rows are weighted so the arms count equally,
  which keeps the identity true when the split is not 50/50.
- TransformedOutcome: y* = y (t - g) / (g (1 - g)) has E[y* | x] = uplift; any regressor; works
  for amounts as well as 0/1 outcomes.
- UpliftForest: trees grown directly on the uplift (Rzepakowski & Jaroszewicz's squared-distance
  criterion: a split gains the share-weighted squared treatment effect of its children over the
  parent's), on quantile-binned features, with subsampling and a random share of the features per
  split. The effect in a leaf is shrunk towards its parent's by `smoothing` pseudo-customers per
  arm: uplift is a small difference of two noisy rates, so leaves must be big and damped.
- TwoHeadNet: a small PyTorch network, a shared trunk and one head per arm, trained on each row's
  own arm (binary cross-entropy for 0/1 outcomes, squared error otherwise); torch is imported only
  when it is fitted.
- AveragedUplift: the mean of several models' predictions, each divided by its spread on the
  fitting data so no model dominates by scale. Averaging learners with different errors is the
  cheapest regularisation there is for a signal this weak.
"""

import numpy as np
from sklearn.base import clone, is_classifier


class UpliftModel:
    """fit(X, treatment, y) -> self; predict_uplift(X) -> np.ndarray."""

    def fit(self, X, treatment, y) -> "UpliftModel":
        raise NotImplementedError

    def predict_uplift(self, X) -> np.ndarray:
        raise NotImplementedError

    def get_params(self) -> dict:
        return {name: value for name, value in vars(self).items() if not name.endswith("_")}

    def __repr__(self) -> str:
        params = ", ".join(f"{name}={value!r}" for name, value in self.get_params().items())
        return f"{type(self).__name__}({params})"


def _arrays(X, treatment, y=None):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("X must be a 2-d matrix")
    t = np.asarray(treatment).ravel()
    if len(t) != len(X) or not np.isin(t, (0, 1)).all():
        raise ValueError("treatment must hold 0 (control) or 1 (treated), one per row of X")
    t = t.astype(np.int64)
    if t.min() == t.max():
        raise ValueError("both the treated and the control must be present")
    if y is None:
        return X, t
    y = np.asarray(y, dtype=np.float64).ravel()
    if len(y) != len(X):
        raise ValueError("y must have one value per row of X")
    return X, t, y


def _matrix(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("X must be a 2-d matrix")
    return X


def _response(estimator, X) -> np.ndarray:
    """Expected outcome: P(y=1) for a classifier, the prediction for a regressor."""
    if is_classifier(estimator):
        return estimator.predict_proba(X)[:, 1]
    return estimator.predict(X)


def _treated_share(t: np.ndarray, propensity: float | None) -> float:
    share = float(t.mean()) if propensity is None else float(propensity)
    if not 0.0 < share < 1.0:
        raise ValueError(f"propensity must be in (0, 1), not {share}")
    return share


class SLearner(UpliftModel):
    def __init__(self, estimator, *, interactions: bool = False):
        self.estimator = estimator
        self.interactions = interactions

    def _design(self, X, t) -> np.ndarray:
        flag = np.full((len(X), 1), t, dtype=np.float64) if np.isscalar(t) else t[:, None].astype(np.float64)
        return np.hstack([X, flag, X * flag]) if self.interactions else np.hstack([X, flag])

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        self.model_ = clone(self.estimator).fit(self._design(X, t), y)
        return self

    def predict_uplift(self, X):
        X = _matrix(X)
        return _response(self.model_, self._design(X, 1)) - _response(self.model_, self._design(X, 0))


class TLearner(UpliftModel):
    def __init__(self, estimator, *, control_estimator=None):
        self.estimator = estimator
        self.control_estimator = control_estimator

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        self.treated_ = clone(self.estimator).fit(X[t == 1], y[t == 1])
        self.control_ = clone(self.control_estimator or self.estimator).fit(X[t == 0], y[t == 0])
        return self

    def predict_uplift(self, X):
        X = _matrix(X)
        return _response(self.treated_, X) - _response(self.control_, X)


class XLearner(UpliftModel):
    def __init__(self, outcome_estimator, effect_estimator, *, propensity: float | None = None):
        self.outcome_estimator = outcome_estimator
        self.effect_estimator = effect_estimator
        self.propensity = propensity

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        self.share_ = _treated_share(t, self.propensity)
        outcomes = TLearner(self.outcome_estimator).fit(X, t, y)
        treated, control = t == 1, t == 0
        imputed_treated = y[treated] - _response(outcomes.control_, X[treated])
        imputed_control = _response(outcomes.treated_, X[control]) - y[control]
        self.effect_treated_ = clone(self.effect_estimator).fit(X[treated], imputed_treated)
        self.effect_control_ = clone(self.effect_estimator).fit(X[control], imputed_control)
        return self

    def predict_uplift(self, X):
        X = _matrix(X)
        return self.share_ * self.effect_control_.predict(X) + (1.0 - self.share_) * self.effect_treated_.predict(X)


class ClassTransformation(UpliftModel):
    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("class transformation needs a 0/1 outcome; use TransformedOutcome for amounts")
        share = t.mean()
        z = (y == t).astype(np.int64)
        weight = np.where(t == 1, 0.5 / share, 0.5 / (1.0 - share))
        self.model_ = clone(self.estimator).fit(X, z, **_weight_kwargs(self.estimator, weight))
        return self

    def predict_uplift(self, X):
        return 2.0 * self.model_.predict_proba(_matrix(X))[:, 1] - 1.0


class TransformedOutcome(UpliftModel):
    def __init__(self, estimator, *, propensity: float | None = None):
        self.estimator = estimator
        self.propensity = propensity

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        share = _treated_share(t, self.propensity)
        self.model_ = clone(self.estimator).fit(X, y * (t - share) / (share * (1.0 - share)))
        return self

    def predict_uplift(self, X):
        return self.model_.predict(_matrix(X))


def _weight_kwargs(estimator, weight: np.ndarray) -> dict:
    # A pipeline routes sample_weight to its last step by that step's name.
    steps = getattr(estimator, "steps", None)
    return {f"{steps[-1][0]}__sample_weight": weight} if steps else {"sample_weight": weight}


class AveragedUplift(UpliftModel):
    def __init__(self, models: list[UpliftModel], *, weights: list[float] | None = None):
        self.models = models
        self.weights = weights

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        self.models_ = [_fresh(model).fit(X, t, y) for model in self.models]
        # Each model's spread on the fitting data fixes its scale, so a batch of one predicts the same.
        self.scales_ = [float(np.std(model.predict_uplift(X))) or 1.0 for model in self.models_]
        return self

    def predict_uplift(self, X):
        X = _matrix(X)
        weights = np.ones(len(self.models_)) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        parts = [m.predict_uplift(X) / s for m, s in zip(self.models_, self.scales_, strict=True)]
        return np.average(parts, axis=0, weights=weights)


def _fresh(model: UpliftModel) -> UpliftModel:
    return type(model)(**model.get_params())


class UpliftForest(UpliftModel):
    """min_samples_leaf counts customers of each arm in a leaf; max_features is the share of the
    features tried at each split; subsample the share of rows (without replacement) per tree."""

    def __init__(
        self,
        *,
        n_estimators: int = 100,
        max_depth: int = 4,
        min_samples_leaf: int = 400,
        max_features: float = 0.6,
        subsample: float = 0.5,
        max_bins: int = 32,
        smoothing: float = 100.0,
        min_split_z: float = 0.0,
        random_state: int = 0,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.subsample = subsample
        self.max_bins = max_bins
        self.smoothing = smoothing
        self.min_split_z = min_split_z
        self.random_state = random_state

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        self.edges_ = [self._edges(column) for column in X.T]
        binned = self._binned(X)
        rng = np.random.default_rng(self.random_state)
        rows_per_tree = max(2, int(round(self.subsample * len(X))))
        self.trees_ = []
        for _ in range(self.n_estimators):
            rows = rng.choice(len(X), size=rows_per_tree, replace=False) if self.subsample < 1 else np.arange(len(X))
            self.trees_.append(self._grow(binned[rows], t[rows], y[rows], rng))
        return self

    def predict_uplift(self, X):
        binned = self._binned(_matrix(X))
        return np.mean([self._predict_tree(tree, binned) for tree in self.trees_], axis=0)

    def _edges(self, column: np.ndarray) -> np.ndarray:
        quantiles = np.quantile(column, np.linspace(0, 1, self.max_bins + 1)[1:-1])
        return np.unique(quantiles)

    def _binned(self, X: np.ndarray) -> np.ndarray:
        if X.shape[1] != len(self.edges_):
            raise ValueError(f"X has {X.shape[1]} columns; the forest was fitted on {len(self.edges_)}")
        return np.column_stack([np.searchsorted(e, c, side="right") for e, c in zip(self.edges_, X.T, strict=True)])

    def _grow(self, binned, t, y, rng) -> dict:
        n_features = binned.shape[1]
        bins = self.max_bins
        offsets = np.arange(n_features) * bins
        tries = max(1, int(round(self.max_features * n_features)))
        feature, threshold, left, right, value = [], [], [], [], []

        def leaf_effect(n_t, s_t, n_c, s_c, prior_t, prior_c):
            # Shrunk towards the parent's rates by `smoothing` pseudo-customers per arm.
            m = self.smoothing
            return (s_t + m * prior_t) / (n_t + m) - (s_c + m * prior_c) / (n_c + m)

        def node(rows, depth, prior_t, prior_c):
            index = len(value)
            for column in (feature, threshold, left, right, value):
                column.append(-1)
            tt, yy = t[rows], y[rows]
            n_t, n_c = float(tt.sum()), float(len(tt) - tt.sum())
            s_t, s_c = float(yy[tt == 1].sum()), float(yy[tt == 0].sum())
            rate_t, rate_c = (
                (s_t + self.smoothing * prior_t) / (n_t + self.smoothing),
                (s_c + self.smoothing * prior_c) / (n_c + self.smoothing),
            )
            value[index] = rate_t - rate_c
            if depth >= self.max_depth or min(n_t, n_c) < 2 * self.min_samples_leaf:
                return index
            chosen = rng.choice(n_features, size=tries, replace=False)
            codes = (binned[rows][:, chosen] + offsets[:tries]).ravel()
            size = tries * bins
            weights = (tt.astype(np.float64), 1.0 - tt, yy * tt, yy * (1 - tt), yy**2 * tt, yy**2 * (1 - tt))
            totals = [float(w.sum()) for w in weights]
            lefts = [
                np.cumsum(np.bincount(codes, weights=np.repeat(w, tries), minlength=size).reshape(tries, bins), axis=1)
                for w in weights
            ]
            left_nt, left_nc, left_st, left_sc, left_qt, left_qc = (c[:, :-1] for c in lefts)
            right_nt, right_nc, right_st, right_sc, right_qt, right_qc = (
                total - c[:, :-1] for total, c in zip(totals, lefts, strict=True)
            )
            smallest = np.minimum(np.minimum(left_nt, left_nc), np.minimum(right_nt, right_nc))
            allowed = smallest >= self.min_samples_leaf
            if self.min_split_z > 0 and allowed.any():
                # The children's effects must differ by min_split_z standard errors: a weaker
                # split is more likely noise than heterogeneity.
                with np.errstate(divide="ignore", invalid="ignore"):
                    parts = [
                        (s_ / n_, (q_ / n_ - (s_ / n_) ** 2) / n_)
                        for s_, q_, n_ in (
                            (left_st, left_qt, left_nt),
                            (left_sc, left_qc, left_nc),
                            (right_st, right_qt, right_nt),
                            (right_sc, right_qc, right_nc),
                        )
                    ]
                    difference = (parts[0][0] - parts[1][0]) - (parts[2][0] - parts[3][0])
                    spread = np.sqrt(sum(variance for _, variance in parts))
                    allowed &= np.abs(difference) >= self.min_split_z * spread
            if not allowed.any():
                return index
            effect_left = leaf_effect(left_nt, left_st, left_nc, left_sc, rate_t, rate_c)
            effect_right = leaf_effect(right_nt, right_st, right_nc, right_sc, rate_t, rate_c)
            share_left = (left_nt + left_nc) / (n_t + n_c)
            gain = share_left * effect_left**2 + (1 - share_left) * effect_right**2 - value[index] ** 2
            gain = np.where(allowed, gain, -np.inf)
            best = np.unravel_index(np.argmax(gain), gain.shape)
            if gain[best] <= 0:
                return index
            column, cut = int(chosen[best[0]]), int(best[1])
            goes_left = binned[rows, column] <= cut
            feature[index], threshold[index] = column, cut
            left[index] = node(rows[goes_left], depth + 1, rate_t, rate_c)
            right[index] = node(rows[~goes_left], depth + 1, rate_t, rate_c)
            return index

        rate_t, rate_c = y[t == 1].mean(), y[t == 0].mean()
        node(np.arange(len(t)), 0, rate_t, rate_c)
        return {
            name: np.asarray(v)
            for name, v in zip(
                ("feature", "threshold", "left", "right", "value"),
                (feature, threshold, left, right, value),
                strict=True,
            )
        }

    @staticmethod
    def _predict_tree(tree: dict, binned: np.ndarray) -> np.ndarray:
        at = np.zeros(len(binned), dtype=np.int64)
        while True:
            inner = tree["feature"][at] >= 0
            if not inner.any():
                return tree["value"][at]
            rows = np.flatnonzero(inner)
            node = at[rows]
            goes_left = binned[rows, tree["feature"][node]] <= tree["threshold"][node]
            at[rows] = np.where(goes_left, tree["left"][node], tree["right"][node])


class TwoHeadNet(UpliftModel):
    """A trunk of `hidden` units (one layer), a head per arm; Adam with weight decay, full-batch
    epochs on standardised features. Uplift = head1(x) - head0(x), as probabilities for 0/1 y."""

    def __init__(
        self,
        *,
        hidden: int = 16,
        epochs: int = 200,
        learning_rate: float = 0.02,
        weight_decay: float = 1e-3,
        random_state: int = 0,
    ):
        self.hidden = hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.random_state = random_state

    def fit(self, X, treatment, y):
        import torch

        X, t, y = _arrays(X, treatment, y)
        self.binary_ = bool(np.isin(y, (0.0, 1.0)).all())
        self.mean_, self.scale_ = X.mean(axis=0), X.std(axis=0) + 1e-9
        torch.manual_seed(self.random_state)
        self.net_ = torch.nn.Sequential(
            torch.nn.Linear(X.shape[1], self.hidden), torch.nn.ReLU(), torch.nn.Linear(self.hidden, 2)
        )
        features = torch.tensor((X - self.mean_) / self.scale_, dtype=torch.float32)
        arm = torch.tensor(t)
        target = torch.tensor(y, dtype=torch.float32)
        loss_fn = torch.nn.BCEWithLogitsLoss() if self.binary_ else torch.nn.MSELoss()
        optimiser = torch.optim.Adam(self.net_.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        for _ in range(self.epochs):
            optimiser.zero_grad()
            output = self.net_(features).gather(1, arm[:, None]).squeeze(1)
            loss_fn(output, target).backward()
            optimiser.step()
        return self

    def predict_uplift(self, X):
        import torch

        features = torch.tensor((_matrix(X) - self.mean_) / self.scale_, dtype=torch.float32)
        with torch.no_grad():
            output = self.net_(features)
            if self.binary_:
                output = torch.sigmoid(output)
        output = output.numpy().astype(np.float64)
        return output[:, 1] - output[:, 0]


class ScreenedUplift(UpliftModel):
    """`model` fitted on the features whose interaction with the treatment is significant on the
    fitting data: |z| >= min_z for the correlation of the feature with the transformed outcome
    y (t - g) / (g (1 - g)), whose mean given x is the uplift. With a weak signal, a low-capacity
    model on the few features that carry it ranks better than any model on all of them; if no
    feature passes, the single strongest is kept."""

    def __init__(self, model: UpliftModel, *, min_z: float = 3.0):
        self.model = model
        self.min_z = min_z

    def fit(self, X, treatment, y):
        X, t, y = _arrays(X, treatment, y)
        share = t.mean()
        transformed = y * (t - share) / (share * (1.0 - share))
        centred = X - X.mean(axis=0)
        spread = np.sqrt((centred**2).sum(axis=0) * ((transformed - transformed.mean()) ** 2).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            correlation = np.where(spread > 0, centred.T @ (transformed - transformed.mean()) / spread, 0.0)
        self.z_ = np.abs(correlation) * np.sqrt(len(X) - 2)
        kept = np.flatnonzero(self.z_ >= self.min_z)
        self.columns_ = kept if len(kept) else np.array([int(np.argmax(self.z_))])
        self.model_ = _fresh(self.model).fit(X[:, self.columns_], t, y)
        return self

    def predict_uplift(self, X):
        return self.model_.predict_uplift(_matrix(X)[:, self.columns_])
