"""Trainers for the platform's tests: the real RFM trainer, slowed down at known points so
that a test can kill, cancel or time out a run where it wants. Workers load it through
TRAINERS_OVERRIDE; production code has no test hooks."""

import time

from apps.core.training.trainer import TrainingOutcome
from apps.recommendations.training import RecommendationsTrainer
from apps.segments.models import CustomerRfm
from apps.segments.training import RfmTrainer


def _pause(seconds: float, report, percent: int, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        report(percent, message)  # also where a cancelled run notices
        time.sleep(0.1)


class SlowRfmTrainer(RfmTrainer):
    """Pauses `fit_pause` seconds in fit, and `publish_pause` seconds after writing half its rows."""

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
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
        _pause(outcome.extra["publish_pause"], outcome.extra["report"], 90, "Half written")
        outcome.results = rest
        super().publish(run=run, outcome=outcome)


class FailingRfmTrainer(RfmTrainer):
    """Saves a model file and writes its rows, then fails: neither must survive."""

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        outcome = super().fit(cutoff=cutoff, parameters=parameters, report=report)
        outcome.artifact = {"weights": [1, 2, 3]}
        return outcome

    def publish(self, *, run, outcome) -> None:
        super().publish(run=run, outcome=outcome)
        raise RuntimeError(f"disk full after {CustomerRfm.objects.filter(run=run).count()} rows")


class SlowRecommendationsTrainer(RecommendationsTrainer):
    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        outcome = super().fit(cutoff=cutoff, parameters=parameters, report=report)
        _pause(parameters.get("fit_pause", 0), report, 50, "Fitting slowly")
        return outcome


class FlakyDatabaseTrainer(RfmTrainer):
    """The database blinks during fit."""

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        from django.db import OperationalError

        report(10, "About to lose the connection")
        raise OperationalError("server closed the connection unexpectedly")


class InterruptedTrainer(RfmTrainer):
    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        raise KeyboardInterrupt
