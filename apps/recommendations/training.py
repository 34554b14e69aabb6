"""The recommendations kind on the training platform. Its first model is the popularity
baseline every later model must beat; it must itself beat a random ranking."""

import datetime as dt
import random

from apps.core.training.trainer import Trainer, TrainingOutcome
from apps.orders.selectors import purchase_events
from apps.recommendations.ml.popularity import evaluate_lists, most_bought, most_bought_by_country
from apps.recommendations.models import PopularProduct

DEFAULTS = {"window_days": 90, "holdout_days": 28, "list_length": 100, "min_country_customers": 20}


class PopularityTrainer(Trainer):
    kind = "recommendations"
    result_models = (PopularProduct,)

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        params = {**DEFAULTS, **parameters}
        report(5, "Reading purchases")
        events = purchase_events(before=cutoff)
        if events.empty:
            return TrainingOutcome(metrics={}, gate_passed=False, gate_reason="No purchases before the cutoff.")
        as_of = cutoff or events["placed_at"].max() + dt.timedelta(seconds=1)
        window, holdout = dt.timedelta(days=params["window_days"]), dt.timedelta(days=params["holdout_days"])

        report(30, "Evaluating on the last weeks before the cutoff")
        split = as_of - holdout
        train = events[(events["placed_at"] >= split - window) & (events["placed_at"] < split)]
        test = events[events["placed_at"] >= split]
        test = test[test["customer_id"].isin(set(train["customer_id"]))]
        truth = {int(c): set(g["product_id"].astype(int)) for c, g in test.groupby("customer_id")}
        popular = [product for product, _ in most_bought(train, limit=params["list_length"])]
        shuffled = popular[:]
        random.Random(0).shuffle(shuffled)
        popularity = evaluate_lists({c: popular for c in truth}, truth)
        random_ranking = evaluate_lists({c: shuffled for c in truth}, truth)

        report(60, "Ranking products of the latest window")
        recent = events[events["placed_at"] >= as_of - window]
        lists = {"": most_bought(recent, limit=params["list_length"])}
        lists.update(
            most_bought_by_country(recent, limit=params["list_length"], min_customers=params["min_country_customers"])
        )
        metrics = {
            "popularity": popularity,
            "random": random_ranking,
            "countries": len(lists) - 1,
            "as_of": as_of.isoformat(),
            "parameters": params,
        }
        if not truth:
            passed, reason = False, "No customer bought in the evaluation weeks: nothing to measure."
        else:
            passed = popularity["ndcg@10"] > random_ranking["ndcg@10"]
            verdict = "beats" if passed else "does not beat"
            reason = (
                f"NDCG@10 {popularity['ndcg@10']:.4f} {verdict} a random ranking ({random_ranking['ndcg@10']:.4f})."
            )
        return TrainingOutcome(metrics=metrics, gate_passed=passed, gate_reason=reason, results=lists)

    def publish(self, *, run, outcome) -> None:
        rows = [
            PopularProduct(run=run, country=country, rank=rank, product_id=product, customers=customers)
            for country, ranked in (outcome.results or {}).items()
            for rank, (product, customers) in enumerate(ranked, start=1)
        ]
        PopularProduct.objects.bulk_create(rows, batch_size=2_000)
