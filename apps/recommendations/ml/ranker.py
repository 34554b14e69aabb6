"""A learned ranker on top of the other families: each source family (repurchase, EASE, item and
user kNN, content, popularity) proposes its top CANDIDATES_PER_SOURCE products per customer, and a
gradient-boosted LambdaRank model (LightGBM) orders the union by features of the pair:

- per source: its score (divided by the customer's best score from that source) and its rank;
- the customer and the product: how many orders held it, days since the last one (a large
  number when never), whether bought before;
- the product: buyers (log), the share of its buyers in the last 30 and 90 days (trend), its
  unit price (log) where the log has prices;
- the customer (RFM-like): orders (log), days since the last purchase, distinct products (log).

It learns from the validation weeks' purchases (relevance 1 for a bought candidate). The
validation figures other families are compared on must not be the ranker's own training labels,
so they are cross-fitted: customers split in two folds by id, each fold ranked by a model trained
on the other. The model served and measured on the test weeks is trained on all of them.
Products outside every source's candidates score below all candidates, in popularity order.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.recommenders import BATCH, Recommender

CANDIDATES_PER_SOURCE = 50
NEVER_BOUGHT_DAYS = 10_000.0
FOLDS = 2
# Fewer customers with a bought candidate than this per fold, and there is too little to learn from.
MIN_TRAINING_CUSTOMERS = 30
# LambdaRank's cost grows with the candidates it learns from; past a few thousand customers the
# model stops improving (1,400 on the UCI log), so larger stores train on a fixed random sample.
MAX_TRAINING_CUSTOMERS = 3_000


class TooFewLabels(ValueError):
    """Too few validation customers bought any candidate to train a ranker."""


# LambdaRank settings, fixed (not tuned on the test weeks): shallow trees, many of them, slowly.
RANKER_PARAMS = {
    "objective": "lambdarank",
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "lambdarank_truncation_level": 20,
    "random_state": 0,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}


@dataclass(frozen=True)
class Source:
    name: str
    build: Callable[[], Recommender]


class CandidateFeatures:
    """The sources fitted on one Interactions, and the statistics the features need."""

    def __init__(self, sources: list[Source], data: Interactions):
        self.data = data
        self.names = [source.name for source in sources]
        self.models = [source.build().fit(data) for source in sources]
        bought = data.binary
        self.buyers = np.asarray(bought.sum(axis=0)).ravel()
        recency = data.last_bought
        recent = {}
        for days in (30, 90):
            within = recency.copy()
            within.data = ((within.data > 0) & (within.data <= days + 1)).astype(np.float32)
            recent[days] = np.asarray(within.sum(axis=0)).ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            self.trend_30 = np.where(self.buyers > 0, recent[30] / self.buyers, 0.0)
            self.trend_90 = np.where(self.buyers > 0, recent[90] / self.buyers, 0.0)
        prices = data.unit_prices if data.unit_prices is not None else np.zeros(len(data.products))
        self.log_price = np.log1p(np.nan_to_num(prices))
        self.customer_orders = np.log1p(data.orders_per_customer)
        self.customer_recency = _days_since_last_purchase(recency)
        self.customer_breadth = np.log1p(np.diff(bought.indptr))
        self.column_names = [f"{n}_{part}" for n in self.names for part in ("score", "rank")] + [
            "orders_with_it",
            "days_since_bought",
            "bought_before",
            "log_buyers",
            "trend_30",
            "trend_90",
            "log_price",
            "customer_log_orders",
            "customer_recency_days",
            "customer_log_breadth",
        ]

    def candidates(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(position in `rows`, column, features) of every candidate, grouped by row in order."""
        k = min(CANDIDATES_PER_SOURCE, len(self.data.products))
        scores, ranks, chosen = [], [], np.zeros((len(rows), len(self.data.products)), dtype=bool)
        for model in self.models:
            score = np.asarray(model.score(rows), dtype=np.float64)
            top = (
                np.argpartition(-score, k - 1, axis=1)[:, :k]
                if k < score.shape[1]
                else np.tile(np.arange(score.shape[1]), (len(rows), 1))
            )
            order = np.take_along_axis(top, np.argsort(-np.take_along_axis(score, top, axis=1), axis=1), axis=1)
            rank = np.full(score.shape, k + 1, dtype=np.float32)
            np.put_along_axis(rank, order, np.arange(1, k + 1, dtype=np.float32)[None, : order.shape[1]], axis=1)
            peak = np.abs(score).max(axis=1, keepdims=True)
            peak[peak == 0] = 1.0
            scores.append(score / peak)
            ranks.append(rank)
            np.put_along_axis(chosen, order, True, axis=1)
        position, column = np.nonzero(chosen)
        row = rows[position]
        orders_with_it = np.asarray(self.data.matrix[row, column]).ravel()
        last = np.asarray(self.data.last_bought[row, column]).ravel()
        days_since = np.where(last > 0, last - 1, NEVER_BOUGHT_DAYS)
        columns = [part[position, column] for pair in zip(scores, ranks, strict=True) for part in pair]
        columns += [
            orders_with_it,
            days_since,
            (orders_with_it > 0).astype(np.float64),
            np.log1p(self.buyers[column]),
            self.trend_30[column],
            self.trend_90[column],
            self.log_price[column],
            self.customer_orders[row],
            self.customer_recency[row],
            self.customer_breadth[row],
        ]
        return position, column, np.column_stack(columns).astype(np.float32)

    def fallback_order(self) -> np.ndarray:
        """Scores below every candidate's for the other products, best-sold first."""
        return -1e6 + self.buyers / (self.buyers.max() + 1.0)


def _days_since_last_purchase(last_bought) -> np.ndarray:
    """Per customer row: the smallest age among their products (stored as days + 1)."""
    recency = np.full(last_bought.shape[0], NEVER_BOUGHT_DAYS)
    starts = last_bought.indptr[:-1]
    has_any = np.diff(last_bought.indptr) > 0
    if has_any.any():
        recency[has_any] = np.minimum.reduceat(last_bought.data, starts[has_any]) - 1
    return recency


@dataclass
class CandidateSet:
    """Every candidate of some customers: position of the customer, column, features, relevance."""

    position: np.ndarray
    column: np.ndarray
    values: np.ndarray
    relevant: np.ndarray
    customers: int

    def groups(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Training data for the given customer positions, those with a bought candidate only:
        (features, labels, group sizes), rows grouped by customer as LambdaRank needs."""
        positives = np.bincount(self.position, weights=self.relevant, minlength=self.customers)
        sizes = np.bincount(self.position, minlength=self.customers)
        taken = np.zeros(self.customers, dtype=bool)
        taken[customers] = True
        taken &= positives > 0
        keep = taken[self.position]
        return self.values[keep], self.relevant[keep], sizes[taken]


def candidate_set(features: CandidateFeatures, rows: np.ndarray, truth: list[set]) -> CandidateSet:
    """Candidates of `rows` (customers), relevant where the column is in the customer's `truth`."""
    parts = []
    for start in range(0, len(rows), BATCH):
        position, column, values = features.candidates(rows[start : start + BATCH])
        position = position + start
        relevant = np.fromiter((c in truth[p] for p, c in zip(position, column, strict=True)), np.float32, len(column))
        parts.append((position, column, values, relevant))
    return CandidateSet(*(np.concatenate([part[i] for part in parts]) for i in range(4)), customers=len(rows))


def fit_ranker(values: np.ndarray, labels: np.ndarray, groups: np.ndarray):
    from lightgbm import LGBMRanker  # imported by the process that trains, only

    return LGBMRanker(**RANKER_PARAMS).fit(values, labels, group=groups)


class LearnedRanker(Recommender):
    """Scores the sources' candidates with a trained LambdaRank model; `fit` refits the sources."""

    def __init__(self, sources: list[Source], model, name: str = "lambdarank"):
        self.sources, self.model, self.name = sources, model, name

    def fit(self, data: Interactions):
        super().fit(data)
        self.features = CandidateFeatures(self.sources, data)
        return self

    def score(self, rows):
        rows = np.asarray(rows)
        scores = np.tile(self.features.fallback_order(), (len(rows), 1))
        position, column, values = self.features.candidates(rows)
        if len(position):
            scores[position, column] = self.model.predict(values)
        return scores


class CrossFitted(Recommender):
    """Fixed scores of some customers (rows of `data`), each from a ranker that never saw their labels."""

    def __init__(self, data: Interactions, rows: np.ndarray, scores: np.ndarray):
        self.data, self.name = data, "lambdarank (cross-fitted)"
        self.position = {int(row): index for index, row in enumerate(rows)}
        self.scores = scores

    def score(self, rows):
        return self.scores[[self.position[int(row)] for row in rows]]


def train_ranker(sources: list[Source], data: Interactions, truth: dict) -> tuple[CrossFitted, object]:
    """Train on the purchases in `truth` (customer id -> products bought in the label period) of
    customers with history in `data`. Returns the cross-fitted scores of those customers (for a
    fair validation figure) and the model trained on all of them (to measure and serve)."""
    customers = np.array(sorted(truth))
    rows = data.rows_for(customers)
    customers, rows = customers[rows >= 0], rows[rows >= 0]
    column_of = {int(product): column for column, product in enumerate(data.products)}
    truth_columns = [{column_of[p] for p in truth[c] if p in column_of} for c in customers]
    features = CandidateFeatures(sources, data)
    candidates = candidate_set(features, rows, truth_columns)
    everyone = np.arange(len(rows))
    fold = everyone % FOLDS  # customers are sorted by id: folds interleave them
    learnable = np.bincount(candidates.position, weights=candidates.relevant, minlength=len(rows)) > 0
    if min(learnable[fold == f].sum() for f in range(FOLDS)) < MIN_TRAINING_CUSTOMERS:
        raise TooFewLabels(f"fewer than {MIN_TRAINING_CUSTOMERS} customers per fold bought a candidate")
    learners = everyone
    if len(everyone) > MAX_TRAINING_CUSTOMERS:
        learners = np.sort(np.random.default_rng(0).choice(everyone, MAX_TRAINING_CUSTOMERS, replace=False))
    scores = np.tile(features.fallback_order(), (len(rows), 1))
    for held_out in range(FOLDS):
        model = fit_ranker(*candidates.groups(learners[fold[learners] != held_out]))
        shown = fold[candidates.position] == held_out
        scores[candidates.position[shown], candidates.column[shown]] = model.predict(candidates.values[shown])
    final = fit_ranker(*candidates.groups(learners))
    return CrossFitted(data, rows, scores), final
