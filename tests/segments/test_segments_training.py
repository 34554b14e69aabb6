"""A segments run on a generated store writes every customer's segment, cluster and lifetime
value, describes its clusters, and reports how it chose them."""

import math

import pytest

from apps.core.models import TrainingRun
from apps.core.training.services import training_run_execute, training_run_request
from apps.orders.services import order_log_import
from apps.sample_stores.sample_order_log import write_sample_order_log
from apps.segments.ml.rfm import SEGMENTS
from apps.segments.models import CustomerSegment, SegmentCluster


@pytest.fixture
def generated_store(tmp_path, db):
    order_log_import(path=write_sample_order_log(tmp_path / "store.csv", invoices=1500, customers=60, skus=80))


def test_a_segments_run_scores_every_customer_with_a_cluster_and_a_finite_lifetime_value(
    generated_store, settings, tmp_path
):
    settings.TRAINING_ARTIFACT_DIR = tmp_path / "artifacts"
    run, _ = training_run_request(kind="segments", trigger=TrainingRun.Trigger.STAFF, enqueue=False)

    run = training_run_execute(run_id=run.pk)

    assert (run.status, run.is_active, run.gate_passed) == ("succeeded", True, True), run.gate_reason
    rows = list(CustomerSegment.objects.filter(run=run))
    assert len(rows) == run.metrics["customers"] == 60
    assert {row.segment for row in rows} <= set(SEGMENTS)
    clusters = list(SegmentCluster.objects.filter(run=run))
    assert all(row.cluster is not None for row in rows)
    assert {row.cluster for row in rows} == {cluster.number for cluster in clusters}
    assert sum(cluster.customers for cluster in clusters) == 60
    assert all(cluster.name and cluster.description for cluster in clusters)
    for row in rows:
        assert math.isfinite(row.predicted_purchases) and row.predicted_purchases >= 0
        assert 0 <= row.probability_alive <= 1
        assert row.predicted_value >= 0
    clustering = run.metrics["clustering"]
    assert clustering["method"] in ("kmeans", "deep")
    assert clustering["k"] == len(clusters)
    assert 0 <= clustering["methods"]["kmeans"]["stability_ari_mean"] <= 1
    assert run.metrics["clv"]["horizon_days"] == 90


def test_staff_can_fix_the_number_of_clusters(generated_store, settings, tmp_path):
    settings.TRAINING_ARTIFACT_DIR = tmp_path / "artifacts"
    run, _ = training_run_request(
        kind="segments",
        trigger=TrainingRun.Trigger.STAFF,
        parameters={"clusters": 4, "deep_clustering": False},
        enqueue=False,
    )

    run = training_run_execute(run_id=run.pk)

    assert run.metrics["clustering"]["k"] == 4
    assert SegmentCluster.objects.filter(run=run).count() == 4
    assert run.metrics["clustering"]["methods"]["deep"] == {"skipped": "deep clustering switched off"}
