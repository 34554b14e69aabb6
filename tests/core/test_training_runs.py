"""The training platform in one process: request, join, gate, activation, rollback,
cancel, failure and pruning, with readers that see only the active run."""

import threading

import pytest
from django.db import connection, transaction

from apps.core.models import TrainingRun
from apps.core.training.services import (
    training_run_activate,
    training_run_cancel,
    training_run_execute,
    training_run_request,
    training_runs_prune,
)
from apps.recommendations.models import PopularProduct
from apps.segments.models import CustomerSegment
from apps.segments.selectors import customer_segments_current, segment_sizes

STAFF = TrainingRun.Trigger.STAFF


def test_a_requested_run_trains_publishes_and_becomes_active(store, artifacts):
    run, created = training_run_request(kind="segments", trigger=STAFF)  # tasks are eager here

    run.refresh_from_db()
    assert created
    assert (run.status, run.is_active, run.gate_passed, run.progress, run.attempts) == ("succeeded", True, True, 100, 1)
    assert run.metrics["customers"] == CustomerSegment.objects.filter(run=run).count() > 0
    assert sum(segment_sizes().values()) == run.metrics["customers"]
    assert (
        run.gate_reason == f"All {run.metrics['customers']:,} customers scored into "
        f"{sum(1 for n in run.metrics['segment_counts'].values() if n)} segments."
    )


def test_a_new_run_replaces_the_active_one_and_staff_can_roll_back(store, artifacts):
    first, _ = training_run_request(kind="segments", trigger=STAFF)
    second, _ = training_run_request(kind="segments", trigger=STAFF)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert set(customer_segments_current().values_list("run_id", flat=True)) == {second.pk}

    training_run_activate(run_id=first.pk)

    assert set(customer_segments_current().values_list("run_id", flat=True)) == {first.pk}
    assert list(TrainingRun.objects.filter(is_active=True).values_list("id", flat=True)) == [first.pk]


def test_the_database_allows_one_active_run_per_kind(store, artifacts):
    training_run_request(kind="segments", trigger=STAFF)
    other = TrainingRun.objects.create(kind="segments", status="succeeded", cutoff_key="x")

    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRun.objects.filter(pk=other.pk).update(is_active=True)


def test_a_run_refused_by_its_gate_stays_inactive_with_the_reason(store, artifacts, settings):
    good, _ = training_run_request(kind="segments", trigger=STAFF)
    # Before the first order there is nothing to segment: the gate refuses.
    import datetime as dt

    early, _ = training_run_request(kind="segments", trigger=STAFF, cutoff=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))

    early.refresh_from_db()
    assert (early.status, early.is_active, early.gate_passed) == ("succeeded", False, False)
    assert early.gate_reason == "No customer orders before the cutoff: nothing to segment."
    assert TrainingRun.objects.get(is_active=True).pk == good.pk


def test_a_second_request_joins_the_unfinished_run(store, artifacts, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from retailhub.celery import app

    app.conf.task_always_eager = False
    try:
        with transaction.atomic():
            # Inside one transaction nothing is sent before commit; we never commit here.
            first, created_first = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
            second, created_second = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
            assert (created_first, created_second, second.pk) == (True, False, first.pk)
            transaction.set_rollback(True)
    finally:
        app.conf.task_always_eager = True


def test_two_simultaneous_requests_create_one_run(store):
    results, barrier = [], threading.Barrier(2)

    def request():
        barrier.wait()
        results.append(training_run_request(kind="segments", trigger=STAFF, enqueue=False))
        connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(created for _, created in results) == [False, True]
    assert len({run.pk for run, _ in results}) == 1
    assert TrainingRun.objects.count() == 1


def test_a_claimed_run_is_not_trained_twice(store, artifacts):
    run, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
    training_run_execute(run_id=run.pk)

    again = training_run_execute(run_id=run.pk)

    assert (again.status, again.attempts) == ("succeeded", 1)
    assert CustomerSegment.objects.filter(run=run).count() == run.__class__.objects.get(pk=run.pk).metrics["customers"]


def test_a_failed_run_leaves_no_rows_no_file_and_the_active_run_serving(store, artifacts, settings):
    good, _ = training_run_request(kind="segments", trigger=STAFF)
    served = list(customer_segments_current().order_by("customer_id").values_list("customer_id", "segment"))
    settings.TRAINERS = {**settings.TRAINERS, "segments": "tests.training_support.FailingSegmentsTrainer"}

    bad, _ = training_run_request(kind="segments", trigger=STAFF)

    bad.refresh_from_db()
    assert bad.status == "failed"
    assert bad.error.startswith("RuntimeError: disk full after ")
    assert not CustomerSegment.objects.filter(run=bad).exists()
    assert not (artifacts / "segments" / str(bad.pk)).exists()
    assert list(customer_segments_current().order_by("customer_id").values_list("customer_id", "segment")) == served


def test_cancelled_runs_stop_and_leave_nothing(store, artifacts, settings):
    queued, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
    assert training_run_cancel(run_id=queued.pk)
    assert training_run_execute(run_id=queued.pk).status == "cancelled"

    settings.TRAINERS = {**settings.TRAINERS, "segments": "tests.training_support.SlowSegmentsTrainer"}
    running, _ = training_run_request(
        kind="segments", trigger=STAFF, parameters={"fit_pause": 30}, cutoff=None, enqueue=False
    )
    timer = threading.Timer(0.5, lambda: (training_run_cancel(run_id=running.pk), connection.close()))
    timer.start()
    finished = training_run_execute(run_id=running.pk)
    timer.join()

    assert finished.status == "cancelled"
    assert not CustomerSegment.objects.filter(run=running).exists()
    assert not training_run_cancel(run_id=running.pk)  # already finished


def test_pruning_keeps_the_newest_runs_and_never_the_active_one(store, artifacts):
    runs = [training_run_request(kind="recommendations", trigger=STAFF)[0] for _ in range(3)]
    training_run_activate(run_id=runs[0].pk)

    pruned = training_runs_prune(kind="recommendations", keep=1)

    assert pruned == 1  # runs[1]; runs[2] is the newest, runs[0] is active
    states = {
        r.pk: (r.results_pruned, PopularProduct.objects.filter(run=r).exists())
        for r in TrainingRun.objects.filter(kind="recommendations")
    }
    assert states == {runs[0].pk: (False, True), runs[1].pk: (True, False), runs[2].pk: (False, True)}
    with pytest.raises(ValueError, match="only a succeeded run with its results"):
        training_run_activate(run_id=runs[1].pk)


def test_unknown_kinds_are_refused_before_anything_is_written(db):
    from apps.core.training.registry import UnknownKind

    with pytest.raises(
        UnknownKind,
        match="No trainer for 'promotions'; kinds with a trainer: forecasts, recommendations, segments, targeting",
    ):
        training_run_request(kind="promotions", trigger=STAFF)
    assert not TrainingRun.objects.exists()


def test_a_transient_error_keeps_the_run_for_the_retry_and_attempts_are_bounded(store, artifacts, settings):
    from django.db import OperationalError

    settings.TRAINERS = {**settings.TRAINERS, "segments": "tests.training_support.FlakyDatabaseTrainer"}
    settings.TRAINING_MAX_ATTEMPTS = 2
    run, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)

    for attempt in (1, 2):
        with pytest.raises(OperationalError):
            training_run_execute(run_id=run.pk)
        run.refresh_from_db()
        assert (run.status, run.attempts) == ("running", attempt)

    final = training_run_execute(run_id=run.pk)  # a third delivery: attempts used up
    assert (final.status, final.error) == ("failed", "The worker was lost 2 times; giving up.")
    joined, created = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
    assert created  # a failed run is not joined


def test_retries_given_up_by_the_task_fail_the_run(store):
    from apps.core.tasks import train_run

    run, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
    train_run.on_failure(TimeoutError("broker gone"), "task-id", (run.pk,), {}, None)

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "Gave up after retries: TimeoutError: broker gone")


def test_a_soft_time_limit_before_the_service_took_the_run_is_named_not_retried(store):
    from celery.exceptions import SoftTimeLimitExceeded

    from apps.core.tasks import train_run

    run, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
    train_run.on_failure(SoftTimeLimitExceeded(), "task-id", (run.pk,), {}, None)

    run.refresh_from_db()
    assert (run.status, run.error) == (
        "failed",
        f"Stopped: the run went past its soft time limit of {train_run.soft_time_limit} s while starting.",
    )
    assert SoftTimeLimitExceeded not in train_run.autoretry_for


def test_an_error_that_escapes_the_service_is_reported_as_itself(store):
    from apps.core.tasks import train_run

    run, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
    train_run.on_failure(MemoryError("cannot allocate"), "task-id", (run.pk,), {}, None)

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "MemoryError: cannot allocate")


def test_an_interrupted_run_does_not_stay_running(store, artifacts, settings):
    settings.TRAINERS = {**settings.TRAINERS, "segments": "tests.training_support.InterruptedTrainer"}
    run, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)

    with pytest.raises(KeyboardInterrupt):
        training_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "Interrupted before it finished.")


def test_silent_and_forgotten_runs_are_expired_so_requests_stop_joining_them(store, settings):
    import datetime as dt

    from django.utils import timezone

    from apps.core.training.services import training_runs_expire_stale

    settings.TRAINING_TIME_LIMIT, settings.TRAINING_QUEUED_EXPIRY = 600, 3600
    now = timezone.now()
    silent = TrainingRun.objects.create(
        kind="segments", status="running", cutoff_key="a", heartbeat_at=now - dt.timedelta(minutes=20)
    )
    busy = TrainingRun.objects.create(
        kind="segments", status="running", cutoff_key="b", heartbeat_at=now - dt.timedelta(minutes=5)
    )
    forgotten = TrainingRun.objects.create(kind="recommendations", status="queued", cutoff_key="latest")
    TrainingRun.objects.filter(pk=forgotten.pk).update(created_at=now - dt.timedelta(hours=2))

    assert training_runs_expire_stale() == 2

    states = dict(TrainingRun.objects.values_list("id", "status"))
    assert states == {silent.pk: "failed", busy.pk: "running", forgotten.pk: "failed"}
    assert TrainingRun.objects.get(pk=forgotten.pk).error.startswith("No worker took the run (queued since ")
    assert training_run_request(kind="recommendations", trigger=STAFF, enqueue=False)[1] is True


def test_the_same_cutoff_in_another_time_zone_joins_the_same_run(db):
    import datetime as dt
    from zoneinfo import ZoneInfo

    utc = dt.datetime(2011, 7, 1, 12, 0, tzinfo=dt.UTC)
    london = utc.astimezone(ZoneInfo("Europe/London"))  # 13:00+01:00

    first, _ = training_run_request(kind="segments", trigger=STAFF, cutoff=utc, enqueue=False)
    second, created = training_run_request(kind="segments", trigger=STAFF, cutoff=london, enqueue=False)

    assert (created, second.pk) == (False, first.pk)


def test_a_cancelled_run_stays_cancelled_when_it_then_fails(db):
    from apps.core.training.services import training_run_fail

    run = TrainingRun.objects.create(kind="segments", status="running", cutoff_key="c")
    training_run_cancel(run_id=run.pk)

    assert not training_run_fail(run_id=run.pk, error="late failure")
    assert TrainingRun.objects.get(pk=run.pk).status == "cancelled"


def test_artifacts_are_saved_per_run_and_loaded_once_per_path(artifacts):
    from apps.core.training.artifacts import artifact_delete, artifact_load, artifact_save

    path = artifact_save(kind="segments", run_id=7, artifact={"weights": [1, 2]})

    assert path == str(artifacts / "segments" / "7" / "model.pkl")
    first = artifact_load(path)
    assert first == {"weights": [1, 2]}
    assert artifact_load(path) is first  # cached: a serving process reads the file once
    artifact_delete(path)
    assert not (artifacts / "segments" / "7").exists()
