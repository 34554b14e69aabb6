"""k-means segments on blobs far enough apart that the right answer is known, cluster
descriptions on customers designed so the sentence can be worked out by hand, stability,
and the rule that chooses between k-means and deep clustering."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import silhouette_score

from apps.segments.ml.features import FEATURE_COLUMNS, MODEL_COLUMNS
from apps.segments.ml.kmeans import (
    KMeansSegmenter,
    canonical_order,
    describe_clusters,
    sample_rows,
    silhouette,
    silhouettes,
    stability_ari,
)
from apps.segments.ml.selection import SILHOUETTE_MARGIN, _choose, choose_segmentation

MONETARY = MODEL_COLUMNS.index("monetary")


def blobs(sizes=(30, 30, 30), seed=0):
    """Seven-column blobs with monetary centres 10, 0 and -10 (so canonical labels 0, 1, 2 in
    the order built), other columns spread at random; noise 0.3, gaps about 10."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, size=(len(sizes), len(MODEL_COLUMNS)))
    centres[:, MONETARY] = [10.0, 0.0, -10.0][: len(sizes)]
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return centres[truth] + rng.normal(scale=0.3, size=(len(truth), len(MODEL_COLUMNS))), truth


def test_k_means_chooses_the_number_of_blobs_and_labels_them_by_spend():
    matrix, truth = blobs()

    segmenter = KMeansSegmenter().fit(matrix)

    assert segmenter.k_ == 3
    assert max(segmenter.silhouette_by_k_, key=segmenter.silhouette_by_k_.get) == 3
    assert sorted(segmenter.silhouette_by_k_) == list(range(2, 11))
    assert segmenter.labels_.tolist() == truth.tolist()
    assert segmenter.cluster_centers_[:, MONETARY].round().tolist() == [10.0, 0.0, -10.0]
    assert segmenter.predict(np.array([[0.0] * 7, [0.0] * 7])).tolist() != []
    assert segmenter.predict(matrix[[89, 0, 45]]).tolist() == [2, 0, 1]


def test_k_means_on_samples_still_finds_the_blobs():
    matrix, truth = blobs(sizes=(100, 100, 100))

    segmenter = KMeansSegmenter(sample_size=40, selection_size=90, fit_size=150).fit(matrix)

    assert segmenter.k_ == 3
    assert segmenter.labels_.tolist() == truth.tolist()


def test_a_fixed_seed_gives_identical_labels_and_canonical_numbers_survive_reordering():
    # No structure at all: only the seed makes two fits agree.
    matrix = np.random.default_rng(3).normal(size=(400, 7))

    first = KMeansSegmenter(random_state=7).fit(matrix)
    second = KMeansSegmenter(random_state=7).fit(matrix)

    assert np.array_equal(first.labels_, second.labels_)
    assert first.silhouette_by_k_ == second.silhouette_by_k_
    # Shuffled rows, same partition: the numbering follows spend, not the order clusters were found in.
    blob_matrix, truth = blobs()
    order = np.random.default_rng(1).permutation(len(truth))
    assert KMeansSegmenter(k=3).fit(blob_matrix[order]).labels_.tolist() == truth[order].tolist()


def test_identical_customers_make_one_cluster():
    segmenter = KMeansSegmenter().fit(np.ones((20, 7)))

    assert segmenter.k_ == 1
    assert segmenter.labels_.tolist() == [0] * 20
    assert KMeansSegmenter(k=4).fit(np.ones((5, 7))).labels_.tolist() == [0] * 5


def test_canonical_order_numbers_clusters_by_descending_mean_of_the_column():
    matrix = np.array([[0.0, 1.0], [0.0, 3.0], [0.0, 2.0], [0.0, 2.0]])

    mapping = canonical_order(matrix, np.array([0, 1, 3, 3]), order_column=1)

    # cluster 1 (mean 3) first, then 3 (mean 2), then 0 (mean 1); empty cluster 2 last
    assert mapping.tolist() == [2, 0, 3, 1]


def test_silhouette_matches_scikit_learn_including_single_member_clusters():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(300, 4))
    labels = rng.integers(0, 4, size=300)
    labels[:2] = [7, 8]  # two clusters of one customer each score 0

    assert silhouette(matrix, labels) == pytest.approx(silhouette_score(matrix, labels), abs=1e-9)
    assert silhouette(matrix, np.zeros(300, dtype=int)) == -1.0


def test_silhouettes_of_several_labellings_share_one_distance_pass_and_match_one_at_a_time():
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(600, 5))  # more rows than one chunk
    labellings = [rng.integers(0, k, size=600) for k in (2, 3, 7)] + [np.zeros(600, dtype=int)]

    scores = silhouettes(matrix, labellings)

    assert scores[:3] == pytest.approx([silhouette_score(matrix, labels) for labels in labellings[:3]], abs=1e-9)
    assert scores[:3] == pytest.approx([silhouette(matrix, labels) for labels in labellings[:3]], abs=1e-12)
    assert scores[3] == -1.0
    assert silhouettes(matrix, []) == []


def test_small_inputs_get_ten_k_means_starts_and_large_ones_keep_three():
    # Ten starts make k-means' local optimum, and so k and the bootstrap ARI, independent of the seed
    # on small stores; on large ones a start costs seconds (kmeans.py's docstring).
    matrix, _ = blobs()

    assert KMeansSegmenter(k=3).fit(matrix).n_init_ == 10
    assert KMeansSegmenter(k=3).fit(matrix).model_.n_init == 10
    assert KMeansSegmenter(k=3, n_init=2).fit(matrix).model_.n_init == 2
    large = np.random.default_rng(0).normal(size=(50_000, len(MODEL_COLUMNS)))
    assert KMeansSegmenter(k=2, fit_size=1_000).fit(large).model_.n_init == 3


def test_samples_are_fixed_and_nested():
    small, large = sample_rows(1000, 10, 0), sample_rows(1000, 100, 0)

    assert small.tolist() == sample_rows(1000, 10, 0).tolist()
    assert set(small) <= set(large)
    assert sample_rows(5, 10, 0).tolist() == [0, 1, 2, 3, 4]


def test_stability_is_one_on_well_separated_blobs():
    matrix, _ = blobs()

    stability = stability_ari(matrix, lambda: KMeansSegmenter(k=3), n_bootstrap=5, random_state=0)

    assert (stability.mean, stability.min) == (1.0, 1.0)
    assert stability.scores == (1.0,) * 5


def designed_customers():
    """Twelve customers: 1-3 buy 9 times, spend 900 and bought 5 days ago; 4-12 buy once, spend
    100 (one of them 900) and bought 5 (three of them) or 100 days ago. Other features are equal.

    On the log scale, for cluster 0 (three of twelve): frequency splits 3/9, so it lies
    sqrt(9/3) = 1.73 standard deviations above the mean; monetary splits 4/8 with cluster 0 all
    high, 1.41 above; recency splits 6/6 with cluster 0 all low, 1.00 below. For cluster 1 only
    frequency passes the 0.5 threshold (-0.58; monetary -0.47, recency +0.33)."""
    frequency = [9] * 3 + [1] * 9
    monetary = [900.0] * 3 + [100.0] * 8 + [900.0]
    recency = [5] * 3 + [5] * 3 + [100] * 6
    features = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "basket_size": 2.0,
            "product_variety": 3,
            "return_rate": 0.0,
            "tenure_days": 200,
        },
        index=pd.Index(range(1, 13), name="customer_id"),
    )[list(FEATURE_COLUMNS)]
    return features, np.array([0] * 3 + [1] * 9)


def test_cluster_descriptions_on_designed_customers():
    features, labels = designed_customers()

    frequent, occasional = describe_clusters(features, labels)

    # Average order count (27 + 9) / 12 = 3: cluster 0 buys 3x that, cluster 1 a third of it.
    assert frequent.sentence == "Frequent, high-spending, recent buyers; 3× the average order count"
    assert frequent.name == "Frequent buyers, high-spending"
    assert occasional.sentence == "Occasional buyers; 33% of the average order count"
    assert occasional.name == "Occasional buyers"
    assert (frequent.label, frequent.size, frequent.share) == (0, 3, 0.25)
    assert (occasional.label, occasional.size, occasional.share) == (1, 9, 0.75)
    assert frequent.means["monetary"] == 900.0
    assert occasional.means["monetary"] == pytest.approx(1700 / 9)
    assert frequent.differences["frequency"] == pytest.approx(3**0.5, abs=1e-6)
    assert frequent.differences["monetary"] == pytest.approx(2**0.5, abs=1e-6)
    assert frequent.differences["recency_days"] == pytest.approx(-1.0, abs=1e-6)
    assert frequent.differences["basket_size"] == 0.0


def test_descriptions_do_not_contradict_raw_means_and_name_typical_clusters():
    # Fifty customers with empty baskets and one with a 100,000-item basket against a thousand
    # with 10: on the log scale the cluster sits far below average, its raw mean far above.
    basket = [0.0] * 50 + [100_000.0] + [10.0] * 1000
    features = pd.DataFrame({name: 1.0 for name in FEATURE_COLUMNS}, index=range(len(basket)))
    features["basket_size"] = basket
    labels = np.array([0] * 51 + [1] * 1000)

    skewed = describe_clusters(features, labels)[0]

    assert skewed.differences["basket_size"] < -3
    assert skewed.means["basket_size"] > 1000
    assert (skewed.name, skewed.sentence) == ("Typical customers", "Close to the average on every feature")


def test_the_rule_prefers_k_means_unless_deep_is_better_separated_and_as_stable():
    def metrics(kmeans, deep):
        keys = ("silhouette", "stability_ari_mean")
        return {"kmeans": dict(zip(keys, kmeans, strict=True)), "deep": dict(zip(keys, deep, strict=True))}

    assert _choose(metrics((0.30, 0.90), (0.30 + SILHOUETTE_MARGIN + 0.001, 0.90)))[0] == "deep"
    assert _choose(metrics((0.30, 0.90), (0.40, 0.95)))[0] == "deep"
    assert _choose(metrics((0.30, 0.90), (0.40, 0.89)))[0] == "kmeans"  # less stable
    assert _choose(metrics((0.30, 0.90), (0.305, 1.0)))[0] == "kmeans"  # within the margin
    assert _choose(metrics((0.30, 0.90), (0.20, None)))[0] == "kmeans"  # lost, stability not measured
    assert _choose({"kmeans": {"silhouette": 0.3}, "deep": {"skipped": "switched off"}})[0] == "kmeans"


def test_choose_segmentation_without_deep_clustering_reports_k_means():
    matrix, truth = blobs()
    features = pd.DataFrame({name: matrix[:, i] for i, name in enumerate(MODEL_COLUMNS)}, index=pd.RangeIndex(100, 190))
    progress = []

    choice = choose_segmentation(matrix, features, deep=False, report=lambda p, m: progress.append(p))

    assert (choice.method, choice.k) == ("kmeans", 3)
    assert choice.labels.tolist() == truth.tolist()
    assert choice.customer_ids.tolist() == list(range(100, 190))
    assert choice.metrics["kmeans"]["silhouette"] == pytest.approx(silhouette(matrix, truth))
    assert choice.metrics["kmeans"]["stability_ari_mean"] == 1.0
    assert choice.metrics["kmeans"]["stability_ari_min"] == 1.0
    assert choice.metrics["deep"] == {"skipped": "deep clustering switched off"}
    assert [description.size for description in choice.descriptions] == [30, 30, 30]
    assert progress == sorted(progress) and progress[-1] <= 100
    assert "skipped" in choose_segmentation(matrix, features, deep_max_customers=50).metrics["deep"]
