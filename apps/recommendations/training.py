"""The recommendations kind on the training platform.

fit: choose every model family's hyperparameters on validation weeks, measure each family
on the test weeks, and refit the validation-chosen model on everything before the cutoff.
Gate: the served model beats popularity on NDCG@10 in both tracks of the test weeks.
publish: per-customer lists with reasons, per-product "also bought", popular and trending.
"""

import pandas as pd

from apps.catalogue.models import Product
from apps.core.copy_rows import rows_copy
from apps.core.training.device import torch_device
from apps.core.training.trainer import Trainer, TrainingOutcome
from apps.orders.selectors import purchase_events
from apps.recommendations.ml.protocol import TRACKS, protocol_dates
from apps.recommendations.ml.selection import NotEnoughHistory, select_and_test, served_family
from apps.recommendations.ml.served_lists import served_lists
from apps.recommendations.models import (
    CustomerRecommendation,
    PopularProduct,
    ProductAlsoBought,
    ProductSimilar,
    TrendingProduct,
)

DEFAULTS = {
    "test_days": 30,
    "validation_days": 30,
    "list_length": 20,
    "popular_window_days": 90,
    "min_country_customers": 20,
    # The PyTorch model takes about 20 s per fit on this data on a CPU; off skips it.
    "sequence_model": True,
    # LambdaRank over the other families' candidates: about 40 s more on the UCI log; off skips it.
    "learned_ranker": True,
}
PUBLISH_BATCH = 5_000


def product_texts() -> dict[int, str]:
    """Each merchandise product's name and category, for the content-based model."""
    rows = Product.objects.merchandise().values_list("id", "name", "category__name")
    return {pk: f"{name} {category or ''}".strip() for pk, name, category in rows if name}


class RecommendationsTrainer(Trainer):
    kind = "recommendations"
    serving_without_run = (
        "Shoppers and integrations get the fallback lists computed from the orders: popular in their country, "
        "then overall; similar products by name on product pages."
    )
    result_models = (CustomerRecommendation, ProductAlsoBought, ProductSimilar, PopularProduct, TrendingProduct)

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        params = {**DEFAULTS, **parameters}
        report(2, "Reading purchases")
        events = purchase_events(before=cutoff)
        if events.empty:
            return TrainingOutcome(metrics={}, gate_passed=False, gate_reason="No purchases before the cutoff.")
        as_of = pd.Timestamp(cutoff) if cutoff else events["placed_at"].max() + pd.Timedelta(seconds=1)
        valid_start, split_at = protocol_dates(
            as_of, test_days=params["test_days"], validation_days=params["validation_days"]
        )
        texts = product_texts()
        try:
            results = select_and_test(
                events,
                valid_start=valid_start,
                split_at=split_at,
                until=as_of,
                report=report,
                product_text=texts,
                device=torch_device() if params["sequence_model"] else None,
                learned_ranker=params["learned_ranker"],
            )
        except NotEnoughHistory as exc:
            return TrainingOutcome(metrics={"as_of": as_of.isoformat()}, gate_passed=False, gate_reason=str(exc))
        served = served_family(results)
        popularity = next(r for r in results if r.family == "popularity")

        lists = served_lists(
            events,
            served,
            as_of=as_of,
            texts=texts,
            list_length=params["list_length"],
            popular_window_days=params["popular_window_days"],
            min_country_customers=params["min_country_customers"],
            report=report,
        )
        metrics = {
            "served": served.family,
            "served_model": served.chosen.name,
            "protocol": results.protocol,
            # Chosen on validation: bought-before products left out of "for you" (customers here do not re-buy).
            "served_new_only": served.new_only,
            "models": {
                r.family: {
                    "model": r.chosen.name,
                    "validation": r.validation,
                    "new_only": r.new_only,
                    "test": r.test,
                    "fit_seconds": r.fit_seconds,
                }
                for r in results
            },
            "valid_start": valid_start.isoformat(),
            "split_at": split_at.isoformat(),
            "as_of": as_of.isoformat(),
            "customers_with_lists": len(lists["customers"]),
        }
        passed = all(served.test[t]["ndcg@10"] > popularity.test[t]["ndcg@10"] for t in TRACKS)
        comparison = ", ".join(
            f"{t}: {served.test[t]['ndcg@10']:.4f} vs {popularity.test[t]['ndcg@10']:.4f}" for t in TRACKS
        )
        verdict = "beats" if passed else "does not beat"
        reason = f"{served.chosen.name} {verdict} popularity on NDCG@10 ({comparison})."
        return TrainingOutcome(metrics=metrics, gate_passed=passed, gate_reason=reason, results=lists)

    def publish(self, *, run, outcome) -> None:
        lists = outcome.results or {}
        # The largest table by far (a list per customer): streamed with COPY.
        rows_copy(
            CustomerRecommendation,
            ["run", "customer", "rank", "product", "score", "reason", "because_of"],
            (
                (run.pk, customer, rank, product, score, reason, because)
                for customer, entries in lists.get("customers", [])
                for rank, (product, score, reason, because) in enumerate(entries, start=1)
            ),
        )
        ProductAlsoBought.objects.bulk_create(
            (
                ProductAlsoBought(run=run, product_id=product, rank=rank, other_id=other, score=score)
                for product, entries in lists.get("also_bought", [])
                for rank, (other, score) in enumerate(entries, start=1)
            ),
            batch_size=PUBLISH_BATCH,
        )
        PopularProduct.objects.bulk_create(
            (
                PopularProduct(run=run, country=country, rank=rank, product_id=product, customers=customers)
                for country, ranked in lists.get("popular", {}).items()
                for rank, (product, customers) in enumerate(ranked, start=1)
            ),
            batch_size=PUBLISH_BATCH,
        )
        ProductSimilar.objects.bulk_create(
            (
                ProductSimilar(run=run, product_id=product, rank=rank, other_id=other, score=score)
                for product, entries in lists.get("similar", [])
                for rank, (other, score) in enumerate(entries, start=1)
            ),
            batch_size=PUBLISH_BATCH,
        )
        TrendingProduct.objects.bulk_create(
            (
                TrendingProduct(run=run, rank=rank, product_id=product, score=score)
                for rank, (product, score) in enumerate(lists.get("trending", []), start=1)
            ),
            batch_size=PUBLISH_BATCH,
        )
