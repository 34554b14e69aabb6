"""What a model kind provides to the platform: fit (no database writes), publish (rows
under the run's id) and discard (remove a run's rows)."""

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Report = Callable[[int, str], None]


class TrainingCancelled(Exception):
    """Staff cancelled the run while it was training."""


@dataclass
class TrainingOutcome:
    metrics: dict
    gate_passed: bool
    gate_reason: str
    results: Any = None
    # A fitted model to keep on disk for the processes that serve or score with it.
    artifact: Any = None
    extra: dict = field(default_factory=dict)


class Trainer(abc.ABC):
    kind: str = ""
    # Tables with a `run` foreign key that hold this kind's published results.
    result_models: tuple = ()
    # The run being trained, set by the platform before `fit`: a trainer that fans its work
    # out to other workers files that work under it.
    run_id: int | None = None
    # What readers get while no run of this kind is active, shown to staff on the runs page.
    serving_without_run: str = "Nothing: readers wait for a first active run."

    @abc.abstractmethod
    def fit(self, *, cutoff, parameters: dict, report: Report) -> TrainingOutcome:
        """Read the data, fit and evaluate. Runs outside any transaction and writes nothing."""

    @abc.abstractmethod
    def publish(self, *, run, outcome: TrainingOutcome) -> None:
        """Bulk-write the results under `run`. Readers ignore them until the run is active."""

    def discard(self, *, run_id: int) -> None:
        for model in self.result_models:
            model.objects.filter(run_id=run_id).delete()
