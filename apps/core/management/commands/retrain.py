import json
import socket

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from apps.core.models import TrainingRun
from apps.core.training.registry import UnknownKind, trainer_kinds
from apps.core.training.services import training_run_execute, training_run_request


class Command(BaseCommand):
    help = "Retrain a model kind (or all) through the training platform, as the worker does."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="recommendations, segments, forecasts, targeting, or all")
        parser.add_argument("--sync", action="store_true", help="train in this process instead of on a worker")
        parser.add_argument("--json", action="store_true", help="print each run as JSON")
        parser.add_argument("--cutoff", help="use data before this ISO datetime only")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a trainer parameter (JSON value), repeatable",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, kind, sync, json, cutoff, param, no_progress, **options):
        kinds = trainer_kinds() if kind == "all" else [kind]
        cutoff_at = _parse_cutoff(cutoff)
        parameters = _parse_params(param)
        runs = []
        for name in kinds:
            try:
                run, created = training_run_request(
                    kind=name,
                    trigger=TrainingRun.Trigger.CLI,
                    cutoff=cutoff_at,
                    parameters=parameters,
                    enqueue=not sync,
                )
            except UnknownKind as exc:
                raise CommandError(str(exc)) from None
            if sync and created:
                run = self._train_here(run, quiet=no_progress)
            elif not created and not json:
                self.stdout.write(f"Joined {name} run {run.pk}, already {run.status}.")
            run.refresh_from_db()
            runs.append(run)
        if json:
            payload = [run_summary(run) for run in runs]
            self.stdout.write(_dumps(payload[0] if kind != "all" else payload))
        else:
            for run in runs:
                self._describe(run)
        if any(run.status == TrainingRun.Status.FAILED for run in runs):
            raise CommandError("; ".join(f"{r.kind} run {r.pk}: {r.error}" for r in runs if r.error))

    def _train_here(self, run, *, quiet):
        bar = tqdm(total=100, disable=quiet, file=self.stderr._out, bar_format="{percentage:3.0f}%|{bar:30}| {desc}")

        def progress(percent, message):
            bar.set_description_str(f"{run.kind}: {message}", refresh=False)
            bar.update(max(0, percent - bar.n))

        try:
            return training_run_execute(run_id=run.pk, hostname=socket.gethostname(), on_progress=progress)
        finally:
            bar.close()

    def _describe(self, run):
        line = f"{run.kind} run {run.pk}: {run.status}"
        if run.status == TrainingRun.Status.SUCCEEDED:
            line += f" in {run.duration_seconds:.1f} s; {'active' if run.is_active else 'not activated'}"
            line += f" ({run.gate_reason})"
        self.stdout.write(line)


def run_summary(run: TrainingRun) -> dict:
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "is_active": run.is_active,
        "gate_passed": run.gate_passed,
        "gate_reason": run.gate_reason,
        "metrics": run.metrics,
        "duration_seconds": run.duration_seconds,
        "error": run.error,
    }


def _parse_cutoff(text):
    if not text:
        return None
    value = parse_datetime(text)
    if value is None or value.tzinfo is None:
        raise CommandError(f"--cutoff {text!r} is not an ISO datetime with a time zone (2011-11-09T00:00:00+00:00)")
    return value


def _parse_params(pairs):
    parameters = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise CommandError(f"--param {pair!r} is not KEY=VALUE")
        try:
            parameters[key] = json.loads(raw)
        except ValueError:
            parameters[key] = raw
    return parameters


def _dumps(value) -> str:
    return json.dumps(value, default=str)
