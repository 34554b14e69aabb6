"""`evaluate_uplift`: read a randomised campaign log, choose an uplift model on its train half and
report every candidate on the test half (apps/promotions/ml/uplift_selection.py has the protocol).
Needs no database. Bad files and arguments end in a CommandError that names the file, column or line."""

import json
import sys
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from apps.promotions.campaign_logs import CampaignLogError, read_log_file
from apps.promotions.ml.campaign_log import read_campaign_log
from apps.promotions.ml.uplift_selection import evaluate_uplift


class Command(BaseCommand):
    help = (
        "Choose an uplift model for a randomised campaign log and report uplift@30%, Qini and AUUC of every "
        "candidate on a held-out half. The file: CSV, plain or gzipped, one row per customer with the arm they "
        "got (--treatment-col; --control names the control value), the outcome (--outcome-col, 0/1 or an "
        "amount) and pre-treatment columns; post-treatment, identifier and constant columns are left out."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, metavar="FILE", help="the campaign log (.csv or .csv.gz)")
        parser.add_argument("--treatment-col", required=True)
        parser.add_argument("--control", required=True, metavar="VALUE", help="the control arm's value")
        parser.add_argument("--outcome-col", required=True)
        parser.add_argument("--treatment", metavar="VALUE", help="the arm to compare (needed with several arms)")
        parser.add_argument("--feature-cols", metavar="A,B", help="comma-separated feature columns (default: all)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the 50/50 split and the models")
        parser.add_argument("--json", action="store_true", help="print one JSON line")

    def handle(self, *args, **options):
        frame = _read_csv(Path(options["csv"]))
        feature_cols = None
        if options["feature_cols"]:
            feature_cols = [c.strip() for c in options["feature_cols"].split(",") if c.strip()]
        try:
            log = read_campaign_log(
                frame,
                treatment_col=options["treatment_col"],
                control=options["control"],
                outcome_col=options["outcome_col"],
                feature_cols=feature_cols,
                treatments=[options["treatment"]] if options["treatment"] else None,
            )
        except ValueError as error:
            raise CommandError(f"{options['csv']}: {error}") from error
        if log.features.shape[1] == 0:
            raise CommandError(f"{options['csv']}: no usable feature column ({log.dropped_columns})")

        def progress(message):
            sys.stderr.write(message + "\n")

        progress(f"{len(log.outcome):,} customers, arm {log.arms[0]!r} against {log.control!r}")
        report = evaluate_uplift(
            log.features.to_numpy(), log.treated(), log.outcome, seed=options["seed"], report=progress
        )
        result = {
            "selected": report.selected,
            "ate": report.ate,
            "models": {
                name: {"uplift_at_30": s.uplift_at_30, "qini": s.qini, "auuc": s.auuc}
                for name, s in report.models.items()
            },
            "reason": report.selection.reason,
            "uplift_at_30_interval": [report.uplift_at_30_interval.low, report.uplift_at_30_interval.high],
            "qini_interval": [report.qini_interval.low, report.qini_interval.high],
            "cross_fit": {
                name: {"qini": s.qini, "uplift_at_30": s.uplift_at_30} for name, s in report.selection.cross_fit.items()
            },
            "features": list(log.features.columns),
            "dropped_columns": log.dropped_columns,
            "n_train": report.n_train,
            "n_test": report.n_test,
            "seed": report.seed,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, allow_nan=True))
            return
        self.stdout.write(
            f"Test half: {report.n_test:,} customers; ATE {report.ate:.4f}. Selected on the train half: "
            f"{report.selected} ({report.selection.reason})."
        )
        self.stdout.write(f"{'model':<24} {'uplift@30':>10} {'qini':>8} {'auuc':>8}   {'cv qini':>8} {'cv u@30':>8}")
        for name, scores in report.models.items():
            cv = report.selection.cross_fit[name]
            mark = " *" if name == report.selected else ""
            self.stdout.write(
                f"{name:<24} {scores.uplift_at_30:>10.4f} {scores.qini:>8.4f} {scores.auuc:>8.4f}   "
                f"{cv.qini:>8.4f} {cv.uplift_at_30:>8.4f}{mark}"
            )
        low, high = report.uplift_at_30_interval.low, report.uplift_at_30_interval.high
        self.stdout.write(f"{report.selected} uplift@30 95% bootstrap interval: [{low:.4f}, {high:.4f}]")
        for column, why in log.dropped_columns.items():
            self.stdout.write(f"not a feature: {column}: {why}")


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        return read_log_file(path)
    except CampaignLogError as error:
        raise CommandError(f"{path}: cannot read the CSV: {error}") from error
