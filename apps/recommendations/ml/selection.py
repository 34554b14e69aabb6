"""Choose each model family's hyperparameters on a validation split inside the training
period, measure every family once on the test period, and pick the model to serve.

validation: fit on events before `valid_start`, measure on [valid_start, split_at)
test:       fit on events before `split_at`,    measure on [split_at, until)
Where the test weeks hold fewer than MIN_TEST_CUSTOMERS customers who also bought before, both
splits are per customer instead (protocol.per_customer_split): test holds out each customer's
latest orders, validation the latest of what remains. The protocol used is in `results.protocol`.
A family's score on a split is the mean NDCG@10 of the two tracks. The served model is chosen
on validation, so the test period never steers a choice: the simplest family (SIMPLER_FIRST)
whose score is not surely below the best family's, i.e. whose paired bootstrap 95% interval of
the difference to the best reaches zero (bootstrap.py says why paired). A more complex model
is served only where it beats the simpler ones by more than the noise of this store's customers.

Repurchase is learned, not assumed: every candidate is measured on the validation "all" track
twice, with the customer's bought-before products allowed in its list and left out, and keeps
whichever scores higher (a tie leaves them out: the slots go to products the customer has not
seen). In a store whose customers re-buy, bought-before products earn their place; in one where
nobody re-buys, they would only take room from new products, so "for you" holds new products only.
The test weeks measure each family the way it would be served.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from apps.recommendations.ml.bootstrap import score_difference_interval
from apps.recommendations.ml.content import ContentKNN
from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.protocol import MIN_TEST_CUSTOMERS, TRACKS, evaluate, per_customer_split, temporal_split
from apps.recommendations.ml.ranker import LearnedRanker, Source, TooFewLabels, train_ranker
from apps.recommendations.ml.recommenders import Blend, Ease, ItemKNN, Popularity, Recommender, Repurchase, UserKNN
from apps.recommendations.ml.recommenders import recommend as recommend_lists
from apps.recommendations.ml.sequence import SequenceGru
from apps.recommendations.ml.shared_fits import Shared, SharedFits

# Families from the simplest (fewest assumptions, cheapest to serve and explain) to the most complex.
SIMPLER_FIRST = (
    "popularity",
    "repurchase",
    "content",
    "item_knn",
    "user_knn",
    "ease",
    "repurchase+ease",
    "sequence",
    "ranker",
)
# Scale limits, so a store of a million customers and 50,000 products retrains in 30 minutes and
# 8 GiB: the item-item models (EASE, kNN, content) see the head of the catalogue (dense item x
# item matrices grow with its square; the tail keeps its content and popularity lists); user kNN's
# neighbour search and the sequence model's CPU training grow with the customers and are left out
# above their limit (the sequence model stays on a GPU).
HEAD_PRODUCTS = 10_000
USER_KNN_MAX_CUSTOMERS = 50_000
SEQUENCE_CPU_MAX_CUSTOMERS = 50_000
# The families whose candidates and scores the learned ranker orders (ranker.py).
RANKER_SOURCES = ("repurchase", "ease", "item_knn", "user_knn", "content", "popularity")


class NotEnoughHistory(ValueError):
    """The validation or test weeks have no customer who also bought before them."""


@dataclass(frozen=True)
class Candidate:
    family: str
    name: str
    build: Callable[[], Recommender]


def base_candidates(customers: int = 0) -> list[Candidate]:
    grid = [Candidate("popularity", "popularity", Popularity)]
    grid += [Candidate("repurchase", f"repurchase(half_life={h})", lambda h=h: Repurchase(h)) for h in (30, 90, 365)]
    grid += [Candidate("item_knn", f"item_knn({s})", lambda s=s: ItemKNN(s)) for s in ("cosine", "jaccard")]
    if customers <= USER_KNN_MAX_CUSTOMERS:
        grid += [Candidate("user_knn", f"user_knn(k={k})", lambda k=k: UserKNN(k)) for k in (20, 50, 100)]
    grid += [Candidate("ease", f"ease(l2={l2})", lambda l2=l2: Ease(l2)) for l2 in (100, 200, 500)]
    return grid


def blend_candidates(repurchase: Candidate, ease: Candidate, fits: SharedFits) -> list[Candidate]:
    """Retail customers reorder: their own products plus EASE's new ones, in a few mixes."""
    return [
        Candidate(
            "repurchase+ease",
            f"{repurchase.name} + {weight} x {ease.name}",
            lambda weight=weight: Blend([(shared(repurchase, fits), 1.0), (shared(ease, fits), weight)]),
        )
        for weight in (0.3, 1.0, 3.0)
    ]


def shared(candidate: Candidate, fits: SharedFits) -> Shared:
    return Shared(candidate.name, candidate.build, fits)


@dataclass
class FamilyResult:
    family: str
    chosen: Candidate
    validation: dict
    test: dict = field(default_factory=dict)
    fit_seconds: float = 0.0
    # Chosen on validation: leave the customer's bought-before products out of "for you".
    new_only: bool = False
    # Track -> each validation customer's NDCG@10 (protocol.TrackMetrics.per_customer), for paired comparisons.
    validation_per_customer: dict = field(default_factory=dict, repr=False)

    @property
    def validation_score(self) -> float:
        return sum(self.validation[t]["ndcg@10"] for t in TRACKS) / len(TRACKS)


def measure(model: Recommender, split, fallback: Recommender, *, new_only: bool = False) -> dict:
    """Both tracks; with new_only the "all" track's lists leave bought-before products out too."""

    def recommend(customers, k, exclude_bought):
        return recommend_lists(model, customers, k, exclude_bought=exclude_bought or new_only, fallback=fallback)

    return {track: evaluate(recommend, split, track=track) for track in TRACKS}


def select_and_test(
    events: pd.DataFrame,
    *,
    valid_start,
    split_at,
    until,
    report=None,
    product_text: dict[int, str] | None = None,
    device: str | None = None,
    learned_ranker: bool = True,
) -> list[FamilyResult]:
    """Every family with its validation-chosen configuration and its test metrics.
    `product_text` (product id -> name) adds the content-based family; `device` (cpu or
    cuda) adds the PyTorch sequence model, trained there; `learned_ranker` the LambdaRank
    model over the other families' candidates, trained on the validation weeks' purchases."""
    report = report or (lambda percent, message: None)
    validation_split = temporal_split(events[events["placed_at"] < pd.Timestamp(split_at)], split_at=valid_start)
    test_split = temporal_split(events, split_at=split_at, until=until)
    protocol = "weeks"
    if len(test_split.truth["all"]) < MIN_TEST_CUSTOMERS:
        protocol = "per_customer"
        events = events[events["placed_at"] < pd.Timestamp(until)] if until is not None else events
        test_split = per_customer_split(events)
        validation_split = per_customer_split(test_split.train)
        valid_start = validation_split.train["placed_at"].max() + pd.Timedelta(seconds=1)
        split_at = test_split.train["placed_at"].max() + pd.Timedelta(seconds=1)
    for label, split in (("validation", validation_split), ("test", test_split)):
        if not split.truth["all"]:
            raise NotEnoughHistory(
                f"No customer bought both before and during the {label} period ({protocol} protocol): "
                "too little history to measure a model."
            )
    validation_data = Interactions.from_events(validation_split.train, as_of=valid_start, max_products=HEAD_PRODUCTS)
    validation_fallback = Popularity().fit(validation_data)

    best: dict[str, tuple[Candidate, dict, float, bool]] = {}
    all_customers = sorted(validation_split.truth["all"])
    new_positions = np.searchsorted(all_customers, sorted(validation_split.truth["new"]))

    def try_candidates(candidates: list[Candidate]) -> None:
        for candidate in candidates:
            consider(candidate, candidate.build().fit(validation_data))

    def consider(candidate: Candidate, model: Recommender) -> None:
        """Measure a model fitted on the validation training data, keep it if best of its family."""
        scores = measure(model, validation_split, validation_fallback)
        new_only_all = measure(model, validation_split, validation_fallback, new_only=True)["all"]
        new_only = new_only_all["ndcg@10"] >= scores["all"]["ndcg@10"]
        if new_only:
            scores = {**scores, "all": new_only_all}
        mean = sum(scores[t]["ndcg@10"] for t in TRACKS) / len(TRACKS)
        if candidate.family not in best or mean > best[candidate.family][2]:
            best[candidate.family] = (candidate, scores, mean, new_only)

    report(10, "Choosing hyperparameters on the validation weeks")
    try_candidates(base_candidates(len(validation_data.customers)))
    if product_text:
        try_candidates([Candidate("content", "content(tfidf of names)", lambda: ContentKNN(product_text))])
    if device and (device != "cpu" or len(validation_data.customers) <= SEQUENCE_CPU_MAX_CUSTOMERS):
        report(30, f"Training the sequence model on {device}")
        try_candidates(
            [
                Candidate(
                    "sequence",
                    f"gru(dim=64, epochs=8, softmax, {device})",
                    lambda: SequenceGru(dim=64, epochs=8, loss="softmax", device=device),
                )
            ]
        )
    fits = SharedFits()
    try_candidates(blend_candidates(best["repurchase"][0], best["ease"][0], fits))
    if learned_ranker:
        report(40, "Training the learned ranker on the validation weeks")
        sources = [
            Source(family, lambda c=best[family][0]: shared(c, fits)) for family in RANKER_SOURCES if family in best
        ]
        try:
            cross_fitted, ranker = train_ranker(sources, validation_data, validation_split.truth["all"])
        except TooFewLabels:
            pass  # the other families compete without it
        else:
            name = "lambdarank over " + ", ".join(best[source.name][0].name for source in sources)
            consider(Candidate("ranker", name, lambda: LearnedRanker(sources, ranker)), cross_fitted)

    report(45, "Measuring every model on the test weeks")
    test_data = Interactions.from_events(test_split.train, as_of=split_at, max_products=HEAD_PRODUCTS)
    test_fallback = Popularity().fit(test_data)
    results = []
    for family, (candidate, validation, _, new_only) in best.items():
        started = time.perf_counter()
        # Blends and the ranker reuse their parts' fits on the test data (their fit time excludes them).
        model = fits.fitted(candidate.name, candidate.build, test_data)
        fit_seconds = time.perf_counter() - started
        test = measure(model, test_split, test_fallback, new_only=new_only)
        per_customer = {track: validation[track].per_customer for track in TRACKS}
        results.append(FamilyResult(family, candidate, validation, test, round(fit_seconds, 3), new_only, per_customer))
    return SelectionResults(results, protocol=protocol, validation_new_positions=new_positions)


class SelectionResults(list):
    """Every family's FamilyResult, which protocol measured them ("weeks" or "per_customer"),
    and where each validation "new" track customer sits among the "all" track's ones."""

    def __init__(self, results, *, protocol: str, validation_new_positions=()):
        super().__init__(results)
        self.protocol = protocol
        self.validation_new_positions = np.asarray(validation_new_positions, dtype=int)


def served_family(results: SelectionResults) -> FamilyResult:
    """The simplest family not surely worse than the best one on validation (see the module's note)."""
    best = max(results, key=lambda result: (result.validation_score, result.family))
    for result in sorted(results, key=_complexity):
        if result is best:
            break
        low, _ = difference_to(best, result, results)
        if low <= 0:
            return result
    return best


def difference_to(best: FamilyResult, other: FamilyResult, results: SelectionResults) -> tuple[float, float]:
    """Paired bootstrap 95% interval of best's validation score minus other's."""
    return score_difference_interval(
        best.validation_per_customer, other.validation_per_customer, results.validation_new_positions
    )


def _complexity(result: FamilyResult) -> int:
    return SIMPLER_FIRST.index(result.family) if result.family in SIMPLER_FIRST else len(SIMPLER_FIRST)
