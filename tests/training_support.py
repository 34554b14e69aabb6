"""Trainers for the platform's tests: the real RFM trainer, slowed down at known points so
that a test can kill, cancel or time out a run where it wants. Workers load it through
TRAINERS_OVERRIDE; production code has no test hooks."""

import time

from apps.core.models import TrainingRun
from apps.core.training.trainer import TrainingOutcome
from apps.forecasts.training import ForecastsTrainer
from apps.recommendations.training import RecommendationsTrainer
from apps.segments.models import CustomerSegment
from apps.segments.training import SegmentsTrainer


def _pause(seconds: float, report, percent: int, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        report(percent, message)  # also where a cancelled run notices
        time.sleep(0.1)


def _meet(runs: int, report) -> None:
    """Wait (at most two minutes) until `runs` runs have been claimed: each run then started
    before any other finished, so two workers certainly train side by side, however
    unevenly they were scheduled."""
    deadline = time.monotonic() + 120
    while TrainingRun.objects.filter(started_at__isnull=False).count() < runs:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{runs} runs never ran at once")
        report(5, "Waiting for the other run")
        time.sleep(0.1)


class SlowSegmentsTrainer(SegmentsTrainer):
    """Waits for `meet` runs to be running, pauses `fit_pause` seconds in fit, and on its
    first attempt pauses `publish_pause` seconds after writing half its rows (a test kills
    or times it out there; the attempt that takes over writes straight through)."""

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        _meet(parameters.get("meet", 0), report)
        # The platform's tests time stages, not models: k-means alone keeps fit short.
        parameters = {"deep_clustering": False, **parameters}
        outcome = super().fit(cutoff=cutoff, parameters=parameters, report=report)
        _pause(parameters.get("fit_pause", 0), report, 50, "Fitting slowly")
        outcome.extra["report"] = report
        outcome.extra["publish_pause"] = parameters.get("publish_pause", 0)
        return outcome

    def publish(self, *, run, outcome) -> None:
        table = outcome.results
        half = len(table) // 2
        first, rest = table.iloc[:half], table.iloc[half:]
        outcome.results = first
        super().publish(run=run, outcome=outcome)
        if run.attempts == 1:
            _pause(outcome.extra["publish_pause"], outcome.extra["report"], 90, "Half written")
        outcome.results, outcome.extra["clusters"] = rest, []  # the clusters went with the first half
        super().publish(run=run, outcome=outcome)


class FailingSegmentsTrainer(SegmentsTrainer):
    """Saves a model file and writes its rows, then fails: neither must survive."""

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        outcome = super().fit(cutoff=cutoff, parameters=parameters, report=report)
        outcome.artifact = {"weights": [1, 2, 3]}
        return outcome

    def publish(self, *, run, outcome) -> None:
        super().publish(run=run, outcome=outcome)
        raise RuntimeError(f"disk full after {CustomerSegment.objects.filter(run=run).count()} rows")


class SlowRecommendationsTrainer(RecommendationsTrainer):
    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        _meet(parameters.get("meet", 0), report)
        # The platform's tests time stages, not models: k-means alone keeps fit short.
        parameters = {"deep_clustering": False, **parameters}
        outcome = super().fit(cutoff=cutoff, parameters=parameters, report=report)
        _pause(parameters.get("fit_pause", 0), report, 50, "Fitting slowly")
        return outcome


class FlakyDatabaseTrainer(SegmentsTrainer):
    """The database blinks during fit."""

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        from django.db import OperationalError

        report(10, "About to lose the connection")
        raise OperationalError("server closed the connection unexpectedly")


class InterruptedTrainer(SegmentsTrainer):
    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        raise KeyboardInterrupt


class HelpedForecastsTrainer(ForecastsTrainer):
    """Starts on its work items only once another worker has claimed one, so a test proves
    the items are shared however the workers were scheduled."""

    def work_chunks(self, report):
        from apps.forecasts.models import ForecastChunk

        own = TrainingRun.objects.get(pk=self.run_id).worker_host
        deadline = time.monotonic() + 120
        while not ForecastChunk.objects.filter(run_id=self.run_id).exclude(claimed_by__in=["", own]).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("no other worker claimed a work item")
            report(9, "Waiting for a helper")
            time.sleep(0.1)
        return super().work_chunks(report)
