"""Choose between k-means and deep clustering for the customer segments, by the same two
measurements for both: silhouette on the original scaled feature space (the same fixed-seed
rows for both, so neither is judged on its own latent space) and bootstrap stability (ARI).

The rule: deep clustering is chosen only when its silhouette beats k-means' by more than
SILHOUETTE_MARGIN and its mean stability ARI is at least k-means' (ties and near-ties go to
k-means, which is cheaper, needs no torch and is easier to explain). k is chosen once, by
k-means' silhouette search, and the deep model gets the same k, so the two partitions compare
like with like. Silhouette in the original space is the criterion k-means itself leans
towards, so deep clustering has to find clearly better-separated groups to win; on the UCI
Online Retail customers it does not (0.28 against 0.31 at k=3, stability 0.76 against 0.97).

Budget. k-means' cost is bounded by its samples (kmeans.py); the deep model's by its
training sample and epochs (deep.py); bootstrap resamples hold at most `bootstrap_size` rows.
Above `deep_max_customers` customers the deep model is skipped altogether (recorded in the
metrics), which keeps a million-customer run to k-means alone; pass deep=False to skip it
anywhere. Measured on a busy 2-core machine: 4,372 UCI customers, k-means with its stability
about 0.8 s, the deep model 0.4 s plus torch's import (1 s) and, when measured, 1.2 s for its
three bootstrap refits; 1,000,000 synthetic customers, k-means with its stability 1.6 s; the
deep model, forced on, another 7.6 s to fit (torch's import included) and 10 s for its three
bootstrap resamples of 100,000 rows.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from apps.segments.ml.kmeans import (
    ClusterDescription,
    KMeansSegmenter,
    Stability,
    describe_clusters,
    sample_rows,
    silhouette,
    stability_ari,
)

SILHOUETTE_MARGIN = 0.01
DEEP_MAX_CUSTOMERS = 200_000
KMEANS, DEEP = "kmeans", "deep"


@dataclass(frozen=True)
class SegmentationChoice:
    """labels: one per row of the matrix (and of `features`, whose index gives customer_ids).
    metrics: per method, silhouette, stability_ari_mean, stability_ari_min, seconds (fit and
    stability), fit_seconds, clusters; a skipped method has only `skipped` (the reason)."""

    labels: np.ndarray
    method: str
    k: int
    metrics: dict[str, dict]
    reason: str
    customer_ids: np.ndarray
    descriptions: list[ClusterDescription] = field(default_factory=list)
    silhouette_by_k: dict[int, float] = field(default_factory=dict)


def choose_segmentation(
    matrix: np.ndarray,
    features: pd.DataFrame,
    *,
    k: int | None = None,
    random_state: int = 0,
    report: Callable[[float, str], None] | None = None,
    deep: bool = True,
    deep_max_customers: int | None = DEEP_MAX_CUSTOMERS,
    device: str = "cpu",
    n_bootstrap: int = 5,
    deep_bootstrap: int = 3,
    bootstrap_size: int = 100_000,
    silhouette_size: int = 5_000,
    measure_all: bool = False,
) -> SegmentationChoice:
    """Fit k-means (k by silhouette unless given) and, budget allowing, deep clustering with
    the same k; measure both and choose by the rule in the module docstring. `matrix` is
    model_matrix(features)[0]. The deep model's stability costs `deep_bootstrap` training runs,
    so it is measured only when it can change the choice (deep clustering won on silhouette),
    unless `measure_all`; otherwise its metrics say why it was not measured."""
    report = report or (lambda percent, message: None)
    matrix = np.asarray(matrix, dtype=np.float64)
    if len(matrix) != len(features):
        raise ValueError("matrix and features must have one row per customer each")
    scored = sample_rows(len(matrix), silhouette_size, random_state)
    metrics: dict[str, dict] = {}

    report(2, f"k-means on {len(matrix):,} customers" + ("" if k else ", choosing k"))
    started = time.perf_counter()
    kmeans = KMeansSegmenter(k=k, random_state=random_state).fit(matrix)
    fit_seconds = time.perf_counter() - started
    report(25, f"k-means: k={kmeans.k_}; measuring its stability")
    kmeans_stability = stability_ari(
        matrix,
        lambda: KMeansSegmenter(k=kmeans.k_, random_state=random_state),
        n_bootstrap,
        random_state,
        reference_labels=kmeans.labels_,
        sample_size=bootstrap_size,
    )
    kmeans_silhouette = silhouette(matrix[scored], kmeans.labels_[scored])
    metrics[KMEANS] = _method_metrics(kmeans.labels_, kmeans_silhouette, kmeans_stability, started, fit_seconds)

    deep_labels = None
    skipped = _deep_skipped(deep, deep_max_customers, len(matrix), kmeans.k_)
    if skipped:
        metrics[DEEP] = {"skipped": skipped}
    else:
        from apps.segments.ml.deep import DeepClusterSegmenter

        def deep_factory():
            return DeepClusterSegmenter(k=kmeans.k_, random_state=random_state, device=device)

        started = time.perf_counter()
        model = deep_factory().fit(matrix, report=lambda percent, message: report(35 + 0.3 * percent, message))
        fit_seconds = time.perf_counter() - started
        deep_labels = model.labels_
        deep_silhouette = silhouette(matrix[scored], deep_labels[scored])
        if measure_all or deep_silhouette - metrics[KMEANS]["silhouette"] > SILHOUETTE_MARGIN:
            report(70, "Deep clustering: measuring its stability")
            deep_stability = stability_ari(
                matrix,
                deep_factory,
                deep_bootstrap,
                random_state,
                reference_labels=deep_labels,
                sample_size=bootstrap_size,
            )
            metrics[DEEP] = _method_metrics(deep_labels, deep_silhouette, deep_stability, started, fit_seconds)
        else:
            metrics[DEEP] = _method_metrics(deep_labels, deep_silhouette, None, started, fit_seconds)
            metrics[DEEP]["stability_skipped"] = (
                "not measured: lost on silhouette, so stability cannot change the choice"
            )

    method, reason = _choose(metrics)
    labels = deep_labels if method == DEEP else kmeans.labels_
    report(95, f"Chose {method}: {reason}")
    return SegmentationChoice(
        labels=labels,
        method=method,
        k=int(len(np.unique(labels))) if len(labels) else 0,
        metrics=metrics,
        reason=reason,
        customer_ids=features.index.to_numpy(),
        descriptions=describe_clusters(features, labels) if len(labels) else [],
        silhouette_by_k=dict(kmeans.silhouette_by_k_),
    )


def _deep_skipped(deep: bool, deep_max_customers: int | None, n_customers: int, k: int) -> str | None:
    if not deep:
        return "deep clustering switched off"
    if deep_max_customers is not None and n_customers > deep_max_customers:
        return f"{n_customers:,} customers, above the deep model's budget of {deep_max_customers:,}"
    if k < 2:
        return "k-means found a single cluster: nothing to refine"
    return None


def _method_metrics(
    labels: np.ndarray, silhouette_score: float, stability: Stability | None, started: float, fit_seconds: float
) -> dict:
    return {
        "silhouette": round(silhouette_score, 6),
        "stability_ari_mean": stability.mean if stability else None,
        "stability_ari_min": stability.min if stability else None,
        "clusters": int(len(np.unique(labels))),
        "fit_seconds": round(fit_seconds, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _choose(metrics: dict[str, dict]) -> tuple[str, str]:
    kmeans, deep = metrics[KMEANS], metrics[DEEP]
    if "skipped" in deep:
        return KMEANS, f"deep clustering skipped ({deep['skipped']})"
    gain = deep["silhouette"] - kmeans["silhouette"]
    summary = f"silhouette {deep['silhouette']:.3f} (deep) vs {kmeans['silhouette']:.3f} (k-means)"
    if deep["stability_ari_mean"] is not None:
        summary += f", stability {deep['stability_ari_mean']:.3f} vs {kmeans['stability_ari_mean']:.3f}"
    as_stable = deep["stability_ari_mean"] is not None and _at_least(
        deep["stability_ari_mean"], kmeans["stability_ari_mean"]
    )
    if gain > SILHOUETTE_MARGIN and as_stable:
        return DEEP, f"better separated and as stable: {summary}"
    if gain > SILHOUETTE_MARGIN:
        return KMEANS, f"deep clustering separates better but is less stable: {summary}"
    return KMEANS, f"deep clustering does not separate better by more than {SILHOUETTE_MARGIN}: {summary}"


def _at_least(value: float, reference: float) -> bool:
    if math.isnan(reference):
        return True
    return not math.isnan(value) and value >= reference
