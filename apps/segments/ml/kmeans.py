"""K-means segments of customers on the scaled model matrix (see features.py): k chosen by
silhouette when not given, clusters numbered the same way on every run, each cluster put
into words, and a bootstrap score of how stable the clustering is.

Scale. Measured on 1,000,000 synthetic customers (7 columns, 2 cores): a full KMeans took
0.9-2.3 s per initialisation; MiniBatchKMeans took 14-23 s and reached a worse inertia;
KMeans fitted on a 200,000-row sample and then predicting everyone took 1.1-1.4 s, with an
inertia on all rows within 0.1% of the full fit's. So k is chosen on a fixed-seed sample of
`selection_size` rows (silhouette on `sample_size` of them, the same rows for every k), and
the final model is fitted on `fit_size` rows and predicts everyone; smaller inputs use all
rows. Silhouette is exact on its sample and costs O(sample_size^2), hence the cap.

Threads. On a busy 2-core machine OpenMP's spinning threads made a 4,372-row KMeans take
7.6 s instead of 0.07 s on one thread, and below ~50,000 rows a second thread saves
nothing; so fits and silhouettes on fewer rows than that run on one thread.

Starts. With 3 k-means++ starts, k=3 on the 4,372 UCI customers reached the better optimum
(inertia 17,001, silhouette 0.305) for one seed in four and a worse one (18,286, 0.283) for
the others, so the chosen k (3 or 4) hung on the seed and bootstrap refits disagreed (ARI
down to 0.59). 10 starts found it for every seed, at ~15 ms a fit. So inputs under 50,000 rows
get 10 starts; larger ones keep 3, where on the 20,000-row selection sample of a
100,000-customer store 10 starts cost another 0.9 s and chose the same k.

Canonical labels: clusters are numbered by descending mean of one column (monetary by
default), so cluster 0 is the highest-spending one in every run and runs can be compared.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import euclidean_distances
from threadpoolctl import threadpool_limits

from apps.segments.ml.features import FEATURE_COLUMNS, MODEL_COLUMNS, transformed_features

MONETARY_COLUMN = MODEL_COLUMNS.index("monetary")
SINGLE_THREAD_BELOW = 50_000
SILHOUETTE_CHUNK = 256
# k-means++ starts per fit (n_init), see the module docstring.
MANY_STARTS, FEW_STARTS, MANY_STARTS_BELOW = 10, 3, 50_000


def sample_rows(n_rows: int, size: int | None, random_state: int) -> np.ndarray:
    """Sorted indices of `size` rows drawn without replacement by a fixed seed; all rows when
    there are no more than `size`. The same seed gives nested samples: a smaller sample is part
    of every larger one."""
    if size is None or n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(random_state).permutation(n_rows)[:size])


def thread_limit(n_rows: int, n_threads: int | None = None):
    """A context that caps the numeric libraries' threads: `n_threads` when given, else one
    thread for small inputs (see the module docstring) and the library default above."""
    if n_threads is None and n_rows < SINGLE_THREAD_BELOW:
        n_threads = 1
    return threadpool_limits(limits=n_threads)


def silhouette(matrix: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette coefficient (Euclidean), as sklearn.metrics.silhouette_score computes it
    (a point alone in its cluster scores 0). -1.0 when there are fewer than two clusters: no
    separation to speak of."""
    return silhouettes(matrix, [labels])[0]


def silhouettes(matrix: np.ndarray, labellings: list[np.ndarray]) -> list[float]:
    """silhouette() of each labelling of the same rows, in row chunks: per-cluster distance sums
    come from one matrix product per chunk, several times faster than sklearn's row-by-row
    reduction, and the distances, most of the cost, are computed once for every labelling (k
    choice scores nine)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    results: list[float] = [-1.0] * len(labellings)
    scored = []  # (index in labellings, codes, first membership column, cluster sizes)
    blocks, offset = [], 0
    for index, labels in enumerate(labellings):
        _, codes = np.unique(np.asarray(labels), return_inverse=True)
        n_clusters = int(codes.max()) + 1 if len(codes) else 0
        if n_clusters < 2 or n_clusters >= len(matrix):
            continue
        membership = np.zeros((len(matrix), n_clusters))
        membership[np.arange(len(matrix)), codes] = 1.0
        scored.append((index, codes, offset, membership.sum(axis=0)))
        blocks.append(membership)
        offset += n_clusters
    if not scored:
        return results
    membership = np.hstack(blocks)
    scores = np.empty((len(scored), len(matrix)))
    with thread_limit(len(matrix)):
        for start in range(0, len(matrix), SILHOUETTE_CHUNK):
            stop = start + SILHOUETTE_CHUNK
            all_sums = euclidean_distances(matrix[start:stop], matrix) @ membership
            rows = np.arange(len(all_sums))
            for position, (_, codes, first, counts) in enumerate(scored):
                sums = all_sums[:, first : first + len(counts)]
                own = codes[start:stop]
                within = sums[rows, own] / np.maximum(counts[own] - 1, 1)
                between = sums / counts
                between[rows, own] = np.inf
                nearest = between.min(axis=1)
                denominator = np.maximum(np.maximum(within, nearest), np.finfo(float).tiny)
                scores[position, start:stop] = np.where(counts[own] > 1, (nearest - within) / denominator, 0.0)
    for position, (index, *_) in enumerate(scored):
        results[index] = float(scores[position].mean())
    return results


def canonical_order(matrix: np.ndarray, labels: np.ndarray, order_column: int = MONETARY_COLUMN) -> np.ndarray:
    """mapping[old label] = new label: clusters numbered 0.. by descending mean of `order_column`
    over their rows, ties broken by the other columns in turn; labels with no rows come last."""
    n_labels = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=n_labels)
    sums = np.stack(
        [np.bincount(labels, weights=matrix[:, column], minlength=n_labels) for column in range(matrix.shape[1])]
    )
    means = np.divide(sums, counts, out=np.full_like(sums, -np.inf), where=counts > 0)
    # np.lexsort sorts by its last key first; rounding keeps float noise from deciding ties.
    others = [-np.round(means[column], 9) for column in range(matrix.shape[1]) if column != order_column]
    order = np.lexsort(others[::-1] + [-np.round(means[order_column], 9), counts == 0])
    mapping = np.empty(n_labels, dtype=np.int64)
    mapping[order] = np.arange(n_labels)
    return mapping


class KMeansSegmenter:
    """K-means with k chosen by silhouette over `k_range` (inclusive) when `k` is None.

    After fit: labels_ (canonical, one per row), k_, cluster_centers_ (in canonical order),
    silhouette_by_k_ (the scores k was chosen by; empty when k was given), n_init_ (k-means++ starts
    per fit: `n_init`, or when None 10 under 50,000 rows and 3 above, see the module docstring)."""

    def __init__(
        self,
        k: int | None = None,
        k_range: tuple[int, int] = (2, 10),
        random_state: int = 0,
        sample_size: int = 5_000,
        selection_size: int = 20_000,
        fit_size: int = 200_000,
        n_init: int | None = None,
        order_column: int = MONETARY_COLUMN,
        n_threads: int | None = None,
    ):
        if k is not None and k < 1:
            raise ValueError("k must be at least 1")
        if k_range[0] < 2 or k_range[1] < k_range[0]:
            raise ValueError("k_range must be (low, high) with 2 <= low <= high")
        self.k, self.k_range, self.random_state = k, k_range, random_state
        self.sample_size, self.selection_size, self.fit_size = sample_size, selection_size, fit_size
        self.n_init, self.order_column, self.n_threads = n_init, order_column, n_threads

    def fit(self, matrix: np.ndarray):
        matrix = np.asarray(matrix, dtype=np.float64)
        self.silhouette_by_k_: dict[int, float] = {}
        # Decided by the whole input, not the sample being fitted, so a large store keeps its cheap fits.
        self.n_init_ = (
            self.n_init if self.n_init is not None else MANY_STARTS if len(matrix) < MANY_STARTS_BELOW else FEW_STARTS
        )
        selection = sample_rows(len(matrix), self.selection_size, self.random_state)
        distinct = len(np.unique(matrix[selection], axis=0)) if len(matrix) else 0
        chosen_model = None
        if self.k is not None:
            self.k_ = max(min(self.k, distinct), 1)
        else:
            self.k_, chosen_model = self._choose_k(matrix[selection], distinct)
        if distinct <= 1 or self.k_ == 1:
            # Nothing to separate: one cluster, its centre the mean.
            self.model_ = None
            self.cluster_centers_ = (
                matrix.mean(axis=0, keepdims=True) if len(matrix) else np.zeros((1, matrix.shape[1]))
            )
            self.labels_ = np.zeros(len(matrix), dtype=np.int64)
            return self
        fit_rows = sample_rows(len(matrix), self.fit_size, self.random_state)
        if chosen_model is not None and len(fit_rows) == len(selection):
            self.model_ = chosen_model  # fitted on these very rows while choosing k
        else:
            self.model_ = self._fit_kmeans(self.k_, matrix[fit_rows])
        with thread_limit(len(matrix), self.n_threads):
            raw = self.model_.predict(matrix)
        self._mapping = canonical_order(matrix, raw, self.order_column)
        self.labels_ = self._mapping[raw]
        self.cluster_centers_ = np.empty_like(self.model_.cluster_centers_)
        self.cluster_centers_[self._mapping] = self.model_.cluster_centers_
        return self

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        matrix = np.asarray(matrix, dtype=np.float64)
        if self.model_ is None:
            return np.zeros(len(matrix), dtype=np.int64)
        with thread_limit(len(matrix), self.n_threads):
            return self._mapping[self.model_.predict(matrix)]

    def fit_predict(self, matrix: np.ndarray) -> np.ndarray:
        return self.fit(matrix).labels_

    def _fit_kmeans(self, k: int, rows: np.ndarray) -> KMeans:
        with thread_limit(len(rows), self.n_threads):
            return KMeans(n_clusters=k, n_init=self.n_init_, random_state=self.random_state).fit(rows)

    def _choose_k(self, rows: np.ndarray, distinct: int) -> tuple[int, KMeans | None]:
        """(best k, its model fitted on `rows`), by silhouette on the same `sample_size` rows for
        every k. Ties go to the smaller k."""
        scored = sample_rows(len(rows), self.sample_size, self.random_state)
        highest = min(self.k_range[1], distinct, len(scored) - 1)
        models = {k: self._fit_kmeans(k, rows) for k in range(self.k_range[0], highest + 1)}
        scores = silhouettes(rows[scored], [model.labels_[scored] for model in models.values()])
        best_k, best_score, best_model = 1, -math.inf, None
        for (k, model), score in zip(models.items(), scores, strict=True):
            self.silhouette_by_k_[k] = round(score, 6)
            if score > best_score:
                best_k, best_score, best_model = k, score, model
        return best_k, best_model


@dataclass(frozen=True)
class ClusterDescription:
    """One cluster in words and numbers: `means` are the raw feature means; `differences` the
    cluster mean minus the overall mean, in overall standard deviations of the model-scale
    (log) feature, which is what ranks the features the sentence names."""

    label: int
    name: str
    sentence: str
    size: int
    share: float
    means: dict[str, float]
    differences: dict[str, float]


@dataclass(frozen=True)
class _Words:
    adjective: str  # in the sentence: "Frequent, high-spending, recent buyers"
    head: str  # the name's first part: "High spenders"
    qualifier: str  # the name's second part: ", recent"


# feature: (words when above the average, words when below), and the noun for "3x the average ...".
WORDS = {
    "recency_days": (_Words("lapsed", "Lapsed buyers", "lapsed"), _Words("recent", "Recent buyers", "recent")),
    "frequency": (
        _Words("frequent", "Frequent buyers", "frequent"),
        _Words("occasional", "Occasional buyers", "occasional"),
    ),
    "monetary": (
        _Words("high-spending", "High spenders", "high-spending"),
        _Words("low-spending", "Low spenders", "low-spending"),
    ),
    "basket_size": (
        _Words("big-basket", "Big baskets", "big baskets"),
        _Words("small-basket", "Small baskets", "small baskets"),
    ),
    "product_variety": (
        _Words("wide-ranging", "Wide-range buyers", "wide range"),
        _Words("narrow-range", "Narrow-range buyers", "narrow range"),
    ),
    "return_rate": (
        _Words("return-prone", "Returners", "many returns"),
        _Words("rarely-returning", "Non-returners", "few returns"),
    ),
    "tenure_days": (
        _Words("long-standing", "Long-standing customers", "long-standing"),
        _Words("new", "New customers", "new"),
    ),
}
NOUNS = {
    "recency_days": "time since last purchase",
    "frequency": "order count",
    "monetary": "spend",
    "basket_size": "basket",
    "product_variety": "product range",
    "return_rate": "return rate",
    "tenure_days": "tenure",
}
MENTION_THRESHOLD = 0.5  # standard deviations from the overall mean before a feature is worth a word
MAX_MENTIONED = 3


def describe_clusters(features: pd.DataFrame, labels: np.ndarray) -> list[ClusterDescription]:
    """One description per cluster, by ascending label. The sentence names up to three
    features whose cluster mean lies at least MENTION_THRESHOLD standard deviations from the
    overall mean (model scale: log of counts, days and amounts) and whose raw mean lies on the
    same side of the overall raw mean, most different first (ties in FEATURE_COLUMNS order);
    it then quantifies the first as a ratio of raw means ("3× the average spend", "40% of the
    average spend"). The name joins the first feature's head and the second's qualifier."""
    labels = np.asarray(labels)
    model_scale = transformed_features(features)[list(FEATURE_COLUMNS)]
    spread = model_scale.std(ddof=0).to_numpy()
    overall_scaled = model_scale.mean().to_numpy()
    overall_raw = features[list(FEATURE_COLUMNS)].mean()
    descriptions = []
    for label in np.unique(labels):
        members = labels == label
        raw_means = features.loc[members, list(FEATURE_COLUMNS)].mean()
        gap = model_scale.loc[members].mean().to_numpy() - overall_scaled
        # A constant column's std is float noise (~1e-16), not spread: it must not turn into a difference.
        differences = np.round(np.divide(gap, spread, out=np.zeros_like(gap), where=spread > 1e-9), 6)
        # A word must not contradict the raw means shown beside it: a few outliers can pull a raw
        # mean above average while most of the cluster sits below it on the log scale.
        raw_gap = (raw_means - overall_raw).to_numpy()
        mentioned = [
            index
            for index in sorted(range(len(FEATURE_COLUMNS)), key=lambda index: -abs(differences[index]))
            if abs(differences[index]) >= MENTION_THRESHOLD and raw_gap[index] * differences[index] > 0
        ][:MAX_MENTIONED]
        name, sentence = _words_for(
            [(FEATURE_COLUMNS[index], differences[index] > 0) for index in mentioned], raw_means, overall_raw
        )
        descriptions.append(
            ClusterDescription(
                label=int(label),
                name=name,
                sentence=sentence,
                size=int(members.sum()),
                share=round(float(members.mean()), 6),
                means={column: round(float(raw_means[column]), 6) for column in FEATURE_COLUMNS},
                differences={column: float(differences[i]) for i, column in enumerate(FEATURE_COLUMNS)},
            )
        )
    return descriptions


def _words_for(mentioned: list[tuple[str, bool]], raw_means: pd.Series, overall_raw: pd.Series) -> tuple[str, str]:
    if not mentioned:
        return "Typical customers", "Close to the average on every feature"
    words = [WORDS[feature][0 if above else 1] for feature, above in mentioned]
    name = words[0].head + (f", {words[1].qualifier}" if len(words) > 1 else "")
    adjectives = ", ".join(word.adjective for word in words)
    sentence = f"{adjectives[0].upper()}{adjectives[1:]} buyers"
    feature = mentioned[0][0]
    if overall_raw[feature] > 0 and raw_means[feature] >= 0:
        sentence += f"; {_ratio(raw_means[feature] / overall_raw[feature])} the average {NOUNS[feature]}"
    return name, sentence


def _ratio(ratio: float) -> str:
    if ratio >= 1:
        return f"{ratio:.1f}".removesuffix(".0") + "×"
    return f"{round(ratio * 100)}% of"


@dataclass(frozen=True)
class Stability:
    """Adjusted Rand index of the full fit's labels against each bootstrap fit's, on the
    resampled rows: 1.0 means every resample found the same partition."""

    mean: float
    min: float
    scores: tuple[float, ...] = field(default=())


def stability_ari(
    matrix: np.ndarray,
    segmenter_factory: Callable[[], object],
    n_bootstrap: int = 5,
    random_state: int = 0,
    *,
    reference_labels: np.ndarray | None = None,
    sample_size: int | None = None,
) -> Stability:
    """Fit `segmenter_factory()` (anything with fit(matrix) and labels_) on the full matrix,
    unless `reference_labels` gives that fit's labels already, and on `n_bootstrap` resamples
    drawn with replacement (`sample_size` rows each, default all: cap it for huge inputs);
    compare each resample's labels with the full fit's labels of the same rows."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if reference_labels is None:
        reference_labels = segmenter_factory().fit(matrix).labels_
    rng = np.random.default_rng(random_state)
    size = len(matrix) if sample_size is None else min(sample_size, len(matrix))
    scores = []
    for _ in range(n_bootstrap):
        rows = rng.integers(0, len(matrix), size=size)
        resampled = segmenter_factory().fit(matrix[rows]).labels_
        scores.append(round(float(adjusted_rand_score(reference_labels[rows], resampled)), 6))
    if not scores:
        return Stability(mean=math.nan, min=math.nan)
    return Stability(mean=round(float(np.mean(scores)), 6), min=min(scores), scores=tuple(scores))
