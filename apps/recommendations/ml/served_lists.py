"""Everything a retrain publishes, from the purchases and the family chosen to serve: each
customer's "for you" list with reasons, each product's "also bought" and "similar", the popular
lists (overall and per country) and the trending one. Pure pandas and numpy, no Django."""

from collections.abc import Callable

import pandas as pd

from apps.recommendations.ml.content import similar_products
from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.lists import also_bought, customer_lists
from apps.recommendations.ml.popularity import most_bought, most_bought_by_country, trending
from apps.recommendations.ml.recommenders import ItemKNN
from apps.recommendations.ml.selection import HEAD_PRODUCTS, FamilyResult


def served_lists(
    events: pd.DataFrame,
    served: FamilyResult,
    *,
    as_of,
    texts: dict[int, str],
    list_length: int,
    popular_window_days: int,
    min_country_customers: int,
    report: Callable[[int, str], None] = lambda percent, message: None,
) -> dict:
    report(75, f"Refitting {served.chosen.name} on all purchases")
    data = Interactions.from_events(events, as_of=as_of, max_products=HEAD_PRODUCTS)
    model = served.chosen.build().fit(data)
    similarity = ItemKNN("jaccard").fit(data).sim
    recent = events[events["placed_at"] >= as_of - pd.Timedelta(days=popular_window_days)]
    popular = {"": most_bought(recent, limit=list_length * 5)}
    popular.update(most_bought_by_country(recent, limit=list_length * 5, min_customers=min_country_customers))
    report(80, "Writing each customer's list")
    return {
        "customers": list(
            customer_lists(model, data, length=list_length, similarity=similarity, new_only=served.new_only)
        ),
        "also_bought": list(also_bought(similarity, data.products, length=list_length)),
        "popular": popular,
        "trending": trending(events, as_of=as_of, limit=list_length * 5),
        "similar": list(similar_products(texts, length=list_length)),
    }
