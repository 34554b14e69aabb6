import json

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from apps.recommendations.ml.events import InteractionsFileError, events_from_csv
from apps.recommendations.ml.protocol import protocol_dates
from apps.recommendations.ml.selection import NotEnoughHistory, difference_to, select_and_test, served_family
from apps.recommendations.training import DEFAULTS


class Command(BaseCommand):
    help = (
        "Evaluate every recommender with the temporal protocol (validation-chosen hyperparameters, "
        "both tracks) on the orders in the database, or on any interactions CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--interactions", metavar="CSV", help="evaluate on this file instead of the database")
        parser.add_argument("--user-col", default="user_id")
        parser.add_argument("--item-col", default="item_id")
        parser.add_argument("--time-col", default="timestamp")
        parser.add_argument("--split-at", help="start of the test weeks (default: 30 days before the data ends)")

    def handle(self, *args, json, interactions, user_col, item_col, time_col, split_at, **options):
        if interactions:
            try:
                events = events_from_csv(interactions, user_col=user_col, item_col=item_col, time_col=time_col)
            except InteractionsFileError as exc:
                raise CommandError(str(exc)) from None
        else:
            from apps.orders.selectors import purchase_events

            events = purchase_events()
        if events.empty:
            raise CommandError("No purchases to evaluate on.")
        until = events["placed_at"].max() + pd.Timedelta(seconds=1)
        valid_start, test_start = protocol_dates(
            until, test_days=DEFAULTS["test_days"], validation_days=DEFAULTS["validation_days"]
        )
        if split_at:
            test_start = (
                pd.Timestamp(split_at, tz="UTC") if pd.Timestamp(split_at).tzinfo is None else pd.Timestamp(split_at)
            )
            valid_start = test_start - pd.Timedelta(days=DEFAULTS["validation_days"])
        try:
            results = select_and_test(
                events,
                valid_start=valid_start,
                split_at=test_start,
                until=until,
                report=lambda percent, message: self.stderr.write(message),
            )
        except NotEnoughHistory as exc:
            raise CommandError(str(exc)) from None
        served = served_family(results)
        best = max(results, key=lambda result: (result.validation_score, result.family))
        summary = {
            "valid_start": valid_start.isoformat(),
            "split_at": test_start.isoformat(),
            "until": until.isoformat(),
            "protocol": results.protocol,
            "served": served.family,
            "best_on_validation": best.family,
            "models": {
                r.family: {
                    "model": r.chosen.name,
                    "fit_seconds": r.fit_seconds,
                    **r.test,
                    "validation_score": round(r.validation_score, 4),
                    "validation_difference_to_best": list(difference_to(best, r, results)),
                }
                for r in results
            },
        }
        if json:
            self.stdout.write(_dumps(summary))
            return
        if results.protocol == "per_customer":
            self.stdout.write(
                "Too few customers in the last weeks to decide: each customer's latest orders held out instead"
                f" (per-customer protocol). Served: {served.chosen.name}"
            )
        else:
            self.stdout.write(
                f"Test weeks from {test_start:%Y-%m-%d}; hyperparameters chosen on {valid_start:%Y-%m-%d}"
                f" to {test_start:%Y-%m-%d}. Served: {served.chosen.name}"
            )
        if served is not best:
            self.stdout.write(
                f"{best.family} scored best on validation, but not surely better than the simpler {served.family}."
            )
        for r in results:
            test_all, test_new = r.test["all"], r.test["new"]
            self.stdout.write(
                f"  {r.family:16} NDCG@10 all {test_all['ndcg@10']:.4f} {_interval(test_all)}"
                f"  new {test_new['ndcg@10']:.4f} {_interval(test_new)}"
                f"  ({test_all['customers']} customers)  fit {r.fit_seconds:.2f} s   {r.chosen.name}"
            )


def _interval(track: dict) -> str:
    low, high = track["ndcg@10_interval"]
    return f"[{low:.4f}, {high:.4f}]"


def _dumps(value) -> str:
    return json.dumps(value)
