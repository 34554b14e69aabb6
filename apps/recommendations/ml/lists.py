"""The lists the storefront shows, computed once per training run: each customer's
"recommended for you" with a reason per product, and each product's "also bought"."""

import numpy as np

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.ranking import top_k
from apps.recommendations.ml.recommenders import BATCH, Recommender

BOUGHT_BEFORE, BECAUSE_YOU_BOUGHT, POPULAR = "bought_before", "because_you_bought", "popular"


def customer_lists(
    model: Recommender, data: Interactions, *, length: int, similarity: np.ndarray, new_only: bool = False
):
    """Yield (customer_id, [(product_id, score, reason, because_of_product_id | None), ...]).
    The reason names the product of the customer's history most similar to the recommended
    one (`similarity`: product x product co-purchase similarity). With new_only, products the
    customer bought before are left out."""
    bought = data.binary
    for start in range(0, len(data.customers), BATCH):
        rows = np.arange(start, min(start + BATCH, len(data.customers)))
        order, scores = top_k(model.score(rows), length, exclude=bought[rows] if new_only else None)
        for row, columns, values in zip(rows, order, scores, strict=True):
            history = bought[row].indices
            entries = []
            for column, value in zip(columns, values, strict=True):
                if not np.isfinite(value):
                    continue  # left out (bought before, new_only)
                if column in history:
                    entries.append((int(data.products[column]), float(value), BOUGHT_BEFORE, None))
                    continue
                related = similarity[history, column] if len(history) else np.empty(0)
                if len(related) and related.max() > 0:
                    source = history[int(np.argmax(related))]
                    entries.append(
                        (int(data.products[column]), float(value), BECAUSE_YOU_BOUGHT, int(data.products[source]))
                    )
                else:
                    entries.append((int(data.products[column]), float(value), POPULAR, None))
            yield int(data.customers[row]), entries


def also_bought(similarity: np.ndarray, products: np.ndarray, *, length: int):
    """Yield (product_id, [(other_product_id, score), ...]) for products with any co-purchase."""
    order, scores = top_k(similarity, length)
    for column, (others, values) in enumerate(zip(order, scores, strict=True)):
        entries = [(int(products[o]), round(float(v), 6)) for o, v in zip(others, values, strict=True) if v > 0]
        if entries:
            yield int(products[column]), entries
